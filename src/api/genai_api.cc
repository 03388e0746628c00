#include "api/genai_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "api/api_json.h"
#include "api/api_params.h"
#include "api/query_params.h"
#include "api/traces_api.h"
#include "common/strings.h"
#include "component/auth.h"
#include "component/telemetry.h"
#include "genai/catalogue.h"
#include "net/http_server.h"
#include "net/url_query.h"
#include "query/engine.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"

namespace astrolabe::api {
namespace {

using genai::MetricFamily;
using genai::MetricSource;
using genai::Quantity;

constexpr std::string_view kJson = "application/json";
constexpr int64_t kSecondNanos = 1'000'000'000;
constexpr int64_t kDayNanos = 86'400 * kSecondNanos;
constexpr int64_t kHourNanos = 3'600 * kSecondNanos;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Points a series of /cost and /saturation may have (Prometheus' range-query limit).
constexpr int64_t kMaxPoints = 11'000;
// /calls: default and largest `limit`.
constexpr int64_t kDefaultCallsLimit = 20;
constexpr int64_t kMaxCallsLimit = 1000;

// The inference servers, then the gateway: the order in which metric figures are preferred.
constexpr MetricSource kServerSources[] = {MetricSource::kNim, MetricSource::kVllm,
                                           MetricSource::kTriton};
constexpr MetricSource kAllSources[] = {MetricSource::kNim, MetricSource::kVllm,
                                        MetricSource::kTriton, MetricSource::kKong};

// ---- errors

struct ApiError {
  int code = 400;
  std::string_view type = "bad_data";
  std::string message;
};

ApiError BadParam(std::string_view name, std::string_view what) {
  return {400, "bad_data", "parameter \"" + std::string(name) + "\": " + std::string(what)};
}

ApiError FromStatus(const Status& s, std::string_view context) {
  std::string msg = std::string(context) + ": " + s.message();
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return {400, "bad_data", msg};
    case StatusCode::kDeadlineExceeded:
      return {503, "timeout", msg};
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
      return {422, "execution", msg};
    default:
      return {500, "internal", msg};
  }
}

std::string Shown(std::string_view value) {
  return value.size() <= 64 ? std::string(value) : std::string(value.substr(0, 64)) + "...";
}

// ---- JSON

void Key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

// A number in its shortest round-trip form; null for NaN and infinities (unknown).
void AppendNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  if (v == 0) v = 0;  // no "-0"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void NumberField(std::string& out, std::string_view key, double v) {
  Key(out, key);
  AppendNumber(out, v);
  out += ',';
}

void StringField(std::string& out, std::string_view key, std::string_view v) {
  Key(out, key);
  AppendJsonString(out, v);
  out += ',';
}

void StringArrayField(std::string& out, std::string_view key, const std::set<std::string>& v) {
  Key(out, key);
  out += '[';
  bool first = true;
  for (const std::string& s : v) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, s);
  }
  out += "],";
}

void Close(std::string& out, char c) {
  if (out.back() == ',') out.pop_back();
  out += c;
}

double Seconds(int64_t unix_nanos) { return static_cast<double>(unix_nanos) / 1e9; }

std::string Success(std::string data) { return "{\"status\":\"success\",\"data\":" + data + "}"; }

// ---- parameters

struct Params {
  int64_t start = 0;  // Unix nanoseconds
  int64_t end = 0;
  int64_t step = 0;  // nanoseconds; 0 where the route has no step
};

std::optional<ApiError> CheckNames(const net::QueryParams& params,
                                   const std::vector<std::string>& allowed) {
  for (const net::QueryParam& p : params.all()) {
    if (std::find(allowed.begin(), allowed.end(), p.name) != allowed.end()) continue;
    std::string msg = "unknown parameter \"" + Shown(p.name) + "\"";
    if (auto close = ClosestMatch(p.name, allowed)) msg += " (did you mean \"" + *close + "\"?)";
    return ApiError{400, "bad_data", msg};
  }
  return std::nullopt;
}

// start/end (default: the hour before now) and, when `with_step`, step (default: the range
// / 120, at least 1 s; at most kMaxPoints points).
std::optional<ApiError> ParseCommon(const net::QueryParams& params, int64_t now, bool with_step,
                                    Params* out) {
  std::optional<int64_t> start, end;
  for (std::string_view name : {"start", "end"}) {
    auto v = params.Single(name);
    if (!v.ok()) return BadParam(name, v.status().message());
    if (!v->has_value()) continue;
    auto t = ParseTimeParam(**v);
    if (!t.ok()) return BadParam(name, t.status().message());
    (name == "start" ? start : end) = *t;
  }
  out->end = end.value_or(now);
  out->start = start.value_or(out->end - kHourNanos);
  if (out->start >= out->end) return BadParam(end ? "end" : "start", "end must be after start");
  if (!with_step) return std::nullopt;
  const int64_t range = out->end - out->start;
  auto v = params.Single("step");
  if (!v.ok()) return BadParam("step", v.status().message());
  if (v->has_value()) {
    auto ms = ParseDurationParamMs(**v);
    if (!ms.ok()) return BadParam("step", ms.status().message());
    if (*ms <= 0) return BadParam("step", "must be positive, got \"" + Shown(**v) + "\"");
    if (*ms > std::numeric_limits<int64_t>::max() / 1'000'000) {
      return BadParam("step", "too large");
    }
    out->step = *ms * 1'000'000;
  } else {
    out->step = std::max<int64_t>(kSecondNanos,
                                  (range / 120 + kSecondNanos - 1) / kSecondNanos * kSecondNanos);
  }
  if ((range + out->step - 1) / out->step > kMaxPoints) {
    return BadParam("step", "gives more than " + std::to_string(kMaxPoints) +
                                " points over the range; use a larger step");
  }
  return std::nullopt;
}

