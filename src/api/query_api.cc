#include "api/query_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include "api/api_json.h"
#include "api/query_params.h"
#include "common/heap_trim.h"
#include "common/strings.h"
#include "net/http_server.h"
#include "net/url_query.h"
#include "query/engine.h"
#include "query/parser.h"
#include "storage/merge.h"
#include "storage/storage.h"

#ifndef ASTROLABE_VERSION
#define ASTROLABE_VERSION "0.0.0-dev"
#endif

namespace astrolabe::api {
namespace {

// ---- JSON, as Prometheus writes it (Go's encoding/json conventions) -----------------------

// Milliseconds as float seconds, as Prometheus writes them: 1435781451.781, 1435781451.500
// (always three digits after the point), 1435781451 (no point when whole).
void AppendTimestamp(std::string& out, int64_t t) {
  uint64_t abs = t < 0 ? uint64_t(0) - static_cast<uint64_t>(t) : static_cast<uint64_t>(t);
  if (t < 0) out += '-';
  out += std::to_string(abs / 1000);
  const uint64_t frac = abs % 1000;
  if (frac != 0) {
    out += '.';
    if (frac < 100) out += '0';
    if (frac < 10) out += '0';
    out += std::to_string(frac);
  }
}

// A sample value as a JSON string: "1", "0.25", "1e-07", "NaN", "+Inf", "-Inf" (Go's
// strconv 'f' format, 'e' below 1e-6 and from 1e21, shortest round-trip digits).
void AppendValue(std::string& out, double v) {
  out += '"';
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[400];
    const double abs = std::fabs(v);
    const auto format = (abs != 0 && (abs < 1e-6 || abs >= 1e21)) ? std::chars_format::scientific
                                                                  : std::chars_format::fixed;
    auto r = std::to_chars(buf, buf + sizeof(buf), v, format);
    out.append(buf, r.ptr);
  }
  out += '"';
}

void AppendLabels(std::string& out, const storage::Labels& labels) {
  out += '{';
  bool first = true;
  for (const storage::Label& l : labels) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, l.name);
    out += ':';
    AppendJsonString(out, l.value);
  }
  out += '}';
}

void AppendStrings(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, values[i]);
  }
  out += ']';
}

// ---- answers --------------------------------------------------------------------------------

struct ApiError {
  std::string_view type;  // bad_data, execution, timeout, internal, not_found, canceled
  std::string message;
};

int HttpStatusOf(std::string_view type) {
  if (type == "bad_data") return 400;
  if (type == "execution") return 422;
  if (type == "timeout") return 503;
  if (type == "not_found") return 404;
  if (type == "unavailable") return 503;
  return 500;
}

struct Answer {
  std::string data;  // the JSON of "data"
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
  std::optional<ApiError> error;
};

Answer Fail(std::string_view type, std::string message) {
  Answer a;
  a.error = ApiError{type, std::move(message)};
  return a;
}

Answer BadParam(std::string_view name, const Status& s) {
  return Fail("bad_data", "invalid parameter \"" + std::string(name) + "\": " + s.message());
}

// An engine or storage error as Prometheus classifies it (engine.h).
Answer FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return Fail("bad_data", s.message());
    case StatusCode::kDeadlineExceeded:
      return Fail("timeout", s.message());
    case StatusCode::kCancelled:
      return Fail("canceled", s.message());
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted:
      return Fail("execution", s.message());
    default:
      return Fail("internal", s.message());
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A time parameter with a default, as Prometheus' parseTimeParam words its errors.
Result<int64_t> TimeParam(const net::QueryParams& form, std::string_view name, int64_t fallback) {
  const std::string_view v = form.Value(name);
  if (v.empty()) return fallback;
  Result<int64_t> t = ParseTimeMs(v);
  if (!t.ok()) {
    return InvalidArgument("invalid time value for '" + std::string(name) +
                           "': " + t.status().message());
  }
  return *t;
}

// match[] as matcher sets; each set needs one matcher that does not match the empty string.
Result<std::vector<std::vector<storage::Matcher>>> MatcherSets(const net::QueryParams& form) {
  std::vector<std::vector<storage::Matcher>> sets;
  for (std::string_view text : form.Values("match[]")) {
    ASSIGN_OR_RETURN(std::vector<storage::Matcher> set, query::ParseMetricSelector(text));
    const bool selective = std::any_of(set.begin(), set.end(),
                                       [](const storage::Matcher& m) { return !m.MatchesEmpty(); });
    if (!selective) return InvalidArgument("match[] must contain at least one non-empty matcher");
    sets.push_back(std::move(set));
  }
  return sets;
}

