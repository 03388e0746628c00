// Decoding of OTLP/JSON into pdata (see otlp_json.h for the contract and docs/design/wire.md
// for the mapping).
//
// simdjson parses and validates the whole document into its tape (one pass, UTF-8 checked,
// strings unescaped); one Decoder then walks the tape recursively, writing every field
// straight into the pdata object that owns it. As in the protobuf decoder, the path of the
// message being decoded is a stack of (name, index) pairs that is formatted only when an
// error needs it, and every decoding function returns false after recording the error.

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/base64.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_json.h"

#define TRY(expr)              \
  do {                         \
    if (!(expr)) return false; \
  } while (0)

namespace astrolabe::wire {
namespace {

namespace dom = simdjson::dom;
using pdata::AnyValue;
using std::string_view;

// A key as written on encode (lowerCamelCase) and the proto field name (snake_case); both
// are accepted. Where the two are equal, both members hold the same text.
struct FieldName {
  string_view camel;
  string_view snake;
  bool Matches(string_view key) const { return key == camel || key == snake; }
};

constexpr FieldName F(string_view camel, string_view snake) { return {camel, snake}; }
constexpr FieldName F(string_view same) { return {same, same}; }

struct PathElem {
  string_view name;
  int64_t index;  // -1 for a non-repeated field
};

// The enum value names protojson writes, by number.
constexpr string_view kTemporalityNames[] = {"AGGREGATION_TEMPORALITY_UNSPECIFIED",
                                             "AGGREGATION_TEMPORALITY_DELTA",
                                             "AGGREGATION_TEMPORALITY_CUMULATIVE"};
constexpr string_view kSpanKindNames[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                          "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                          "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr string_view kStatusCodeNames[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                            "STATUS_CODE_ERROR"};
constexpr string_view kSeverityNames[] = {
    "SEVERITY_NUMBER_UNSPECIFIED", "SEVERITY_NUMBER_TRACE",  "SEVERITY_NUMBER_TRACE2",
    "SEVERITY_NUMBER_TRACE3",      "SEVERITY_NUMBER_TRACE4", "SEVERITY_NUMBER_DEBUG",
    "SEVERITY_NUMBER_DEBUG2",      "SEVERITY_NUMBER_DEBUG3", "SEVERITY_NUMBER_DEBUG4",
    "SEVERITY_NUMBER_INFO",        "SEVERITY_NUMBER_INFO2",  "SEVERITY_NUMBER_INFO3",
    "SEVERITY_NUMBER_INFO4",       "SEVERITY_NUMBER_WARN",   "SEVERITY_NUMBER_WARN2",
    "SEVERITY_NUMBER_WARN3",       "SEVERITY_NUMBER_WARN4",  "SEVERITY_NUMBER_ERROR",
    "SEVERITY_NUMBER_ERROR2",      "SEVERITY_NUMBER_ERROR3", "SEVERITY_NUMBER_ERROR4",
    "SEVERITY_NUMBER_FATAL",       "SEVERITY_NUMBER_FATAL2", "SEVERITY_NUMBER_FATAL3",
    "SEVERITY_NUMBER_FATAL4"};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Base64, standard or URL-safe alphabet, with or without '=' padding (protojson accepts all
// four). Returns false on any other character or an impossible length.
bool DecodeBase64(string_view in, std::string* out) {
  return Base64Decode(in, out, {.url_safe = true});
}

class Decoder {
 public:
  explicit Decoder(const DecodeOptions& options) : options_(options) {}

  Status TakeError() { return std::move(error_); }

  bool MetricsRequest(dom::object obj, pdata::Metrics* out);
  bool TracesRequest(dom::object obj, pdata::Traces* out);
  bool LogsRequest(dom::object obj, pdata::Logs* out);
  bool Response(dom::object obj, ExportResponse* out);
  bool RpcStatusMsg(dom::object obj, RpcStatus* out);

 private:
  // ---- errors

  // Records "<path>.<field>[index]: what" and returns false.
  bool Fail(string_view field, int64_t index, string_view what) {
    std::string msg;
    for (const PathElem& e : path_) {
      if (!msg.empty()) msg += '.';
      msg += e.name;
      if (e.index >= 0) msg += "[" + std::to_string(e.index) + "]";
    }
    if (!field.empty()) {
      if (!msg.empty()) msg += '.';
      msg += field;
      if (index >= 0) msg += "[" + std::to_string(index) + "]";
    }
    if (msg.empty()) msg = "(top level)";
    msg += ": ";
    msg += what;
    error_ = InvalidArgument(std::move(msg));
    return false;
  }

  // ---- scalars. Each reads `v` (the value of key `field`, element `index` of an array or
  // -1) into *out or fails naming the field.

  bool String(dom::element v, string_view field, std::string* out) {
    string_view s;
    if (v.get(s) != simdjson::SUCCESS) return Fail(field, -1, "expected a string");
    out->assign(s);
    return true;
  }

  bool Bool(dom::element v, string_view field, bool* out) {
    if (v.get(*out) != simdjson::SUCCESS) return Fail(field, -1, "expected a boolean");
    return true;
  }

  // Any integer that fits int64 or uint64, as a number (an integral double too, as protojson
  // accepts 1.0 and 1e3) or a decimal string. *neg says whether it is negative; *mag is its
  // magnitude for negatives, its value otherwise.
  bool Integer(dom::element v, string_view field, int64_t index, bool* neg, uint64_t* mag) {
    switch (v.type()) {
      case dom::element_type::INT64: {
        int64_t i = v.get_int64().value_unsafe();
        *neg = i < 0;
        *mag = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
        return true;
      }
      case dom::element_type::UINT64:
        *neg = false;
        *mag = v.get_uint64().value_unsafe();
        return true;
      case dom::element_type::DOUBLE: {
        double d = v.get_double().value_unsafe();
        if (d != std::trunc(d) || !(std::fabs(d) < 18446744073709551616.0)) {
          return Fail(field, index, "expected an integer");
        }
        *neg = d < 0;
        *mag = static_cast<uint64_t>(std::fabs(d));
        return true;
      }
      case dom::element_type::STRING: {
        string_view s = v.get_string().value_unsafe();
        *neg = !s.empty() && s[0] == '-';
        if (*neg) s.remove_prefix(1);
        if (s.empty() || s[0] < '0' || s[0] > '9') {
          return Fail(field, index, "expected an integer");
        }
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *mag);
        if (ec == std::errc::result_out_of_range) return Fail(field, index, "integer out of range");
        if (ec != std::errc() || end != s.data() + s.size()) {
          return Fail(field, index, "expected an integer");
        }
        return true;
      }
      default:
        return Fail(field, index, "expected an integer");
    }
  }

  bool U64(dom::element v, string_view field, int64_t index, uint64_t* out) {
    bool neg;
    uint64_t mag;
    TRY(Integer(v, field, index, &neg, &mag));
    if (neg && mag != 0) return Fail(field, index, "integer out of range for uint64");
    *out = mag;
    return true;
  }
  bool U64(dom::element v, string_view field, uint64_t* out) { return U64(v, field, -1, out); }

  bool I64(dom::element v, string_view field, int64_t* out) {
    bool neg;
    uint64_t mag;
    TRY(Integer(v, field, -1, &neg, &mag));
    if (neg ? mag > uint64_t{1} << 63 : mag > uint64_t{INT64_MAX}) {
      return Fail(field, -1, "integer out of range for int64");
    }
    *out = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
    return true;
  }

  bool U32(dom::element v, string_view field, uint32_t* out) {
    uint64_t u;
    TRY(U64(v, field, &u));
    if (u > UINT32_MAX) return Fail(field, -1, "integer out of range for uint32");
    *out = static_cast<uint32_t>(u);
    return true;
  }

  bool I32(dom::element v, string_view field, int32_t* out) {
    int64_t i;
    TRY(I64(v, field, &i));
    if (i < INT32_MIN || i > INT32_MAX) return Fail(field, -1, "integer out of range for int32");
    *out = static_cast<int32_t>(i);
    return true;
  }

  // An integer, or one of `names` (the value names by number).
  template <typename E, size_t N>
  bool Enum(dom::element v, string_view field, const string_view (&names)[N], E* out) {
    if (v.type() == dom::element_type::STRING) {
      string_view s = v.get_string().value_unsafe();
      for (size_t i = 0; i < N; ++i) {
        if (s == names[i]) {
          *out = static_cast<E>(i);
          return true;
        }
      }
      // A decimal string is an integer like any other.
      if (s.empty() || (s[0] != '-' && (s[0] < '0' || s[0] > '9'))) {
        return Fail(field, -1, "unknown enum value \"" + std::string(s.substr(0, 64)) + "\"");
      }
    }
    int32_t i;
    TRY(I32(v, field, &i));
    *out = static_cast<E>(i);  // open enums: unknown numbers are kept
    return true;
  }

  bool Double(dom::element v, string_view field, int64_t index, double* out) {
    switch (v.type()) {
      case dom::element_type::DOUBLE:
        *out = v.get_double().value_unsafe();
        return true;
      case dom::element_type::INT64:
        *out = static_cast<double>(v.get_int64().value_unsafe());
        return true;
      case dom::element_type::UINT64:
        *out = static_cast<double>(v.get_uint64().value_unsafe());
        return true;
      case dom::element_type::STRING: {
        string_view s = v.get_string().value_unsafe();
        if (s == "NaN") {
          *out = std::numeric_limits<double>::quiet_NaN();
        } else if (s == "Infinity") {
          *out = std::numeric_limits<double>::infinity();
        } else if (s == "-Infinity") {
          *out = -std::numeric_limits<double>::infinity();
        } else {
          // protojson also accepts a number in quotes. from_chars would take "inf" and "nan"
          // too, which JSON does not spell that way.
          if (s.empty() || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
            return Fail(field, index, "expected a number");
          }
          auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
          if (ec != std::errc() || end != s.data() + s.size()) {
            return Fail(field, index, "expected a number");
          }
        }
        return true;
      }
      default:
        return Fail(field, index, "expected a number");
    }
  }
  bool Double(dom::element v, string_view field, double* out) { return Double(v, field, -1, out); }
  bool OptDouble(dom::element v, string_view field, std::optional<double>* out) {
    double d;
    TRY(Double(v, field, &d));
    *out = d;
    return true;
  }

  template <size_t N>
  bool Id(dom::element v, string_view field, std::array<uint8_t, N>* id) {
    string_view s;
    if (v.get(s) != simdjson::SUCCESS) return Fail(field, -1, "expected a hex string");
    if (s.empty()) {
      id->fill(0);
      return true;
    }
    if (s.size() != 2 * N) {
      return Fail(field, -1,
                  "expected " + std::to_string(2 * N) + " hex digits, got " +
                      std::to_string(s.size()) + " characters");
    }
    std::array<uint8_t, N> bytes;
    for (size_t i = 0; i < N; ++i) {
      int hi = HexDigit(s[2 * i]);
      int lo = HexDigit(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return Fail(field, -1, "invalid hex digit");
      bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    *id = bytes;
    return true;
  }

  // ---- messages and arrays

  // Decodes the object `v` (the value of `field`, element `index` or -1) with body(object),
  // one message level deeper.
  template <typename Body>
  bool Message(dom::element v, string_view field, int64_t index, Body&& body) {
    dom::object obj;
    if (v.get(obj) != simdjson::SUCCESS) return Fail(field, index, "expected an object");
    if (depth_ >= options_.max_depth) {
      return Fail(field, index,
                  "messages nested deeper than " + std::to_string(options_.max_depth));
    }
    path_.push_back({field, index});
    ++depth_;
    bool ok = body(obj);
    --depth_;
    path_.pop_back();
    return ok;
  }

  // Appends one element to *out per element of the array `v`, decoding each with
  // elem(element, T*, index).
  template <typename T, typename Elem>
  bool Array(dom::element v, string_view field, std::vector<T>* out, Elem&& elem) {
    dom::array arr;
    if (v.get(arr) != simdjson::SUCCESS) return Fail(field, -1, "expected an array");
    out->reserve(out->size() + arr.size());
    for (dom::element e : arr) {
      auto index = static_cast<int64_t>(out->size());
      out->emplace_back();
      TRY(elem(e, &out->back(), index));
    }
    return true;
  }

  // An array of messages, each decoded by fn(object, T*).
  template <typename T, typename Fn>
  bool Messages(dom::element v, string_view field, std::vector<T>* out, Fn&& fn) {
    return Array(v, field, out, [&](dom::element e, T* t, int64_t index) {
      return Message(e, field, index, [&](dom::object o) { return fn(o, t); });
    });
  }

  // Calls on_field(key, value) for every member whose value is not null (protojson reads a
  // null as the field's default).
  template <typename OnField>
  bool Fields(dom::object obj, OnField&& on_field) {
    for (dom::key_value_pair kv : obj) {
      if (kv.value.is_null()) continue;
      TRY(on_field(kv.key, kv.value));
    }
    return true;
  }

  // ---- common/v1, resource/v1
  bool AnyValueMsg(dom::object obj, AnyValue* out);
  bool KeyValueMsg(dom::object obj, pdata::KeyValue* out);
  bool Attributes(dom::element v, string_view field, pdata::Attributes* out) {
    return Messages(v, field, out,
                    [&](dom::object o, pdata::KeyValue* kv) { return KeyValueMsg(o, kv); });
  }
  bool ResourceMsg(dom::object obj, pdata::Resource* out);
  bool ScopeMsg(dom::object obj, pdata::InstrumentationScope* out);

  // ---- metrics/v1
  bool MetricMsg(dom::object obj, pdata::Metric* out);
  bool NumberPoint(dom::object obj, pdata::NumberDataPoint* out);
  bool HistogramPoint(dom::object obj, pdata::HistogramDataPoint* out);
  bool ExpHistogramPoint(dom::object obj, pdata::ExponentialHistogramDataPoint* out);
  bool SummaryPoint(dom::object obj, pdata::SummaryDataPoint* out);
  bool ExemplarMsg(dom::object obj, pdata::Exemplar* out);
  bool Exemplars(dom::element v, string_view field, std::vector<pdata::Exemplar>* out) {
    return Messages(v, field, out,
                    [&](dom::object o, pdata::Exemplar* e) { return ExemplarMsg(o, e); });
  }
  bool U64Array(dom::element v, string_view field, std::vector<uint64_t>* out) {
    return Array(v, field, out,
                 [&](dom::element e, uint64_t* x, int64_t i) { return U64(e, field, i, x); });
  }
  bool DoubleArray(dom::element v, string_view field, std::vector<double>* out) {
    return Array(v, field, out,
                 [&](dom::element e, double* x, int64_t i) { return Double(e, field, i, x); });
  }

  // ---- trace/v1, logs/v1
  bool SpanMsg(dom::object obj, pdata::Span* out);
  bool LogRecordMsg(dom::object obj, pdata::LogRecord* out);

  // The envelope the three requests share: resource → scopes → items.
  template <typename R, typename S, typename I, typename ItemFn>
  bool Envelope(dom::object obj, FieldName resources_key, std::vector<R>* resources,
                FieldName scopes_key, std::vector<S> R::*scopes, FieldName items_key,
                std::vector<I> S::*items, ItemFn&& item_fn);

  const DecodeOptions& options_;
  std::vector<PathElem> path_;
  int depth_ = 1;  // the request itself
  Status error_;
};

// ---- common/v1, resource/v1

bool Decoder::AnyValueMsg(dom::object obj, AnyValue* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "stringValue" || key == "string_value") {
      std::string s;
      TRY(String(v, "stringValue", &s));
      *out = AnyValue(std::move(s));
    } else if (key == "boolValue" || key == "bool_value") {
      bool b;
      TRY(Bool(v, "boolValue", &b));
      *out = AnyValue(b);
    } else if (key == "intValue" || key == "int_value") {
      int64_t i;
      TRY(I64(v, "intValue", &i));
      *out = AnyValue(i);
    } else if (key == "doubleValue" || key == "double_value") {
      double d;
      TRY(Double(v, "doubleValue", &d));
      *out = AnyValue(d);
    } else if (key == "arrayValue" || key == "array_value") {
      if (out->type() != AnyValue::Type::kArray) *out = AnyValue(pdata::ArrayValue{});
      return Message(v, "arrayValue", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element vv) {
          if (k != "values") return true;
          return Messages(vv, "values", &out->array_value(),
                          [&](dom::object e, AnyValue* a) { return AnyValueMsg(e, a); });
        });
      });
    } else if (key == "kvlistValue" || key == "kvlist_value") {
      if (out->type() != AnyValue::Type::kKvList) *out = AnyValue(pdata::KeyValueList{});
      return Message(v, "kvlistValue", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element vv) {
          if (k != "values") return true;
          return Attributes(vv, "values", &out->kvlist_value());
        });
      });
    } else if (key == "bytesValue" || key == "bytes_value") {
      string_view s;
      if (v.get(s) != simdjson::SUCCESS) return Fail("bytesValue", -1, "expected a string");
      pdata::Bytes b;
      if (!DecodeBase64(s, &b.data)) return Fail("bytesValue", -1, "invalid base64");
      *out = AnyValue(std::move(b));
    }
    return true;
  });
}

