#include "processor/batch/factory.h"

#include "processor/batch/batch_processor.h"
#include "processor/batch/config.h"

namespace astrolabe::processor::batch {
namespace {

class Factory : public component::ProcessorFactory {
 public:
  std::string_view type() const override { return "batch"; }
  bool Supports(component::Signal) const override { return true; }
  component::Stability stability() const override { return component::Stability::kBeta; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Processor>> CreateProcessor(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::Signal signal, component::Consumer& next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("batch processor: config is not a batch config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Processor>(NewBatchProcessor(settings, *cfg, signal, next));
  }
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::processor::batch