void AppendVector(std::string& out, const query::Vector& vector, size_t limit) {
  out += '[';
  for (size_t i = 0; i < vector.size() && i < limit; ++i) {
    if (i > 0) out += ',';
    out += "{\"metric\":";
    AppendLabels(out, vector[i].metric);
    out += ",\"value\":[";
    AppendTimestamp(out, vector[i].t);
    out += ',';
    AppendValue(out, vector[i].v);
    out += "]}";
  }
  out += ']';
}

void AppendMatrix(std::string& out, const query::Matrix& matrix, size_t limit) {
  out += '[';
  for (size_t i = 0; i < matrix.size() && i < limit; ++i) {
    if (i > 0) out += ',';
    out += "{\"metric\":";
    AppendLabels(out, matrix[i].metric);
    if (!matrix[i].points.empty()) {
      out += ",\"values\":[";
      for (size_t p = 0; p < matrix[i].points.size(); ++p) {
        if (p > 0) out += ',';
        out += '[';
        AppendTimestamp(out, matrix[i].points[p].t);
        out += ',';
        AppendValue(out, matrix[i].points[p].v);
        out += ']';
      }
      out += ']';
    }
    out += '}';
  }
  out += ']';
}

// {"resultType":...,"result":...}; `limit` 0 = all, else series beyond it are dropped with
// Prometheus' warning.
Answer QueryAnswer(query::QueryResult&& r, int64_t limit) {
  Answer a;
  a.warnings = std::move(r.warnings);
  a.infos = std::move(r.infos);
  const size_t max = limit > 0 ? static_cast<size_t>(limit) : SIZE_MAX;
  std::string& out = a.data;
  out = "{\"resultType\":";
  switch (r.type) {
    case query::ValueType::kScalar:
      out += "\"scalar\",\"result\":[";
      AppendTimestamp(out, r.t);
      out += ',';
      AppendValue(out, r.scalar);
      out += ']';
      break;
    case query::ValueType::kString:
      out += "\"string\",\"result\":[";
      AppendTimestamp(out, r.t);
      out += ',';
      AppendJsonString(out, r.str);
      out += ']';
      break;
    case query::ValueType::kMatrix:
      out += "\"matrix\",\"result\":";
      AppendMatrix(out, r.matrix, max);
      if (r.matrix.size() > max) a.warnings.push_back("results truncated due to limit");
      break;
    default:
      out += "\"vector\",\"result\":";
      AppendVector(out, r.vector, max);
      if (r.vector.size() > max) a.warnings.push_back("results truncated due to limit");
      break;
  }
  out += '}';
  return a;
}

// ---- handlers -------------------------------------------------------------------------------

struct Context {
  const QueryApiOptions& options;
  const net::QueryParams& form;
};

// Engine options for one request: the configured limits, the `timeout` parameter lowering
// the timeout.
Result<query::EngineOptions> EngineOptionsFor(const Context& c) {
  query::EngineOptions o;
  o.timeout = c.options.timeout;
  o.max_samples = c.options.max_samples;
  if (std::string_view to = c.form.Value("timeout"); !to.empty()) {
    ASSIGN_OR_RETURN(int64_t ms, ParseDurationParamMs(to));
    // As Prometheus (a context deadline of now + timeout): zero or less has already expired.
    o.timeout = std::min(o.timeout, std::chrono::milliseconds(std::max<int64_t>(ms, 0)));
  }
  return o;
}

Answer RunQuery(const Context& c, bool instant, int64_t start, int64_t end, int64_t step,
                int64_t limit) {
  Result<query::EngineOptions> opts = EngineOptionsFor(c);
  if (!opts.ok()) return BadParam("timeout", opts.status());
  const std::string_view text = c.form.Value("query");
  Result<std::unique_ptr<query::Expr>> expr = query::ParseExpr(text);
  if (!expr.ok()) return BadParam("query", expr.status());
  query::Engine engine(*opts);
  std::unique_ptr<storage::Querier> querier = c.options.storage->NewQuerier();
  // What the evaluation allocated is freed on the way out: once a dashboard's burst of queries
  // is over, that heap goes back to the kernel (common/heap_trim.h).
  struct NoteRelease {
    ~NoteRelease() { ProcessHeapTrimmer().NoteRelease(); }
  } note_release;
  Result<query::QueryResult> r = engine.Exec(*querier, **expr, start, end, step, instant, text);
  if (!r.ok()) {
    // Checks done before evaluation (expression type, range) are parameter errors upstream.
    if (r.status().code() == StatusCode::kInvalidArgument) return BadParam("query", r.status());
    return FromStatus(r.status());
  }
  return QueryAnswer(std::move(*r), limit);
}

