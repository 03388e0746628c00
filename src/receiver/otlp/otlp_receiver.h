#pragma once
// OtlpReceiver: OTLP over HTTP (protobuf and JSON; gzip, zstd, snappy, deflate) and over
// gRPC, into the pipelines. The collector and the server run the same receiver.
//
// HTTP (protocols::http), as the OTLP/HTTP specification and upstream's otlpreceiver:
//   POST <metrics_url_path> (default /v1/metrics), and the same for traces and logs. Each
//   path is also served under /api/v2/otlp (/api/v2/otlp/v1/metrics, ...), so a client set
//   up for the source documents' platform (DT_ENDPOINT=http://host:4318/api/v2/otlp) works
//   unchanged.
//   Content-Type application/x-protobuf or application/json, else 415. The response uses
//   the request's content type. Success: 200 and an empty Export*ServiceResponse. Failure:
//   a google.rpc.Status body and the status of ingest.h (400 undecodable, 404 signal in no
//   pipeline, 413 body or decompressed body over max_request_body_size, 415, 503 when the
//   pipeline refuses with a retryable error — then with `Retry-After: 1` — and 400 when it
//   refuses for good).
//   Other methods: 405 (the server's own). CORS preflight when `cors` is set.
// gRPC (protocols::grpc): the three Export methods of the OTLP services on a generic gRPC
//   service, the bytes decoded by our own codec (src/net/grpc_server.h).
// Auth (`auth: { authenticator: <id> }` per protocol): Start() finds the extension
//   (component/auth.h); every request must then pass it with the scope of its signal
//   (metrics.ingest, openTelemetryTrace.ingest, logs.ingest) before anything else is looked
//   at. HTTP: 401 (with WWW-Authenticate) or 403 and a JSON body
//   {"error":{"code":401,"message":"..."}}; gRPC: UNAUTHENTICATED or PERMISSION_DENIED.
//
// Threads: Start/Shutdown from the service's thread; requests are handled on the HTTP
// server's and the gRPC server's threads, concurrently.

#include <memory>
#include <string>

#include "component/component.h"
#include "component/factory.h"
#include "receiver/otlp/config.h"

namespace astrolabe::net {
class HttpListenerLease;
class GrpcServer;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::component {
class Authenticator;
}

namespace astrolabe::receiver::otlp {

class Ingest;

class OtlpReceiver : public component::Receiver {
 public:
  OtlpReceiver(const component::CreateSettings& settings, const Config& config,
               component::ReceiverConsumers next);
  ~OtlpReceiver() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // Bound addresses ("127.0.0.1:4318"); empty when that protocol is off or not started.
  std::string http_address() const;
  std::string grpc_address() const;

  // The handler of POST <signal's path> (both prefixes): what the HTTP listener calls, and
  // what fuzz/otlp_http_store_fuzz.cc calls without one. Authenticates when Start found an
  // authenticator. REQUIRES: protocols::http set and settings.telemetry non-null.
  void ServeHttp(component::Signal signal, net::ServerRequest& request,
                 net::ServerResponse& response);

 private:
  Status StartHttp(const HttpConfig& http);
  Status StartGrpc(const GrpcConfig& grpc);

  const component::CreateSettings settings_;
  const Config config_;
  const component::ReceiverConsumers next_;
  std::unique_ptr<Ingest> http_ingest_;
  std::unique_ptr<Ingest> grpc_ingest_;
  std::unique_ptr<net::HttpListenerLease> http_;  // possibly shared (net/shared_http_server.h)
  std::unique_ptr<net::GrpcServer> grpc_;
  component::Authenticator* http_auth_ = nullptr;  // set by Start when protocols::http::auth
  component::Authenticator* grpc_auth_ = nullptr;  // likewise for grpc
};

}  // namespace astrolabe::receiver::otlp
