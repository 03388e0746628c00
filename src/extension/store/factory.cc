#include "extension/store/factory.h"

#include "extension/store/config.h"
#include "extension/store/store_extension.h"

namespace astrolabe::extension::store {
namespace {

class Factory final : public component::ExtensionFactory {
 public:
  std::string_view type() const override { return "store"; }
  component::Stability stability() const override { return component::Stability::kAlpha; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Extension>> CreateExtension(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("store: config is not a store config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Extension>(std::make_unique<StoreExtension>(settings, *cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExtensionFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::extension::store
