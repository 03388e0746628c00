#include "receiver/prometheus/factory.h"

#include "receiver/prometheus/config.h"
#include "receiver/prometheus/prometheus_receiver.h"

namespace astrolabe::receiver::prometheus {

namespace {

class Factory : public component::ReceiverFactory {
 public:
  std::string_view type() const override { return "prometheus"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kMetrics;
  }
  component::Stability stability() const override { return component::Stability::kBeta; }

  // As upstream's, the default config has no scrape configs. It validates (the "no
  // Prometheus scrape_configs" check runs while decoding, see config.cc) and a receiver made
  // from it scrapes nothing.
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Receiver>> CreateReceiver(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::ReceiverConsumers next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr)
      return InvalidArgument("prometheus receiver: config is not a prometheus config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Receiver>(
        std::make_unique<PrometheusReceiver>(settings, *cfg, next.metrics));
  }
};

}  // namespace

std::unique_ptr<component::ReceiverFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::receiver::prometheus