bool Decoder::KeyValueMsg(dom::object obj, pdata::KeyValue* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "key") return String(v, "key", &out->key);
    if (key == "value") {
      return Message(v, "value", -1, [&](dom::object o) { return AnyValueMsg(o, &out->value); });
    }
    return true;
  });
}

bool Decoder::ResourceMsg(dom::object obj, pdata::Resource* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (F("droppedAttributesCount", "dropped_attributes_count").Matches(key)) {
      return U32(v, "droppedAttributesCount", &out->dropped_attributes_count);
    }
    return true;  // entityRefs and anything newer: not modelled by pdata
  });
}

bool Decoder::ScopeMsg(dom::object obj, pdata::InstrumentationScope* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "name") return String(v, "name", &out->name);
    if (key == "version") return String(v, "version", &out->version);
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (F("droppedAttributesCount", "dropped_attributes_count").Matches(key)) {
      return U32(v, "droppedAttributesCount", &out->dropped_attributes_count);
    }
    return true;
  });
}

template <typename R, typename S, typename I, typename ItemFn>
bool Decoder::Envelope(dom::object obj, FieldName resources_key, std::vector<R>* resources,
                       FieldName scopes_key, std::vector<S> R::*scopes, FieldName items_key,
                       std::vector<I> S::*items, ItemFn&& item_fn) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (!resources_key.Matches(key)) return true;
    return Messages(v, resources_key.camel, resources, [&](dom::object ro, R* r) {
      return Fields(ro, [&](string_view k, dom::element rv) {
        if (k == "resource") {
          return Message(rv, "resource", -1,
                         [&](dom::object o) { return ResourceMsg(o, &r->resource); });
        }
        if (F("schemaUrl", "schema_url").Matches(k)) return String(rv, "schemaUrl", &r->schema_url);
        if (!scopes_key.Matches(k)) return true;
        return Messages(rv, scopes_key.camel, &(r->*scopes), [&](dom::object so, S* s) {
          return Fields(so, [&](string_view sk, dom::element sv) {
            if (sk == "scope") {
              return Message(sv, "scope", -1,
                             [&](dom::object o) { return ScopeMsg(o, &s->scope); });
            }
            if (F("schemaUrl", "schema_url").Matches(sk)) {
              return String(sv, "schemaUrl", &s->schema_url);
            }
            if (!items_key.Matches(sk)) return true;
            return Messages(sv, items_key.camel, &(s->*items), item_fn);
          });
        });
      });
    });
  });
}

