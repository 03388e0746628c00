#include "receiver/prometheus_remote_write/factory.h"

#include "receiver/prometheus_remote_write/config.h"
#include "receiver/prometheus_remote_write/receiver.h"

namespace astrolabe::receiver::prometheus_remote_write {
namespace {

class Factory : public component::ReceiverFactory {
 public:
  std::string_view type() const override { return "prometheus_remote_write"; }
  bool Supports(component::Signal s) const override { return s == component::Signal::kMetrics; }
  component::Stability stability() const override { return component::Stability::kAlpha; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Receiver>> CreateReceiver(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::ReceiverConsumers next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument("prometheus_remote_write receiver: config is not its config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Receiver>(
        std::make_unique<RemoteWriteReceiver>(settings, *cfg, next));
  }
};

}  // namespace

std::unique_ptr<component::ReceiverFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::receiver::prometheus_remote_write
