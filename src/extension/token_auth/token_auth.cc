#include "extension/token_auth/token_auth.h"

#include "common/log.h"
#include "component/host.h"

namespace astrolabe::extension::token_auth {

TokenAuth::TokenAuth(const component::CreateSettings& settings, const Config& config)
    : settings_(settings), config_(config), store_(config.tokens_file) {}

Status TokenAuth::Start(component::Host& host) {
  RETURN_IF_ERROR(store_.Load());
  if (store_.size() == 0) {
    GetLogger("extension/" + settings_.id.ToString())
        ->warn(
            "no API tokens in {}: every request will be refused with 401; create one with "
            "`astrolabe token create --name NAME --scopes metrics.ingest,...`",
            config_.tokens_file);
  }
  authenticator_ = std::make_unique<api::TokenAuthenticator>(&store_, &host.telemetry(),
                                                             settings_.id.ToString());
  return Status::Ok();
}

Status TokenAuth::Shutdown(component::Deadline) { return Status::Ok(); }

Status TokenAuth::Authenticate(component::AuthHeaders headers, std::string_view scope) {
  if (!authenticator_)
    return Unavailable("authenticator " + settings_.id.ToString() + " not started");
  return authenticator_->Authenticate(headers, scope);
}

}  // namespace astrolabe::extension::token_auth
