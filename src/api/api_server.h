#pragma once
// ApiServer: the server's HTTP API listener (`astrolabe server --http`, default
// localhost:8080). Today it serves
//   POST   /api/v1/tokens        {"name":"ci","scopes":["metrics.ingest"]} → 201 with the token
//   GET    /api/v1/tokens        → 200 {"tokens":[{id,name,scopes,created,revoked?}]}
//   DELETE /api/v1/tokens/<id>   → 204; 404 unknown id; 409 already revoked
//   GET    /metrics              the process's own telemetry (Prometheus text; no token)
// The token routes need a token with `settings.write` (401/403 with a JSON error otherwise);
// with no authenticator (`--auth none`, loopback only) they are open. The query API, the UI
// and the GenAI API mount here as they land (DESIGN.md §5). Errors are JSON
// {"error":{"code":N,"message":"..."}}, as the source documents' platform answers.
//
// Threads: Start/Shutdown from the main thread; requests on the HTTP server's threads.

#include <memory>
#include <string>

#include "api/api_json.h"
#include "api/token_store.h"
#include "common/status.h"
#include "component/auth.h"
#include "component/telemetry.h"
#include "net/server_tls.h"

namespace astrolabe::net {
class HttpServer;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::api {

struct ApiServerOptions {
  std::string listen_address = "localhost:8080";
  TokenStore* tokens = nullptr;                       // required; outlives the server
  component::Authenticator* authenticator = nullptr;  // null: no auth (loopback only)
  component::Telemetry* telemetry = nullptr;          // null: no /metrics
  net::ServerTlsOptions tls;                          // HTTPS when tls.enabled()
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options);
  ~ApiServer();

  Status Start();
  void Shutdown();
  std::string address() const;

 private:
  // False (and the response filled in) when the request lacks `scope`.
  bool Authorize(net::ServerRequest& request, net::ServerResponse& response,
                 std::string_view scope);
  void CreateToken(net::ServerRequest& request, net::ServerResponse& response);
  void ListTokens(net::ServerResponse& response);
  void RevokeToken(net::ServerRequest& request, net::ServerResponse& response);

  ApiServerOptions options_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace astrolabe::api
