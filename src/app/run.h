#pragma once
// RunPipelines: the one run loop of `astrolabe collector` and `astrolabe server`: load and
// resolve the config, start the pipelines and the own-telemetry server, then wait for
// signals on the main thread (SIGHUP reloads, SIGINT/SIGTERM drain and stop).

#include <functional>
#include <string>
#include <vector>

#include "app/config_loading.h"
#include "common/status.h"
#include "config/loader.h"

namespace astrolabe::app {

struct RunSpec {
  // The config sources, merged in order; called at start and on every SIGHUP.
  std::function<std::vector<config::ConfigSource>()> sources;
  // Role-specific changes to a resolved config before `check`, at start and on reload (the
  // server wires remote write straight into its store). Returns lines to log at info.
  std::function<std::vector<std::string>(LoadedConfig&)> adjust;
  // Role-specific rules on a resolved config, at start and on reload (the server's auth
  // and loopback rules). An error stops the start, or keeps the running config on reload.
  std::function<Status(const LoadedConfig&)> check;
  // Once, after `check` and before the pipelines start (the server's first-start token).
  std::function<Status(const LoadedConfig&)> before_start;
  std::vector<std::string> feature_gates;  // accepted and ignored, with a warning each
};

// 0 after an orderly stop, 1 when the config is invalid or a component failed.
int RunPipelines(const RunSpec& spec);

}  // namespace astrolabe::app
