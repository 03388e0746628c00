#pragma once
// Config of the otlp_http exporter (alias otlphttp). Keys, defaults and validation
// messages follow upstream's core exporter/otlphttpexporter, configretry and
// exporterhelper's queue config:
//
//   exporters:
//     otlp_http:
//       endpoint: https://abc.live.dynatrace.com/api/v2/otlp   # + /v1/<signal>
//       metrics_endpoint: ""          # used verbatim when set; same for traces_, logs_
//       headers: {Authorization: "Api-Token ..."}   # values are secrets (redacted)
//       encoding: proto               # proto | json
//       compression: gzip             # gzip | zstd | snappy | x-snappy-framed | zlib |
//                                     # deflate | none (lz4: not supported yet)
//       timeout: 30s                  # per HTTP request
//       proxy_url: ""
//       tls: {ca_file: "", insecure_skip_verify: false, cert_file: "", key_file: ""}
//       retry_on_failure:
//         enabled: true
//         initial_interval: 5s
//         max_interval: 30s
//         max_elapsed_time: 5m        # 0 = retry forever
//         multiplier: 1.5
//         randomization_factor: 0.5
//       sending_queue:
//         enabled: true
//         num_consumers: 10
//         queue_size: 1000            # requests (batches), not items
//         block_on_overflow: false
//         storage: ""                 # a storage extension id: persistent queue
//
// Decoding reports an unknown encoding (`invalid encoding type: x`) or compression
// (`unsupported compression type "x"`) at the value's position; Validate() reports the
// cross-field rules and the values we parse but do not implement yet.
//
// Thread-compatible value types.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"

namespace astrolabe::exporter::otlp_http {

struct TlsConfig {
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string cert_file;
  std::string key_file;

  void Visit(config::Visitor& v);
};

// configretry.BackOffConfig.
struct RetryConfig {
  bool enabled = true;
  Duration initial_interval = std::chrono::seconds(5);
  Duration max_interval = std::chrono::seconds(30);
  Duration max_elapsed_time = std::chrono::minutes(5);
  double multiplier = 1.5;
  double randomization_factor = 0.5;

  void Visit(config::Visitor& v);
  // Nothing is checked when disabled. Otherwise, as upstream:
  // `'initial_interval' must be non-negative`, `'randomization_factor' must be within
  // [0, 1]`, `'multiplier' must be non-negative`, `'max_interval' must be non-negative`,
  // `'max_elapsed_time' must be non-negative`, and when max_elapsed_time > 0:
  // `'max_elapsed_time' must not be less than 'initial_interval'` / `... 'max_interval'`.
  Status Validate() const;
};

// exporterhelper's QueueBatchConfig, without batching.
struct QueueConfig {
  bool enabled = true;
  int64_t num_consumers = 10;
  int64_t queue_size = 1000;  // requests
  bool block_on_overflow = false;
  // A storage extension id ("file_storage", "file_storage/queue"): the queue is kept
  // there and survives restarts. Empty: in memory.
  std::string storage;

  void Visit(config::Visitor& v);
  // When enabled: "`num_consumers` must be positive", "`queue_size` must be positive",
  // and `storage` must be a valid component id ("storage: ..." with the id error).
  // Whether that extension exists is checked when the exporter starts.
  Status Validate() const;
};

struct Config : component::ComponentConfig {
  std::string endpoint;
  std::string metrics_endpoint;
  std::string traces_endpoint;
  std::string logs_endpoint;
  std::map<std::string, std::string> headers;
  std::string encoding = "proto";
  std::string compression = "gzip";  // "" and "none" both mean none
  Duration timeout = std::chrono::seconds(30);
  std::string proxy_url;
  TlsConfig tls;
  RetryConfig retry_on_failure;
  QueueConfig sending_queue;

  void Visit(config::Visitor& v) override;
  // `at least one endpoint must be specified`; `endpoint must be a valid URL` (and
  // `metrics_endpoint must be a valid URL`, ...): an http or https URL with a host;
  // `invalid encoding type: x`; `compression "lz4" is not supported yet`;
  // `timeout must be non-negative`; then the nested retry and queue rules, prefixed with
  // "retry_on_failure: " / "sending_queue: ".
  Status Validate() const override;
};

// The URL requests of `signal` go to: the signal's own endpoint verbatim when set, else
// `endpoint` + "/v1/<signal>" (no second slash when endpoint ends in '/'), else "" (this
// exporter cannot send that signal).
std::string SignalUrl(const Config& config, component::Signal signal);

// True for an http:// or https:// URL with a non-empty host.
bool IsValidHttpUrl(std::string_view url);

}  // namespace astrolabe::exporter::otlp_http
