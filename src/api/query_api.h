#pragma once
// QueryApi: the Prometheus-compatible HTTP query API (Prometheus' web/api/v1), over a
// storage::Storage, mounted on the server's API listener (api/api_server.h):
//
//   GET|POST /api/v1/query             query, time, timeout, limit
//   GET|POST /api/v1/query_range       query, start, end, step, timeout, limit
//   GET|POST /api/v1/series            match[]..., start, end, limit
//   GET|POST /api/v1/labels            match[]..., start, end, limit
//   GET      /api/v1/label/<name>/values   match[]..., start, end, limit
//   GET      /api/v1/metadata          metric, limit, limit_per_metric
//   GET|POST /api/v1/query_exemplars   query, start, end → always an empty list (no exemplars
//                                      are stored)
//   GET      /api/v1/status/buildinfo
//
// Parameters come from the URL's query and, for POST, from an application/x-www-form-urlencoded
// body (body values first, as Go's Request.Form). Answers are Prometheus' JSON exactly:
// {"status":"success","data":...,"warnings":[...],"infos":[...]}; errors
// {"status":"error","errorType":"bad_data","error":"..."} with Prometheus' status codes:
// bad_data 400, execution 422, timeout 503, not_found 404, internal 500. docs/api.md has the
// details and examples.
//
// Limits: every query runs at most `timeout` (a request's `timeout` parameter can only lower
// it) and may hold at most `max_samples` samples (query::EngineOptions).
// Telemetry: astrolabe_api_query_requests_total{endpoint,outcome}, outcome = success or the
// error type.
//
// Threads: Handle() is called on the HTTP server's I/O threads, concurrently; the object is
// immutable after construction except for its counters (atomic). The storage must outlive it.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "component/telemetry.h"

namespace astrolabe::storage {
class Storage;
}
namespace astrolabe::net {
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::api {

struct QueryApiOptions {
  storage::Storage* storage = nullptr;  // required; outlives the QueryApi
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  size_t max_samples = 50'000'000;
  component::Telemetry* telemetry = nullptr;  // null: no counters
};

class QueryApi {
 public:
  explicit QueryApi(QueryApiOptions options);

  // The route patterns this API serves (for HttpServer::Handle), with the methods of each.
  struct Route {
    std::string_view method;
    std::string_view pattern;
  };
  static const std::vector<Route>& Routes();

  // Answers one request whose path is one of Routes().
  void Handle(net::ServerRequest& request, net::ServerResponse& response) const;

 private:
  QueryApiOptions options_;
};

}  // namespace astrolabe::api
