#pragma once
// Config of the health_check extension; keys and defaults as the upstream collector's
// (contrib extension/healthcheckextension).

#include <optional>
#include <string>

#include "component/factory.h"
#include "net/http_server_config.h"

namespace astrolabe::extension::health_check {

struct ResponseBody {
  std::string healthy;
  std::string unhealthy;
  void Visit(config::Visitor& v) {
    v.Field("healthy", healthy);
    v.Field("unhealthy", unhealthy);
  }
};

// Accepted for compatibility; upstream documents it as not working as expected.
struct CheckCollectorPipeline {
  bool enabled = false;
  Duration interval = std::chrono::minutes(5);
  int64_t exporter_failure_threshold = 5;
  void Visit(config::Visitor& v) {
    v.Field("enabled", enabled);
    v.Field("interval", interval);
    v.Field("exporter_failure_threshold", exporter_failure_threshold);
  }
};

struct Config : component::ComponentConfig {
  std::string endpoint = "localhost:13133";
  std::string path = "/";
  ResponseBody response_body;
  CheckCollectorPipeline check_collector_pipeline;
  // confighttp's `tls` (net/server_tls.h): HTTPS, optional mTLS, certificate reload.
  std::optional<net::ServerTlsConfig> tls;

  void Visit(config::Visitor& v) override;
  // "bad config: endpoint must be specified", "bad config: path must start with /", ...
  Status Validate() const override;
};

}  // namespace astrolabe::extension::health_check