// ---- metrics/v1

bool Decoder::ExemplarMsg(dom::object obj, pdata::Exemplar* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("asDouble", "as_double").Matches(key)) {
      double d;
      TRY(Double(v, "asDouble", &d));
      out->value = d;
    } else if (F("asInt", "as_int").Matches(key)) {
      int64_t i;
      TRY(I64(v, "asInt", &i));
      out->value = i;
    } else if (F("spanId", "span_id").Matches(key)) {
      return Id(v, "spanId", &out->span_id.bytes);
    } else if (F("traceId", "trace_id").Matches(key)) {
      return Id(v, "traceId", &out->trace_id.bytes);
    } else if (F("filteredAttributes", "filtered_attributes").Matches(key)) {
      return Attributes(v, "filteredAttributes", &out->filtered_attributes);
    }
    return true;
  });
}

bool Decoder::NumberPoint(dom::object obj, pdata::NumberDataPoint* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("startTimeUnixNano", "start_time_unix_nano").Matches(key)) {
      return U64(v, "startTimeUnixNano", &out->start_time_unix_nano);
    }
    if (F("asDouble", "as_double").Matches(key)) {
      double d;
      TRY(Double(v, "asDouble", &d));
      out->value = d;
    } else if (F("asInt", "as_int").Matches(key)) {
      int64_t i;
      TRY(I64(v, "asInt", &i));
      out->value = i;
    } else if (key == "attributes") {
      return Attributes(v, "attributes", &out->attributes);
    } else if (key == "exemplars") {
      return Exemplars(v, "exemplars", &out->exemplars);
    } else if (key == "flags") {
      return U32(v, "flags", &out->flags);
    }
    return true;
  });
}

