#pragma once
// Serves the process's own metrics (component::Telemetry) in the Prometheus text format
// at http://<service.telemetry.metrics address>/metrics, as the upstream collector does on
// localhost:8888. Threads: Start/Shutdown from the main thread.

#include <memory>
#include <string>

#include "common/status.h"
#include "component/telemetry.h"
#include "net/http_server.h"

namespace astrolabe::app {

class TelemetryServer {
 public:
  TelemetryServer(component::Telemetry& telemetry, std::string address);
  ~TelemetryServer();

  Status Start();
  void Shutdown();
  std::string address() const { return server_ ? server_->address() : ""; }

 private:
  component::Telemetry& telemetry_;
  std::string address_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace astrolabe::app
