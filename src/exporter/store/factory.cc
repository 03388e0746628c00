#include "exporter/store/factory.h"

#include "exporter/store/config.h"
#include "exporter/store/store_exporter.h"

namespace astrolabe::exporter::store {
namespace {

class Factory final : public component::ExporterFactory {
 public:
  std::string_view type() const override { return "store"; }
  bool Supports(component::Signal signal) const override {
    return signal == component::Signal::kMetrics || signal == component::Signal::kTraces ||
           signal == component::Signal::kLogs;
  }
  component::Stability stability() const override { return component::Stability::kAlpha; }
  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }
  Result<std::unique_ptr<component::Exporter>> CreateExporter(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("store exporter: config is not a store config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Exporter>(std::make_unique<StoreExporter>(settings, *cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExporterFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::exporter::store