bool Decoder::HistogramPoint(dom::object obj, pdata::HistogramDataPoint* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("startTimeUnixNano", "start_time_unix_nano").Matches(key)) {
      return U64(v, "startTimeUnixNano", &out->start_time_unix_nano);
    }
    if (key == "count") return U64(v, "count", &out->count);
    if (key == "sum") return OptDouble(v, "sum", &out->sum);
    if (F("bucketCounts", "bucket_counts").Matches(key)) {
      return U64Array(v, "bucketCounts", &out->bucket_counts);
    }
    if (F("explicitBounds", "explicit_bounds").Matches(key)) {
      return DoubleArray(v, "explicitBounds", &out->explicit_bounds);
    }
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (key == "exemplars") return Exemplars(v, "exemplars", &out->exemplars);
    if (key == "flags") return U32(v, "flags", &out->flags);
    if (key == "min") return OptDouble(v, "min", &out->min);
    if (key == "max") return OptDouble(v, "max", &out->max);
    return true;
  });
}

bool Decoder::ExpHistogramPoint(dom::object obj, pdata::ExponentialHistogramDataPoint* out) {
  auto buckets = [&](dom::element v, string_view field,
                     pdata::ExponentialHistogramDataPoint::Buckets* b) {
    return Message(v, field, -1, [&](dom::object o) {
      return Fields(o, [&](string_view key, dom::element bv) {
        if (key == "offset") return I32(bv, "offset", &b->offset);
        if (F("bucketCounts", "bucket_counts").Matches(key)) {
          return U64Array(bv, "bucketCounts", &b->bucket_counts);
        }
        return true;
      });
    });
  };
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("startTimeUnixNano", "start_time_unix_nano").Matches(key)) {
      return U64(v, "startTimeUnixNano", &out->start_time_unix_nano);
    }
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (key == "count") return U64(v, "count", &out->count);
    if (key == "sum") return OptDouble(v, "sum", &out->sum);
    if (key == "scale") return I32(v, "scale", &out->scale);
    if (F("zeroCount", "zero_count").Matches(key)) return U64(v, "zeroCount", &out->zero_count);
    if (key == "positive") return buckets(v, "positive", &out->positive);
    if (key == "negative") return buckets(v, "negative", &out->negative);
    if (key == "flags") return U32(v, "flags", &out->flags);
    if (key == "exemplars") return Exemplars(v, "exemplars", &out->exemplars);
    if (key == "min") return OptDouble(v, "min", &out->min);
    if (key == "max") return OptDouble(v, "max", &out->max);
    if (F("zeroThreshold", "zero_threshold").Matches(key)) {
      return Double(v, "zeroThreshold", &out->zero_threshold);
    }
    return true;
  });
}

