#include "extension/file_storage/factory.h"

#include "extension/file_storage/config.h"
#include "extension/file_storage/file_storage.h"

namespace astrolabe::extension::file_storage {
namespace {

class Factory final : public component::ExtensionFactory {
 public:
  std::string_view type() const override { return "file_storage"; }
  component::Stability stability() const override { return component::Stability::kBeta; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Extension>> CreateExtension(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("file_storage: config is not a file_storage config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Extension>(std::make_unique<FileStorage>(settings, *cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExtensionFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::extension::file_storage
