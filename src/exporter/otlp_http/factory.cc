#include "exporter/otlp_http/factory.h"

#include "exporter/otlp_http/config.h"
#include "exporter/otlp_http/otlp_http_exporter.h"

namespace astrolabe::exporter::otlp_http {

namespace {

class Factory : public component::ExporterFactory {
 public:
  std::string_view type() const override { return "otlp_http"; }
  bool Supports(component::Signal) const override { return true; }
  component::Stability stability() const override { return component::Stability::kBeta; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Exporter>> CreateExporter(
      const component::CreateSettings& settings,
      const component::ComponentConfig& config) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument("otlp_http exporter: config is not an otlp_http config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    return std::unique_ptr<component::Exporter>(std::make_unique<OtlpHttpExporter>(settings, *cfg));
  }
};

}  // namespace

std::unique_ptr<component::ExporterFactory> NewFactory() { return std::make_unique<Factory>(); }

}  // namespace astrolabe::exporter::otlp_http
