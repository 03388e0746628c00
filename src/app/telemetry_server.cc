#include "app/telemetry_server.h"

#include <chrono>

namespace astrolabe::app {

TelemetryServer::TelemetryServer(component::Telemetry& telemetry, std::string address)
    : telemetry_(telemetry), address_(std::move(address)) {}

TelemetryServer::~TelemetryServer() { Shutdown(); }

Status TelemetryServer::Start() {
  net::HttpServerOptions options;
  options.listen_address = address_;
  options.log_name = "service/telemetry";
  options.max_body_bytes = 64 * 1024;
  server_ = std::make_unique<net::HttpServer>(options);
  server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& response) {
    response.Set(200, "text/plain; version=0.0.4; charset=utf-8", telemetry_.RenderText());
  });
  Status status = server_->Start();
  if (!status.ok()) {
    server_.reset();
    return status.Annotate("serving own telemetry");
  }
  return Status::Ok();
}

void TelemetryServer::Shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
}

}  // namespace astrolabe::app
