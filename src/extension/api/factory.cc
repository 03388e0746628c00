#include "extension/api/factory.h"

#include "extension/api/api_extension.h"
#include "extension/api/config.h"

namespace astrolabe::extension::api {
namespace {

class Factory final : public component::ExtensionFactory {
 public:
  std::string_view type() const override { return "api"; }
  component::Stability stability() const override { return component::Stability::kAlpha; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Extension>> CreateExtension(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto& cfg = static_cast<const Config&>(config);
    RETURN_IF_ERROR(cfg.Validate());
    return std::unique_ptr<component::Extension>(std::make_unique<ApiExtension>(settings, cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExtensionFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::extension::api
