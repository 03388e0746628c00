#pragma once
// ServerTlsOptions: TLS for a listener, the same struct for the HTTP server (http_server.h) and
// the gRPC server (grpc_server.h), filled from a `tls:` block (configtls.ServerConfig) by
// ToServerTlsOptions() in http_server_config.h. One set of keys, one validation, one rule for
// reloading: the files are looked at again every `reload_interval` and, when one changed,
// the certificate, key and client CA are loaded afresh; new connections get them, open ones
// keep what they negotiated. A reload that fails (a half-written file, a key that does not
// match the certificate) is logged and the previous certificate stays in use.
//
// Who reloads: the HTTP server does it itself (ServerTlsContext in server_tls.cc, checked on
// accept), the gRPC server hands the same files and interval to libgrpc's file watcher (its
// TLS stack is its own and cannot take an OpenSSL context from us).
// Plain value type.

#include <chrono>
#include <string>

namespace astrolabe::net {

struct ServerTlsOptions {
  std::string cert_file;       // PEM certificate chain; empty: TLS off
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // set: mTLS, a client certificate signed by this CA is required
  std::string min_version = "1.2";  // "1.0" .. "1.3"
  std::string max_version;          // "" = the newest the library has
  std::chrono::milliseconds reload_interval{10'000};

  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const ServerTlsOptions&) const = default;
};

}  // namespace astrolabe::net
