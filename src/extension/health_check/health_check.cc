#include "extension/health_check/health_check.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "net/http_server_config.h"

namespace astrolabe::extension::health_check {

HealthCheck::HealthCheck(const Config& config) : config_(config) {}

HealthCheck::~HealthCheck() {
  if (server_) server_->Shutdown(std::chrono::steady_clock::now());
}

Status HealthCheck::Start(component::Host&) {
  if (config_.check_collector_pipeline.enabled) {
    // Upstream documents this mode as "not working as expected" and asks users not to
    // rely on it; we accept the key so existing configs load, and say what we do.
    GetLogger("extension/health_check")
        ->warn("check_collector_pipeline is not supported and is ignored; health reflects "
               "whether the pipelines are running");
  }
  net::HttpServerOptions options;
  options.listen_address = config_.endpoint;
  options.log_name = "extension/health_check";
  options.max_body_bytes = 64 * 1024;
  if (config_.tls) options.tls = net::ToServerTlsOptions(*config_.tls);
  server_ = std::make_unique<net::HttpServer>(options);
  // Like Go's ServeMux: a path ending in "/" matches everything below it, so the
  // default "/" answers on every path; any other path matches exactly. Any method.
  std::string pattern = config_.path;
  if (pattern.back() == '/') pattern += '*';
  server_->Handle("", pattern,
                  [this](net::ServerRequest&, net::ServerResponse& response) { Serve(response); });
  Status status = server_->Start();
  if (!status.ok()) {
    server_.reset();
    return status.Annotate("health_check");
  }
  return Status::Ok();
}

Status HealthCheck::Shutdown(component::Deadline deadline) {
  up_since_unix_nanos_ = 0;
  if (server_) {
    server_->Shutdown(deadline);
    server_.reset();
  }
  return Status::Ok();
}

void HealthCheck::NotifyPipelinesReady() { up_since_unix_nanos_ = Clock::Real().NowUnixNanos(); }

void HealthCheck::NotifyPipelinesNotReady() { up_since_unix_nanos_ = 0; }

std::string HealthCheck::address() const { return server_ ? server_->address() : ""; }

void HealthCheck::Serve(net::ServerResponse& response) const {
  int64_t up_since = up_since_unix_nanos_.load();
  bool ready = up_since != 0;
  int status = ready ? 200 : 503;
  const std::string& custom = ready ? config_.response_body.healthy
                                    : config_.response_body.unhealthy;
  if (!custom.empty()) {
    response.status = status;
    response.body = custom;
    return;
  }
  std::string body;
  if (ready) {
    Duration uptime(Clock::Real().NowUnixNanos() - up_since);
    body = R"({"status":"Server available","upSince":")" + FormatRfc3339(up_since) +
           R"(","uptime":")" + FormatDuration(uptime) + "\"}";
  } else {
    body = R"({"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""})";
  }
  response.Set(status, "application/json", std::move(body));
}

}  // namespace astrolabe::extension::health_check
