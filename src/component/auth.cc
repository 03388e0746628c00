#include "component/auth.h"

#include "common/json_string.h"
#include "component/host.h"

namespace astrolabe::component {

std::string_view IngestScope(Signal signal) {
  switch (signal) {
    case Signal::kMetrics:
      return kScopeMetricsIngest;
    case Signal::kTraces:
      return kScopeTracesIngest;
    case Signal::kLogs:
      return kScopeLogsIngest;
  }
  return kScopeMetricsIngest;
}

Result<Authenticator*> FindAuthenticator(Host& host, std::string_view id) {
  auto parsed = config::ComponentId::Parse(id);
  if (!parsed.ok())
    return InvalidArgument("authenticator \"" + std::string(id) +
                           "\": " + parsed.status().message());
  Extension* ext = host.GetExtension(*parsed);
  if (ext == nullptr) {
    return FailedPrecondition("authenticator \"" + std::string(id) +
                              "\" is not a started extension: configure it under extensions "
                              "and list it in service.extensions");
  }
  auto* auth = dynamic_cast<Authenticator*>(ext);
  if (auth == nullptr) {
    return FailedPrecondition("extension \"" + std::string(id) + "\" is not an authenticator");
  }
  return auth;
}

int AuthHttpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    default:
      return 500;
  }
}

int32_t AuthGrpcCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnauthenticated:
      return 16;
    case StatusCode::kPermissionDenied:
      return 7;
    default:
      return 13;
  }
}

std::string AuthErrorJson(const Status& status) {
  std::string out = "{\"error\":{\"code\":" + std::to_string(AuthHttpStatus(status)) + ",\"message\":";
  AppendJsonString(out, status.message());
  out += "}}";
  return out;
}

}  // namespace astrolabe::component