bool Decoder::SummaryPoint(dom::object obj, pdata::SummaryDataPoint* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("startTimeUnixNano", "start_time_unix_nano").Matches(key)) {
      return U64(v, "startTimeUnixNano", &out->start_time_unix_nano);
    }
    if (key == "count") return U64(v, "count", &out->count);
    if (key == "sum") return Double(v, "sum", &out->sum);
    if (F("quantileValues", "quantile_values").Matches(key)) {
      return Messages(v, "quantileValues", &out->quantile_values,
                      [&](dom::object o, pdata::SummaryDataPoint::ValueAtQuantile* q) {
                        return Fields(o, [&](string_view k, dom::element qv) {
                          if (k == "quantile") return Double(qv, "quantile", &q->quantile);
                          if (k == "value") return Double(qv, "value", &q->value);
                          return true;
                        });
                      });
    }
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (key == "flags") return U32(v, "flags", &out->flags);
    return true;
  });
}

// A later data member of the oneof replaces an earlier one of another kind; the same kind
// seen twice merges, as protobuf does.
template <typename T>
T& OneofMember(pdata::Metric* m) {
  if (!std::holds_alternative<T>(m->data)) m->data.emplace<T>();
  return std::get<T>(m->data);
}

bool Decoder::MetricMsg(dom::object obj, pdata::Metric* out) {
  static constexpr FieldName kTemporality = F("aggregationTemporality", "aggregation_temporality");
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "name") return String(v, "name", &out->name);
    if (key == "description") return String(v, "description", &out->description);
    if (key == "unit") return String(v, "unit", &out->unit);
    if (key == "metadata") return Attributes(v, "metadata", &out->metadata);
    if (key == "gauge") {
      auto& g = OneofMember<pdata::Gauge>(out);
      return Message(v, "gauge", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (!F("dataPoints", "data_points").Matches(k)) return true;
          return Messages(dv, "dataPoints", &g.data_points,
                          [&](dom::object p, auto* pt) { return NumberPoint(p, pt); });
        });
      });
    }
    if (key == "sum") {
      auto& s = OneofMember<pdata::Sum>(out);
      return Message(v, "sum", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (F("dataPoints", "data_points").Matches(k)) {
            return Messages(dv, "dataPoints", &s.data_points,
                            [&](dom::object p, auto* pt) { return NumberPoint(p, pt); });
          }
          if (kTemporality.Matches(k)) {
            return Enum(dv, kTemporality.camel, kTemporalityNames, &s.aggregation_temporality);
          }
          if (F("isMonotonic", "is_monotonic").Matches(k)) {
            return Bool(dv, "isMonotonic", &s.is_monotonic);
          }
          return true;
        });
      });
    }
    if (key == "histogram") {
      auto& h = OneofMember<pdata::Histogram>(out);
      return Message(v, "histogram", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (F("dataPoints", "data_points").Matches(k)) {
            return Messages(dv, "dataPoints", &h.data_points,
                            [&](dom::object p, auto* pt) { return HistogramPoint(p, pt); });
          }
          if (kTemporality.Matches(k)) {
            return Enum(dv, kTemporality.camel, kTemporalityNames, &h.aggregation_temporality);
          }
          return true;
        });
      });
    }
    if (key == "exponentialHistogram" || key == "exponential_histogram") {
      auto& h = OneofMember<pdata::ExponentialHistogram>(out);
      return Message(v, "exponentialHistogram", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (F("dataPoints", "data_points").Matches(k)) {
            return Messages(dv, "dataPoints", &h.data_points,
                            [&](dom::object p, auto* pt) { return ExpHistogramPoint(p, pt); });
          }
          if (kTemporality.Matches(k)) {
            return Enum(dv, kTemporality.camel, kTemporalityNames, &h.aggregation_temporality);
          }
          return true;
        });
      });
    }
    if (key == "summary") {
      auto& s = OneofMember<pdata::Summary>(out);
      return Message(v, "summary", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (!F("dataPoints", "data_points").Matches(k)) return true;
          return Messages(dv, "dataPoints", &s.data_points,
                          [&](dom::object p, auto* pt) { return SummaryPoint(p, pt); });
        });
      });
    }
    return true;
  });
}