// ---- PromQL over the catalogue's families

// A PromQL selector of `f`'s samples: name (+ suffix), the family's own matcher and `extra`.
std::string Selector(const MetricFamily& f, std::string_view suffix = {},
                     std::string_view extra = {}) {
  std::string s(f.name);
  s += suffix;
  if (f.selector.empty() && extra.empty()) return s;
  s += '{';
  s += f.selector;
  if (!f.selector.empty() && !extra.empty()) s += ',';
  s += extra;
  s += '}';
  return s;
}

std::string RangeText(int64_t nanos) {
  return std::to_string(std::max<int64_t>(1, nanos / 1'000'000)) + "ms";
}

class Prom {
 public:
  Prom(storage::Storage* storage, const GenAiApiOptions& o)
      : storage_(storage), engine_(EngineOptionsOf(o)) {}

  Result<query::Vector> Instant(const std::string& q, int64_t t_nanos) const {
    auto r = engine_.InstantQuery(*storage_, q, t_nanos / 1'000'000);
    if (!r.ok()) return r.status().Annotate("metrics query " + q);
    if (r->type != query::ValueType::kVector) return query::Vector{};
    return std::move(r->vector);
  }
  Result<query::Matrix> Range(const std::string& q, int64_t start, int64_t end,
                              int64_t step) const {
    auto r = engine_.RangeQuery(*storage_, q, start / 1'000'000, end / 1'000'000,
                                std::max<int64_t>(1, step / 1'000'000));
    if (!r.ok()) return r.status().Annotate("metrics query " + q);
    return std::move(r->matrix);
  }

 private:
  static query::EngineOptions EngineOptionsOf(const GenAiApiOptions& o) {
    query::EngineOptions e;
    e.max_samples = o.max_samples;
    e.timeout = o.query_timeout;
    return e;
  }
  storage::Storage* storage_;
  query::Engine engine_;
};

// Maps keyed by std::string and looked up with string_view: an aggregation allocates per
// distinct key, not per span.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

template <typename V>
V& Slot(StringMap<V>& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), V{}).first;
  return it->second;
}

// ---- /models

struct ModelRow {
  std::map<std::string, double> providers;  // provider → requests (the most used is shown)
  std::set<std::string> services;
  double requests = kNaN, errors = kNaN, input_tokens = kNaN, output_tokens = kNaN, cost = kNaN;
  double latency_p50 = kNaN, latency_p95 = kNaN, ttft_p50 = kNaN, ttft_p95 = kNaN, tpot_p50 = kNaN,
         tpot_p95 = kNaN;
  bool spans = false;
  std::set<std::string> metric_sources;
};

// Fills the NaN figures of `to` from `from`.
void FillFrom(ModelRow& to, const ModelRow& from) {
  auto fill = [](double& a, double b) {
    if (std::isnan(a)) a = b;
  };
  fill(to.requests, from.requests);
  fill(to.errors, from.errors);
  fill(to.input_tokens, from.input_tokens);
  fill(to.output_tokens, from.output_tokens);
  fill(to.cost, from.cost);
  fill(to.latency_p50, from.latency_p50);
  fill(to.latency_p95, from.latency_p95);
  fill(to.ttft_p50, from.ttft_p50);
  fill(to.ttft_p95, from.ttft_p95);
  fill(to.tpot_p50, from.tpot_p50);
  fill(to.tpot_p95, from.tpot_p95);
  if (to.providers.empty()) to.providers = from.providers;
  to.services.insert(from.services.begin(), from.services.end());
  to.metric_sources.insert(from.metric_sources.begin(), from.metric_sources.end());
}

struct SpanModelStats {
  ModelRow row;
  std::vector<double> durations;  // seconds
  int64_t cost_known = 0;
  int64_t input_known = 0;
  int64_t output_known = 0;
  // The previous span's provider and service (views valid during the scan), so that a run of
  // spans with the same ones costs no map lookup.
  std::string_view last_provider, last_service;
  double* provider_slot = nullptr;
};

std::map<std::string, ModelRow> ModelsFromSpans(const spanstore::SpanStore& store, const Params& p,
                                                Status* error) {
  StringMap<SpanModelStats> by_model;
  spanstore::SpanQuery q;
  q.start_unix_nano = static_cast<uint64_t>(p.start);
  q.end_unix_nano = static_cast<uint64_t>(p.end);
  auto scanned = store.ScanGenAi(q, [&](const spanstore::GenAiRow& r) {
    SpanModelStats& s = Slot(by_model, r.model);
    if (s.durations.empty()) s.row.requests = s.row.errors = 0;
    s.row.requests += 1;
    if (r.status == pdata::SpanStatus::Code::kError) s.row.errors += 1;
    s.durations.push_back(static_cast<double>(r.duration_nanos()) / 1e9);
    if (r.input_tokens >= 0) {
      s.row.input_tokens = (s.input_known++ == 0 ? 0 : s.row.input_tokens) + r.input_tokens;
    }
    if (r.output_tokens >= 0) {
      s.row.output_tokens = (s.output_known++ == 0 ? 0 : s.row.output_tokens) + r.output_tokens;
    }
    if (!std::isnan(r.cost)) s.row.cost = (s.cost_known++ == 0 ? 0 : s.row.cost) + r.cost;
    if (!r.provider.empty()) {
      if (s.last_provider != r.provider) {
        s.last_provider = r.provider;
        s.provider_slot = &s.row.providers[std::string(r.provider)];
      }
      *s.provider_slot += 1;
    }
    if (!r.service.empty() && s.last_service != r.service && s.row.services.size() < 100) {
      s.row.services.emplace(r.service);
      s.last_service = r.service;
    }
  });
  std::map<std::string, ModelRow> out;
  if (!scanned.ok()) {
    *error = scanned.status();
    return out;
  }
  for (auto& [model, s] : by_model) {
    std::sort(s.durations.begin(), s.durations.end());
    s.row.latency_p50 = QuantileOfSorted(s.durations, 0.5);
    s.row.latency_p95 = QuantileOfSorted(s.durations, 0.95);
    s.row.spans = true;
    out[model] = std::move(s.row);
  }
  return out;
}

