#include "extension/token_auth/factory.h"

#include "extension/token_auth/config.h"
#include "extension/token_auth/token_auth.h"

namespace astrolabe::extension::token_auth {
namespace {

class Factory final : public component::ExtensionFactory {
 public:
  std::string_view type() const override { return "token_auth"; }
  component::Stability stability() const override { return component::Stability::kAlpha; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Extension>> CreateExtension(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto& cfg = static_cast<const Config&>(config);
    RETURN_IF_ERROR(cfg.Validate());
    return std::unique_ptr<component::Extension>(std::make_unique<TokenAuth>(settings, cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExtensionFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::extension::token_auth
