#include "net/http_server_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "config/component_id.h"
#include "config/visitor.h"

namespace astrolabe::net {

void ServerTlsConfig::Visit(config::Visitor& v) {
  v.Field("ca_file", ca_file);
  v.Field("cert_file", cert_file);
  v.Field("key_file", key_file);
  v.Field("client_ca_file", client_ca_file);
  v.Field("min_version", min_version);
  v.Field("max_version", max_version);
  v.Field("reload_interval", reload_interval);
  v.Field("include_system_ca_certs_pool", include_system_ca_certs_pool);
  v.Field("cipher_suites", cipher_suites);
}

void AuthConfig::Visit(config::Visitor& v) { v.Field("authenticator", authenticator); }

void CorsConfig::Visit(config::Visitor& v) {
  v.Field("allowed_origins", allowed_origins);
  v.Field("allowed_headers", allowed_headers);
  v.Field("max_age", max_age);
}

void HttpServerConfig::Visit(config::Visitor& v) {
  v.Field("endpoint", endpoint);
  v.ByteSize("max_request_body_size", max_request_body_size);
  v.Field("include_metadata", include_metadata);
  v.Field("keepalives_enabled", keepalives_enabled);
  v.OptionalObject("cors", cors);
  v.OptionalObject("tls", tls);
  v.OptionalObject("auth", auth);
  v.Field("response_headers", response_headers);
  v.Field("compression_algorithms", compression_algorithms);
  v.Field("read_timeout", read_timeout);
  v.Field("read_header_timeout", read_header_timeout);
  v.Field("write_timeout", write_timeout);
  v.Field("idle_timeout", idle_timeout);
  if (v.decoding() && max_request_body_size == 0) max_request_body_size = 20 * 1024 * 1024;
}

namespace {

bool KnownTlsVersion(const std::string& v) {
  return v.empty() || v == "1.0" || v == "1.1" || v == "1.2" || v == "1.3";
}

}  // namespace

Status ValidateServerTlsConfig(const ServerTlsConfig& t, std::string_view where, bool grpc) {
  const std::string at = std::string(where) + "::tls";
  if (!t.configured()) {
    if (!t.client_ca_file.empty() || !t.ca_file.empty()) {
      return InvalidArgument(at + ": a client CA needs cert_file and key_file (the server's own "
                                  "certificate) too");
    }
    return Status::Ok();
  }
  if (t.cert_file.empty()) return InvalidArgument(at + "::cert_file: must be set with key_file");
  if (t.key_file.empty()) return InvalidArgument(at + "::key_file: must be set with cert_file");
  if (!t.ca_file.empty() && t.client_ca_file.empty()) {
    return InvalidArgument(at + "::ca_file: ca_file is for clients; a server verifies client "
                                "certificates with client_ca_file");
  }
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"min_version",
                                                                             &t.min_version},
                                   {"max_version", &t.max_version}}) {
    if (!KnownTlsVersion(*value)) {
      return InvalidArgument(at + "::" + key + ": \"" + *value +
                             "\" is not a TLS version; valid values: 1.0, 1.1, 1.2, 1.3");
    }
  }
  if (!t.min_version.empty() && !t.max_version.empty() && t.max_version < t.min_version) {
    return InvalidArgument(at + "::max_version: " + t.max_version + " is below min_version " +
                           t.min_version);
  }
  if (!t.cipher_suites.empty()) {
    return Unimplemented(at + "::cipher_suites: choosing cipher suites is not supported; "
                              "OpenSSL's defaults for the TLS versions allowed are used");
  }
  if (t.reload_interval.count() < 0) {
    return InvalidArgument(at + "::reload_interval: must not be negative");
  }
  if (grpc && ((!t.min_version.empty() && t.min_version != "1.2") || !t.max_version.empty())) {
    return Unimplemented(at + ": min_version and max_version are not supported on gRPC "
                              "listeners (libgrpc serves TLS 1.2 and 1.3); remove them");
  }
  return Status::Ok();
}

ServerTlsOptions ToServerTlsOptions(const ServerTlsConfig& t) {
  ServerTlsOptions o;
  if (!t.configured()) return o;
  o.cert_file = t.cert_file;
  o.key_file = t.key_file;
  o.client_ca_file = t.client_ca_file;
  if (!t.min_version.empty()) o.min_version = t.min_version;
  o.max_version = t.max_version;
  if (t.reload_interval.count() > 0) {
    o.reload_interval = std::chrono::duration_cast<std::chrono::milliseconds>(t.reload_interval);
  }
  return o;
}