// Per model (the family's model label): the sum over `families` of
// increase(<selector>[range]) at the range's end; jobs and providers noted in `rows`.
Status SumIncrease(const Prom& prom, const std::vector<const MetricFamily*>& families,
                   std::string_view extra, const Params& p, std::map<std::string, double>* sums,
                   std::map<std::string, ModelRow>* rows) {
  for (const MetricFamily* f : families) {
    std::string by(f->model_label);
    if (!f->provider_label.empty()) by += "," + std::string(f->provider_label);
    const std::string q = "sum by (" + by + ",job) (increase(" + Selector(*f, "", extra) + "[" +
                          RangeText(p.end - p.start) + "]))";
    ASSIGN_OR_RETURN(query::Vector v, prom.Instant(q, p.end));
    for (const query::Sample& s : v) {
      if (std::isnan(s.v)) continue;
      const std::string model(s.metric.Get(f->model_label));
      auto [it, inserted] = sums->try_emplace(model, 0.0);
      it->second += s.v;
      if (rows != nullptr) {
        ModelRow& row = (*rows)[model];
        if (!s.metric.Get("job").empty()) row.services.emplace(s.metric.Get("job"));
        if (!f->provider_label.empty() && !s.metric.Get(f->provider_label).empty()) {
          row.providers[std::string(s.metric.Get(f->provider_label))] += s.v;
        }
      }
    }
  }
  return Status::Ok();
}

// Per model: histogram_quantile(q) over the increase of the first of `families` that has
// data for the model, in seconds.
Status Quantiles(const Prom& prom, const std::vector<const MetricFamily*>& families, double q,
                 const Params& p, std::map<std::string, double>* out) {
  for (const MetricFamily* f : families) {
    const std::string text = "histogram_quantile(" + std::to_string(q) + ", sum by (" +
                             std::string(f->model_label) + ",le) (increase(" +
                             Selector(*f, "_bucket") + "[" + RangeText(p.end - p.start) + "])))";
    ASSIGN_OR_RETURN(query::Vector v, prom.Instant(text, p.end));
    for (const query::Sample& s : v) {
      if (!std::isfinite(s.v)) continue;
      out->try_emplace(std::string(s.metric.Get(f->model_label)), s.v * f->to_base);
    }
  }
  return Status::Ok();
}

Status ModelsOfSource(const Prom& prom, MetricSource source, const Params& p,
                      std::map<std::string, ModelRow>* rows) {
  auto fams = [&](Quantity q) { return genai::FamiliesFor(source, q); };
  std::map<std::string, double> requests, errors, input, output, cost;
  // Requests: the source's request counter, else every finished request by reason, else
  // successes + failures.
  if (!fams(Quantity::kRequests).empty()) {
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kRequests), "", p, &requests, rows));
  } else if (!fams(Quantity::kFinished).empty()) {
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kFinished), "", p, &requests, rows));
  } else {
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kSuccess), "", p, &requests, rows));
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kFailure), "", p, &requests, rows));
  }
  // Errors: the failure counter, else the finished requests whose reason is not a success.
  if (!fams(Quantity::kFailure).empty()) {
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kFailure), "", p, &errors, nullptr));
  } else {
    for (const MetricFamily* f : fams(Quantity::kFinished)) {
      const std::string extra = std::string(f->reason_label) + "!~\"stop|length\"";
      RETURN_IF_ERROR(SumIncrease(prom, {f}, extra, p, &errors, nullptr));
    }
  }
  if (!fams(Quantity::kTokens).empty()) {
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kTokens), "token_type=\"prompt_tokens\"", p,
                                &input, rows));
    RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kTokens), "token_type=\"completion_tokens\"",
                                p, &output, rows));
  }
  RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kPromptTokens), "", p, &input, rows));
  RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kGenerationTokens), "", p, &output, rows));
  RETURN_IF_ERROR(SumIncrease(prom, fams(Quantity::kCost), "", p, &cost, rows));
  std::map<std::string, double> lat50, lat95, ttft50, ttft95, tpot50, tpot95;
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kRequestLatency), 0.5, p, &lat50));
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kRequestLatency), 0.95, p, &lat95));
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kTimeToFirstToken), 0.5, p, &ttft50));
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kTimeToFirstToken), 0.95, p, &ttft95));
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kTimePerOutputToken), 0.5, p, &tpot50));
  RETURN_IF_ERROR(Quantiles(prom, fams(Quantity::kTimePerOutputToken), 0.95, p, &tpot95));
  auto set = [&](const std::map<std::string, double>& m, double ModelRow::*field) {
    for (const auto& [model, v] : m) (*rows)[model].*field = v;
  };
  set(requests, &ModelRow::requests);
  if (!fams(Quantity::kFailure).empty() || !fams(Quantity::kFinished).empty()) {
    // A source that counts failures: a model with requests and no failure series has 0.
    for (const auto& [model, v] : requests) (*rows)[model].errors = 0;
  }
  set(errors, &ModelRow::errors);
  set(input, &ModelRow::input_tokens);
  set(output, &ModelRow::output_tokens);
  set(cost, &ModelRow::cost);
  set(lat50, &ModelRow::latency_p50);
  set(lat95, &ModelRow::latency_p95);
  set(ttft50, &ModelRow::ttft_p50);
  set(ttft95, &ModelRow::ttft_p95);
  set(tpot50, &ModelRow::tpot_p50);
  set(tpot95, &ModelRow::tpot_p95);
  for (auto& [model, row] : *rows) {
    row.metric_sources.emplace(genai::SourceName(source));
    if (row.providers.empty()) row.providers[std::string(genai::SourceName(source))] = 0;
  }
  return Status::Ok();
}

