#include "receiver/otlp/config.h"

#include <algorithm>

#include "config/visitor.h"

namespace astrolabe::receiver::otlp {

void HttpConfig::Visit(config::Visitor& v) {
  net::HttpServerConfig::Visit(v);
  v.Field("traces_url_path", traces_url_path);
  v.Field("metrics_url_path", metrics_url_path);
  v.Field("logs_url_path", logs_url_path);
}

void KeepaliveServerParameters::Visit(config::Visitor& v) {
  v.Field("max_connection_idle", max_connection_idle);
  v.Field("max_connection_age", max_connection_age);
  v.Field("max_connection_age_grace", max_connection_age_grace);
  v.Field("time", time);
  v.Field("timeout", timeout);
}

void KeepaliveEnforcementPolicy::Visit(config::Visitor& v) {
  v.Field("min_time", min_time);
  v.Field("permit_without_stream", permit_without_stream);
}

void KeepaliveConfig::Visit(config::Visitor& v) {
  v.OptionalObject("server_parameters", server_parameters);
  v.OptionalObject("enforcement_policy", enforcement_policy);
}

void GrpcConfig::Visit(config::Visitor& v) {
  v.Field("endpoint", endpoint);
  v.Field("transport", transport);
  v.Field("max_recv_msg_size_mib", max_recv_msg_size_mib);
  v.Field("max_concurrent_streams", max_concurrent_streams);
  v.ByteSize("read_buffer_size", read_buffer_size);
  v.ByteSize("write_buffer_size", write_buffer_size);
  v.Field("include_metadata", include_metadata);
  v.OptionalObject("keepalive", keepalive);
  v.OptionalObject("tls", tls);
  v.OptionalObject("auth", auth);
}

void Config::Visit(config::Visitor& v) {
  if (v.decoding()) {
    // Upstream keeps only the protocols the file names: `otlp:` alone enables none.
    protocols.grpc.reset();
    protocols.http.reset();
  }
  v.Object("protocols", protocols);
  v.Object("limits", limits);
}

Result<std::string> SanitizeUrlPath(std::string_view path) {
  if (path.find("://") != std::string_view::npos || path.find_first_of("?#") != path.npos) {
    return InvalidArgument("invalid HTTP URL path set for signal: \"" + std::string(path) +
                           "\" must be a path, without scheme, host, query or fragment");
  }
  std::string out(path);
  if (out.empty() || out[0] != '/') out.insert(out.begin(), '/');
  return out;
}

namespace {

Status CheckAuth(const std::string& protocol, const std::optional<AuthConfig>& auth) {
  if (auth && auth->authenticator.empty()) {
    return InvalidArgument("protocols::" + protocol +
                           "::auth: authenticator must be set to the id of an authenticator "
                           "extension (e.g. token_auth)");
  }
  if (auth) {
    if (auto id = config::ComponentId::Parse(auth->authenticator); !id.ok()) {
      return InvalidArgument("protocols::" + protocol + "::auth::authenticator: " +
                             id.status().message());
    }
  }
  return Status::Ok();
}

}  // namespace

Status Config::Validate() const {
  if (!protocols.grpc && !protocols.http) {
    return InvalidArgument("must specify at least one protocol when using the OTLP receiver");
  }
  for (const auto& [key, value] :
       {std::pair<const char*, int64_t>{"max_items_per_request", limits.max_items_per_request},
        {"max_attributes_per_item", limits.max_attributes_per_item}}) {
    if (value < 0) {
      return InvalidArgument(std::string("limits::") + key + ": invalid value " +
                             std::to_string(value) + ", must be >= 0 (0: no limit)");
    }
  }
  if (protocols.grpc) {
    const GrpcConfig& g = *protocols.grpc;
    if (g.max_recv_msg_size_mib < 0) {
      return InvalidArgument("protocols::grpc::max_recv_msg_size_mib: invalid value " +
                             std::to_string(g.max_recv_msg_size_mib) + ", must be >= 0");
    }
    if (g.transport != "tcp" && g.transport != "tcp4" && g.transport != "tcp6") {
      return InvalidArgument("protocols::grpc::transport: \"" + g.transport +
                             "\" is not supported; valid values: tcp, tcp4, tcp6");
    }
    if (g.tls) RETURN_IF_ERROR(net::ValidateServerTlsConfig(*g.tls, "protocols::grpc", true));
    RETURN_IF_ERROR(CheckAuth("grpc", g.auth));
  }
  if (protocols.http) {
    const HttpConfig& h = *protocols.http;
    for (const std::string* p : {&h.traces_url_path, &h.metrics_url_path, &h.logs_url_path}) {
      RETURN_IF_ERROR(SanitizeUrlPath(*p).status());
    }
    RETURN_IF_ERROR(net::ValidateHttpServerConfig(h, "protocols::http"));
  }
  return Status::Ok();
}

}  // namespace astrolabe::receiver::otlp
