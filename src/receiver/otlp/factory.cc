#include "receiver/otlp/factory.h"

#include "receiver/otlp/config.h"
#include "receiver/otlp/otlp_receiver.h"

namespace astrolabe::receiver::otlp {
namespace {

class Factory : public component::ReceiverFactory {
 public:
  std::string_view type() const override { return "otlp"; }
  bool Supports(component::Signal) const override { return true; }
  component::Stability stability() const override { return component::Stability::kStable; }
  // Both protocols on their default endpoints; decoding keeps only those the file names.
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Receiver>> CreateReceiver(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::ReceiverConsumers next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("otlp receiver: config is not an otlp config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Receiver>(std::make_unique<OtlpReceiver>(settings, *cfg, next));
  }
};

}  // namespace

std::unique_ptr<component::ReceiverFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::receiver::otlp