std::string ModelsJson(const std::map<std::string, ModelRow>& rows, std::string_view currency) {
  std::vector<std::pair<std::string, const ModelRow*>> sorted;
  for (const auto& [model, row] : rows) sorted.emplace_back(model, &row);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    const double ra = std::isnan(a.second->requests) ? -1 : a.second->requests;
    const double rb = std::isnan(b.second->requests) ? -1 : b.second->requests;
    return ra > rb;
  });
  std::string out = "{\"models\":[";
  for (const auto& [model, row] : sorted) {
    out += '{';
    StringField(out, "model", model);
    std::string provider;
    double best = -1;
    for (const auto& [name, n] : row->providers) {
      if (n > best) {
        best = n;
        provider = name;
      }
    }
    Key(out, "provider");
    if (provider.empty()) {
      out += "null,";
    } else {
      AppendJsonString(out, provider);
      out += ',';
    }
    StringArrayField(out, "services", row->services);
    NumberField(out, "requests", row->requests);
    NumberField(out, "errors", row->errors);
    NumberField(out, "error_rate", row->requests > 0 ? row->errors / row->requests : kNaN);
    NumberField(out, "input_tokens", row->input_tokens);
    NumberField(out, "output_tokens", row->output_tokens);
    NumberField(out, "cost", row->cost);
    StringField(out, "currency", currency);
    NumberField(out, "latency_p50", row->latency_p50);
    NumberField(out, "latency_p95", row->latency_p95);
    NumberField(out, "ttft_p50", row->ttft_p50);
    NumberField(out, "ttft_p95", row->ttft_p95);
    NumberField(out, "tpot_p50", row->tpot_p50);
    NumberField(out, "tpot_p95", row->tpot_p95);
    const bool metrics = !row->metric_sources.empty();
    StringField(out, "source", row->spans && metrics ? "both" : (metrics ? "metrics" : "spans"));
    StringArrayField(out, "metric_sources", row->metric_sources);
    Close(out, '}');
    out += ',';
  }
  Close(out, ']');
  out += '}';
  return out;
}

// ---- /calls

struct Call {
  double key = 0;  // what the calls are ranked by
  pdata::TraceId trace_id;
  pdata::SpanId span_id;
  int64_t start = 0, duration = 0;
  std::string service, model, provider, operation, finish_reason;
  int64_t input_tokens = -1, output_tokens = -1;
  double cost = kNaN;
  pdata::SpanStatus::Code status = pdata::SpanStatus::Code::kUnset;
};

std::string_view StatusName(pdata::SpanStatus::Code code) {
  switch (code) {
    case pdata::SpanStatus::Code::kOk:
      return "ok";
    case pdata::SpanStatus::Code::kError:
      return "error";
    default:
      return "unset";
  }
}

std::string CallsJson(const std::vector<Call>& calls, std::string_view sort,
                      std::string_view currency) {
  std::string out = "{";
  StringField(out, "sort", sort);
  StringField(out, "currency", currency);
  out += "\"calls\":[";
  for (const Call& c : calls) {
    out += '{';
    StringField(out, "trace_id", c.trace_id.ToHex());
    StringField(out, "span_id", c.span_id.ToHex());
    NumberField(out, "start", Seconds(c.start));
    NumberField(out, "duration", Seconds(c.duration));
    StringField(out, "service", c.service);
    StringField(out, "model", c.model);
    StringField(out, "provider", c.provider);
    StringField(out, "operation", c.operation);
    NumberField(out, "input_tokens", c.input_tokens < 0 ? kNaN : double(c.input_tokens));
    NumberField(out, "output_tokens", c.output_tokens < 0 ? kNaN : double(c.output_tokens));
    NumberField(out, "cost", c.cost);
    StringField(out, "status", StatusName(c.status));
    Key(out, "finish_reasons");
    out += '[';
    if (!c.finish_reason.empty()) {
      for (std::string_view r : Split(c.finish_reason, ',')) {
        AppendJsonString(out, r);
        out += ',';
      }
    }
    Close(out, ']');
    out += '}';
    out += ',';
  }
  Close(out, ']');
  out += '}';
  return out;
}

// ---- answers

struct Answer {
  std::string data;
  std::optional<ApiError> error;
};

Answer Fail(ApiError e) { return {{}, std::move(e)}; }

}  // namespace

// ---- forecast and helpers (genai_api.h)

int64_t MonthStartUnixNano(int64_t unix_nano) {
  using namespace std::chrono;
  const sys_days day{
      days{unix_nano >= 0 ? unix_nano / kDayNanos : -((-unix_nano + kDayNanos - 1) / kDayNanos)}};
  const year_month_day ymd{day};
  const sys_days first{ymd.year() / ymd.month() / 1};
  return static_cast<int64_t>(first.time_since_epoch().count()) * kDayNanos;
}

int64_t NextMonthStartUnixNano(int64_t unix_nano) {
  using namespace std::chrono;
  const sys_days first{days{MonthStartUnixNano(unix_nano) / kDayNanos}};
  const year_month_day ymd{first};
  const sys_days next{(ymd.year() / ymd.month() + months{1}) / 1};
  return static_cast<int64_t>(next.time_since_epoch().count()) * kDayNanos;
}

