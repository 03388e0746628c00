#pragma once
// TokenAuthenticator: checks the `Authorization` header (HTTP) or `authorization` metadata
// (gRPC) of a request against a TokenStore, and counts what it refuses. The `token_auth`
// extension is one; the server's API listener uses another on the same file.
//
// Telemetry:
//   astrolabe_auth_rejected_requests_total{authenticator, reason}
//     reason: missing (no Authorization, or another scheme), malformed, unknown, revoked,
//     scope (a valid token without the scope: 403)
//   astrolabe_auth_accepted_requests_total{authenticator}
//
// Thread-safe.

#include <string>

#include "api/token_store.h"
#include "component/auth.h"
#include "component/telemetry.h"

namespace astrolabe::api {

class TokenAuthenticator : public component::Authenticator {
 public:
  // `store` must outlive this object. `telemetry` may be null (no counters). `name` labels
  // the counters ("token_auth", "api").
  TokenAuthenticator(TokenStore* store, component::Telemetry* telemetry, const std::string& name);

  Status Authenticate(component::AuthHeaders headers, std::string_view scope) override;

 private:
  TokenStore* store_;
  component::Counter* accepted_ = nullptr;
  component::Counter* rejected_[5] = {};  // missing, malformed, unknown, revoked, scope
};

}  // namespace astrolabe::api
