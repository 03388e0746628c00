#pragma once
// The HTTP server settings every HTTP receiver shares, with upstream's keys
// (go.opentelemetry.io/collector/config/confighttp ServerConfig, configtls.ServerConfig,
// configauth): endpoint, max_request_body_size, tls, auth, cors, response_headers,
// compression_algorithms, timeouts. The otlp receiver's `protocols.http` and the
// prometheus_remote_write receiver embed it, so a feature added here (TLS, token auth)
// lands on both at once.
//
// Library astrolabe_net_config (astrolabe_net + astrolabe_config), so that astrolabe_net
// stays free of the config machinery and components share this without depending on each
// other. Thread-compatible value types; the helpers are thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "net/http_server.h"

namespace astrolabe::config {
class Visitor;
}

namespace astrolabe::net {

// configtls.ServerConfig.
struct ServerTlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string min_version;
  std::string max_version;
  Duration reload_interval{0};
  bool include_system_ca_certs_pool = false;
  std::vector<std::string> cipher_suites;
  void Visit(config::Visitor& v);
  bool configured() const { return !cert_file.empty() || !key_file.empty(); }
};

// configauth.Config.
struct AuthConfig {
  std::string authenticator;
  void Visit(config::Visitor& v);
};

struct CorsConfig {
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_headers;
  int64_t max_age = 0;
  void Visit(config::Visitor& v);
};

// confighttp.ServerConfig. `endpoint` has no default here: each component sets its own.
struct HttpServerConfig {
  std::string endpoint;
  uint64_t max_request_body_size = 20 * 1024 * 1024;  // 0 in a file means this default
  bool include_metadata = false;
  bool keepalives_enabled = true;
  std::optional<CorsConfig> cors;
  std::optional<ServerTlsConfig> tls;
  std::optional<AuthConfig> auth;
  std::map<std::string, std::string> response_headers;
  // Content-Encodings accepted; upstream's default list.
  std::vector<std::string> compression_algorithms = {"",       "gzip",    "zstd", "zlib",
                                                     "snappy", "deflate", "lz4"};
  Duration read_timeout{0};         // 0: the server's default (body read, 60 s)
  Duration read_header_timeout{0};  // 0: 10 s
  Duration write_timeout{0};        // 0: 30 s
  Duration idle_timeout{0};         // 0: 60 s

  // The keys above, in upstream's order. Component configs call it from their own Visit.
  void Visit(config::Visitor& v);
};

// Checks the `tls:` block, every key of it, for a server listener, HTTP or gRPC (`grpc`:
// what libgrpc's TLS cannot do is refused too). Errors name the key: "protocols::http::tls::
// min_version: \"1.4\" is not a TLS version; ...". Files are not opened here.
Status ValidateServerTlsConfig(const ServerTlsConfig& tls, std::string_view where, bool grpc);

// ServerTlsOptions for a validated `tls` block, with the reload rule of server_tls.h
// (reload_interval unset or 0: every 10 s, as the gRPC listener always did).
ServerTlsOptions ToServerTlsOptions(const ServerTlsConfig& tls);

// Opens the certificate, key and client CA files and checks that each holds PEM; errors name
// the key and the file ("protocols::grpc::tls::cert_file /x.pem: no such file or directory").
// For listeners whose TLS stack loads the files where it cannot report (gRPC); the HTTP
// server loads them with OpenSSL at Start and reports itself.
Status CheckServerTlsFiles(const ServerTlsConfig& tls, std::string_view where);

// Checks what the settings select that we cannot do: a bad `tls:` block (above); an unknown
// compression algorithm or an `auth:` without a valid authenticator id (kInvalidArgument). A receiver that embeds these settings must check each request with the
// authenticator `auth` names (component/auth.h). `where` prefixes messages ("protocols::http").
Status ValidateHttpServerConfig(const HttpServerConfig& config, std::string_view where);

// HttpServerOptions for `config`: listen address, body limit, timeouts, I/O threads, TLS.
HttpServerOptions ToServerOptions(const HttpServerConfig& config, std::string log_name);

// CORS as upstream (rs/cors): "*" matches any origin, "https://*.example.com" a wildcard,
// anything else exactly.
bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed);
// Adds Access-Control-Allow-Origin (and Vary) when the request's Origin is allowed.
void AddCorsHeaders(const CorsConfig& cors, const ServerRequest& request, ServerResponse& response);
// Answers a preflight OPTIONS request (204, allowed methods and headers, max age).
void ServePreflight(const CorsConfig& cors, const ServerRequest& request, ServerResponse& response);
// Applies response_headers and CORS to a response about to be sent.
void ApplyResponseHeaders(const HttpServerConfig& config, const ServerRequest& request,
                          ServerResponse& response);

}  // namespace astrolabe::net