Answer Query(const Context& c) {
  Result<int64_t> limit = ParseLimit(c.form.Value("limit"));
  if (!limit.ok()) return BadParam("limit", limit.status());
  Result<int64_t> t = TimeParam(c.form, "time", NowMs());
  if (!t.ok()) return BadParam("time", t.status());
  return RunQuery(c, true, *t, *t, 1, *limit);
}

Answer QueryRange(const Context& c) {
  Result<int64_t> limit = ParseLimit(c.form.Value("limit"));
  if (!limit.ok()) return BadParam("limit", limit.status());
  Result<int64_t> start = ParseTimeMs(c.form.Value("start"));
  if (!start.ok()) return BadParam("start", start.status());
  Result<int64_t> end = ParseTimeMs(c.form.Value("end"));
  if (!end.ok()) return BadParam("end", end.status());
  if (*end < *start) {
    return BadParam("end", InvalidArgument("end timestamp must not be before start time"));
  }
  Result<int64_t> step = ParseDurationParamMs(c.form.Value("step"));
  if (!step.ok()) return BadParam("step", step.status());
  if (*step <= 0) {
    return BadParam("step", InvalidArgument("zero or negative query resolution step widths are "
                                            "not accepted. Try a positive integer"));
  }
  // Prometheus' check, before the engine's own: at most 11,000 points per series.
  if ((*end - *start) / *step > 11000) {
    return Fail("bad_data",
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
                "query resolution (?step=XX)");
  }
  return RunQuery(c, false, *start, *end, *step, *limit);
}

// start/end with the API's all-time defaults.
struct Range {
  int64_t start = kMinApiTimeMs;
  int64_t end = kMaxApiTimeMs;
};
std::optional<Answer> ParseRange(const net::QueryParams& form, Range* range) {
  Result<int64_t> start = TimeParam(form, "start", kMinApiTimeMs);
  if (!start.ok()) return BadParam("start", start.status());
  Result<int64_t> end = TimeParam(form, "end", kMaxApiTimeMs);
  if (!end.ok()) return BadParam("end", end.status());
  range->start = *start;
  range->end = *end;
  return std::nullopt;
}

Answer Series(const Context& c) {
  if (c.form.Values("match[]").empty()) return Fail("bad_data", "no match[] parameter provided");
  Result<int64_t> limit = ParseLimit(c.form.Value("limit"));
  if (!limit.ok()) return BadParam("limit", limit.status());
  Range range;
  if (auto bad = ParseRange(c.form, &range)) return *bad;
  auto sets = MatcherSets(c.form);
  if (!sets.ok()) return BadParam("match[]", sets.status());

  std::unique_ptr<storage::Querier> querier = c.options.storage->NewQuerier();
  storage::SelectHints hints;
  hints.func = "series";
  std::vector<std::unique_ptr<storage::SeriesSet>> selected;
  for (const auto& set : *sets) {
    auto s = querier->Select(set, range.start, range.end, hints);
    if (!s.ok()) return FromStatus(s.status());
    selected.push_back(std::move(*s));
  }
  std::unique_ptr<storage::SeriesSet> merged =
      selected.size() == 1 ? std::move(selected[0])
                           : storage::NewMergeSeriesSet(std::move(selected));
  Answer a;
  a.data = "[";
  int64_t n = 0;
  while (merged->Next()) {
    if (*limit > 0 && n == *limit) {
      a.warnings.push_back("results truncated due to limit");
      break;
    }
    if (n++ > 0) a.data += ',';
    AppendLabels(a.data, merged->At().labels());
  }
  if (Status err = merged->Err(); !err.ok()) return FromStatus(err);
  a.data += ']';
  return a;
}

