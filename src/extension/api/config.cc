#include "extension/api/config.h"

#include "common/strings.h"
#include "config/visitor.h"
#include "net/listen_address.h"

namespace astrolabe::extension::api {

void AuthConfig::Visit(config::Visitor& v) { v.Field("authenticator", authenticator); }

void Config::Visit(config::Visitor& v) {
  v.Field("endpoint", endpoint);
  v.Field("tokens_file", tokens_file);
  v.OptionalObject("auth", auth);
  v.OptionalObject("tls", tls);
  v.Field("store", store);
  v.Field("query_timeout", query_timeout);
  v.Field("query_max_samples", query_max_samples);
}

config::ComponentId Config::StoreId() const {
  if (store.empty()) return {};
  Result<config::ComponentId> id = config::ComponentId::Parse(store);
  return id.ok() ? *id : config::ComponentId{};
}

bool IsLoopbackEndpoint(std::string_view endpoint) {
  auto parsed = net::ParseListenAddress(endpoint);
  if (!parsed.ok()) return false;
  const std::string host = AsciiLower(parsed->host);
  return host == "localhost" || host == "::1" || StartsWith(host, "127.");
}

Status Config::Validate() const {
  if (endpoint.empty()) return InvalidArgument("endpoint must be specified");
  if (auto parsed = net::ParseListenAddress(endpoint); !parsed.ok()) {
    return InvalidArgument("endpoint: " + parsed.status().message());
  }
  if (tokens_file.empty()) return InvalidArgument("tokens_file must be specified");
  if (!store.empty()) {
    Result<config::ComponentId> id = config::ComponentId::Parse(store);
    if (!id.ok()) return id.status().Annotate("store");
  }
  if (query_timeout <= Duration::zero()) {
    return InvalidArgument("query_timeout must be positive");
  }
  if (query_max_samples <= 0) return InvalidArgument("query_max_samples must be positive");
  if (auth && auth->authenticator.empty()) {
    return InvalidArgument(
        "auth: authenticator must be set to the id of an authenticator "
        "extension (e.g. token_auth)");
  }
  if (tls) RETURN_IF_ERROR(net::ValidateServerTlsConfig(*tls, "api", /*grpc=*/false));
  if (!auth && !IsLoopbackEndpoint(endpoint)) {
    return InvalidArgument("endpoint \"" + endpoint +
                           "\" is not a loopback address and no auth is set: the API (which can "
                           "create tokens) is served without auth only on localhost; set "
                           "auth: {authenticator: token_auth}");
  }
  return Status::Ok();
}

}  // namespace astrolabe::extension::api
