#pragma once
// The server's built-in pipeline and its rules (`astrolabe server`).
//
// The config the server runs is the merge, in order (upstream's multi --config rules: maps
// merge key by key, anything else — lists included — is replaced by the later source), of
//   1. the built-in pipeline (server_config.cc: one table row per component), with the
//      listeners and data dir at their defaults or at the flags' values;
//   2. the --config files, in order;
//   3. the flags given explicitly (--data, --http, --otlp-http, --otlp-grpc, --health),
//      so a flag beats the files, as the user expects.
// docs/server.md shows the built-in pipeline and how to extend it.

#include <optional>
#include <string>
#include <vector>

#include "app/config_loading.h"
#include "common/status.h"
#include "config/loader.h"

namespace astrolabe::app {

inline constexpr const char* kDefaultDataDir = "astrolabe-data";
inline constexpr const char* kDefaultHttp = "localhost:8080";
inline constexpr const char* kDefaultOtlpHttp = "localhost:4318";
inline constexpr const char* kDefaultOtlpGrpc = "localhost:4317";
inline constexpr const char* kDefaultHealth = "localhost:13133";

// The flags; nullopt when not given on the command line.
struct ServerFlags {
  std::optional<std::string> data_dir, http, otlp_http, otlp_grpc, health;
  bool auth_none = false;  // --auth none: no tokens; every listener must be loopback

  std::string data_dir_or_default() const { return data_dir.value_or(kDefaultDataDir); }
};

// The sources to load, in merge order (names: "built-in server config", the files, "--data", ...).
std::vector<config::ConfigSource> ServerConfigSources(const ServerFlags& flags,
                                                      const std::vector<std::string>& files);

// The server's rules on a resolved config:
//   - with tokens (the default): every receiver listener (a map with an `endpoint`) has
//     `auth: { authenticator: ... }`, and so has the api extension;
//   - with --auth none: every listener of every receiver and extension is on loopback.
// The error names the component and says how to fix it.
Status CheckServerConfig(const LoadedConfig& loaded, bool auth_none);

// The direct remote-write path: every prometheus_remote_write receiver without a `store` key
// whose metrics pipelines are all plain — processors only `batch`, exporters only `store`,
// all writing to one store extension — gets that extension's id as its `store`, so remote
// write goes straight into the tsdb with the labels as sent (receiver/prometheus_remote_write/
// direct_write.h) instead of through pdata and back. A receiver in any other pipeline (a
// filter, an exporter sending elsewhere) keeps the pipeline path. Returns one line per
// receiver saying which path it takes.
std::vector<std::string> WireRemoteWriteToStore(LoadedConfig& loaded);

// The tokens file of the first token_auth extension in the config (empty when none).
std::string TokensFileOf(const LoadedConfig& loaded);

}  // namespace astrolabe::app