// Union of `fetch(matchers)` over the match[] sets (one call with no matchers when none).
template <typename Fetch>
Answer LabelList(const Context& c, Fetch fetch) {
  Result<int64_t> limit = ParseLimit(c.form.Value("limit"));
  if (!limit.ok()) return BadParam("limit", limit.status());
  Range range;
  if (auto bad = ParseRange(c.form, &range)) return *bad;
  auto sets = MatcherSets(c.form);
  if (!sets.ok()) return Fail("bad_data", sets.status().message());
  std::unique_ptr<storage::Querier> querier = c.options.storage->NewQuerier();
  std::vector<std::string> values;
  if (sets->empty()) sets->emplace_back();
  for (const auto& set : *sets) {
    Result<std::vector<std::string>> got = fetch(*querier, set, range);
    if (!got.ok()) return Fail("execution", got.status().message());
    values.insert(values.end(), std::make_move_iterator(got->begin()),
                  std::make_move_iterator(got->end()));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  Answer a;
  if (*limit > 0 && values.size() > static_cast<size_t>(*limit)) {
    values.resize(static_cast<size_t>(*limit));
    a.warnings.push_back("results truncated due to limit");
  }
  AppendStrings(a.data, values);
  return a;
}

Answer Labels(const Context& c) {
  return LabelList(c, [](storage::Querier& q, const std::vector<storage::Matcher>& m,
                         const Range& r) { return q.LabelNames(m, r.start, r.end); });
}

Answer LabelValues(const Context& c, std::string_view raw_name) {
  Result<std::string> unescaped = net::PercentDecode(raw_name, /*plus_is_space=*/false);
  if (!unescaped.ok())
    return Fail("bad_data", "invalid label name: " + unescaped.status().message());
  const std::string name = UnescapeLabelName(*unescaped);
  if (name.empty() || !storage::IsValidUtf8(name)) {
    std::string quoted;
    AppendJsonString(quoted, name);
    return Fail("bad_data", "invalid label name: " + quoted);
  }
  return LabelList(c, [&name](storage::Querier& q, const std::vector<storage::Matcher>& m,
                              const Range& r) { return q.LabelValues(name, m, r.start, r.end); });
}

Answer Metadata(const Context& c) {
  int64_t limit = -1, limit_per_metric = -1;
  auto parse_int = [](std::string_view s, int64_t* out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && ptr == s.data() + s.size();
  };
  if (std::string_view s = c.form.Value("limit"); !s.empty() && !parse_int(s, &limit)) {
    return Fail("bad_data", "limit must be a number");
  }
  if (std::string_view s = c.form.Value("limit_per_metric");
      !s.empty() && !parse_int(s, &limit_per_metric)) {
    return Fail("bad_data", "limit_per_metric must be a number");
  }
  std::unique_ptr<storage::Querier> querier = c.options.storage->NewQuerier();
  const std::vector<storage::FamilyMetadata> all = querier->Metadata(c.form.Value("metric"));
  Answer a;
  a.data = "{";
  int64_t n = 0;
  for (const storage::FamilyMetadata& f : all) {
    if (limit >= 0 && n >= limit) break;
    if (n++ > 0) a.data += ',';
    AppendJsonString(a.data, f.family);
    a.data += ":[{\"type\":";
    AppendJsonString(a.data, storage::MetricTypeString(f.metadata.type));
    a.data += ",\"help\":";
    AppendJsonString(a.data, f.metadata.help);
    a.data += ",\"unit\":";
    AppendJsonString(a.data, f.metadata.unit);
    a.data += "}]";
  }
  a.data += '}';
  return a;
}

Answer QueryExemplars(const Context& c) {
  Range range;
  if (auto bad = ParseRange(c.form, &range)) return *bad;
  if (range.end < range.start) {
    return Fail("bad_data", "end timestamp must not be before start timestamp");
  }
  Result<std::unique_ptr<query::Expr>> expr = query::ParseExpr(c.form.Value("query"));
  if (!expr.ok()) return Fail("bad_data", expr.status().message());
  Answer a;
  a.data = "[]";  // no exemplars are stored
  return a;
}

Answer BuildInfo() {
  Answer a;
  // `version` is the Prometheus API level we answer as (Grafana reads it to pick features);
  // our own version is in `revision`.
  a.data = std::string("{\"version\":\"3.0.0\",\"revision\":\"astrolabe-") + ASTROLABE_VERSION +
           "\",\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":\"\"}";
  return a;
}

std::string Render(const Answer& a) {
  std::string out;
  if (a.error) {
    out = "{\"status\":\"error\",\"errorType\":";
    AppendJsonString(out, a.error->type);
    out += ",\"error\":";
    AppendJsonString(out, a.error->message);
    out += '}';
    return out;
  }
  out.reserve(a.data.size() + 64);
  out = "{\"status\":\"success\",\"data\":";
  out += a.data;
  if (!a.warnings.empty()) {
    out += ",\"warnings\":";
    AppendStrings(out, a.warnings);
  }
  if (!a.infos.empty()) {
    out += ",\"infos\":";
    AppendStrings(out, a.infos);
  }
  out += '}';
  return out;
}

bool IsFormBody(const net::ServerRequest& request) {
  if (request.method() != "POST") return false;
  std::optional<std::string_view> type = request.header("Content-Type");
  return type && StartsWith(AsciiLower(TrimSpace(*type)), "application/x-www-form-urlencoded");
}

}  // namespace