double QuantileOfSorted(const std::vector<double>& values, double p) {
  if (values.empty()) return kNaN;
  const double rank = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

CostForecast ForecastMonthEnd(const DailyCosts& daily, int64_t now_unix_nano, int window_days) {
  CostForecast f;
  const int64_t today = now_unix_nano / kDayNanos;
  const int64_t month_first = MonthStartUnixNano(now_unix_nano) / kDayNanos;
  const int64_t month_end = NextMonthStartUnixNano(now_unix_nano);
  for (const auto& [day, cost] : daily) {
    if (day >= month_first && day <= today) f.month_to_date += cost;
    if (day == today) f.today = cost;
  }
  // The first day with any cost bounds the averaging window from below.
  std::optional<int64_t> first_day;
  for (const auto& [day, cost] : daily) {
    if (cost > 0) {
      first_day = day;
      break;
    }
  }
  double sum = 0;
  int n = 0;
  if (first_day) {
    for (int64_t day = today - 1; day >= today - window_days && day >= *first_day; --day) {
      auto it = daily.find(day);
      sum += it == daily.end() ? 0 : it->second;
      ++n;
    }
  }
  if (n > 0) {
    f.daily_rate = sum / n;
    f.days_averaged = n;
  } else {
    const double elapsed =
        static_cast<double>(now_unix_nano - today * kDayNanos) / static_cast<double>(kDayNanos);
    f.daily_rate = elapsed > 0 ? f.today / elapsed : 0;
  }
  const double days_left =
      static_cast<double>(std::max<int64_t>(0, month_end - now_unix_nano)) / double(kDayNanos);
  f.forecast_month_end = f.month_to_date + f.daily_rate * days_left;
  return f;
}

// ---- GenAiApi

namespace {

// /api/v1/spans' parameters without its cursor (a top-K has no pages), plus sort.
const std::vector<std::string>& CallsParamNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names = {"sort"};
    for (const std::string& n : SpanSearchParamNames()) {
      if (n != "cursor") names.push_back(n);
    }
    return names;
  }();
  return kNames;
}

Answer Models(const GenAiApiOptions& o, bool spans, bool metrics, const net::QueryParams& params,
              int64_t now) {
  if (auto e = CheckNames(params, {"start", "end"})) return Fail(*e);
  Params p;
  if (auto e = ParseCommon(params, now, false, &p)) return Fail(*e);
  std::map<std::string, ModelRow> rows;
  if (spans) {
    Status st;
    rows = ModelsFromSpans(*o.spans, p, &st);
    if (!st.ok()) return Fail(FromStatus(st, "span scan"));
  }
  if (metrics) {
    Prom prom(o.metrics, o);
    std::map<std::string, ModelRow> servers, kong;
    for (MetricSource s : kServerSources) {
      std::map<std::string, ModelRow> of_source;
      if (Status st = ModelsOfSource(prom, s, p, &of_source); !st.ok()) {
        return Fail(FromStatus(st, "models"));
      }
      for (auto& [model, row] : of_source) FillFrom(servers[model], row);
    }
    if (Status st = ModelsOfSource(prom, MetricSource::kKong, p, &kong); !st.ok()) {
      return Fail(FromStatus(st, "models"));
    }
    for (auto& [model, row] : kong) FillFrom(servers[model], row);
    for (auto& [model, row] : servers) FillFrom(rows[model], row);
  }
  return {ModelsJson(rows, o.currency), std::nullopt};
}

Result<std::string_view> GroupLabel(std::string_view by, MetricSource source) {
  const auto& f = genai::FamiliesFor(source, Quantity::kCost);
  if (f.empty()) return NotFound("no cost family");
  if (by == "model") return f.front()->model_label;
  if (by == "provider") return f.front()->provider_label;
  return std::string_view("job");
}

