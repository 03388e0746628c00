#include "extension/health_check/factory.h"

#include "extension/health_check/config.h"
#include "extension/health_check/health_check.h"

namespace astrolabe::extension::health_check {
namespace {

class Factory final : public component::ExtensionFactory {
 public:
  std::string_view type() const override { return "health_check"; }
  component::Stability stability() const override { return component::Stability::kBeta; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Extension>> CreateExtension(
      const component::CreateSettings&, const component::ComponentConfig& config) const override {
    return std::unique_ptr<component::Extension>(
        std::make_unique<HealthCheck>(static_cast<const Config&>(config)));
  }
};

}  // namespace

std::unique_ptr<component::ExtensionFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::extension::health_check
