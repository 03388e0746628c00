#pragma once
// The subcommands of the astrolabe binary. Each returns the process exit code.

#include <string>
#include <vector>

#include "app/server_config.h"

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

struct ServerOptions {
  std::vector<std::string> config_files;  // --config, merged after the built-in pipeline
  ServerFlags flags;
};

// `astrolabe server`: the built-in pipeline (server_config.h) until SIGINT/SIGTERM; SIGHUP
// reloads. Exit codes as RunCollector.
int RunServer(const ServerOptions& options);

struct TokenOptions {
  std::string action;      // create | list | revoke
  std::string data_dir;    // --data (tokens file <data>/tokens.json)
  std::string tokens_file; // --tokens-file, overrides --data
  std::string name;                 // create
  std::vector<std::string> scopes;  // create
  std::string id;                   // revoke
};

// `astrolabe token`: 0 on success, 1 with the reason on stderr.
int RunToken(const TokenOptions& options);

}  // namespace astrolabe::app
