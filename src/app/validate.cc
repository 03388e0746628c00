#include <fstream>
#include <iostream>

#include "app/builtin_components.h"
#include "app/commands.h"
#include "app/config_loading.h"
#include "config/emit.h"

namespace astrolabe::app {

int RunValidate(const ValidateOptions& options) {
  if (options.config_files.empty()) {
    std::cerr << "error: no config given: use --config FILE (or name the files)\n";
    return 1;
  }
  component::Registry registry;
  RegisterBuiltinComponents(registry);
  config::Diagnostics diag;
  LoadedConfig loaded = LoadAndResolve(options.config_files, registry, diag);

  if (options.fix) {
    for (const auto& fixed : loaded.load.fixed) {
      std::string backup = fixed.name + ".orig";
      std::ifstream original(fixed.name, std::ios::binary);
      std::ofstream(backup, std::ios::binary) << original.rdbuf();
      std::ofstream out(fixed.name, std::ios::binary | std::ios::trunc);
      out << fixed.text;
      if (!out) {
        std::cerr << "error: writing " << fixed.name << " failed\n";
        return 1;
      }
      std::cerr << "fixed: wrote the corrected " << fixed.name << " (original kept as " << backup
                << ")\n";
    }
    if (loaded.load.fixed.empty()) std::cerr << "fixed: nothing to correct\n";
  }

  if (!diag.has_errors()) std::cout << config::Emit(component::Encode(loaded.resolved));
  PrintDiagnostics(diag, std::cerr);
  if (diag.has_errors()) {
    std::cerr << "invalid configuration: " << diag.errors().size() << " error(s)\n";
    return 1;
  }
  std::cerr << "valid configuration";
  if (!diag.warnings().empty()) std::cerr << " with " << diag.warnings().size() << " warning(s)";
  std::cerr << "\n";
  return 0;
}

}  // namespace astrolabe::app
