#pragma once
// Authenticator: the interface a server authenticator extension implements, and what a
// receiver with `auth: { authenticator: <id> }` calls on every request (upstream's
// extension/auth.Server, with the scope made explicit: each endpoint says what the request
// needs, e.g. `metrics.ingest` for /v1/metrics).
//
//   receivers:
//     otlp:
//       protocols:
//         http:
//           auth:
//             authenticator: token_auth
//
// A receiver finds the extension with FindAuthenticator() in its Start(); extensions start
// before receivers, and only extensions listed in `service.extensions` are started.
//
// Outcomes (the status codes every transport maps the same way, AuthHttpStatus/AuthGrpcCode):
//   OK                 the request carries a credential granting the scope
//   kUnauthenticated   no credential, or one that is malformed, unknown or revoked
//                      → HTTP 401 (with WWW-Authenticate), gRPC UNAUTHENTICATED (16)
//   kPermissionDenied  a valid credential without the scope → HTTP 403, gRPC PERMISSION_DENIED (7)
// The message says which, and never echoes a secret.
//
// Thread-safety: Authenticate() is called concurrently from transport threads.

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "component/component.h"
#include "config/component_id.h"

namespace astrolabe::component {

class Host;

// A request's header fields (HTTP headers, or gRPC metadata), as sent; names in any case.
using AuthHeaders = std::span<const std::pair<std::string_view, std::string_view>>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Status Authenticate(AuthHeaders headers, std::string_view scope) = 0;
};

// The scopes of the server's API (DESIGN.md §5).
inline constexpr std::string_view kScopeMetricsIngest = "metrics.ingest";
inline constexpr std::string_view kScopeTracesIngest = "openTelemetryTrace.ingest";
inline constexpr std::string_view kScopeLogsIngest = "logs.ingest";
inline constexpr std::string_view kScopeMetricsRead = "metrics.read";
inline constexpr std::string_view kScopeTracesRead = "traces.read";
inline constexpr std::string_view kScopeSettingsWrite = "settings.write";

// The scope needed to send `signal`: metrics.ingest, openTelemetryTrace.ingest, logs.ingest.
std::string_view IngestScope(Signal signal);

// The started extension `id` as an Authenticator. Errors name the id: not configured or not
// in service.extensions, or an extension that is not an authenticator.
Result<Authenticator*> FindAuthenticator(Host& host, std::string_view id);

// 401 for kUnauthenticated, 403 for kPermissionDenied, 500 otherwise.
int AuthHttpStatus(const Status& status);
// 16 UNAUTHENTICATED, 7 PERMISSION_DENIED, 13 INTERNAL otherwise.
int32_t AuthGrpcCode(const Status& status);
// The JSON error body of a refused HTTP request, as the source documents' platform answers
// (its ErrorEnvelope): {"error":{"code":401,"message":"..."}}.
std::string AuthErrorJson(const Status& status);

}  // namespace astrolabe::component
