#include "processor/genaimetrics/factory.h"

#include "processor/genaimetrics/config.h"
#include "processor/genaimetrics/genaimetrics.h"

namespace astrolabe::processor::genaimetrics {

namespace {

class Factory : public component::ProcessorFactory {
 public:
  explicit Factory(const Clock& clock) : clock_(clock) {}
  std::string_view type() const override { return "genaimetrics"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kTraces;
  }
  component::Stability stability() const override { return component::Stability::kDevelopment; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Processor>> CreateProcessor(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::Signal signal, component::Consumer& next) const override {
    if (signal != component::Signal::kTraces) {
      return InvalidArgument("genaimetrics processor: telemetry type is not supported: " +
                             std::string(component::SignalName(signal)));
    }
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument("genaimetrics processor: config is not a genaimetrics config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Processor>(
        std::make_unique<GenAiMetricsProcessor>(*cfg, clock_, settings.telemetry, next));
  }

 private:
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() { return NewFactory(Clock::Real()); }
std::unique_ptr<component::ProcessorFactory> NewFactory(const Clock& clock) {
  return std::make_unique<Factory>(clock);
}

}  // namespace astrolabe::processor::genaimetrics