Answer Cost(const GenAiApiOptions& o, bool spans, bool metrics, const net::QueryParams& params,
            int64_t now) {
  if (auto e = CheckNames(params, {"start", "end", "step", "by"})) return Fail(*e);
  Params p;
  if (auto e = ParseCommon(params, now, true, &p)) return Fail(*e);
  auto by_v = params.Single("by");
  if (!by_v.ok()) return Fail(BadParam("by", by_v.status().message()));
  const std::string by = by_v->value_or("model");
  if (by != "model" && by != "provider" && by != "service") {
    return Fail(BadParam("by", "expected model, provider or service, got \"" + Shown(by) + "\""));
  }
  const int64_t n = (p.end - p.start + p.step - 1) / p.step;
  std::map<std::string, std::vector<double>, std::less<>> series;  // key → cost per bucket
  double total = 0;
  CostForecast forecast;
  bool have_spans = false;
  if (spans) {
    have_spans = true;
    const int64_t today = now / kDayNanos * kDayNanos;
    const int64_t from = std::min({p.start, MonthStartUnixNano(now), today - 7 * kDayNanos});
    const int64_t to = std::max(p.end, now + 1);
    DailyCosts daily;
    spanstore::SpanQuery q;
    q.start_unix_nano = static_cast<uint64_t>(std::max<int64_t>(0, from));
    q.end_unix_nano = static_cast<uint64_t>(to);
    auto scanned = o.spans->ScanGenAi(q, [&](const spanstore::GenAiRow& r) {
      if (std::isnan(r.cost)) return;
      const auto start = static_cast<int64_t>(r.start_unix_nano);
      daily[start / kDayNanos] += r.cost;
      if (start < p.start || start >= p.end) return;
      total += r.cost;
      std::string_view key = by == "model" ? r.model : (by == "provider" ? r.provider : r.service);
      auto it = series.find(key);
      if (it == series.end()) {
        it = series.emplace(std::string(key), std::vector<double>(size_t(n), 0.0)).first;
      }
      it->second[size_t((start - p.start) / p.step)] += r.cost;
    });
    if (!scanned.ok()) return Fail(FromStatus(scanned.status(), "span scan"));
    forecast = ForecastMonthEnd(daily, now);
  }
  std::string out = "{";
  StringField(out, "by", by);
  NumberField(out, "step", Seconds(p.step));
  StringField(out, "currency", o.currency);
  NumberField(out, "total", have_spans ? total : kNaN);
  NumberField(out, "today", have_spans ? forecast.today : kNaN);
  NumberField(out, "month_to_date", have_spans ? forecast.month_to_date : kNaN);
  NumberField(out, "forecast_month_end", have_spans ? forecast.forecast_month_end : kNaN);
  Key(out, "forecast");
  out += '{';
  StringField(out, "method",
              "month_to_date + mean daily cost of the last complete days x days left");
  NumberField(out, "daily_rate", have_spans ? forecast.daily_rate : kNaN);
  NumberField(out, "days_averaged", forecast.days_averaged);
  Close(out, '}');
  out += ",\"series\":[";
  for (const auto& [key, values] : series) {
    out += '{';
    StringField(out, "key", key);
    StringField(out, "source", "spans");
    out += "\"values\":[";
    for (int64_t i = 0; i < n; ++i) {
      out += '[';
      AppendNumber(out, Seconds(p.start + i * p.step));
      out += ',';
      AppendNumber(out, values[size_t(i)]);
      out += "],";
    }
    Close(out, ']');
    out += "},";
  }
  double kong_total = kNaN;
  if (metrics) {
    Prom prom(o.metrics, o);
    const auto families = genai::FamiliesFor(MetricSource::kKong, Quantity::kCost);
    std::string names;
    for (const MetricFamily* f : families)
      names += (names.empty() ? "" : "|") + std::string(f->name);
    auto label = GroupLabel(by, MetricSource::kKong);
    const std::string inner = "{__name__=~\"" + names + "\"}";
    const std::string q_series =
        "sum by (" + std::string(*label) + ") (increase(" + inner + "[" + RangeText(p.step) + "]))";
    auto m = prom.Range(q_series, p.start + p.step, p.start + n * p.step, p.step);
    if (!m.ok()) return Fail(FromStatus(m.status(), "kong cost"));
    for (const query::Series& s : *m) {
      out += '{';
      StringField(out, "key", s.metric.Get(*label));
      StringField(out, "source", "kong");
      out += "\"values\":[";
      for (const query::Point& pt : s.points) {
        out += '[';
        AppendNumber(out, Seconds(pt.t * 1'000'000 - p.step));
        out += ',';
        AppendNumber(out, pt.v);
        out += "],";
      }
      Close(out, ']');
      out += "},";
    }
    auto t =
        prom.Instant("sum(increase(" + inner + "[" + RangeText(p.end - p.start) + "]))", p.end);
    if (!t.ok()) return Fail(FromStatus(t.status(), "kong cost"));
    if (!t->empty()) kong_total = t->front().v;
  }
  Close(out, ']');
  out += ',';
  NumberField(out, "kong_total", kong_total);
  Close(out, '}');
  return {out, std::nullopt};
}

Answer Calls(const GenAiApiOptions& o, const net::QueryParams& params, int64_t now) {
  if (auto e = CheckNames(params, CallsParamNames())) return Fail(*e);
  // The span-search filters, parsed as /api/v1/spans parses them (without sort and limit,
  // which mean something else here).
  std::vector<net::QueryParam> search;
  for (const net::QueryParam& param : params.all()) {
    if (param.name != "sort" && param.name != "limit") search.push_back(param);
  }
  spanstore::SpanQuery q;
  if (Status s = ParseSpanSearchParams(net::QueryParams(search), &q); !s.ok()) {
    return Fail({400, "bad_data", s.message()});
  }
  Params p;
  if (auto e = ParseCommon(params, now, false, &p)) return Fail(*e);
  q.start_unix_nano = static_cast<uint64_t>(p.start);
  q.end_unix_nano = static_cast<uint64_t>(p.end);
  q.limit = 100;
  auto sort_v = params.Single("sort");
  if (!sort_v.ok()) return Fail(BadParam("sort", sort_v.status().message()));
  const std::string sort = sort_v->value_or("cost");
  if (sort != "cost" && sort != "duration") {
    return Fail(BadParam("sort", "expected cost or duration, got \"" + Shown(sort) + "\""));
  }
  int64_t limit = kDefaultCallsLimit;
  auto limit_v = params.Single("limit");
  if (!limit_v.ok()) return Fail(BadParam("limit", limit_v.status().message()));
  if (limit_v->has_value()) {
    const std::string& text = **limit_v;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || limit < 1 ||
        limit > kMaxCallsLimit) {
      return Fail(BadParam("limit", "expected an integer in 1.." + std::to_string(kMaxCallsLimit) +
                                        ", got \"" + Shown(text) + "\""));
    }
  }
  const bool by_cost = sort == "cost";
  // The `limit` largest keys in a min-heap; ties broken by the newer start.
  auto greater = [](const Call& a, const Call& b) {
    return a.key != b.key ? a.key > b.key : a.start > b.start;
  };
  std::priority_queue<Call, std::vector<Call>, decltype(greater)> top(greater);
  auto scanned = o.spans->ScanGenAi(q, [&](const spanstore::GenAiRow& r) {
    const double key = by_cost ? r.cost : static_cast<double>(r.duration_nanos());
    if (std::isnan(key)) return;
    const auto start = static_cast<int64_t>(r.start_unix_nano);
    if (static_cast<int64_t>(top.size()) == limit) {
      const Call& worst = top.top();
      if (key < worst.key || (key == worst.key && start <= worst.start)) return;
      top.pop();
    }
    Call c;
    c.key = key;
    c.trace_id = *r.trace_id;
    c.span_id = *r.span_id;
    c.start = start;
    c.duration = static_cast<int64_t>(r.duration_nanos());
    c.service = r.service;
    c.model = r.model;
    c.provider = r.provider;
    c.operation = r.operation;
    c.finish_reason = r.finish_reason;
    c.input_tokens = r.input_tokens;
    c.output_tokens = r.output_tokens;
    c.cost = r.cost;
    c.status = r.status;
    top.push(std::move(c));
  });
  if (!scanned.ok()) return Fail(FromStatus(scanned.status(), "span scan"));
  std::vector<Call> calls;
  while (!top.empty()) {
    calls.push_back(top.top());
    top.pop();
  }
  std::reverse(calls.begin(), calls.end());
  return {CallsJson(calls, sort, o.currency), std::nullopt};
}

