#include "processor/genai/factory.h"

#include "processor/genai/config.h"
#include "processor/genai/genai_processor.h"

namespace astrolabe::processor::genai {

namespace {

class Factory : public component::ProcessorFactory {
 public:
  std::string_view type() const override { return "genai"; }
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
      return InvalidArgument("genai processor: telemetry type is not supported: " +
                             std::string(component::SignalName(signal)));
    }
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("genai processor: config is not a genai config");
    RETURN_IF_ERROR(cfg->Validate());
    ASSIGN_OR_RETURN(astrolabe::genai::Normalizer normalizer, BuildNormalizer(*cfg));
    return std::unique_ptr<component::Processor>(
        std::make_unique<GenAiProcessor>(settings, std::move(normalizer), next));
  }
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::processor::genai
