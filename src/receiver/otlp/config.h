#pragma once
// Config of the otlp receiver; keys, defaults and validation messages as upstream's core
// receiver/otlpreceiver with confighttp.ServerConfig and configgrpc.ServerConfig:
//
//   receivers:
//     otlp:
//       protocols:
//         grpc:                          # present (even empty) = enabled
//           endpoint: localhost:4317
//           max_recv_msg_size_mib: 4
//           ...
//         http:                          # present (even empty) = enabled
//           endpoint: localhost:4318
//           traces_url_path: /v1/traces  # a leading "/" is added when missing
//           metrics_url_path: /v1/metrics
//           logs_url_path: /v1/logs
//           max_request_body_size: 20MiB # compressed and decompressed
//           ...
//
// Every upstream key is accepted so existing configs load. `auth: { authenticator: <id> }`
// names an authenticator extension (component/auth.h, e.g. token_auth) every request of that
// protocol must pass. `tls` on either protocol is validated by net::ValidateServerTlsConfig;
// keys that select something we do not do (tls `cipher_suites`; gRPC `min_version`) are
// rejected by Validate() with a message saying so, rather
// than silently ignored; keys that only tune Go's runtime (buffer sizes, keepalive
// enforcement) are accepted and documented as having no effect (README.md).
//
// Thread-compatible value types.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/factory.h"
#include "net/http_server_config.h"
#include "receiver/otlp/limits.h"

namespace astrolabe::receiver::otlp {

using ServerTlsConfig = net::ServerTlsConfig;
using AuthConfig = net::AuthConfig;
using CorsConfig = net::CorsConfig;

// protocols.http: the shared HTTP server settings (net/http_server_config.h: endpoint,
// max_request_body_size, tls, auth, cors, ...) plus the three signal paths.
struct HttpConfig : net::HttpServerConfig {
  std::string traces_url_path = "/v1/traces";
  std::string metrics_url_path = "/v1/metrics";
  std::string logs_url_path = "/v1/logs";
  HttpConfig() { endpoint = "localhost:4318"; }
  void Visit(config::Visitor& v);
};

struct KeepaliveServerParameters {
  Duration max_connection_idle{0};
  Duration max_connection_age{0};
  Duration max_connection_age_grace{0};
  Duration time{0};
  Duration timeout{0};
  void Visit(config::Visitor& v);
};

struct KeepaliveEnforcementPolicy {
  Duration min_time{0};
  bool permit_without_stream = false;
  void Visit(config::Visitor& v);
};

struct KeepaliveConfig {
  std::optional<KeepaliveServerParameters> server_parameters;
  std::optional<KeepaliveEnforcementPolicy> enforcement_policy;
  void Visit(config::Visitor& v);
};

struct GrpcConfig {
  std::string endpoint = "localhost:4317";
  std::string transport = "tcp";
  int64_t max_recv_msg_size_mib = 0;  // 0: 4 MiB, as gRPC's default
  int64_t max_concurrent_streams = 0;
  uint64_t read_buffer_size = 512 * 1024;
  uint64_t write_buffer_size = 0;
  bool include_metadata = false;
  std::optional<KeepaliveConfig> keepalive;
  std::optional<ServerTlsConfig> tls;
  std::optional<AuthConfig> auth;
  void Visit(config::Visitor& v);
  uint64_t max_recv_msg_bytes() const {
    return max_recv_msg_size_mib > 0 ? uint64_t(max_recv_msg_size_mib) << 20 : 4u << 20;
  }
};

// The default config enables both; decoding enables exactly the ones the file names.
struct Protocols {
  std::optional<GrpcConfig> grpc = GrpcConfig{};
  std::optional<HttpConfig> http = HttpConfig{};
  void Visit(config::Visitor& v) {
    v.OptionalObject("grpc", grpc);
    v.OptionalObject("http", http);
  }
};

struct Config : component::ComponentConfig {
  Protocols protocols;
  Limits limits;  // limits.h

  void Visit(config::Visitor& v) override;
  // "must specify at least one protocol when using the OTLP receiver"; url paths that do
  // not parse; max_recv_msg_size_mib < 0; transport other than tcp; a bad tls block
  // (naming the key); a negative limit; auth without a valid authenticator id; an unknown
  // compression algorithm.
  Status Validate() const override;
};

// Upstream's sanitizeURLPath: "v1/traces" → "/v1/traces". Errors on a path with a scheme,
// host, query or fragment.
Result<std::string> SanitizeUrlPath(std::string_view path);

}  // namespace astrolabe::receiver::otlp
