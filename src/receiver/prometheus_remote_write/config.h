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
//       store: ""                         # a store extension's id: write into it directly
//
// Thread-compatible value type.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "component/factory.h"
#include "config/component_id.h"
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
  // Empty: series go to the receiver's metrics pipelines as pdata. A store extension's id
  // ("store", "store/name"): series go straight into that extension's metrics store, labels
  // as sent, and the pipelines never see them (direct_write.h). The server sets it when the
  // receiver's pipelines are nothing but batch → store (app/server_config.h).
  std::string store;

  Config() { http.endpoint = "localhost:9090"; }
  void Visit(config::Visitor& v) override;
  // The HTTP server's checks (tls, auth, compression_algorithms), an empty endpoint, a
  // negative limit (0 = unlimited), a `store` that is not a component id.
  Status Validate() const override;
  // The parsed `store` id. REQUIRES: Validate() is OK and store is not empty.
  config::ComponentId StoreId() const;
};

}  // namespace astrolabe::receiver::prometheus_remote_write
