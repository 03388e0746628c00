#pragma once
// The one path from command-line config arguments to a ResolvedConfig, shared by
// `collector` (start and SIGHUP reload) and `validate`.

#include <ostream>
#include <string>
#include <vector>

#include "component/factory.h"
#include "component/resolve.h"
#include "config/diagnostics.h"
#include "config/loader.h"

namespace astrolabe::app {

struct LoadedConfig {
  config::LoadResult load;
  component::ResolvedConfig resolved;
};

// Loads `files` (merged in order), then decodes every component with `registry`.
// Errors and warnings (forgiven slips, unset variables, deprecated aliases) go to `diag`;
// the result is usable only when !diag.has_errors().
// Prints warnings ("warning: <file:line:col>: ...") then errors ("error: ...").
void PrintDiagnostics(const config::Diagnostics& diag, std::ostream& out);

LoadedConfig LoadAndResolve(const std::vector<std::string>& files,
                            const component::Registry& registry, config::Diagnostics& diag);
// As above, from sources that may be in memory (the server's built-in pipeline).
LoadedConfig LoadAndResolve(const std::vector<config::ConfigSource>& sources,
                            const component::Registry& registry, config::Diagnostics& diag);

}  // namespace astrolabe::app
