#pragma once
// The traces API (docs/api.md, "Traces API"): span search and trace fetch over the span store,
// mounted on the ApiServer's listener. Every route needs a token with `traces.read`.
//
//   GET /api/v1/spans?service=chat&status=error&min_duration=2s&attr.user.id=u-42&limit=50
//       → 200 {"spans":[{trace_id, span_id, service, name, status, start_time, ..., genai}],
//              "next_cursor":"..."|null}
//   GET /api/v1/traces/<32 hex digits>
//       → 200 {"trace_id", "spans":[every span, whole], "logs":[the log records linked]}
//       → 404 when nothing is stored for the id; 400 for a malformed id
//   GET /api/v1/services                        → 200 {"services":["chat", ...]}
//   GET /api/v1/services/<service>/operations   → 200 {"operations":["chat gpt-4o", ...]}
//
// The search parameters (ParseSpanSearchParams) and the answers' JSON are free functions so
// that tests and the fuzz target (fuzz/url_query_fuzz.cc) reach them without a server.
// Errors use the API's envelope {"error":{"code":N,"message":"..."}}, a 400 naming the
// parameter. Outcomes are counted in astrolabe_api_traces_requests_total{route,outcome}.
//
// Threads: Mount before the server starts; handlers run on the server's I/O threads and only
// read the store (SpanStore is thread-safe).

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "spanstore/query.h"

namespace astrolabe::net {
class HttpServer;
class QueryParams;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net
namespace astrolabe::spanstore {
class SpanStore;
}
namespace astrolabe::component {
class Counter;
class Histogram;
class Telemetry;
}  // namespace astrolabe::component

namespace astrolabe::api {

// Page size of /api/v1/spans when `limit` is absent, and its largest accepted value.
inline constexpr size_t kDefaultSpanLimit = 100;
inline constexpr size_t kMaxSpanLimit = 1000;

// Fills `query` from the parameters of /api/v1/spans (docs/api.md lists them): start, end,
// service, span_name, status, min_duration, max_duration, attr.<key> (repeatable), model,
// provider, operation, finish_reason, min_input_tokens, min_output_tokens, min_cost, limit,
// cursor. kInvalidArgument naming the parameter for a bad value, a repeated single-valued
// parameter, or an unknown name (with the closest known one).
Status ParseSpanSearchParams(const net::QueryParams& params, spanstore::SpanQuery* query);
// Its single-valued parameter names (attr.<key> is the repeatable one), for unknown-name checks.
const std::vector<std::string>& SpanSearchParamNames();

// The JSON answers (compact, keys in snake_case, ids in lowercase hex, times both as RFC 3339
// and as Unix nanoseconds in a decimal string).
std::string SpanSearchJson(const spanstore::SpanSearchResult& result);
std::string TraceJson(const pdata::TraceId& trace_id, const spanstore::TraceResult& trace);

class TracesApi {
 public:
  // Called before each handler; false when the request lacks `scope` (the response is then
  // filled in with 401 or 403).
  using Authorize =
      std::function<bool(net::ServerRequest&, net::ServerResponse&, std::string_view scope)>;

  // `store` null: every route answers 503 (the server runs no store extension).
  // `telemetry` may be null (no counters). Both outlive this object.
  TracesApi(spanstore::SpanStore* store, component::Telemetry* telemetry);

  // Routes the traces API on `server`. REQUIRES: before server.Start(); `this` outlives the
  // server's traffic.
  void Mount(net::HttpServer& server, Authorize authorize);

 private:
  enum Route { kSpans, kTrace, kServices, kOperations, kRouteCount };
  enum Outcome { kOk, kBadRequest, kNotFound, kUnauthorized, kForbidden, kError, kOutcomeCount };

  void Serve(Route route, net::ServerRequest& request, net::ServerResponse& response);
  void Search(net::ServerRequest& request, net::ServerResponse& response);
  void GetTrace(net::ServerRequest& request, net::ServerResponse& response);
  void Services(net::ServerRequest& request, net::ServerResponse& response);
  void Operations(net::ServerRequest& request, net::ServerResponse& response);

  spanstore::SpanStore* const store_;
  Authorize authorize_;
  std::array<std::array<component::Counter*, kOutcomeCount>, kRouteCount> requests_{};
  std::array<component::Histogram*, kRouteCount> seconds_{};
};

}  // namespace astrolabe::api
