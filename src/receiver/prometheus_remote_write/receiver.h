#pragma once
// RemoteWriteReceiver: Prometheus remote write (1.0 and 2.0) over HTTP into a metrics
// pipeline. POST /api/v1/write, answered as Prometheus answers
// (https://prometheus.io/docs/specs/prw/remote_write_spec_2_0/#response):
//
//   204  written (2.0: X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written)
//   400  undecodable snappy or protobuf, a request over max_series_per_request, invalid
//        series (missing __name__, duplicate labels, over a label limit: the valid series
//        of the request are still written), a permanent pipeline refusal
//   413  body, or decompressed body, over max_request_body_size
//   415  Content-Type not application/x-protobuf, a proto= other than prometheus.WriteRequest
//        or io.prometheus.write.v2.Request, Content-Encoding other than snappy, an
//        X-Prometheus-Remote-Write-Version whose major version is not 0, 1 or 2
//   503  the pipeline refused with a retryable error (memory_limiter, a full queue), with
//        Retry-After: 1, so that senders retry
//   405 / 404 other methods and paths (the server's)
// Error bodies are text/plain, one line, naming what was wrong and where.
//
// The endpoint may be shared with other receivers (net/shared_http_server.h), e.g. the otlp
// receiver's 4318 in the server. Translation to pdata: translate.h. With `store:` set, the
// series go straight into that store extension's metrics store instead (direct_write.h):
// Start finds the extension, and the 204 follows the store's Commit (WAL fsynced).
//
// Threads: Start/Shutdown from the service's thread; requests on the HTTP server's I/O
// threads, concurrently.

#include <atomic>
#include <memory>
#include <string>

#include "component/component.h"
#include "component/factory.h"
#include "receiver/prometheus_remote_write/config.h"

namespace astrolabe::net {
class HttpListenerLease;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::wire::prw {
struct WriteRequest;
}
namespace astrolabe::storage {
class Storage;
}
namespace astrolabe::component {
class Authenticator;
class Counter;
}

namespace astrolabe::receiver::prometheus_remote_write {

class MetadataCache;
class DirectWriter;

class RemoteWriteReceiver : public component::Receiver {
 public:
  RemoteWriteReceiver(const component::CreateSettings& settings, const Config& config,
                      component::ReceiverConsumers next);
  ~RemoteWriteReceiver() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // The bound address ("127.0.0.1:9090"); empty before Start.
  std::string address() const;

  // Handles one request (the route's handler; public for the fuzz target and tests).
  void Serve(net::ServerRequest& request, net::ServerResponse& response);

 private:
  struct Instruments;
  // The `store:` path of Serve, from a decoded request on.
  void ServeDirect(const wire::prw::WriteRequest& request, bool v2,
                   net::ServerResponse& response);

  const component::CreateSettings settings_;
  const Config config_;
  const component::ReceiverConsumers next_;
  std::unique_ptr<MetadataCache> metadata_;
  std::unique_ptr<DirectWriter> direct_;             // with `store:`
  std::atomic<storage::Storage*> storage_{nullptr};  // `store:`'s metrics store while started
  std::unique_ptr<Instruments> instruments_;
  std::unique_ptr<net::HttpListenerLease> http_;
  component::Authenticator* auth_ = nullptr;  // from `auth:`; checks every request
};

}  // namespace astrolabe::receiver::prometheus_remote_write