bool Decoder::MetricsRequest(dom::object obj, pdata::Metrics* out) {
  return Envelope(obj, F("resourceMetrics", "resource_metrics"), &out->resource_metrics,
                  F("scopeMetrics", "scope_metrics"), &pdata::ResourceMetrics::scope_metrics,
                  F("metrics"), &pdata::ScopeMetrics::metrics,
                  [&](dom::object o, pdata::Metric* m) { return MetricMsg(o, m); });
}

// ---- trace/v1

bool Decoder::SpanMsg(dom::object obj, pdata::Span* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("traceId", "trace_id").Matches(key)) return Id(v, "traceId", &out->trace_id.bytes);
    if (F("spanId", "span_id").Matches(key)) return Id(v, "spanId", &out->span_id.bytes);
    if (F("traceState", "trace_state").Matches(key)) {
      return String(v, "traceState", &out->trace_state);
    }
    if (F("parentSpanId", "parent_span_id").Matches(key)) {
      return Id(v, "parentSpanId", &out->parent_span_id.bytes);
    }
    if (key == "flags") return U32(v, "flags", &out->flags);
    if (key == "name") return String(v, "name", &out->name);
    if (key == "kind") return Enum(v, "kind", kSpanKindNames, &out->kind);
    if (F("startTimeUnixNano", "start_time_unix_nano").Matches(key)) {
      return U64(v, "startTimeUnixNano", &out->start_time_unix_nano);
    }
    if (F("endTimeUnixNano", "end_time_unix_nano").Matches(key)) {
      return U64(v, "endTimeUnixNano", &out->end_time_unix_nano);
    }
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (F("droppedAttributesCount", "dropped_attributes_count").Matches(key)) {
      return U32(v, "droppedAttributesCount", &out->dropped_attributes_count);
    }
    if (key == "events") {
      return Messages(v, "events", &out->events, [&](dom::object o, pdata::SpanEvent* e) {
        return Fields(o, [&](string_view k, dom::element ev) {
          if (F("timeUnixNano", "time_unix_nano").Matches(k)) {
            return U64(ev, "timeUnixNano", &e->time_unix_nano);
          }
          if (k == "name") return String(ev, "name", &e->name);
          if (k == "attributes") return Attributes(ev, "attributes", &e->attributes);
          if (F("droppedAttributesCount", "dropped_attributes_count").Matches(k)) {
            return U32(ev, "droppedAttributesCount", &e->dropped_attributes_count);
          }
          return true;
        });
      });
    }
    if (F("droppedEventsCount", "dropped_events_count").Matches(key)) {
      return U32(v, "droppedEventsCount", &out->dropped_events_count);
    }
    if (key == "links") {
      return Messages(v, "links", &out->links, [&](dom::object o, pdata::SpanLink* l) {
        return Fields(o, [&](string_view k, dom::element lv) {
          if (F("traceId", "trace_id").Matches(k)) return Id(lv, "traceId", &l->trace_id.bytes);
          if (F("spanId", "span_id").Matches(k)) return Id(lv, "spanId", &l->span_id.bytes);
          if (F("traceState", "trace_state").Matches(k)) {
            return String(lv, "traceState", &l->trace_state);
          }
          if (k == "attributes") return Attributes(lv, "attributes", &l->attributes);
          if (F("droppedAttributesCount", "dropped_attributes_count").Matches(k)) {
            return U32(lv, "droppedAttributesCount", &l->dropped_attributes_count);
          }
          if (k == "flags") return U32(lv, "flags", &l->flags);
          return true;
        });
      });
    }
    if (F("droppedLinksCount", "dropped_links_count").Matches(key)) {
      return U32(v, "droppedLinksCount", &out->dropped_links_count);
    }
    if (key == "status") {
      return Message(v, "status", -1, [&](dom::object o) {
        return Fields(o, [&](string_view k, dom::element sv) {
          if (k == "message") return String(sv, "message", &out->status.message);
          if (k == "code") return Enum(sv, "code", kStatusCodeNames, &out->status.code);
          return true;
        });
      });
    }
    return true;
  });
}

