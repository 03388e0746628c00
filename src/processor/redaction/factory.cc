#include "processor/redaction/factory.h"

#include "processor/redaction/config.h"
#include "processor/redaction/redaction.h"

namespace astrolabe::processor::redaction {

namespace {

class Factory : public component::ProcessorFactory {
 public:
  std::string_view type() const override { return "redaction"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kTraces || signal == component::Signal::kLogs;
  }
  component::Stability stability() const override { return component::Stability::kAlpha; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Processor>> CreateProcessor(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::Signal signal, component::Consumer& next) const override {
    if (!Supports(signal)) {
      return InvalidArgument("redaction processor: telemetry type is not supported: " +
                             std::string(component::SignalName(signal)));
    }
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr)
      return InvalidArgument("redaction processor: config is not a redaction config");
    RETURN_IF_ERROR(cfg->Validate());
    ASSIGN_OR_RETURN(auto detector, astrolabe::redaction::Detector::Create(cfg->DetectorOptions()));
    return std::unique_ptr<component::Processor>(
        std::make_unique<RedactionProcessor>(*cfg, std::move(detector), settings.telemetry, next));
  }
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::processor::redaction