Answer FinishReasons(const GenAiApiOptions& o, bool spans, bool metrics,
                     const net::QueryParams& params, int64_t now) {
  if (auto e = CheckNames(params, {"start", "end"})) return Fail(*e);
  Params p;
  if (auto e = ParseCommon(params, now, false, &p)) return Fail(*e);
  struct Reason {
    std::string model, reason, source;
    double count;
  };
  std::vector<Reason> reasons;
  if (spans) {
    StringMap<StringMap<double>> counts;  // model → reason → count
    spanstore::SpanQuery q;
    q.start_unix_nano = static_cast<uint64_t>(p.start);
    q.end_unix_nano = static_cast<uint64_t>(p.end);
    std::unordered_map<std::string_view, std::vector<std::string_view>> split;  // memo per text
    auto scanned = o.spans->ScanGenAi(q, [&](const spanstore::GenAiRow& r) {
      if (r.finish_reason.empty()) return;
      auto [it, inserted] = split.try_emplace(r.finish_reason);
      if (inserted) {
        for (std::string_view part : Split(r.finish_reason, ',')) it->second.push_back(part);
      }
      StringMap<double>& of_model = Slot(counts, r.model);
      for (std::string_view reason : it->second) Slot(of_model, reason) += 1;
    });
    if (!scanned.ok()) return Fail(FromStatus(scanned.status(), "span scan"));
    for (auto& [model, of_model] : counts) {
      for (auto& [reason, c] : of_model) reasons.push_back({model, reason, "spans", c});
    }
  }
  if (metrics) {
    Prom prom(o.metrics, o);
    for (MetricSource source : kAllSources) {
      for (const MetricFamily* f : genai::FamiliesFor(source, Quantity::kFinished)) {
        const std::string q = "sum by (" + std::string(f->model_label) + "," +
                              std::string(f->reason_label) + ") (increase(" + Selector(*f) + "[" +
                              RangeText(p.end - p.start) + "]))";
        auto v = prom.Instant(q, p.end);
        if (!v.ok()) return Fail(FromStatus(v.status(), "finish reasons"));
        for (const query::Sample& s : *v) {
          if (!std::isfinite(s.v)) continue;
          reasons.push_back({std::string(s.metric.Get(f->model_label)),
                             std::string(s.metric.Get(f->reason_label)),
                             std::string(genai::SourceName(source)), s.v});
        }
      }
    }
  }
  std::sort(reasons.begin(), reasons.end(), [](const Reason& a, const Reason& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.source, a.model, a.reason) < std::tie(b.source, b.model, b.reason);
  });
  std::string out = "{\"reasons\":[";
  for (const Reason& r : reasons) {
    out += '{';
    StringField(out, "model", r.model);
    StringField(out, "reason", r.reason);
    NumberField(out, "count", r.count);
    StringField(out, "source", r.source);
    Close(out, '}');
    out += ',';
  }
  Close(out, ']');
  out += '}';
  return {out, std::nullopt};
}

Answer Saturation(const GenAiApiOptions& o, const net::QueryParams& params, int64_t now) {
  if (auto e = CheckNames(params, {"start", "end", "step"})) return Fail(*e);
  Params p;
  if (auto e = ParseCommon(params, now, true, &p)) return Fail(*e);
  static constexpr std::pair<Quantity, std::string_view> kFigures[] = {
      {Quantity::kKvCacheUsage, "kv_cache_usage"},
      {Quantity::kRunning, "running"},
      {Quantity::kWaiting, "waiting"},
      {Quantity::kMaxRunning, "max_running"}};
  struct Service {
    std::string source, job, instance, model;
    std::array<double, 4> latest{kNaN, kNaN, kNaN, kNaN};
    std::array<std::vector<query::Point>, 4> series;
  };
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Service> services;
  Prom prom(o.metrics, o);
  for (MetricSource source : kServerSources) {
    for (size_t i = 0; i < std::size(kFigures); ++i) {
      // The first family of the source with data for a service wins (vLLM's current
      // KV-cache name before its deprecated one).
      for (const MetricFamily* f : genai::FamiliesFor(source, kFigures[i].first)) {
        const std::string q =
            "max by (job,instance," + std::string(f->model_label) + ") (" + Selector(*f) + ")";
        auto key_of = [&](const storage::Labels& l) {
          return std::make_tuple(std::string(genai::SourceName(source)), std::string(l.Get("job")),
                                 std::string(l.Get("instance")),
                                 std::string(l.Get(f->model_label)));
        };
        auto latest = prom.Instant(q, p.end);
        if (!latest.ok()) return Fail(FromStatus(latest.status(), "saturation"));
        auto range = prom.Range(q, p.start, p.end, p.step);
        if (!range.ok()) return Fail(FromStatus(range.status(), "saturation"));
        auto service = [&](const storage::Labels& l) -> Service& {
          auto key = key_of(l);
          Service& s = services[key];
          std::tie(s.source, s.job, s.instance, s.model) = key;
          return s;
        };
        for (const query::Sample& s : *latest) {
          Service& svc = service(s.metric);
          if (std::isnan(svc.latest[i])) svc.latest[i] = s.v;
        }
        for (query::Series& s : *range) {
          Service& svc = service(s.metric);
          if (svc.series[i].empty()) svc.series[i] = std::move(s.points);
        }
      }
    }
  }
  std::string out = "{";
  NumberField(out, "step", Seconds(p.step));
  out += "\"services\":[";
  for (const auto& [key, s] : services) {
    out += '{';
    StringField(out, "source", s.source);
    StringField(out, "job", s.job);
    StringField(out, "instance", s.instance);
    StringField(out, "model", s.model);
    for (size_t i = 0; i < std::size(kFigures); ++i)
      NumberField(out, kFigures[i].second, s.latest[i]);
    out += "\"series\":{";
    for (size_t i = 0; i < std::size(kFigures); ++i) {
      Key(out, kFigures[i].second);
      out += '[';
      for (const query::Point& pt : s.series[i]) {
        out += '[';
        AppendNumber(out, static_cast<double>(pt.t) / 1e3);
        out += ',';
        AppendNumber(out, pt.v);
        out += "],";
      }
      Close(out, ']');
      out += ',';
    }
    Close(out, '}');
    out += "},";
  }
  Close(out, ']');
  out += '}';
  return {out, std::nullopt};
}

}  // namespace