Status CheckServerTlsFiles(const ServerTlsConfig& t, std::string_view where) {
  const std::string at = std::string(where) + "::tls::";
  for (const auto& [key, path] : {std::pair<const char*, const std::string*>{"cert_file",
                                                                            &t.cert_file},
                                  {"key_file", &t.key_file},
                                  {"client_ca_file", &t.client_ca_file}}) {
    if (path->empty()) continue;
    std::ifstream in(*path);
    if (!in) {
      return InvalidArgument(at + key + " " + *path + ": " + std::strerror(errno));
    }
    std::string head(4096, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    head.resize(size_t(in.gcount()));
    if (head.find("-----BEGIN ") == std::string::npos) {
      return InvalidArgument(at + key + " " + *path + ": not a PEM file");
    }
  }
  return Status::Ok();
}

Status ValidateHttpServerConfig(const HttpServerConfig& c, std::string_view where) {
  const std::string at(where);
  if (c.tls) RETURN_IF_ERROR(ValidateServerTlsConfig(*c.tls, where, /*grpc=*/false));
  // The receiver looks the authenticator up at Start (component::FindAuthenticator) and
  // checks every request with it; here only its id is checked.
  if (c.auth && c.auth->authenticator.empty()) {
    return InvalidArgument(at + "::auth: authenticator must be set to the id of an "
                                "authenticator extension (e.g. token_auth)");
  }
  if (c.auth) {
    if (auto id = config::ComponentId::Parse(c.auth->authenticator); !id.ok()) {
      return InvalidArgument(at + "::auth::authenticator: " + id.status().message());
    }
  }
  static const std::vector<std::string> kKnown = {"",       "gzip",    "zstd", "zlib",
                                                  "snappy", "deflate", "lz4",  "x-snappy-framed"};
  for (const std::string& a : c.compression_algorithms) {
    if (std::find(kKnown.begin(), kKnown.end(), a) == kKnown.end()) {
      return InvalidArgument(at + "::compression_algorithms: unsupported compression type \"" + a +
                             "\"");
    }
  }
  return Status::Ok();
}

HttpServerOptions ToServerOptions(const HttpServerConfig& c, std::string log_name) {
  HttpServerOptions options;
  options.listen_address = c.endpoint;
  options.max_body_bytes = c.max_request_body_size;
  options.io_threads = int(std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
  options.log_name = std::move(log_name);
  if (c.tls) options.tls = ToServerTlsOptions(*c.tls);
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (c.read_header_timeout.count() > 0)
    options.header_timeout = duration_cast<milliseconds>(c.read_header_timeout);
  if (c.read_timeout.count() > 0)
    options.body_timeout = duration_cast<milliseconds>(c.read_timeout);
  if (c.write_timeout.count() > 0)
    options.write_timeout = duration_cast<milliseconds>(c.write_timeout);
  if (c.idle_timeout.count() > 0)
    options.idle_timeout = duration_cast<milliseconds>(c.idle_timeout);
  return options;
}

bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
  for (const std::string& a : allowed) {
    if (a == "*" || a == origin) return true;
    size_t star = a.find('*');
    if (star != std::string::npos && origin.size() >= a.size() - 1 &&
        origin.substr(0, star) == std::string_view(a).substr(0, star) &&
        origin.substr(origin.size() - (a.size() - star - 1)) ==
            std::string_view(a).substr(star + 1)) {
      return true;
    }
  }
  return false;
}

void AddCorsHeaders(const CorsConfig& cors, const ServerRequest& request,
                    ServerResponse& response) {
  auto origin = request.header("Origin");
  if (!origin || !OriginAllowed(*origin, cors.allowed_origins)) return;
  response.headers.Set("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.Set("Vary", "Origin");
}

void ServePreflight(const CorsConfig& cors, const ServerRequest& request,
                    ServerResponse& response) {
  response.status = 204;
  auto origin = request.header("Origin");
  if (!origin || !OriginAllowed(*origin, cors.allowed_origins)) return;
  AddCorsHeaders(cors, request, response);
  response.headers.Set("Access-Control-Allow-Methods", "POST");
  std::string headers = "Content-Type, Content-Encoding, Authorization, X-Requested-With";
  for (const std::string& h : cors.allowed_headers) headers += ", " + h;
  response.headers.Set("Access-Control-Allow-Headers", headers);
  if (cors.max_age > 0)
    response.headers.Set("Access-Control-Max-Age", std::to_string(cors.max_age));
}

void ApplyResponseHeaders(const HttpServerConfig& config, const ServerRequest& request,
                          ServerResponse& response) {
  for (const auto& [name, value] : config.response_headers) response.headers.Set(name, value);
  if (config.cors) AddCorsHeaders(*config.cors, request, response);
}

}  // namespace astrolabe::net
