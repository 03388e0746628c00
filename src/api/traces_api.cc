#include "api/traces_api.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "api/api_json.h"
#include "api/api_params.h"
#include "common/strings.h"
#include "component/auth.h"
#include "component/telemetry.h"
#include "net/http_server.h"
#include "net/url_query.h"
#include "spanstore/span_store.h"

namespace astrolabe::api {
namespace {

using spanstore::SpanQuery;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kAttrPrefix = "attr.";

}  // namespace

const std::vector<std::string>& SpanSearchParamNames() {
  static const std::vector<std::string> kNames = {"start",
                                                  "end",
                                                  "service",
                                                  "span_name",
                                                  "status",
                                                  "min_duration",
                                                  "max_duration",
                                                  "model",
                                                  "provider",
                                                  "operation",
                                                  "finish_reason",
                                                  "min_input_tokens",
                                                  "min_output_tokens",
                                                  "min_cost",
                                                  "limit",
                                                  "cursor"};
  return kNames;
}

namespace {

Status ParamError(std::string_view name, std::string_view what) {
  std::string msg = "parameter \"";
  msg += name;
  msg += "\": ";
  msg += what;
  return InvalidArgument(msg);
}

// Shown in messages: at most 64 bytes of what the client sent.
std::string Shown(std::string_view value) {
  return value.size() <= 64 ? std::string(value) : std::string(value.substr(0, 64)) + "...";
}

Result<int64_t> ParseCount(std::string_view name, std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 0) {
    return ParamError(name, "expected a non-negative integer, got \"" + Shown(text) + "\"");
  }
  return v;
}

Result<uint64_t> ParseDurationParam(std::string_view name, std::string_view text) {
  auto d = ParseDuration(text);
  if (!d.ok()) {
    return ParamError(name, d.status().message() + " (Go syntax: 250ms, 1.5s, 2m)");
  }
  if (d->count() < 0) return ParamError(name, "negative duration \"" + Shown(text) + "\"");
  return static_cast<uint64_t>(d->count());
}

// ---- JSON

void Key(std::string& out, std::string_view key) {
  out += '"';
  out += key;  // our own keys: no escaping needed
  out += "\":";
}

void StringField(std::string& out, std::string_view key, std::string_view value) {
  Key(out, key);
  AppendJsonString(out, value);
  out += ',';
}

void U64StringField(std::string& out, std::string_view key, uint64_t value) {
  Key(out, key);
  out += '"';
  out += std::to_string(value);
  out += "\",";
}

void NumberField(std::string& out, std::string_view key, uint64_t value) {
  Key(out, key);
  out += std::to_string(value);
  out += ',';
}

// "<key>":"<RFC 3339>","<key>_unix_nano":"<n>" (null time when 0: unset).
void TimeFields(std::string& out, std::string_view key, uint64_t unix_nanos) {
  Key(out, key);
  if (unix_nanos == 0) {
    out += "null,";
  } else {
    const auto clamped = static_cast<int64_t>(
        std::min<uint64_t>(unix_nanos, uint64_t(std::numeric_limits<int64_t>::max())));
    AppendJsonString(out, FormatRfc3339(clamped));
    out += ',';
  }
  U64StringField(out, std::string(key) + "_unix_nano", unix_nanos);
}

void EndObject(std::string& out) {
  if (out.back() == ',') out.pop_back();
  out += '}';
}

void EndArray(std::string& out) {
  if (out.back() == ',') out.pop_back();
  out += ']';
}

void AppendDouble(std::string& out, double v) {
  if (std::isfinite(v)) {
    out += pdata::AnyValueToString(pdata::AnyValue(v));  // shortest round-trip form
  } else {
    AppendJsonString(out, std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
  }
}

void AppendAttributes(std::string& out, const pdata::Attributes& attributes);

// An AnyValue as plain JSON: strings, numbers, booleans, arrays, objects; bytes as base64
// text; empty as null. Non-finite doubles as the strings "NaN", "Infinity", "-Infinity".
void AppendValue(std::string& out, const pdata::AnyValue& v) {
  using Type = pdata::AnyValue::Type;
  switch (v.type()) {
    case Type::kEmpty:
      out += "null";
      return;
    case Type::kString:
      AppendJsonString(out, v.string_value());
      return;
    case Type::kBool:
      out += v.bool_value() ? "true" : "false";
      return;
    case Type::kInt:
      out += std::to_string(v.int_value());
      return;
    case Type::kDouble:
      AppendDouble(out, v.double_value());
      return;
    case Type::kBytes:
      AppendJsonString(out, pdata::AnyValueToString(v));
      return;
    case Type::kArray:
      out += '[';
      for (const pdata::AnyValue& e : v.array_value()) {
        AppendValue(out, e);
        out += ',';
      }
      EndArray(out);
      return;
    case Type::kKvList:
      AppendAttributes(out, v.kvlist_value());
      return;
  }
}

// {"key": value, ...}; a repeated key keeps its first value (OTLP forbids repeats).
void AppendAttributes(std::string& out, const pdata::Attributes& attributes) {
  out += '{';
  std::unordered_set<std::string_view> seen;
  for (const pdata::KeyValue& kv : attributes) {
    if (!seen.insert(kv.key).second) continue;
    AppendJsonString(out, kv.key);
    out += ':';
    AppendValue(out, kv.value);
    out += ',';
  }
  EndObject(out);
}

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

std::string_view KindName(pdata::SpanKind kind) {
  switch (kind) {
    case pdata::SpanKind::kInternal:
      return "internal";
    case pdata::SpanKind::kServer:
      return "server";
    case pdata::SpanKind::kClient:
      return "client";
    case pdata::SpanKind::kProducer:
      return "producer";
    case pdata::SpanKind::kConsumer:
      return "consumer";
    default:
      return "unspecified";
  }
}

// "genai":{...} with the known fields only; nothing when none is known.
void GenAiField(std::string& out, const spanstore::GenAiFields& g) {
  const bool any = !g.model.empty() || !g.provider.empty() || !g.operation.empty() ||
                   !g.finish_reason.empty() || g.input_tokens >= 0 || g.output_tokens >= 0 ||
                   !std::isnan(g.cost);
  if (!any) return;
  Key(out, "genai");
  out += '{';
  if (!g.model.empty()) StringField(out, "model", g.model);
  if (!g.provider.empty()) StringField(out, "provider", g.provider);
  if (!g.operation.empty()) StringField(out, "operation", g.operation);
  if (!g.finish_reason.empty()) {
    Key(out, "finish_reasons");
    out += '[';
    for (std::string_view r : Split(g.finish_reason, ',')) {
      AppendJsonString(out, r);
      out += ',';
    }
    EndArray(out);
    out += ',';
  }
  if (g.input_tokens >= 0) NumberField(out, "input_tokens", uint64_t(g.input_tokens));
  if (g.output_tokens >= 0) NumberField(out, "output_tokens", uint64_t(g.output_tokens));
  if (!std::isnan(g.cost)) {
    Key(out, "cost");
    AppendDouble(out, g.cost);
    out += ',';
  }
  EndObject(out);
  out += ',';
}

// The fields a search answer and a trace answer share, without the closing brace.
void SummaryFields(std::string& out, const pdata::TraceId& trace_id, const pdata::SpanId& span_id,
                   const pdata::SpanId& parent, std::string_view service, std::string_view name,
                   pdata::SpanKind kind, pdata::SpanStatus::Code status, uint64_t start,
                   uint64_t end, const spanstore::GenAiFields& genai) {
  StringField(out, "trace_id", trace_id.ToHex());
  StringField(out, "span_id", span_id.ToHex());
  if (!parent.empty()) StringField(out, "parent_span_id", parent.ToHex());
  StringField(out, "service", service);
  StringField(out, "name", name);
  StringField(out, "kind", KindName(kind));
  StringField(out, "status", StatusName(status));
  TimeFields(out, "start_time", start);
  TimeFields(out, "end_time", end);
  NumberField(out, "duration_nanos", end > start ? end - start : 0);
  GenAiField(out, genai);
}

void DroppedField(std::string& out, std::string_view key, uint32_t count) {
  if (count > 0) NumberField(out, key, count);
}

void ResourceAndScope(std::string& out, const pdata::Resource& resource,
                      std::string_view resource_schema_url,
                      const pdata::InstrumentationScope& scope, std::string_view scope_schema_url) {
  Key(out, "resource");
  out += '{';
  Key(out, "attributes");
  AppendAttributes(out, resource.attributes);
  out += ',';
  DroppedField(out, "dropped_attributes_count", resource.dropped_attributes_count);
  if (!resource_schema_url.empty()) StringField(out, "schema_url", resource_schema_url);
  EndObject(out);
  out += ',';
  Key(out, "scope");
  out += '{';
  StringField(out, "name", scope.name);
  if (!scope.version.empty()) StringField(out, "version", scope.version);
  if (!scope.attributes.empty()) {
    Key(out, "attributes");
    AppendAttributes(out, scope.attributes);
    out += ',';
  }
  DroppedField(out, "dropped_attributes_count", scope.dropped_attributes_count);
  if (!scope_schema_url.empty()) StringField(out, "schema_url", scope_schema_url);
  EndObject(out);
  out += ',';
}

std::string ServiceOf(const pdata::Resource& resource) {
  const pdata::AnyValue* v = pdata::FindAttribute(resource.attributes, "service.name");
  if (v == nullptr) return {};
  return v->type() == pdata::AnyValue::Type::kString ? v->string_value()
                                                     : pdata::AnyValueToString(*v);
}

void AppendStoredSpan(std::string& out, const spanstore::StoredSpan& stored) {
  const pdata::Span& s = stored.span;
  out += '{';
  SummaryFields(out, s.trace_id, s.span_id, s.parent_span_id, ServiceOf(stored.resource), s.name,
                s.kind, s.status.code, s.start_time_unix_nano, s.end_time_unix_nano, stored.genai);
  if (!s.status.message.empty()) StringField(out, "status_message", s.status.message);
  if (!s.trace_state.empty()) StringField(out, "trace_state", s.trace_state);
  if (s.flags != 0) NumberField(out, "flags", s.flags);
  Key(out, "attributes");
  AppendAttributes(out, s.attributes);
  out += ',';
  DroppedField(out, "dropped_attributes_count", s.dropped_attributes_count);
  Key(out, "events");
  out += '[';
  for (const pdata::SpanEvent& e : s.events) {
    out += '{';
    StringField(out, "name", e.name);
    TimeFields(out, "time", e.time_unix_nano);
    Key(out, "attributes");
    AppendAttributes(out, e.attributes);
    out += ',';
    DroppedField(out, "dropped_attributes_count", e.dropped_attributes_count);
    EndObject(out);
    out += ',';
  }
  EndArray(out);
  out += ',';
  DroppedField(out, "dropped_events_count", s.dropped_events_count);
  Key(out, "links");
  out += '[';
  for (const pdata::SpanLink& l : s.links) {
    out += '{';
    StringField(out, "trace_id", l.trace_id.ToHex());
    StringField(out, "span_id", l.span_id.ToHex());
    if (!l.trace_state.empty()) StringField(out, "trace_state", l.trace_state);
    if (l.flags != 0) NumberField(out, "flags", l.flags);
    Key(out, "attributes");
    AppendAttributes(out, l.attributes);
    out += ',';
    DroppedField(out, "dropped_attributes_count", l.dropped_attributes_count);
    EndObject(out);
    out += ',';
  }
  EndArray(out);
  out += ',';
  DroppedField(out, "dropped_links_count", s.dropped_links_count);
  ResourceAndScope(out, stored.resource, stored.resource_schema_url, stored.scope,
                   stored.scope_schema_url);
  EndObject(out);
}

void AppendStoredLog(std::string& out, const spanstore::StoredLog& stored) {
  const pdata::LogRecord& r = stored.record;
  out += '{';
  TimeFields(out, "time", r.time_unix_nano);
  TimeFields(out, "observed_time", r.observed_time_unix_nano);
  if (!r.trace_id.empty()) StringField(out, "trace_id", r.trace_id.ToHex());
  if (!r.span_id.empty()) StringField(out, "span_id", r.span_id.ToHex());
  StringField(out, "service", ServiceOf(stored.resource));
  if (!r.event_name.empty()) StringField(out, "event_name", r.event_name);
  NumberField(out, "severity_number", static_cast<uint32_t>(r.severity_number));
  if (!r.severity_text.empty()) StringField(out, "severity_text", r.severity_text);
  Key(out, "body");
  AppendValue(out, r.body);
  out += ',';
  Key(out, "attributes");
  AppendAttributes(out, r.attributes);
  out += ',';
  DroppedField(out, "dropped_attributes_count", r.dropped_attributes_count);
  if (r.flags != 0) NumberField(out, "flags", r.flags);
  ResourceAndScope(out, stored.resource, stored.resource_schema_url, stored.scope,
                   stored.scope_schema_url);
  EndObject(out);
}

std::string StringListJson(std::string_view key, const std::vector<std::string>& items) {
  std::string out = "{";
  Key(out, key);
  out += '[';
  for (const std::string& s : items) {
    AppendJsonString(out, s);
    out += ',';
  }
  EndArray(out);
  out += '}';
  return out;
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

Status ParseSpanSearchParams(const net::QueryParams& params, SpanQuery* query) {
  *query = SpanQuery{};
  query->limit = kDefaultSpanLimit;
  const auto& names = SpanSearchParamNames();
  // Unknown names first: a typo must not silently widen the search.
  for (const net::QueryParam& p : params.all()) {
    if (StartsWith(p.name, kAttrPrefix)) {
      if (p.name.size() == kAttrPrefix.size()) {
        return ParamError(p.name, "an attribute filter needs a key: attr.<key>=<value>");
      }
      query->attributes.emplace_back(p.name.substr(kAttrPrefix.size()), p.value);
      continue;
    }
    if (std::find(names.begin(), names.end(), p.name) != names.end()) continue;
    std::string msg = "unknown parameter \"" + Shown(p.name) + "\"";
    if (auto close = ClosestMatch(p.name, names)) msg += " (did you mean \"" + *close + "\"?)";
    return InvalidArgument(msg);
  }
  // Each single-valued parameter: absent, or given once with a non-empty value.
  auto get = [&](std::string_view name) -> Result<std::optional<std::string>> {
    auto v = params.Single(name);
    if (!v.ok()) return v.status();
    if (v->has_value() && (*v)->empty()) return ParamError(name, "empty value");
    return v;
  };
  auto time = [&](std::string_view name, uint64_t* out) -> Status {
    ASSIGN_OR_RETURN(std::optional<std::string> v, get(name));
    if (!v) return Status::Ok();
    auto t = ParseTimeParam(*v);
    if (!t.ok()) return ParamError(name, t.status().message());
    *out = static_cast<uint64_t>(*t);
    return Status::Ok();
  };
  RETURN_IF_ERROR(time("start", &query->start_unix_nano));
  RETURN_IF_ERROR(time("end", &query->end_unix_nano));
  if (query->start_unix_nano >= query->end_unix_nano) {
    return ParamError("end", "must be after start");
  }
  auto text = [&](std::string_view name, std::string* out) -> Status {
    ASSIGN_OR_RETURN(std::optional<std::string> v, get(name));
    if (v) *out = std::move(*v);
    return Status::Ok();
  };
  RETURN_IF_ERROR(text("service", &query->service));
  RETURN_IF_ERROR(text("span_name", &query->span_name));
  RETURN_IF_ERROR(text("model", &query->model));
  RETURN_IF_ERROR(text("provider", &query->provider));
  RETURN_IF_ERROR(text("operation", &query->operation));
  RETURN_IF_ERROR(text("finish_reason", &query->finish_reason));
  RETURN_IF_ERROR(text("cursor", &query->cursor));

  ASSIGN_OR_RETURN(std::optional<std::string> status, get("status"));
  if (status) {
    const std::string s = AsciiLower(*status);
    if (s == "ok") {
      query->status = pdata::SpanStatus::Code::kOk;
    } else if (s == "error") {
      query->status = pdata::SpanStatus::Code::kError;
    } else if (s == "unset") {
      query->status = pdata::SpanStatus::Code::kUnset;
    } else {
      return ParamError("status", "expected ok, error or unset, got \"" + Shown(*status) + "\"");
    }
  }
  for (std::string_view name : {"min_duration", "max_duration"}) {
    ASSIGN_OR_RETURN(std::optional<std::string> v, get(name));
    if (!v) continue;
    ASSIGN_OR_RETURN(uint64_t d, ParseDurationParam(name, *v));
    (name == "min_duration" ? query->min_duration_nanos : query->max_duration_nanos) = d;
  }
  if (query->min_duration_nanos && query->max_duration_nanos &&
      *query->min_duration_nanos > *query->max_duration_nanos) {
    return ParamError("max_duration", "is less than min_duration");
  }
  for (std::string_view name : {"min_input_tokens", "min_output_tokens"}) {
    ASSIGN_OR_RETURN(std::optional<std::string> v, get(name));
    if (!v) continue;
    ASSIGN_OR_RETURN(int64_t n, ParseCount(name, *v));
    (name == "min_input_tokens" ? query->min_input_tokens : query->min_output_tokens) = n;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cost, get("min_cost"));
  if (cost) {
    double c = 0;
    auto [p, ec] = std::from_chars(cost->data(), cost->data() + cost->size(), c);
    if (ec != std::errc() || p != cost->data() + cost->size() || !std::isfinite(c) || c < 0) {
      return ParamError("min_cost", "expected a non-negative number, got \"" + Shown(*cost) + "\"");
    }
    query->min_cost = c;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> limit, get("limit"));
  if (limit) {
    ASSIGN_OR_RETURN(int64_t n, ParseCount("limit", *limit));
    if (n < 1 || n > static_cast<int64_t>(kMaxSpanLimit)) {
      return ParamError(
          "limit", "must be in 1.." + std::to_string(kMaxSpanLimit) + ", got " + std::to_string(n));
    }
    query->limit = static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string SpanSearchJson(const spanstore::SpanSearchResult& result) {
  std::string out = "{\"spans\":[";
  out.reserve(64 + result.spans.size() * 512);
  for (const spanstore::SpanSummary& s : result.spans) {
    out += '{';
    SummaryFields(out, s.trace_id, s.span_id, s.parent_span_id, s.service, s.name, s.kind, s.status,
                  s.start_time_unix_nano, s.end_time_unix_nano, s.genai);
    EndObject(out);
    out += ',';
  }
  EndArray(out);
  out += ",\"next_cursor\":";
  if (result.next_cursor.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, result.next_cursor);
  }
  out += '}';
  return out;
}

std::string TraceJson(const pdata::TraceId& trace_id, const spanstore::TraceResult& trace) {
  std::string out = "{";
  StringField(out, "trace_id", trace_id.ToHex());
  out += "\"spans\":[";
  for (const spanstore::StoredSpan& s : trace.spans) {
    AppendStoredSpan(out, s);
    out += ',';
  }
  EndArray(out);
  out += ",\"logs\":[";
  for (const spanstore::StoredLog& l : trace.logs) {
    AppendStoredLog(out, l);
    out += ',';
  }
  EndArray(out);
  out += '}';
  return out;
}

// ---- TracesApi

TracesApi::TracesApi(spanstore::SpanStore* store, component::Telemetry* telemetry) : store_(store) {
  if (telemetry == nullptr) return;
  static constexpr std::string_view kRoutes[kRouteCount] = {"spans", "trace", "services",
                                                            "operations"};
  static constexpr std::string_view kOutcomes[kOutcomeCount] = {
      "ok", "bad_request", "not_found", "unauthorized", "forbidden", "error"};
  for (int r = 0; r < kRouteCount; ++r) {
    for (int o = 0; o < kOutcomeCount; ++o) {
      requests_[r][o] = telemetry->GetCounter(
          "astrolabe_api_traces_requests_total",
          "Requests to the traces API by route and outcome (ok, bad_request, not_found, "
          "unauthorized, forbidden, error).",
          {{"route", std::string(kRoutes[r])}, {"outcome", std::string(kOutcomes[o])}});
    }
    seconds_[r] = telemetry->GetHistogram(
        "astrolabe_api_traces_request_duration_seconds",
        "Time to answer a traces API request (authorized ones), by route.",
        {{"route", std::string(kRoutes[r])}}, {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5});
  }
}

void TracesApi::Mount(net::HttpServer& server, Authorize authorize) {
  authorize_ = std::move(authorize);
  auto route = [this](Route r) {
    return [this, r](net::ServerRequest& req, net::ServerResponse& resp) { Serve(r, req, resp); };
  };
  server.Handle("GET", "/api/v1/spans", route(kSpans));
  server.Handle("POST", "/api/v1/spans", route(kSpans));
  server.Handle("GET", "/api/v1/traces/*", route(kTrace));
  server.Handle("GET", "/api/v1/services", route(kServices));
  server.Handle("GET", "/api/v1/services/*", route(kOperations));
}

void TracesApi::Serve(Route route, net::ServerRequest& request, net::ServerResponse& response) {
  auto count = [&](Outcome o) {
    if (requests_[route][o] != nullptr) requests_[route][o]->Add();
  };
  if (authorize_ && !authorize_(request, response, component::kScopeTracesRead)) {
    count(response.status == 403 ? kForbidden : kUnauthorized);
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  if (store_ == nullptr) {
    response.Set(503, std::string(kJson),
                 ErrorJson(503,
                           "the traces API has no span store (the server runs no store "
                           "extension)"));
    count(kError);
    return;
  }
  switch (route) {
    case kSpans:
      Search(request, response);
      break;
    case kTrace:
      GetTrace(request, response);
      break;
    case kServices:
      Services(request, response);
      break;
    case kOperations:
      Operations(request, response);
      break;
    default:
      break;
  }
  if (seconds_[route] != nullptr) {
    seconds_[route]->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (response.status < 300) {
    count(kOk);
  } else if (response.status == 400) {
    count(kBadRequest);
  } else if (response.status == 404) {
    count(kNotFound);
  } else {
    count(kError);
  }
}

namespace {

void Fail(net::ServerResponse& response, const Status& s) {
  const int code = HttpStatusOf(s);
  response.Set(code, std::string(kJson), ErrorJson(code, s.message()));
}

// The request's parameters: the query, and a form body on POST.
Result<net::QueryParams> RequestParams(net::ServerRequest& request) {
  std::optional<std::string_view> body;
  if (request.method() == "POST") {
    const std::string_view type = request.header("Content-Type").value_or("");
    if (!StartsWith(AsciiLower(type), "application/x-www-form-urlencoded")) {
      return InvalidArgument("POST needs Content-Type: application/x-www-form-urlencoded");
    }
    body = request.body();
  }
  return net::QueryParams::Parse(request.query(), body);
}

}  // namespace

void TracesApi::Search(net::ServerRequest& request, net::ServerResponse& response) {
  auto params = RequestParams(request);
  if (!params.ok()) return Fail(response, params.status());
  SpanQuery query;
  if (Status s = ParseSpanSearchParams(*params, &query); !s.ok()) return Fail(response, s);
  auto result = store_->Search(query);
  if (!result.ok()) {
    // The store's InvalidArgument is the cursor's (the limit is checked above).
    if (result.status().code() == StatusCode::kInvalidArgument) {
      return Fail(response, ParamError("cursor", result.status().message()));
    }
    return Fail(response, result.status().Annotate("span search"));
  }
  response.Set(200, std::string(kJson), SpanSearchJson(*result));
}

void TracesApi::GetTrace(net::ServerRequest& request, net::ServerResponse& response) {
  constexpr std::string_view kPrefix = "/api/v1/traces/";
  const std::string_view hex = request.path().substr(kPrefix.size());
  pdata::TraceId id;
  if (!pdata::TraceId::FromHex(hex, &id)) {
    return Fail(response, InvalidArgument("trace id \"" + Shown(hex) + "\" is not 32 hex digits"));
  }
  if (id.empty()) return Fail(response, InvalidArgument("trace id is all zeros (invalid)"));
  if (!request.query().empty()) {
    return Fail(response, InvalidArgument("/api/v1/traces/<id> takes no parameters"));
  }
  auto trace = store_->GetTrace(id);
  if (!trace.ok()) return Fail(response, trace.status().Annotate("reading trace " + id.ToHex()));
  if (trace->spans.empty() && trace->logs.empty()) {
    return Fail(response, NotFound("no trace " + id.ToHex()));
  }
  response.Set(200, std::string(kJson), TraceJson(id, *trace));
}

namespace {

// start/end of the services routes (absent: everything stored).
Status RangeParams(const net::QueryParams& params, uint64_t* start, uint64_t* end) {
  for (const net::QueryParam& p : params.all()) {
    if (p.name != "start" && p.name != "end") {
      return InvalidArgument("unknown parameter \"" + Shown(p.name) + "\" (expected start, end)");
    }
  }
  for (std::string_view name : {"start", "end"}) {
    ASSIGN_OR_RETURN(std::optional<std::string> v, params.Single(name));
    if (!v) continue;
    auto t = ParseTimeParam(*v);
    if (!t.ok()) return ParamError(name, t.status().message());
    (name == "start" ? *start : *end) = static_cast<uint64_t>(*t);
  }
  if (*start >= *end) return ParamError("end", "must be after start");
  return Status::Ok();
}

}  // namespace

void TracesApi::Services(net::ServerRequest& request, net::ServerResponse& response) {
  auto params = RequestParams(request);
  if (!params.ok()) return Fail(response, params.status());
  uint64_t start = 0, end = UINT64_MAX;
  if (Status s = RangeParams(*params, &start, &end); !s.ok()) return Fail(response, s);
  response.Set(200, std::string(kJson), StringListJson("services", store_->Services(start, end)));
}

void TracesApi::Operations(net::ServerRequest& request, net::ServerResponse& response) {
  constexpr std::string_view kPrefix = "/api/v1/services/";
  constexpr std::string_view kSuffix = "/operations";
  std::string_view rest = request.path().substr(kPrefix.size());
  if (!EndsWith(rest, kSuffix) || rest.size() == kSuffix.size()) {
    return Fail(response, NotFound("no route " + Shown(request.path()) +
                                   " (expected /api/v1/services/<service>/operations)"));
  }
  auto service = net::PercentDecode(rest.substr(0, rest.size() - kSuffix.size()),
                                    /*plus_is_space=*/false);
  if (!service.ok()) return Fail(response, service.status().Annotate("service name"));
  auto params = RequestParams(request);
  if (!params.ok()) return Fail(response, params.status());
  uint64_t start = 0, end = UINT64_MAX;
  if (Status s = RangeParams(*params, &start, &end); !s.ok()) return Fail(response, s);
  response.Set(200, std::string(kJson),
               StringListJson("operations", store_->SpanNames(*service, start, end)));
}

}  // namespace astrolabe::api