QueryApi::QueryApi(QueryApiOptions options) : options_(std::move(options)) {}

const std::vector<QueryApi::Route>& QueryApi::Routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/v1/query"},
      {"POST", "/api/v1/query"},
      {"GET", "/api/v1/query_range"},
      {"POST", "/api/v1/query_range"},
      {"GET", "/api/v1/series"},
      {"POST", "/api/v1/series"},
      {"GET", "/api/v1/labels"},
      {"POST", "/api/v1/labels"},
      {"GET", "/api/v1/label/*"},
      {"GET", "/api/v1/metadata"},
      {"GET", "/api/v1/query_exemplars"},
      {"POST", "/api/v1/query_exemplars"},
      {"GET", "/api/v1/status/buildinfo"},
  };
  return kRoutes;
}

void QueryApi::Handle(net::ServerRequest& request, net::ServerResponse& response) const {
  constexpr std::string_view kPrefix = "/api/v1/";
  const std::string_view path = request.path();
  const std::string_view rest = path.substr(std::min(path.size(), kPrefix.size()));
  // The endpoint's name (a bounded set: it labels the counter) and, for label values, the name.
  std::string_view endpoint = "other";
  std::string_view label_name;
  for (std::string_view e : {"query", "query_range", "series", "labels", "metadata",
                             "query_exemplars", "status/buildinfo"}) {
    if (rest == e) endpoint = e;
  }
  constexpr std::string_view kLabel = "label/", kValues = "/values";
  if (StartsWith(rest, kLabel) && EndsWith(rest, kValues) &&
      rest.size() > kLabel.size() + kValues.size()) {
    label_name = rest.substr(kLabel.size(), rest.size() - kLabel.size() - kValues.size());
    if (label_name.find('/') == std::string_view::npos) endpoint = "label_values";
  }

  Result<net::QueryParams> parsed = net::QueryParams::Parse(
      request.query(),
      IsFormBody(request) ? std::optional<std::string_view>(request.body()) : std::nullopt);
  const net::QueryParams form = parsed.ok() ? std::move(*parsed) : net::QueryParams();

  Answer answer;
  const Context c{options_, form};
  if (!parsed.ok()) {
    answer = Fail("bad_data", "error parsing form values: " + parsed.status().message());
  } else if (endpoint == "query") {
    answer = Query(c);
  } else if (endpoint == "query_range") {
    answer = QueryRange(c);
  } else if (endpoint == "series") {
    answer = Series(c);
  } else if (endpoint == "labels") {
    answer = Labels(c);
  } else if (endpoint == "label_values") {
    answer = LabelValues(c, label_name);
  } else if (endpoint == "metadata") {
    answer = Metadata(c);
  } else if (endpoint == "query_exemplars") {
    answer = QueryExemplars(c);
  } else if (endpoint == "status/buildinfo") {
    answer = BuildInfo();
  } else {
    answer = Fail("not_found", "no such endpoint: " + std::string(path));
  }
  if (options_.telemetry != nullptr) {
    options_.telemetry
        ->GetCounter("astrolabe_api_query_requests_total",
                     "Requests to the Prometheus-compatible query API, by endpoint and outcome "
                     "(success or the error type)",
                     {{"endpoint", std::string(endpoint)},
                      {"outcome", answer.error ? std::string(answer.error->type) : "success"}})
        ->Add();
  }
  response.Set(answer.error ? HttpStatusOf(answer.error->type) : 200, "application/json",
               Render(answer));
}

}  // namespace astrolabe::api
