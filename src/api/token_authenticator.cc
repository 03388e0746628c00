#include "api/token_authenticator.h"

#include "common/strings.h"

namespace astrolabe::api {
namespace {

constexpr const char* kReasons[5] = {"missing", "malformed", "unknown", "revoked", "scope"};

int ReasonIndex(CheckFailure f) {
  switch (f) {
    case CheckFailure::kMalformed:
      return 1;
    case CheckFailure::kUnknown:
      return 2;
    case CheckFailure::kRevoked:
      return 3;
    case CheckFailure::kScope:
      return 4;
    case CheckFailure::kNone:
      break;
  }
  return 1;
}

}  // namespace

TokenAuthenticator::TokenAuthenticator(TokenStore* store, component::Telemetry* telemetry,
                                       const std::string& name)
    : store_(store) {
  if (telemetry == nullptr) return;
  accepted_ = telemetry->GetCounter("astrolabe_auth_accepted_requests_total",
                                    "Requests whose API token granted the scope they needed.",
                                    {{"authenticator", name}});
  for (int i = 0; i < 5; ++i) {
    rejected_[i] = telemetry->GetCounter(
        "astrolabe_auth_rejected_requests_total",
        "Requests refused by an authenticator: 401 (missing, malformed, unknown, revoked token) "
        "or 403 (scope).",
        {{"authenticator", name}, {"reason", kReasons[i]}});
  }
}

Status TokenAuthenticator::Authenticate(component::AuthHeaders headers, std::string_view scope) {
  std::optional<std::string_view> authorization;
  for (const auto& [key, value] : headers) {
    if (key.size() == 13 && AsciiLower(key) == "authorization") {
      authorization = value;
      break;
    }
  }
  std::optional<std::string> token;
  if (authorization) token = TokenFromAuthorization(*authorization);
  if (!token) {
    if (rejected_[0] != nullptr) rejected_[0]->Add();
    return Unauthenticated(
        authorization
            ? "unsupported Authorization scheme: send \"Authorization: Api-Token <token>\","
              " \"Authorization: Bearer <token>\" or Basic credentials with the token as the "
              "password"
            : "missing API token: send \"Authorization: Api-Token <token>\" with a "
              "token that has the scope " +
                  std::string(scope));
  }
  CheckFailure failure = CheckFailure::kNone;
  Status s = store_->Check(*token, scope, nullptr, &failure);
  if (!s.ok()) {
    if (rejected_[ReasonIndex(failure)] != nullptr) rejected_[ReasonIndex(failure)]->Add();
    return s;
  }
  if (accepted_ != nullptr) accepted_->Add();
  return Status::Ok();
}

}  // namespace astrolabe::api
