#pragma once
// The GenAI API (docs/api.md, "GenAI API"): what the models cost, how fast they answer and how
// they fail, from the span store (GenAI spans, aggregated from the index with
// SpanStore::ScanGenAi) and from the inference servers' and gateways' metrics (PromQL over the
// families of the model catalogue, genai/catalogue.h). Mounted on the ApiServer's listener.
//
//   GET /api/v1/genai/models          per model: requests, errors, tokens, cost, latency,
//                                     TTFT and TPOT percentiles        (traces.read|metrics.read)
//   GET /api/v1/genai/cost            cost over time by model|provider|service, today, month to
//                                     date, month-end forecast; Kong's own cost as source=kong
//                                                                      (traces.read|metrics.read)
//   GET /api/v1/genai/calls           the most expensive or slowest calls     (traces.read)
//   GET /api/v1/genai/finish_reasons  finish reasons per model (spans, NIM, vLLM)
//                                                                      (traces.read|metrics.read)
//   GET /api/v1/genai/saturation      KV cache, running/waiting/max per inference service
//                                                                      (metrics.read)
// "traces.read|metrics.read": a token with either scope is served; the part of the answer the
// other scope guards (spans or metrics) is left out. Every route takes `start` and `end` (RFC
// 3339 or Unix seconds; default: the hour before now). Answers are
// {"status":"success","data":{...}}; a bad parameter is 400
// {"status":"error","errorType":"bad_data","error":"parameter \"by\": ..."}; a route whose every
// source is missing (no store attached) is 503. Outcomes are counted in
// astrolabe_api_genai_requests_total{route,outcome}.
//
// Threads: Mount before the server starts; handlers run on the server's I/O threads
// concurrently and only read the stores (both are thread-safe).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::net {
class HttpServer;
class QueryParams;
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net
namespace astrolabe::spanstore {
class SpanStore;
}
namespace astrolabe::storage {
class Storage;
}
namespace astrolabe::component {
class Counter;
class Telemetry;
}  // namespace astrolabe::component

namespace astrolabe::api {

struct GenAiApiOptions {
  spanstore::SpanStore* spans = nullptr;  // null: the span parts are left out
  storage::Storage* metrics = nullptr;    // null: the metric parts are left out
  std::chrono::milliseconds query_timeout{std::chrono::seconds(30)};  // per PromQL query
  size_t max_samples = 50'000'000;
  component::Telemetry* telemetry = nullptr;  // null: no counters
  // The currency of span costs (the price table's; spans do not index theirs).
  std::string currency = "USD";
  // Unix nanoseconds now (the default `end` and the forecast's today); null: the wall clock.
  std::function<int64_t()> now;
};

// ---- The month-end forecast (unit-tested alone) ----

// Cost per UTC day: day number (Unix seconds / 86400, floored) → cost of the calls that
// started that day.
using DailyCosts = std::map<int64_t, double>;

struct CostForecast {
  double today = 0;               // since 00:00 UTC of `now`'s day
  double month_to_date = 0;       // since 00:00 UTC of the 1st of `now`'s month
  double daily_rate = 0;          // the rate the forecast extends
  int days_averaged = 0;          // complete days in daily_rate (0: today's pace was used)
  double forecast_month_end = 0;  // month_to_date + daily_rate × days left
};

// The forecast of the month's total cost at its end (UTC calendar month of `now_unix_nano`):
//   daily_rate = the mean cost of the last `window_days` complete UTC days before today,
//                counting only days from the first day that has any cost in `daily` (so that a
//                fresh install is not averaged with the zeros before its first call); with no
//                such complete day, today's cost divided by the fraction of today elapsed;
//   forecast_month_end = month_to_date + daily_rate × (time left until the month's end, in
//                days, fractional).
// `daily` must hold every day since the first of the month and the `window_days` days before
// today (missing days count as zero cost).
CostForecast ForecastMonthEnd(const DailyCosts& daily, int64_t now_unix_nano, int window_days = 7);

// Unix nanoseconds of 00:00 UTC on the first day of the month of `unix_nano`, and of the
// first day of the next month.
int64_t MonthStartUnixNano(int64_t unix_nano);
int64_t NextMonthStartUnixNano(int64_t unix_nano);

// The p-quantile (0..1) of `values` (sorted ascending, not empty), linearly interpolated
// between the closest ranks (rank p × (n − 1)).
double QuantileOfSorted(const std::vector<double>& values, double p);

class GenAiApi {
 public:
  // Called before each handler with the scope a route needs; false when the request lacks it
  // (the response then filled in with 401 or 403). The GenAI API calls it with scratch
  // responses to learn which of the two read scopes a token has.
  using Authorize =
      std::function<bool(net::ServerRequest&, net::ServerResponse&, std::string_view scope)>;

  explicit GenAiApi(GenAiApiOptions options);
  ~GenAiApi();

  // Routes the GenAI API on `server`. REQUIRES: before server.Start(); `this` outlives the
  // server's traffic.
  void Mount(net::HttpServer& server, Authorize authorize);

  enum Route { kModels, kCost, kCalls, kFinishReasons, kSaturation, kRouteCount };

 private:
  enum Outcome { kOk, kBadRequest, kUnauthorized, kForbidden, kUnavailable, kError, kOutcomeCount };
  struct Access {
    bool spans = false;
    bool metrics = false;
  };
  void Serve(Route route, net::ServerRequest& request, net::ServerResponse& response);
  int64_t Now() const;

  GenAiApiOptions options_;
  Authorize authorize_;
  std::array<std::array<component::Counter*, kOutcomeCount>, kRouteCount> requests_{};
};

}  // namespace astrolabe::api
