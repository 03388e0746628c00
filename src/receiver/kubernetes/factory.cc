#include "receiver/kubernetes/factory.h"

#include "receiver/kubernetes/config.h"
#include "receiver/prometheus/prometheus_receiver.h"

namespace astrolabe::receiver::kubernetes {
namespace {

class Factory : public component::ReceiverFactory {
 public:
  std::string_view type() const override { return "kubernetes"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kMetrics;
  }
  component::Stability stability() const override { return component::Stability::kAlpha; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  // The receiver is the prometheus receiver running ToPrometheus(): one job whose targets
  // come from the annotations role. Start fails, naming what is missing, when no API server
  // can be found (not in a cluster and neither api_server nor kubeconfig_file set).
  Result<std::unique_ptr<component::Receiver>> CreateReceiver(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::ReceiverConsumers next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument("kubernetes receiver: config is not a kubernetes config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Receiver>(std::make_unique<prometheus::PrometheusReceiver>(
        settings, cfg->ToPrometheus(), next.metrics));
  }
};

}  // namespace

std::unique_ptr<component::ReceiverFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::receiver::kubernetes
