#pragma once
// Config of the prometheus_remote_write receiver. The HTTP server keys are confighttp's, at
// the top level as upstream's contrib `prometheusremotewrite` receiver has them
// (net/http_server_config.h); the limits are ours (DESIGN.md §8):
//
//   receivers:
//     prometheus_remote_write:
//       endpoint: localhost:9090          # upstream's default; the server uses :4318
//       max_request_body_size: 20MiB      # snappy-compressed and decompressed
//       max_series_per_request: 1000000
//       max_labels_per_series: 256
//       max_label_name_length: 1024
//       max_label_value_length: 16384
//       time_threshold: 24                # accepted for upstream configs; no effect
//
// Thread-compatible value type.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "component/factory.h"
#include "net/http_server_config.h"

namespace astrolabe::receiver::prometheus_remote_write {

// The path remote-write senders POST to (fixed, as in Prometheus and upstream).
inline constexpr std::string_view kWritePath = "/api/v1/write";

struct Config : component::ComponentConfig {
  net::HttpServerConfig http;
  int64_t max_series_per_request = 1'000'000;
  int64_t max_labels_per_series = 256;
  int64_t max_label_name_length = 1024;
  int64_t max_label_value_length = 16 * 1024;
  int64_t time_threshold = 24;

  Config() { http.endpoint = "localhost:9090"; }
  void Visit(config::Visitor& v) override;
  // The HTTP server's checks (tls, auth, compression_algorithms), an empty endpoint, a
  // negative limit (0 = unlimited).
  Status Validate() const override;
};

}  // namespace astrolabe::receiver::prometheus_remote_write