bool Decoder::TracesRequest(dom::object obj, pdata::Traces* out) {
  return Envelope(obj, F("resourceSpans", "resource_spans"), &out->resource_spans,
                  F("scopeSpans", "scope_spans"), &pdata::ResourceSpans::scope_spans, F("spans"),
                  &pdata::ScopeSpans::spans,
                  [&](dom::object o, pdata::Span* s) { return SpanMsg(o, s); });
}

// ---- logs/v1

bool Decoder::LogRecordMsg(dom::object obj, pdata::LogRecord* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (F("timeUnixNano", "time_unix_nano").Matches(key)) {
      return U64(v, "timeUnixNano", &out->time_unix_nano);
    }
    if (F("observedTimeUnixNano", "observed_time_unix_nano").Matches(key)) {
      return U64(v, "observedTimeUnixNano", &out->observed_time_unix_nano);
    }
    if (F("severityNumber", "severity_number").Matches(key)) {
      return Enum(v, "severityNumber", kSeverityNames, &out->severity_number);
    }
    if (F("severityText", "severity_text").Matches(key)) {
      return String(v, "severityText", &out->severity_text);
    }
    if (key == "body") {
      return Message(v, "body", -1, [&](dom::object o) { return AnyValueMsg(o, &out->body); });
    }
    if (key == "attributes") return Attributes(v, "attributes", &out->attributes);
    if (F("droppedAttributesCount", "dropped_attributes_count").Matches(key)) {
      return U32(v, "droppedAttributesCount", &out->dropped_attributes_count);
    }
    if (key == "flags") return U32(v, "flags", &out->flags);
    if (F("traceId", "trace_id").Matches(key)) return Id(v, "traceId", &out->trace_id.bytes);
    if (F("spanId", "span_id").Matches(key)) return Id(v, "spanId", &out->span_id.bytes);
    if (F("eventName", "event_name").Matches(key)) {
      return String(v, "eventName", &out->event_name);
    }
    return true;
  });
}