GenAiApi::GenAiApi(GenAiApiOptions options) : options_(std::move(options)) {
  if (options_.telemetry == nullptr) return;
  static constexpr std::string_view kRoutes[kRouteCount] = {"models", "cost", "calls",
                                                            "finish_reasons", "saturation"};
  static constexpr std::string_view kOutcomes[kOutcomeCount] = {
      "ok", "bad_request", "unauthorized", "forbidden", "unavailable", "error"};
  for (int r = 0; r < kRouteCount; ++r) {
    for (int o = 0; o < kOutcomeCount; ++o) {
      requests_[r][o] = options_.telemetry->GetCounter(
          "astrolabe_api_genai_requests_total",
          "Requests to the GenAI API by route and outcome (ok, bad_request, unauthorized, "
          "forbidden, unavailable, error).",
          {{"route", std::string(kRoutes[r])}, {"outcome", std::string(kOutcomes[o])}});
    }
  }
}

GenAiApi::~GenAiApi() = default;

int64_t GenAiApi::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void GenAiApi::Mount(net::HttpServer& server, Authorize authorize) {
  authorize_ = std::move(authorize);
  static constexpr std::pair<Route, std::string_view> kPaths[] = {
      {kModels, "/api/v1/genai/models"},
      {kCost, "/api/v1/genai/cost"},
      {kCalls, "/api/v1/genai/calls"},
      {kFinishReasons, "/api/v1/genai/finish_reasons"},
      {kSaturation, "/api/v1/genai/saturation"}};
  for (const auto& [route, path] : kPaths) {
    server.Handle("GET", path,
                  [this, r = route](net::ServerRequest& req, net::ServerResponse& resp) {
                    Serve(r, req, resp);
                  });
  }
}

void GenAiApi::Serve(Route route, net::ServerRequest& request, net::ServerResponse& response) {
  auto count = [&](Outcome o) {
    if (requests_[route][o] != nullptr) requests_[route][o]->Add();
  };
  // Which read scopes the token has; the route needs spans, metrics, or either.
  const bool wants_spans = route != kSaturation;
  const bool wants_metrics = route != kCalls;
  Access access{true, true};
  if (authorize_) {
    net::ServerResponse spans_denied, metrics_denied;
    access.spans = wants_spans && authorize_(request, spans_denied, component::kScopeTracesRead);
    access.metrics =
        wants_metrics && authorize_(request, metrics_denied, component::kScopeMetricsRead);
    if (!access.spans && !access.metrics) {
      net::ServerResponse& denied = wants_spans ? spans_denied : metrics_denied;
      response.status = denied.status;
      response.headers = std::move(denied.headers);
      response.body = std::move(denied.body);
      count(response.status == 403 ? kForbidden : kUnauthorized);
      return;
    }
  }
  const bool spans = wants_spans && access.spans && options_.spans != nullptr;
  const bool metrics = wants_metrics && access.metrics && options_.metrics != nullptr;
  auto reply_error = [&](const ApiError& e) {
    std::string body = "{\"status\":\"error\",\"errorType\":";
    AppendJsonString(body, e.type);
    body += ",\"error\":";
    AppendJsonString(body, e.message);
    body += '}';
    response.Set(e.code, std::string(kJson), std::move(body));
  };
  if (!spans && !metrics) {
    reply_error({503, "unavailable",
                 "the GenAI API has no store for this route (span store: " +
                     std::string(options_.spans ? "yes" : "no") +
                     ", metrics store: " + std::string(options_.metrics ? "yes" : "no") + ")"});
    count(kUnavailable);
    return;
  }
  auto params = net::QueryParams::Parse(request.query());
  if (!params.ok()) {
    reply_error({400, "bad_data", params.status().message()});
    count(kBadRequest);
    return;
  }
  const int64_t now = Now();
  Answer a;
  switch (route) {
    case kModels:
      a = Models(options_, spans, metrics, *params, now);
      break;
    case kCost:
      a = Cost(options_, spans, metrics, *params, now);
      break;
    case kCalls:
      a = Calls(options_, *params, now);
      break;
    case kFinishReasons:
      a = FinishReasons(options_, spans, metrics, *params, now);
      break;
    case kSaturation:
      a = Saturation(options_, *params, now);
      break;
    default:
      break;
  }
  if (a.error) {
    reply_error(*a.error);
    count(a.error->code == 400 ? kBadRequest : kError);
    return;
  }
  response.Set(200, std::string(kJson), Success(std::move(a.data)));
  count(kOk);
}

}  // namespace astrolabe::api
