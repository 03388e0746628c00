#pragma once
// GrpcServer: unary gRPC calls on libgrpc++'s generic service, with no generated code: the
// handler gets the method name and the request message's bytes and returns the response
// bytes or an error, and the caller's own codec does the rest (the otlp receiver decodes
// OTLP with src/wire). No gRPC type appears in this header.
//
// Threads: Start() creates `threads` completion-queue threads; the handler runs on them,
// concurrently for concurrent calls, and must be thread-safe. Shutdown() and the accessors
// may be called from any thread but a handler.
//
// Messages are decompressed by gRPC itself (grpc-encoding gzip/deflate) and bounded by
// max_receive_message_bytes (over it: RESOURCE_EXHAUSTED, from gRPC). Streaming methods are
// served as unary: the first request message is handled and the stream finished.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "net/server_tls.h"

namespace astrolabe::net {

struct GrpcServerOptions {
  // "host:port" as gRPC takes it: "localhost:4317", "0.0.0.0:4317", "[::1]:0" (port 0:
  // an ephemeral port, see GrpcServer::port()).
  std::string listen_address = "localhost:4317";
  size_t max_receive_message_bytes = 4 << 20;
  int64_t max_concurrent_streams = 0;  // 0: gRPC's default
  int threads = 2;
  // Keepalive (configgrpc's keepalive.server_parameters / enforcement_policy); 0: gRPC's
  // default.
  std::chrono::milliseconds max_connection_idle{0};
  std::chrono::milliseconds max_connection_age{0};
  std::chrono::milliseconds max_connection_age_grace{0};
  std::chrono::milliseconds keepalive_time{0};
  std::chrono::milliseconds keepalive_timeout{0};
  std::chrono::milliseconds min_ping_interval{0};
  bool permit_keepalive_without_calls = false;
  // TLS, the same options as the HTTP server's (server_tls.h): cert_file set = TLS on;
  // client_ca_file set = mTLS. libgrpc's file watcher re-reads the files every
  // reload_interval (rounded up to whole seconds). The transport module's own TLS (libgrpc's)
  // is used: OpenSSL is never loaded into the binary for this. min_version and max_version
  // are not applied (libgrpc 1.51 has no setting; it serves 1.2 and 1.3); configs that set
  // them are refused by ValidateServerTlsConfig.
  ServerTlsOptions tls;
  std::string log_name = "net/grpc_server";
};

// What a handler answers: code 0 and the response bytes, or a gRPC status code
// (google.rpc.Code) and a message.
struct GrpcReply {
  int32_t code = 0;
  std::string message;
  std::string body;
};

// The metadata the client sent with a call, as (key, value) in the order received; keys are
// lowercase (HTTP/2). Valid only during the handler call. Authenticators read
// "authorization" from it (component/auth.h).
using GrpcMetadata = std::vector<std::pair<std::string_view, std::string_view>>;

// `method` is the full name, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export".
// An unknown method should be answered with code 12 (UNIMPLEMENTED).
using GrpcHandler = std::function<GrpcReply(std::string_view method, std::string_view request,
                                            const GrpcMetadata& metadata)>;

struct GrpcServerStats {
  uint64_t calls = 0;
  uint64_t errors = 0;  // calls answered with a non-zero code
};

class GrpcServer {
 public:
  // Binds and starts serving. Errors name the address: "grpc listen on 127.0.0.1:4317:
  // could not bind (address in use or not local?)".
  static Result<std::unique_ptr<GrpcServer>> Start(GrpcServerOptions options, GrpcHandler handler);

  virtual ~GrpcServer() = default;
  // Stops accepting calls, lets running calls finish until `deadline` (then cancels them)
  // and joins the threads. Idempotent. The destructor calls it with a deadline of now.
  virtual void Shutdown(std::chrono::steady_clock::time_point deadline) = 0;
  virtual int port() const = 0;
  virtual std::string address() const = 0;
  virtual GrpcServerStats stats() const = 0;
};

}  // namespace astrolabe::net
