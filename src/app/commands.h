#pragma once
// The subcommands of the astrolabe binary. Each returns the process exit code.

#include <string>
#include <vector>

namespace astrolabe::app {

struct CollectorOptions {
  std::vector<std::string> config_files;  // --config, merged in order
  std::vector<std::string> feature_gates;  // --feature-gates
};

// `astrolabe collector`: runs the pipelines until SIGINT/SIGTERM; SIGHUP reloads.
// 0 after an orderly stop, 1 when the config is invalid or a component failed.
int RunCollector(const CollectorOptions& options);

struct ValidateOptions {
  std::vector<std::string> config_files;
  bool fix = false;  // rewrite files whose slips were forgiven
};

// `astrolabe validate`: prints the resolved config (secrets redacted) to stdout and every
// warning and error to stderr; 0 when valid, 1 otherwise.
int RunValidate(const ValidateOptions& options);

}  // namespace astrolabe::app
