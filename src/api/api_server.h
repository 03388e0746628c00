#pragma once
// ApiServer: the server's HTTP API listener (`astrolabe server --http`, default
// localhost:8080). Today it serves
//   POST   /api/v1/tokens        {"name":"ci","scopes":["metrics.ingest"]} → 201 with the token
//   GET    /api/v1/tokens        → 200 {"tokens":[{id,name,scopes,created,revoked?}]}
//   DELETE /api/v1/tokens/<id>   → 204; 404 unknown id; 409 already revoked
//   GET    /metrics              the process's own telemetry (Prometheus text; no token)
//   /api/v1/query, query_range, series, labels, label/<name>/values, metadata,
//   query_exemplars, status/buildinfo: the Prometheus-compatible query API (api/query_api.h)
//                                 over ApiServerOptions::query.storage
// The token routes need a token with `settings.write`, the query API one with `metrics.read`
// (401/403 with a JSON error otherwise); with no authenticator (`--auth none`, loopback only)
// they are open. The traces API (traces_api.h: /api/v1/spans, /api/v1/traces/<id>,
// /api/v1/services) needs `traces.read`. The GenAI API (genai_api.h: /api/v1/genai/*) reads
// both stores and needs `traces.read` and/or `metrics.read` per route. The web UI
// (api/ui_server.h) is served at `/` as the fallback route (GET, no token: the UI itself signs in
// against the API), so every API route keeps priority. Errors of the token routes, and 401/403 everywhere, are JSON {"error":{"code":N,"message":"..."}}, as
// the source documents' platform answers; the query API's own errors are Prometheus'
// {"status":"error","errorType":...,"error":...}.
//
// Threads: Start/Shutdown from the main thread; requests on the HTTP server's threads.

#include <memory>
#include <string>

#include "api/api_json.h"
#include "api/query_api.h"
#include "api/token_store.h"
#include "api/ui_assets.h"
#include "common/status.h"
#include "component/auth.h"
#include "component/telemetry.h"
#include "net/server_tls.h"

namespace astrolabe::net {
class HttpServer;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::spanstore {
class SpanStore;
}

namespace astrolabe::api {

class GenAiApi;
class TracesApi;
class UiServer;

struct ApiServerOptions {
  std::string listen_address = "localhost:8080";
  TokenStore* tokens = nullptr;                       // required; outlives the server
  component::Authenticator* authenticator = nullptr;  // null: no auth (loopback only)
  component::Telemetry* telemetry = nullptr;          // null: no /metrics
  spanstore::SpanStore* spans = nullptr;  // the traces API's store; null: its routes answer 503
  // The query API's store and limits. With query.storage null the query routes answer 503
  // {"status":"error","errorType":"unavailable","error":query_unavailable}.
  QueryApiOptions query;
  std::string query_unavailable = "no metrics store is attached to the API";
  net::ServerTlsOptions tls;                          // HTTPS when tls.enabled()
  // The web UI's files (api::EmbeddedUiFiles() in the binary); empty: `/` answers 503 "UI not
  // built: run make ui". serve_ui false: no `/` route at all (404 as before).
  std::span<const UiFile> ui_files;
  bool serve_ui = true;
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
  void ServeQuery(net::ServerRequest& request, net::ServerResponse& response);

  ApiServerOptions options_;
  std::unique_ptr<TracesApi> traces_;  // traces_api.h
  std::unique_ptr<GenAiApi> genai_;    // genai_api.h
  std::unique_ptr<QueryApi> query_;  // null without a store
  std::unique_ptr<UiServer> ui_;     // null when serve_ui is false
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace astrolabe::api
