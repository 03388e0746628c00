#include "processor/cumulativetodelta/factory.h"

#include "processor/cumulativetodelta/config.h"
#include "processor/cumulativetodelta/cumulativetodelta.h"

namespace astrolabe::processor::cumulativetodelta {

namespace {

class Factory : public component::ProcessorFactory {
 public:
  explicit Factory(const Clock& clock) : clock_(clock) {}

  std::string_view type() const override { return "cumulativetodelta"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kMetrics;
  }
  component::Stability stability() const override { return component::Stability::kBeta; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Processor>> CreateProcessor(
      const component::CreateSettings&, const component::ComponentConfig& config,
      component::Signal signal, component::Consumer& next) const override {
    if (signal != component::Signal::kMetrics) {
      return InvalidArgument("cumulativetodelta processor: telemetry type is not supported: " +
                             std::string(component::SignalName(signal)));
    }
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument(
          "cumulativetodelta processor: config is not a cumulativetodelta config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Processor>(
        std::make_unique<CumulativeToDeltaProcessor>(*cfg, clock_, next));
  }

 private:
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() { return NewFactory(Clock::Real()); }

std::unique_ptr<component::ProcessorFactory> NewFactory(const Clock& clock) {
  return std::make_unique<Factory>(clock);
}

}  // namespace astrolabe::processor::cumulativetodelta