bool Decoder::LogsRequest(dom::object obj, pdata::Logs* out) {
  return Envelope(obj, F("resourceLogs", "resource_logs"), &out->resource_logs,
                  F("scopeLogs", "scope_logs"), &pdata::ResourceLogs::scope_logs,
                  F("logRecords", "log_records"), &pdata::ScopeLogs::log_records,
                  [&](dom::object o, pdata::LogRecord* r) { return LogRecordMsg(o, r); });
}

// ---- responses, google.rpc

bool Decoder::Response(dom::object obj, ExportResponse* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (!F("partialSuccess", "partial_success").Matches(key)) return true;
    if (!out->partial_success) out->partial_success.emplace();
    ExportPartialSuccess* ps = &*out->partial_success;
    return Message(v, "partialSuccess", -1, [&](dom::object o) {
      return Fields(o, [&](string_view k, dom::element pv) {
        if (F("rejectedDataPoints", "rejected_data_points").Matches(k) ||
            F("rejectedSpans", "rejected_spans").Matches(k) ||
            F("rejectedLogRecords", "rejected_log_records").Matches(k)) {
          return I64(pv, k, &ps->rejected);
        }
        if (F("errorMessage", "error_message").Matches(k)) {
          return String(pv, "errorMessage", &ps->error_message);
        }
        return true;
      });
    });
  });
}

bool Decoder::RpcStatusMsg(dom::object obj, RpcStatus* out) {
  return Fields(obj, [&](string_view key, dom::element v) {
    if (key == "code") return I32(v, "code", &out->code);
    if (key == "message") return String(v, "message", &out->message);
    if (key == "details") {
      return Messages(v, "details", &out->details, [&](dom::object o, RpcAny* any) {
        return Fields(o, [&](string_view k, dom::element dv) {
          if (k == "@type") return String(dv, "@type", &any->type_url);
          return true;
        });
      });
    }
    return true;
  });
}

// The nesting simdjson must allow: each message level costs at most two JSON levels (an
// array and an object), plus a little for scalars inside.
size_t JsonDepth(const DecodeOptions& options) {
  return 2 * static_cast<size_t>(std::max(options.max_depth, 1)) + 4;
}

constexpr size_t kKeepParserUpTo = 8u << 20;

// Parses `json` and runs decode(decoder, top-level object).
template <typename T, typename DecodeFn>
Result<T> Decode(std::string_view json, const DecodeOptions& options, DecodeFn&& decode) {
  thread_local dom::parser cached;
  std::unique_ptr<dom::parser> big;
  dom::parser* parser = &cached;
  if (json.size() > kKeepParserUpTo) {
    big = std::make_unique<dom::parser>();
    parser = big.get();
  }
  size_t depth = JsonDepth(options);
  if (parser->max_depth() != depth) {
    if (parser->allocate(std::max(parser->capacity(), json.size()), depth) != simdjson::SUCCESS) {
      return ResourceExhausted("OTLP/JSON: cannot allocate the JSON parser");
    }
  }
  dom::element root;
  if (auto err = parser->parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    if (err == simdjson::MEMALLOC) return ResourceExhausted("OTLP/JSON: out of memory");
    return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("invalid OTLP/JSON: the top level must be an object");
  }
  T out;
  Decoder decoder(options);
  if (!decode(decoder, obj, &out)) return decoder.TakeError();
  return out;
}

}  // namespace

Result<pdata::Metrics> DecodeMetricsJson(std::string_view json, const DecodeOptions& options) {
  return Decode<pdata::Metrics>(json, options, [](Decoder& d, dom::object o, pdata::Metrics* m) {
    return d.MetricsRequest(o, m);
  });
}

Result<pdata::Traces> DecodeTracesJson(std::string_view json, const DecodeOptions& options) {
  return Decode<pdata::Traces>(json, options, [](Decoder& d, dom::object o, pdata::Traces* t) {
    return d.TracesRequest(o, t);
  });
}

Result<pdata::Logs> DecodeLogsJson(std::string_view json, const DecodeOptions& options) {
  return Decode<pdata::Logs>(
      json, options, [](Decoder& d, dom::object o, pdata::Logs* l) { return d.LogsRequest(o, l); });
}

Result<ExportResponse> DecodeExportResponseJson(std::string_view json,
                                                const DecodeOptions& options) {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return ExportResponse{};
  return Decode<ExportResponse>(
      json, options, [](Decoder& d, dom::object o, ExportResponse* r) { return d.Response(o, r); });
}

Result<RpcStatus> DecodeRpcStatusJson(std::string_view json, const DecodeOptions& options) {
  return Decode<RpcStatus>(
      json, options, [](Decoder& d, dom::object o, RpcStatus* s) { return d.RpcStatusMsg(o, s); });
}

}  // namespace astrolabe::wire
