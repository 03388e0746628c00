#pragma once
// Config of the api extension (the server's HTTP API listener, `astrolabe server --http`):
//
//   extensions:
//     api:
//       endpoint: localhost:8080
//       tokens_file: astrolabe-data/tokens.json   # what /api/v1/tokens manages
//       auth:
//         authenticator: token_auth               # absent: no auth (loopback endpoints only)
//       store: store                # the store extension the query API reads; default: the
//                                   # only one running (it must start before api)
//       query_timeout: 2m           # a query's time limit (?timeout= can only lower it)
//       query_max_samples: 50000000 # samples one query may hold
//       tls:                                      # HTTPS (net/server_tls.h); optional
//         cert_file: server.pem
//         key_file: server.key
//         client_ca_file: ca.pem                  # mTLS

#include <optional>
#include <string>

#include "common/clock.h"
#include "component/factory.h"
#include "config/component_id.h"
#include "net/http_server_config.h"

namespace astrolabe::extension::api {

struct AuthConfig {
  std::string authenticator;
  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  std::string endpoint = "localhost:8080";
  std::string tokens_file = "astrolabe-data/tokens.json";
  std::optional<AuthConfig> auth;
  std::string store;  // a component id; empty = the only store extension running
  Duration query_timeout = std::chrono::minutes(2);
  int64_t query_max_samples = 50'000'000;
  std::optional<net::ServerTlsConfig> tls;

  void Visit(config::Visitor& v) override;
  // endpoint and tokens_file set; auth.authenticator set when auth is; without auth the
  // endpoint must be a loopback address; store a component id when set; query_timeout and
  // query_max_samples > 0.
  Status Validate() const override;
  // The parsed `store` id; type "" when empty. REQUIRES: Validate() is OK.
  config::ComponentId StoreId() const;
};

// True for "localhost:N", "127.x.x.x:N", "[::1]:N"; false for ":N", "0.0.0.0:N" and any
// other host. Used wherever a listener may run without auth.
bool IsLoopbackEndpoint(std::string_view endpoint);

}  // namespace astrolabe::extension::api
