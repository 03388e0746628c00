#include "app/config_loading.h"

#include <ostream>

namespace astrolabe::app {

void PrintDiagnostics(const config::Diagnostics& diag, std::ostream& out) {
  for (const auto& w : diag.warnings()) out << "warning: " << w.ToString() << "\n";
  for (const auto& e : diag.errors()) out << "error: " << e.ToString() << "\n";
}

LoadedConfig LoadAndResolve(const std::vector<std::string>& files,
                            const component::Registry& registry, config::Diagnostics& diag) {
  std::vector<config::ConfigSource> sources;
  for (const auto& f : files) sources.push_back(config::ConfigSource::File(f));
  return LoadAndResolve(sources, registry, diag);
}

LoadedConfig LoadAndResolve(const std::vector<config::ConfigSource>& sources,
                            const component::Registry& registry, config::Diagnostics& diag) {
  LoadedConfig out;
  config::LoadOptions options;
  options.sources = sources;
  out.load = config::Load(options, diag);
  if (diag.has_errors()) return out;
  out.resolved = component::Resolve(out.load.config, registry, diag);
  return out;
}

}  // namespace astrolabe::app
