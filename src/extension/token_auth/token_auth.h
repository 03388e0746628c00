#pragma once
// The token_auth extension: a server authenticator (component/auth.h) backed by the API
// tokens in `tokens_file` (api/token_store.h). Receivers name it with
// `auth: { authenticator: token_auth }`; it reads `Authorization: Api-Token <token>` or
// `Bearer <token>` (HTTP), or the `authorization` metadata (gRPC), and grants the request
// when the token is active and has the scope the endpoint asks for.
//
// Start() reads the file (a missing file is an empty store: every request gets 401, and a
// warning says how to create a token); a file that does not parse fails the start. Later
// changes to the file (`astrolabe token create|revoke`, the admin API) are picked up within
// a second, without a restart.
//
// Threads: Start/Shutdown from the service thread; Authenticate() from any thread.

#include <memory>

#include "api/token_authenticator.h"
#include "api/token_store.h"
#include "component/auth.h"
#include "component/component.h"
#include "component/factory.h"
#include "extension/token_auth/config.h"

namespace astrolabe::extension::token_auth {

class TokenAuth final : public component::Extension, public component::Authenticator {
 public:
  TokenAuth(const component::CreateSettings& settings, const Config& config);

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;
  Status Authenticate(component::AuthHeaders headers, std::string_view scope) override;

 private:
  const component::CreateSettings settings_;
  const Config config_;
  api::TokenStore store_;
  std::unique_ptr<api::TokenAuthenticator> authenticator_;  // set by Start
};

}  // namespace astrolabe::extension::token_auth
