#include "exporter/debug/factory.h"

#include "exporter/debug/config.h"
#include "exporter/debug/debug_exporter.h"

namespace astrolabe::exporter::debug {

namespace {

class Factory : public component::ExporterFactory {
 public:
  std::string_view type() const override { return "debug"; }
  bool Supports(component::Signal) const override { return true; }
  component::Stability stability() const override { return component::Stability::kAlpha; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Exporter>> CreateExporter(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) return InvalidArgument("debug exporter: config is not a debug config");
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Exporter>(std::make_unique<DebugExporter>(settings, *cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExporterFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::exporter::debug
