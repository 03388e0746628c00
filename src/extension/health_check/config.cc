#include "extension/health_check/config.h"

#include "config/visitor.h"

namespace astrolabe::extension::health_check {

void Config::Visit(config::Visitor& v) {
  v.Field("endpoint", endpoint);
  v.Field("path", path);
  v.Object("response_body", response_body);
  v.Object("check_collector_pipeline", check_collector_pipeline);
  v.OptionalObject("tls", tls);
}

Status Config::Validate() const {
  if (endpoint.empty()) return InvalidArgument("bad config: endpoint must be specified");
  if (path.empty() || path[0] != '/') return InvalidArgument("bad config: path must start with /");
  if (check_collector_pipeline.exporter_failure_threshold <= 0) {
    return InvalidArgument(
        "bad config: check_collector_pipeline.exporter_failure_threshold must be greater than 0");
  }
  if (tls) return net::ValidateServerTlsConfig(*tls, "health_check", /*grpc=*/false);
  return Status::Ok();
}

}  // namespace astrolabe::extension::health_check
