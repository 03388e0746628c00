#pragma once
// The health_check extension: an HTTP endpoint that answers 200 while every pipeline runs
// and 503 before they have started and once shutdown begins (upstream semantics, see
// README.md). Threads: Start/Shutdown from the service thread; Notify* from the service
// thread; requests are answered on the HTTP server's I/O thread.

#include <atomic>
#include <memory>

#include "component/component.h"
#include "extension/health_check/config.h"
#include "net/http_server.h"

namespace astrolabe::extension::health_check {

class HealthCheck final : public component::Extension {
 public:
  explicit HealthCheck(const Config& config);
  ~HealthCheck() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;
  void NotifyPipelinesReady() override;
  void NotifyPipelinesNotReady() override;

  // The bound address ("127.0.0.1:13133"); empty before Start. For tests using port 0.
  std::string address() const;

 private:
  void Serve(net::ServerResponse& response) const;

  Config config_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int64_t> up_since_unix_nanos_{0};  // 0 while not ready
};

}  // namespace astrolabe::extension::health_check
