// Decoding of OTLP protobuf messages into pdata (see otlp_proto.h for the contract and
// docs/design/wire.md for the design).
//
// One Decoder walks the request once, recursively, with a ProtoReader per message; every
// field is written straight into the pdata object that owns it, so there is no intermediate
// message tree. The path of the message being decoded is kept as a stack of (name, index)
// pairs that costs nothing until an error needs it. Every decoding function returns false
// after recording the error, and callers return false at once.

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/same_bytes.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/spares.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"

#define TRY(expr)              \
  do {                         \
    if (!(expr)) return false; \
  } while (0)

namespace astrolabe::wire {
namespace {

using pdata::AnyValue;
using std::string_view;

struct PathElem {
  const char* name;
  int64_t index;  // -1 for a non-repeated field
};

class Decoder {
 public:
  // path_ is sized once: Message() runs for every attribute, and a push_back/pop_back pair
  // there showed in profiles (3 % of the server's span ingest).
  Decoder(string_view whole, const DecodeOptions& options,
          pdata::TracesSpares* spares = nullptr)
      : base_(whole.data()),
        options_(options),
        spares_(spares),
        path_(static_cast<size_t>(std::max(options.max_depth, 1))) {}

  Status TakeError() { return std::move(error_); }

  // Message decoders: each reads the fields of one message from `in` into *out, merging.
  bool MetricsRequest(string_view in, pdata::Metrics* out);
  bool TracesRequest(string_view in, pdata::Traces* out);
  bool LogsRequest(string_view in, pdata::Logs* out);
  bool Response(string_view in, ExportResponse* out);
  bool RpcStatusMsg(string_view in, RpcStatus* out);

 private:
  using ProtoReader = wire::ProtoReader;

  // ---- errors
  bool Fail(size_t offset, const char* field, int64_t index, string_view what);
  bool ReaderFail(const ProtoReader& r, const char* field = nullptr, int64_t index = -1) {
    return Fail(r.error_offset(), field, index, ReadErrorText(r.error()));
  }
  // Inlined: every scalar and sub-message field checks its wire type here.
  [[gnu::always_inline]] bool CheckType(const ProtoReader& r, WireType got, WireType want,
                                        const char* field) {
    return got == want || WrongType(r, got, want, field);
  }
  [[gnu::noinline, gnu::cold]] bool WrongType(const ProtoReader& r, WireType got, WireType want,
                                              const char* field) {
    std::string what = "wire type ";
    what += WireTypeName(got);
    what += ", want ";
    what += WireTypeName(want);
    return Fail(r.field_offset(), field, -1, what);
  }

  // The loop every message decoder shares: reads each field's tag from `in` and calls
  // on_field(r, field_number, wire_type), which reads or skips the field and returns false
  // after recording an error.
  template <typename OnField>
  bool ForEachField(string_view in, OnField&& on_field) {
    ProtoReader r(in, base_);
    uint32_t f;
    WireType wt;
    while (!r.done()) {
      if (!r.ReadTag(&f, &wt)) return ReaderFail(r);
      if (!on_field(r, f, wt)) return false;
    }
    return true;
  }

  // How many times `field` occurs in `in` as a length-delimited field, for reserving a
  // repeated member before decoding it (a vector grown one element at a time reallocates and
  // moves its elements ~log2(n) times). Stops quietly at malformed bytes: the decode that
  // follows reports them. The count never exceeds in.size() / 2, the most elements the
  // decode itself could produce.
  static size_t CountLenFields(string_view in, uint32_t field) {
    ProtoReader r(in);
    size_t n = 0;
    uint32_t f;
    WireType wt;
    while (!r.done()) {
      if (!r.ReadTag(&f, &wt)) break;
      if (f == field && wt == WireType::kLengthDelimited) ++n;
      if (!r.SkipField(wt)) break;
    }
    return n;
  }

  // ---- scalar fields; each checks the wire type and reads the value.
  bool Varint(ProtoReader& r, WireType wt, const char* field, uint64_t* v) {
    TRY(CheckType(r, wt, WireType::kVarint, field));
    if (!r.ReadVarint(v)) return ReaderFail(r, field);
    return true;
  }
  bool U32(ProtoReader& r, WireType wt, const char* field, uint32_t* v) {
    uint64_t u;
    TRY(Varint(r, wt, field, &u));
    *v = static_cast<uint32_t>(u);  // protobuf truncates over-wide values
    return true;
  }
  bool I32(ProtoReader& r, WireType wt, const char* field, int32_t* v) {
    uint64_t u;
    TRY(Varint(r, wt, field, &u));
    *v = static_cast<int32_t>(static_cast<uint32_t>(u));
    return true;
  }
  template <typename E>
  bool Enum(ProtoReader& r, WireType wt, const char* field, E* v) {
    int32_t i;
    TRY(I32(r, wt, field, &i));
    *v = static_cast<E>(i);  // open enums: unknown values are kept
    return true;
  }
  bool Bool(ProtoReader& r, WireType wt, const char* field, bool* v) {
    uint64_t u;
    TRY(Varint(r, wt, field, &u));
    *v = u != 0;
    return true;
  }
  bool Fixed64(ProtoReader& r, WireType wt, const char* field, uint64_t* v) {
    TRY(CheckType(r, wt, WireType::kFixed64, field));
    if (!r.ReadFixed64(v)) return ReaderFail(r, field);
    return true;
  }
  bool Fixed32(ProtoReader& r, WireType wt, const char* field, uint32_t* v) {
    TRY(CheckType(r, wt, WireType::kFixed32, field));
    if (!r.ReadFixed32(v)) return ReaderFail(r, field);
    return true;
  }
  bool Double(ProtoReader& r, WireType wt, const char* field, double* v) {
    uint64_t u;
    TRY(Fixed64(r, wt, field, &u));
    *v = std::bit_cast<double>(u);
    return true;
  }
  [[gnu::always_inline]] bool Len(ProtoReader& r, WireType wt, const char* field, int64_t index,
                                  string_view* v) {
    TRY(CheckType(r, wt, WireType::kLengthDelimited, field));
    if (!r.ReadLengthDelimited(v)) return ReaderFail(r, field, index);
    return true;
  }
  bool Str(ProtoReader& r, WireType wt, const char* field, std::string* v) {
    string_view s;
    TRY(Len(r, wt, field, -1, &s));
    if (options_.validate_utf8 && !IsValidUtf8(s)) {
      return Fail(r.field_offset(), field, -1, "invalid UTF-8");
    }
    v->assign(s);
    return true;
  }
  bool Bytes(ProtoReader& r, WireType wt, const char* field, std::string* v) {
    string_view s;
    TRY(Len(r, wt, field, -1, &s));
    v->assign(s);
    return true;
  }
  template <size_t N>
  bool Id(ProtoReader& r, WireType wt, const char* field, std::array<uint8_t, N>* id) {
    string_view s;
    TRY(Len(r, wt, field, -1, &s));
    if (s.empty()) {
      id->fill(0);
      return true;
    }
    if (s.size() != N) {
      return Fail(r.field_offset(), field, -1,
                  "must be " + std::to_string(N) + " bytes, got " + std::to_string(s.size()));
    }
    std::memcpy(id->data(), s.data(), N);
    return true;
  }

  // Repeated scalars, packed (one length-delimited field) or not (one value per field).
  bool RepeatedFixed64(ProtoReader& r, WireType wt, const char* field, std::vector<uint64_t>* v);
  bool RepeatedDouble(ProtoReader& r, WireType wt, const char* field, std::vector<double>* v);
  bool RepeatedVarint(ProtoReader& r, WireType wt, const char* field, std::vector<uint64_t>* v);

  // ---- sub-messages
  template <typename T>
  using MessageFn = bool (Decoder::*)(string_view, T*);

  // Decodes the length-delimited sub-message in the field just tagged into *out.
  template <typename T>
  bool Message(ProtoReader& r, WireType wt, const char* field, int64_t index, MessageFn<T> fn,
               T* out) {
    string_view sub;
    TRY(Len(r, wt, field, index, &sub));
    return SubMessage(r, sub, field, index, fn, out);
  }
  // Decodes `sub`, the bytes of the sub-message in the field just read, into *out.
  template <typename T>
  bool SubMessage(ProtoReader& r, string_view sub, const char* field, int64_t index,
                  MessageFn<T> fn, T* out) {
    if (depth_ >= options_.max_depth) {
      return Fail(r.field_offset(), field, index,
                  "messages nested deeper than " + std::to_string(options_.max_depth));
    }
    path_[static_cast<size_t>(depth_ - 1)] = {field, index};
    ++depth_;
    bool ok = (this->*fn)(sub, out);
    --depth_;
    return ok;
  }
  // Appends an element to *out and decodes the field just tagged into it.
  template <typename T>
  bool Append(ProtoReader& r, WireType wt, const char* field, MessageFn<T> fn,
              std::vector<T>* out) {
    auto index = static_cast<int64_t>(out->size());
    NewElement(out);
    return Message(r, wt, field, index, fn, &out->back());
  }
  // Appends a default element to *out: a cleared one from the spares when there are any, so
  // that its strings and vectors reuse the buffers of a request decoded before.
  template <typename T>
  void NewElement(std::vector<T>* out) {
    out->emplace_back();
  }
  void NewElement(std::vector<pdata::KeyValue>* out) {
    if (spares_ != nullptr) {
      out->push_back(spares_->TakeKeyValue());
    } else {
      out->emplace_back();
    }
  }
  void NewElement(std::vector<pdata::Span>* out) {
    if (spares_ != nullptr) {
      out->push_back(spares_->TakeSpan());
    } else {
      out->emplace_back();
    }
  }
  void NewElement(std::vector<pdata::ScopeSpans>* out) {
    if (spares_ != nullptr) {
      out->push_back(spares_->TakeScopeSpans());
    } else {
      out->emplace_back();
    }
  }
  void NewElement(std::vector<pdata::ResourceSpans>* out) {
    if (spares_ != nullptr) {
      out->push_back(spares_->TakeResourceSpans());
    } else {
      out->emplace_back();
    }
  }
  bool Skip(ProtoReader& r, WireType wt) {
    if (!r.SkipField(wt)) return ReaderFail(r);
    return true;
  }

  // common/v1, resource/v1
  bool AnyValueMsg(string_view in, AnyValue* out);
  bool ArrayValueMsg(string_view in, pdata::ArrayValue* out);
  bool KeyValueListMsg(string_view in, pdata::KeyValueList* out);
  bool KeyValueMsg(string_view in, pdata::KeyValue* out);
  bool KeptKeyValueMsg(string_view in, pdata::KeyValue* out);
  bool KeptAnyValueMsg(string_view in, AnyValue* out);
  // One attribute value of the plain shapes PlainAttribute reads.
  struct PlainValue {
    AnyValue::Type type;  // kString, kBool, kInt or kDouble
    string_view str;      // kString
    uint64_t bits;        // kBool, kInt: the varint; kDouble: the fixed64
  };
  bool PlainAttribute(string_view in, string_view* key, PlainValue* value) const;
  bool PlainKeyValue(string_view in, string_view* key, PlainValue* value) const;
  bool PlainValueMsg(string_view in, PlainValue* value) const;
  void SetPlain(const PlainValue& value, AnyValue* out);
  void WriteStringOver(string_view value, std::string* old);
  bool ResourceMsg(string_view in, pdata::Resource* out);
  bool ScopeMsg(string_view in, pdata::InstrumentationScope* out);

  // The envelope the three signals share, decoded once for all of them:
  //   Request{1: repeated ResourceGroup}
  //   ResourceGroup{1: resource, 2: repeated ScopeGroup, 3: schema_url}
  //   ScopeGroup{1: scope, 2: repeated item, 3: schema_url}
  // S is a signal's traits struct (MetricsSignal, TracesSignal, LogsSignal below): its
  // types, members, item decoder and proto field names (for error paths).
  template <typename S>
  bool RequestMsg(string_view in, typename S::Request* out);
  template <typename S>
  bool ResourceGroupMsg(string_view in, typename S::ResourceGroup* out);
  template <typename S>
  bool ScopeGroupMsg(string_view in, typename S::ScopeGroup* out);
  struct MetricsSignal;
  struct TracesSignal;
  struct LogsSignal;
  // metrics/v1
  bool MetricMsg(string_view in, pdata::Metric* out);
  bool GaugeMsg(string_view in, pdata::Gauge* out);
  bool SumMsg(string_view in, pdata::Sum* out);
  bool HistogramMsg(string_view in, pdata::Histogram* out);
  bool ExpHistogramMsg(string_view in, pdata::ExponentialHistogram* out);
  bool SummaryMsg(string_view in, pdata::Summary* out);
  bool NumberPointMsg(string_view in, pdata::NumberDataPoint* out);
  bool HistogramPointMsg(string_view in, pdata::HistogramDataPoint* out);
  bool ExpHistogramPointMsg(string_view in, pdata::ExponentialHistogramDataPoint* out);
  bool BucketsMsg(string_view in, pdata::ExponentialHistogramDataPoint::Buckets* out);
  bool SummaryPointMsg(string_view in, pdata::SummaryDataPoint* out);
  bool QuantileMsg(string_view in, pdata::SummaryDataPoint::ValueAtQuantile* out);
  bool ExemplarMsg(string_view in, pdata::Exemplar* out);
  // trace/v1
  bool SpanMsg(string_view in, pdata::Span* out);
  bool EventMsg(string_view in, pdata::SpanEvent* out);
  bool LinkMsg(string_view in, pdata::SpanLink* out);
  bool StatusMsg(string_view in, pdata::SpanStatus* out);
  // logs/v1
  bool LogRecordMsg(string_view in, pdata::LogRecord* out);
  // collector/*/v1 responses, google.rpc
  bool PartialSuccessMsg(string_view in, ExportPartialSuccess* out);
  bool RpcAnyMsg(string_view in, RpcAny* out);

  const char* base_;
  DecodeOptions options_;
  pdata::TracesSpares* spares_;  // null: every element is built new
  std::vector<PathElem> path_;  // path_[0 .. depth_ - 2]: the sub-messages entered
  int depth_ = 1;
  Status error_;
};

bool Decoder::Fail(size_t offset, const char* field, int64_t index, string_view what) {
  std::string msg;
  auto add = [&msg](const char* name, int64_t i) {
    if (!msg.empty()) msg += '.';
    msg += name;
    if (i >= 0) {
      msg += '[';
      msg += std::to_string(i);
      msg += ']';
    }
  };
  for (size_t i = 0; i + 1 < static_cast<size_t>(depth_); ++i) add(path_[i].name, path_[i].index);
  if (field != nullptr) add(field, index);
  if (!msg.empty()) msg += ": ";
  msg += what;
  msg += " at offset ";
  msg += std::to_string(offset);
  error_ = InvalidArgument(std::move(msg));
  return false;
}

bool Decoder::RepeatedFixed64(ProtoReader& r, WireType wt, const char* field,
                              std::vector<uint64_t>* v) {
  if (wt == WireType::kFixed64) {
    uint64_t u;
    if (!r.ReadFixed64(&u)) return ReaderFail(r, field);
    v->push_back(u);
    return true;
  }
  string_view s;
  TRY(Len(r, wt, field, -1, &s));
  if (s.size() % 8 != 0) {
    return Fail(r.field_offset(), field, -1, "packed fixed64 length not a multiple of 8");
  }
  size_t n = s.size() / 8;
  if (n == 0) return true;  // and never memcpy to the null data() of an empty vector
  size_t old = v->size();
  v->resize(old + n);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(v->data() + old, s.data(), s.size());
  } else {
    ProtoReader pr(s);
    for (size_t i = 0; i < n; ++i) pr.ReadFixed64(&(*v)[old + i]);
  }
  return true;
}

bool Decoder::RepeatedDouble(ProtoReader& r, WireType wt, const char* field,
                             std::vector<double>* v) {
  if (wt == WireType::kFixed64) {
    uint64_t u;
    if (!r.ReadFixed64(&u)) return ReaderFail(r, field);
    v->push_back(std::bit_cast<double>(u));
    return true;
  }
  string_view s;
  TRY(Len(r, wt, field, -1, &s));
  if (s.size() % 8 != 0) {
    return Fail(r.field_offset(), field, -1, "packed double length not a multiple of 8");
  }
  size_t n = s.size() / 8;
  if (n == 0) return true;  // and never memcpy to the null data() of an empty vector
  size_t old = v->size();
  v->resize(old + n);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(v->data() + old, s.data(), s.size());
  } else {
    ProtoReader pr(s);
    uint64_t u;
    for (size_t i = 0; i < n; ++i) {
      pr.ReadFixed64(&u);
      (*v)[old + i] = std::bit_cast<double>(u);
    }
  }
  return true;
}

bool Decoder::RepeatedVarint(ProtoReader& r, WireType wt, const char* field,
                             std::vector<uint64_t>* v) {
  if (wt == WireType::kVarint) {
    uint64_t u;
    if (!r.ReadVarint(&u)) return ReaderFail(r, field);
    v->push_back(u);
    return true;
  }
  string_view s;
  TRY(Len(r, wt, field, -1, &s));
  // Offsets inside the packed run stay relative to the whole buffer.
  ProtoReader pr(s, base_);
  while (!pr.done()) {
    uint64_t u;
    if (!pr.ReadVarint(&u)) return Fail(r.field_offset(), field, -1, "truncated packed varint");
    v->push_back(u);
  }
  return true;
}

// ---------------------------------------------------------------- common/v1, resource/v1

bool Decoder::AnyValueMsg(string_view in, AnyValue* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1: {
        std::string s = spares_ != nullptr ? spares_->TakeString() : std::string();
        TRY(Str(r, wt, "string_value", &s));
        *out = AnyValue(std::move(s));
        break;
      }
      case 2: {
        bool b;
        TRY(Bool(r, wt, "bool_value", &b));
        *out = AnyValue(b);
        break;
      }
      case 3: {
        uint64_t u;
        TRY(Varint(r, wt, "int_value", &u));
        *out = AnyValue(static_cast<int64_t>(u));
        break;
      }
      case 4: {
        double d;
        TRY(Double(r, wt, "double_value", &d));
        *out = AnyValue(d);
        break;
      }
      case 5:
        if (out->type() != AnyValue::Type::kArray) {
          *out = AnyValue(spares_ != nullptr ? spares_->TakeArray() : pdata::ArrayValue{});
        }
        TRY(Message(r, wt, "array_value", -1, &Decoder::ArrayValueMsg, &out->array_value()));
        break;
      case 6:
        if (out->type() != AnyValue::Type::kKvList) *out = AnyValue(pdata::KeyValueList{});
        TRY(Message(r, wt, "kvlist_value", -1, &Decoder::KeyValueListMsg, &out->kvlist_value()));
        break;
      case 7: {
        pdata::Bytes b;
        TRY(Bytes(r, wt, "bytes_value", &b.data));
        *out = AnyValue(std::move(b));
        break;
      }
      default:  // 8 string_value_strindex is for profiles only
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::ArrayValueMsg(string_view in, pdata::ArrayValue* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      TRY(Append(r, wt, "values", &Decoder::AnyValueMsg, out));
    } else {
      TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::KeyValueListMsg(string_view in, pdata::KeyValueList* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      TRY(Append(r, wt, "values", &Decoder::KeyValueMsg, out));
    } else {
      TRY(Skip(r, wt));
    }
    return true;
  });
}

// The common encodings of PlainAttribute's fields and of a string value, read straight off the
// bytes: one-byte tags, length varints of at most two bytes (< 16384). Anything else,
// including a length past `end`, returns false and the caller reads the field through
// ProtoReader, which accepts every encoding. Keeping ProtoReader's state in memory across its
// calls cost ~170 instructions per attribute; this path ~95.
[[gnu::always_inline]] inline bool ShortVarint(const uint8_t*& p, const uint8_t* end, uint64_t* v) {
  if (p == end) return false;
  if (p[0] < 0x80) {
    *v = *p++;
    return true;
  }
  if (end - p < 2 || p[1] >= 0x80) return false;
  *v = (p[0] & 0x7fu) | (uint64_t{p[1]} << 7);
  p += 2;
  return true;
}
// A length-delimited field whose tag is the byte `tag`: its bytes.
[[gnu::always_inline]] inline bool ShortLengthDelimited(const uint8_t*& p, const uint8_t* end,
                                                        uint8_t tag, string_view* bytes) {
  if (p == end || *p != tag) return false;
  const uint8_t* at = p + 1;
  uint64_t len;
  if (!ShortVarint(at, end, &len) || static_cast<uint64_t>(end - at) < len) return false;
  *bytes = string_view(reinterpret_cast<const char*>(at), static_cast<size_t>(len));
  p = at + len;
  return true;
}

// An AnyValue of exactly one scalar field: a string (1, UTF-8 checked when asked), a bool (2),
// an int (3) or a double (4). Any other shape returns false.
[[gnu::always_inline]] inline bool Decoder::PlainValueMsg(string_view in, PlainValue* value) const {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t* end = p + in.size();
  if (const uint8_t* at = p;
      ShortLengthDelimited(at, end, /*field 1, LEN*/ 0x0A, &value->str) && at == end) {
    value->type = AnyValue::Type::kString;
    return !options_.validate_utf8 || IsValidUtf8(value->str);
  }
  ProtoReader r(in, base_);
  uint32_t f;
  WireType wt;
  if (r.done() || !r.ReadTag(&f, &wt)) return false;
  bool ok;
  if (f == 1 && wt == WireType::kLengthDelimited) {
    value->type = AnyValue::Type::kString;
    ok = r.ReadLengthDelimited(&value->str) && (!options_.validate_utf8 || IsValidUtf8(value->str));
  } else if ((f == 2 || f == 3) && wt == WireType::kVarint) {
    value->type = f == 2 ? AnyValue::Type::kBool : AnyValue::Type::kInt;
    ok = r.ReadVarint(&value->bits);
  } else if (f == 4 && wt == WireType::kFixed64) {
    value->type = AnyValue::Type::kDouble;
    ok = r.ReadFixed64(&value->bits);
  } else {
    return false;
  }
  return ok && r.done();
}

// The shapes of almost every attribute, KeyValue{1: key, 2: AnyValue{one scalar field}}, each
// field once, in that order, valid (UTF-8 when checked) and within the depth limit: sets *key
// and *value. Any other shape returns false having written nothing, and the general decoder
// reads it (and reports its errors, with their place). The general loop for these shapes was a
// third of the span-ingest decoder's instructions.
bool Decoder::PlainAttribute(string_view in, string_view* key, PlainValue* value) const {
  // The value is a message one level below this KeyValue, as Message() would check.
  if (depth_ >= options_.max_depth) return false;
  return PlainKeyValue(in, key, value);
}

// PlainAttribute without the depth check, which the caller makes.
[[gnu::always_inline]] inline bool Decoder::PlainKeyValue(string_view in, string_view* key,
                                                          PlainValue* value) const {
  string_view value_bytes;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t* end = p + in.size();
  if (ShortLengthDelimited(p, end, /*field 1, LEN*/ 0x0A, key) &&
      ShortLengthDelimited(p, end, /*field 2, LEN*/ 0x12, &value_bytes) && p == end) {
    if (options_.validate_utf8 && !IsValidUtf8(*key)) return false;
    return PlainValueMsg(value_bytes, value);
  }
  ProtoReader r(in, base_);
  uint32_t f;
  WireType wt;
  if (r.done() || !r.ReadTag(&f, &wt) || f != 1 || wt != WireType::kLengthDelimited ||
      !r.ReadLengthDelimited(key) || (options_.validate_utf8 && !IsValidUtf8(*key))) {
    return false;
  }
  if (r.done() || !r.ReadTag(&f, &wt) || f != 2 || wt != WireType::kLengthDelimited ||
      !r.ReadLengthDelimited(&value_bytes) || !r.done()) {
    return false;
  }
  return PlainValueMsg(value_bytes, value);
}

// Sets *out, a default value or one a spare attribute kept, to `value`: a string is written
// over a kept string's buffer; anything else a kept value held goes back to the spares first.
void Decoder::SetPlain(const PlainValue& value, AnyValue* out) {
  if (value.type == AnyValue::Type::kString && out->type() == AnyValue::Type::kString) {
    WriteStringOver(value.str, &out->mutable_string_value());
    return;
  }
  // Only a string or an array holds buffers the spares keep; any other value is simply
  // assigned over.
  if (spares_ != nullptr &&
      (out->type() == AnyValue::Type::kString || out->type() == AnyValue::Type::kArray)) {
    spares_->RecycleValue(*out);
  }
  switch (value.type) {
    case AnyValue::Type::kString: {
      std::string s = spares_ != nullptr ? spares_->TakeString() : std::string();
      s.assign(value.str);
      *out = AnyValue(std::move(s));
      break;
    }
    case AnyValue::Type::kBool:
      *out = AnyValue(value.bits != 0);
      break;
    case AnyValue::Type::kInt:
      *out = AnyValue(static_cast<int64_t>(value.bits));
      break;
    default:
      *out = AnyValue(std::bit_cast<double>(value.bits));
  }
}

// Writes `value` over the string value a spare attribute kept. A buffer too small is replaced
// by one of the exact size, as a fresh string's would be; one much larger than needed is freed
// first (TracesSpares::ReusesInPlace).
void Decoder::WriteStringOver(string_view value, std::string* old) {
  if (value.size() > old->capacity() || !pdata::TracesSpares::ReusesInPlace(*old, value.size())) {
    std::string().swap(*old);  // frees it (moving an empty string in would keep it)
    old->assign(value);
  } else if (!SameBytes(*old, value)) {  // a model, a provider, "stop": often the value kept
    old->assign(value);
  }
}

bool Decoder::KeyValueMsg(string_view in, pdata::KeyValue* out) {
  string_view key;
  if (PlainValue value; PlainAttribute(in, &key, &value)) {
    out->key.assign(key);
    SetPlain(value, &out->value);
    return true;
  }
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Str(r, wt, "key", &out->key));
        break;
      case 2:
        TRY(Message(r, wt, "value", -1, &Decoder::AnyValueMsg, &out->value));
        break;
      default:  // 3 key_strindex is for profiles only
        TRY(Skip(r, wt));
    }
    return true;
  });
}

// An attribute a spare span kept, its old key and value still there, in a shape other than
// the plain ones SpanMsg writes over kept attributes itself (or too deep for them): ends
// exactly as KeyValueMsg into a default KeyValue would. A value of one scalar field is still
// written over the kept value (KeptAnyValueMsg); anything else recycles the old value first.
bool Decoder::KeptKeyValueMsg(string_view in, pdata::KeyValue* out) {
  out->key.clear();
  bool value_seen = false;
  bool ok = ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Str(r, wt, "key", &out->key));
        break;
      case 2:
        // A second value field merges into the first, as in KeyValueMsg.
        TRY(Message(r, wt, "value", -1,
                    value_seen ? &Decoder::AnyValueMsg : &Decoder::KeptAnyValueMsg, &out->value));
        value_seen = true;
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
  if (!value_seen) spares_->RecycleValue(out->value);
  return ok;
}

bool Decoder::KeptAnyValueMsg(string_view in, AnyValue* out) {
  // One scalar field goes over the kept value (a string over a kept string in place). Any
  // other shape, and every error (which AnyValueMsg reports with its place), takes the
  // general path.
  if (PlainValue value; PlainValueMsg(in, &value)) {
    SetPlain(value, out);
    return true;
  }
  spares_->RecycleValue(*out);
  return AnyValueMsg(in, out);
}

bool Decoder::ResourceMsg(string_view in, pdata::Resource* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 2:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      default:  // 3 entity_refs: not modelled by pdata
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::ScopeMsg(string_view in, pdata::InstrumentationScope* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Str(r, wt, "name", &out->name));
        break;
      case 2:
        TRY(Str(r, wt, "version", &out->version));
        break;
      case 3:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 4:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

// ---------------------------------------------------------------- metrics/v1

struct Decoder::MetricsSignal {
  using Request = pdata::Metrics;
  using ResourceGroup = pdata::ResourceMetrics;
  using ScopeGroup = pdata::ScopeMetrics;
  static constexpr const char* kResourceGroups = "resource_metrics";
  static constexpr const char* kScopeGroups = "scope_metrics";
  static constexpr const char* kItems = "metrics";
  static auto& ResourceGroups(Request& r) { return r.resource_metrics; }
  static auto& ScopeGroups(ResourceGroup& g) { return g.scope_metrics; }
  static auto& Items(ScopeGroup& g) { return g.metrics; }
  static constexpr MessageFn<pdata::Metric> kItemMsg = &Decoder::MetricMsg;
};

struct Decoder::TracesSignal {
  using Request = pdata::Traces;
  using ResourceGroup = pdata::ResourceSpans;
  using ScopeGroup = pdata::ScopeSpans;
  static constexpr const char* kResourceGroups = "resource_spans";
  static constexpr const char* kScopeGroups = "scope_spans";
  static constexpr const char* kItems = "spans";
  static auto& ResourceGroups(Request& r) { return r.resource_spans; }
  static auto& ScopeGroups(ResourceGroup& g) { return g.scope_spans; }
  static auto& Items(ScopeGroup& g) { return g.spans; }
  static constexpr MessageFn<pdata::Span> kItemMsg = &Decoder::SpanMsg;
};

struct Decoder::LogsSignal {
  using Request = pdata::Logs;
  using ResourceGroup = pdata::ResourceLogs;
  using ScopeGroup = pdata::ScopeLogs;
  static constexpr const char* kResourceGroups = "resource_logs";
  static constexpr const char* kScopeGroups = "scope_logs";
  static constexpr const char* kItems = "log_records";
  static auto& ResourceGroups(Request& r) { return r.resource_logs; }
  static auto& ScopeGroups(ResourceGroup& g) { return g.scope_logs; }
  static auto& Items(ScopeGroup& g) { return g.log_records; }
  static constexpr MessageFn<pdata::LogRecord> kItemMsg = &Decoder::LogRecordMsg;
};

template <typename S>
bool Decoder::RequestMsg(string_view in, typename S::Request* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      return Append(r, wt, S::kResourceGroups, &Decoder::ResourceGroupMsg<S>,
                    &S::ResourceGroups(*out));
    }
    return Skip(r, wt);
  });
}

template <typename S>
bool Decoder::ResourceGroupMsg(string_view in, typename S::ResourceGroup* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        return Message(r, wt, "resource", -1, &Decoder::ResourceMsg, &out->resource);
      case 2:
        return Append(r, wt, S::kScopeGroups, &Decoder::ScopeGroupMsg<S>, &S::ScopeGroups(*out));
      case 3:
        return Str(r, wt, "schema_url", &out->schema_url);
      default:
        return Skip(r, wt);
    }
  });
}

template <typename S>
bool Decoder::ScopeGroupMsg(string_view in, typename S::ScopeGroup* out) {
  // Counted only for a vector that never held items: one from the spares keeps the capacity
  // of the request it came from, and the count reads one cold line per item of the body, each
  // a miss (a 1 MB body's 1000 spans: ~2.5 % of the server's samples), that the decode's
  // sequential read would otherwise find prefetched.
  if (S::Items(*out).capacity() == 0) S::Items(*out).reserve(CountLenFields(in, 2));
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        return Message(r, wt, "scope", -1, &Decoder::ScopeMsg, &out->scope);
      case 2:
        return Append(r, wt, S::kItems, S::kItemMsg, &S::Items(*out));
      case 3:
        return Str(r, wt, "schema_url", &out->schema_url);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::MetricsRequest(string_view in, pdata::Metrics* out) {
  return RequestMsg<MetricsSignal>(in, out);
}

// Returns the oneof member T of `data`, making it the set member if another one was.
template <typename T, typename V>
T* OneofMember(V& data) {
  if (!std::holds_alternative<T>(data)) data.template emplace<T>();
  return &std::get<T>(data);
}

bool Decoder::MetricMsg(string_view in, pdata::Metric* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Str(r, wt, "name", &out->name));
        break;
      case 2:
        TRY(Str(r, wt, "description", &out->description));
        break;
      case 3:
        TRY(Str(r, wt, "unit", &out->unit));
        break;
      case 5:
        TRY(Message(r, wt, "gauge", -1, &Decoder::GaugeMsg, OneofMember<pdata::Gauge>(out->data)));
        break;
      case 7:
        TRY(Message(r, wt, "sum", -1, &Decoder::SumMsg, OneofMember<pdata::Sum>(out->data)));
        break;
      case 9:
        TRY(Message(r, wt, "histogram", -1, &Decoder::HistogramMsg,
                    OneofMember<pdata::Histogram>(out->data)));
        break;
      case 10:
        TRY(Message(r, wt, "exponential_histogram", -1, &Decoder::ExpHistogramMsg,
                    OneofMember<pdata::ExponentialHistogram>(out->data)));
        break;
      case 11:
        TRY(Message(r, wt, "summary", -1, &Decoder::SummaryMsg,
                    OneofMember<pdata::Summary>(out->data)));
        break;
      case 12:
        TRY(Append(r, wt, "metadata", &Decoder::KeyValueMsg, &out->metadata));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::GaugeMsg(string_view in, pdata::Gauge* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      TRY(Append(r, wt, "data_points", &Decoder::NumberPointMsg, &out->data_points));
    } else {
      TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::SumMsg(string_view in, pdata::Sum* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Append(r, wt, "data_points", &Decoder::NumberPointMsg, &out->data_points));
        break;
      case 2:
        TRY(Enum(r, wt, "aggregation_temporality", &out->aggregation_temporality));
        break;
      case 3:
        TRY(Bool(r, wt, "is_monotonic", &out->is_monotonic));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::HistogramMsg(string_view in, pdata::Histogram* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Append(r, wt, "data_points", &Decoder::HistogramPointMsg, &out->data_points));
        break;
      case 2:
        TRY(Enum(r, wt, "aggregation_temporality", &out->aggregation_temporality));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::ExpHistogramMsg(string_view in, pdata::ExponentialHistogram* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Append(r, wt, "data_points", &Decoder::ExpHistogramPointMsg, &out->data_points));
        break;
      case 2:
        TRY(Enum(r, wt, "aggregation_temporality", &out->aggregation_temporality));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::SummaryMsg(string_view in, pdata::Summary* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      TRY(Append(r, wt, "data_points", &Decoder::SummaryPointMsg, &out->data_points));
    } else {
      TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::NumberPointMsg(string_view in, pdata::NumberDataPoint* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 2:
        TRY(Fixed64(r, wt, "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 4: {
        double d;
        TRY(Double(r, wt, "as_double", &d));
        out->value = d;
        break;
      }
      case 5:
        TRY(Append(r, wt, "exemplars", &Decoder::ExemplarMsg, &out->exemplars));
        break;
      case 6: {
        uint64_t u;
        TRY(Fixed64(r, wt, "as_int", &u));
        out->value = static_cast<int64_t>(u);
        break;
      }
      case 7:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 8:
        TRY(U32(r, wt, "flags", &out->flags));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::HistogramPointMsg(string_view in, pdata::HistogramDataPoint* out) {
  ProtoReader r(in, base_);
  uint32_t f;
  WireType wt;
  double d;
  while (!r.done()) {
    if (!r.ReadTag(&f, &wt)) return ReaderFail(r);
    switch (f) {
      case 2:
        TRY(Fixed64(r, wt, "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        TRY(Fixed64(r, wt, "count", &out->count));
        break;
      case 5:
        TRY(Double(r, wt, "sum", &d));
        out->sum = d;
        break;
      case 6:
        TRY(RepeatedFixed64(r, wt, "bucket_counts", &out->bucket_counts));
        break;
      case 7:
        TRY(RepeatedDouble(r, wt, "explicit_bounds", &out->explicit_bounds));
        break;
      case 8:
        TRY(Append(r, wt, "exemplars", &Decoder::ExemplarMsg, &out->exemplars));
        break;
      case 9:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 10:
        TRY(U32(r, wt, "flags", &out->flags));
        break;
      case 11:
        TRY(Double(r, wt, "min", &d));
        out->min = d;
        break;
      case 12:
        TRY(Double(r, wt, "max", &d));
        out->max = d;
        break;
      default:
        TRY(Skip(r, wt));
    }
  }
  return true;
}

bool Decoder::ExpHistogramPointMsg(string_view in, pdata::ExponentialHistogramDataPoint* out) {
  ProtoReader r(in, base_);
  uint32_t f;
  WireType wt;
  double d;
  while (!r.done()) {
    if (!r.ReadTag(&f, &wt)) return ReaderFail(r);
    switch (f) {
      case 1:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 2:
        TRY(Fixed64(r, wt, "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        TRY(Fixed64(r, wt, "count", &out->count));
        break;
      case 5:
        TRY(Double(r, wt, "sum", &d));
        out->sum = d;
        break;
      case 6: {
        uint64_t u;
        TRY(Varint(r, wt, "scale", &u));
        out->scale = ZigZagDecode32(static_cast<uint32_t>(u));
        break;
      }
      case 7:
        TRY(Fixed64(r, wt, "zero_count", &out->zero_count));
        break;
      case 8:
        TRY(Message(r, wt, "positive", -1, &Decoder::BucketsMsg, &out->positive));
        break;
      case 9:
        TRY(Message(r, wt, "negative", -1, &Decoder::BucketsMsg, &out->negative));
        break;
      case 10:
        TRY(U32(r, wt, "flags", &out->flags));
        break;
      case 11:
        TRY(Append(r, wt, "exemplars", &Decoder::ExemplarMsg, &out->exemplars));
        break;
      case 12:
        TRY(Double(r, wt, "min", &d));
        out->min = d;
        break;
      case 13:
        TRY(Double(r, wt, "max", &d));
        out->max = d;
        break;
      case 14:
        TRY(Double(r, wt, "zero_threshold", &out->zero_threshold));
        break;
      default:
        TRY(Skip(r, wt));
    }
  }
  return true;
}

bool Decoder::BucketsMsg(string_view in, pdata::ExponentialHistogramDataPoint::Buckets* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1: {
        uint64_t u;
        TRY(Varint(r, wt, "offset", &u));
        out->offset = ZigZagDecode32(static_cast<uint32_t>(u));
        break;
      }
      case 2:
        TRY(RepeatedVarint(r, wt, "bucket_counts", &out->bucket_counts));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::SummaryPointMsg(string_view in, pdata::SummaryDataPoint* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 2:
        TRY(Fixed64(r, wt, "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        TRY(Fixed64(r, wt, "count", &out->count));
        break;
      case 5:
        TRY(Double(r, wt, "sum", &out->sum));
        break;
      case 6:
        TRY(Append(r, wt, "quantile_values", &Decoder::QuantileMsg, &out->quantile_values));
        break;
      case 7:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 8:
        TRY(U32(r, wt, "flags", &out->flags));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::QuantileMsg(string_view in, pdata::SummaryDataPoint::ValueAtQuantile* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Double(r, wt, "quantile", &out->quantile));
        break;
      case 2:
        TRY(Double(r, wt, "value", &out->value));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::ExemplarMsg(string_view in, pdata::Exemplar* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 2:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 3: {
        double d;
        TRY(Double(r, wt, "as_double", &d));
        out->value = d;
        break;
      }
      case 4:
        TRY(Id(r, wt, "span_id", &out->span_id.bytes));
        break;
      case 5:
        TRY(Id(r, wt, "trace_id", &out->trace_id.bytes));
        break;
      case 6: {
        uint64_t u;
        TRY(Fixed64(r, wt, "as_int", &u));
        out->value = static_cast<int64_t>(u);
        break;
      }
      case 7:
        TRY(Append(r, wt, "filtered_attributes", &Decoder::KeyValueMsg, &out->filtered_attributes));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

// ---------------------------------------------------------------- trace/v1

bool Decoder::TracesRequest(string_view in, pdata::Traces* out) {
  return RequestMsg<TracesSignal>(in, out);
}

bool Decoder::SpanMsg(string_view in, pdata::Span* out) {
  // Room for the few attributes processors add to a GenAI span (the genai processor's
  // dialect, cost and currency, canonical keys) without another reallocation.
  constexpr size_t kAddedAttributes = 4;
  // A span from the spares keeps its old attributes: the new ones are written over them in
  // place (below, or KeptKeyValueMsg), and the ones left over are handed back to the spares
  // at the end.
  const size_t stale = spares_ != nullptr ? out->attributes.size() : 0;
  size_t reused = 0;
  // The kept keys and string values are compared with (or written over by) the new ones in
  // turn; their buffers are scattered over the heap and cold by now. Asking for them all at
  // once lets the misses overlap instead of stalling one attribute at a time.
  for (size_t i = 0; i < stale; ++i) {
    const pdata::KeyValue& kv = out->attributes[i];
    __builtin_prefetch(kv.key.data());
    if (kv.value.type() == AnyValue::Type::kString) {
      __builtin_prefetch(kv.value.string_value().data());
    }
  }
  if (stale == 0 && out->attributes.empty()) {
    out->attributes.reserve(CountLenFields(in, 9) + kAddedAttributes);
  }
  bool ok = ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Id(r, wt, "trace_id", &out->trace_id.bytes));
        break;
      case 2:
        TRY(Id(r, wt, "span_id", &out->span_id.bytes));
        break;
      case 3:
        TRY(Str(r, wt, "trace_state", &out->trace_state));
        break;
      case 4:
        TRY(Id(r, wt, "parent_span_id", &out->parent_span_id.bytes));
        break;
      case 5:
        TRY(Str(r, wt, "name", &out->name));
        break;
      case 6:
        TRY(Enum(r, wt, "kind", &out->kind));
        break;
      case 7:
        TRY(Fixed64(r, wt, "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 8:
        TRY(Fixed64(r, wt, "end_time_unix_nano", &out->end_time_unix_nano));
        break;
      case 9:
        if (reused < stale) {
          pdata::KeyValue& kv = out->attributes[reused];
          const auto index = static_cast<int64_t>(reused++);
          string_view sub;
          TRY(Len(r, wt, "attributes", index, &sub));
          // A plain attribute (its value two levels below this span) is written here, without
          // entering the KeyValue through SubMessage's path bookkeeping and member-pointer call
          // (39.68k -> 38.98k instructions per span of the ingest benchmark). Spans of one
          // shape come back in order, so the kept key is most often this one already.
          string_view key;
          if (PlainValue value;
              depth_ + 1 < options_.max_depth && PlainKeyValue(sub, &key, &value)) {
            if (!SameBytes(kv.key, key)) kv.key.assign(key);
            SetPlain(value, &kv.value);
          } else {
            TRY(SubMessage(r, sub, "attributes", index, &Decoder::KeptKeyValueMsg, &kv));
          }
        } else {
          TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        }
        break;
      case 10:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 11:
        TRY(Append(r, wt, "events", &Decoder::EventMsg, &out->events));
        break;
      case 12:
        TRY(U32(r, wt, "dropped_events_count", &out->dropped_events_count));
        break;
      case 13:
        TRY(Append(r, wt, "links", &Decoder::LinkMsg, &out->links));
        break;
      case 14:
        TRY(U32(r, wt, "dropped_links_count", &out->dropped_links_count));
        break;
      case 15:
        TRY(Message(r, wt, "status", -1, &Decoder::StatusMsg, &out->status));
        break;
      case 16:
        TRY(Fixed32(r, wt, "flags", &out->flags));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
  // Fewer attributes than the span had before: the stale tail goes back to the spares (new
  // ones are appended only once every stale one has been written over, so none follow it).
  if (reused < stale) spares_->TakeBack(out->attributes, reused);
  return ok;
}

bool Decoder::EventMsg(string_view in, pdata::SpanEvent* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 2:
        TRY(Str(r, wt, "name", &out->name));
        break;
      case 3:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 4:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::LinkMsg(string_view in, pdata::SpanLink* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Id(r, wt, "trace_id", &out->trace_id.bytes));
        break;
      case 2:
        TRY(Id(r, wt, "span_id", &out->span_id.bytes));
        break;
      case 3:
        TRY(Str(r, wt, "trace_state", &out->trace_state));
        break;
      case 4:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 5:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 6:
        TRY(Fixed32(r, wt, "flags", &out->flags));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::StatusMsg(string_view in, pdata::SpanStatus* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 2:
        TRY(Str(r, wt, "message", &out->message));
        break;
      case 3:
        TRY(Enum(r, wt, "code", &out->code));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

// ---------------------------------------------------------------- logs/v1

bool Decoder::LogsRequest(string_view in, pdata::Logs* out) {
  return RequestMsg<LogsSignal>(in, out);
}

bool Decoder::LogRecordMsg(string_view in, pdata::LogRecord* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Fixed64(r, wt, "time_unix_nano", &out->time_unix_nano));
        break;
      case 2:
        TRY(Enum(r, wt, "severity_number", &out->severity_number));
        break;
      case 3:
        TRY(Str(r, wt, "severity_text", &out->severity_text));
        break;
      case 5:
        TRY(Message(r, wt, "body", -1, &Decoder::AnyValueMsg, &out->body));
        break;
      case 6:
        TRY(Append(r, wt, "attributes", &Decoder::KeyValueMsg, &out->attributes));
        break;
      case 7:
        TRY(U32(r, wt, "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 8:
        TRY(Fixed32(r, wt, "flags", &out->flags));
        break;
      case 9:
        TRY(Id(r, wt, "trace_id", &out->trace_id.bytes));
        break;
      case 10:
        TRY(Id(r, wt, "span_id", &out->span_id.bytes));
        break;
      case 11:
        TRY(Fixed64(r, wt, "observed_time_unix_nano", &out->observed_time_unix_nano));
        break;
      case 12:
        TRY(Str(r, wt, "event_name", &out->event_name));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

// ---------------------------------------------------------------- responses, google.rpc

bool Decoder::Response(string_view in, ExportResponse* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 1) {
      if (!out->partial_success) out->partial_success.emplace();
      TRY(Message(r, wt, "partial_success", -1, &Decoder::PartialSuccessMsg,
                  &*out->partial_success));
    } else {
      TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::PartialSuccessMsg(string_view in, ExportPartialSuccess* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1: {
        uint64_t u;
        TRY(Varint(r, wt, "rejected", &u));
        out->rejected = static_cast<int64_t>(u);
        break;
      }
      case 2:
        TRY(Str(r, wt, "error_message", &out->error_message));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::RpcStatusMsg(string_view in, RpcStatus* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(I32(r, wt, "code", &out->code));
        break;
      case 2:
        TRY(Str(r, wt, "message", &out->message));
        break;
      case 3:
        TRY(Append(r, wt, "details", &Decoder::RpcAnyMsg, &out->details));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

bool Decoder::RpcAnyMsg(string_view in, RpcAny* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        TRY(Str(r, wt, "type_url", &out->type_url));
        break;
      case 2:
        TRY(Bytes(r, wt, "value", &out->value));
        break;
      default:
        TRY(Skip(r, wt));
    }
    return true;
  });
}

}  // namespace

Result<pdata::Metrics> DecodeMetricsRequest(string_view bytes, const DecodeOptions& options) {
  pdata::Metrics out;
  Decoder d(bytes, options);
  if (!d.MetricsRequest(bytes, &out)) return d.TakeError();
  return out;
}

Result<pdata::Traces> DecodeTracesRequest(string_view bytes, const DecodeOptions& options) {
  pdata::Traces out;
  Decoder d(bytes, options);
  if (!d.TracesRequest(bytes, &out)) return d.TakeError();
  return out;
}

Status DecodeTracesRequest(string_view bytes, pdata::Traces* out, pdata::TracesSpares* spares,
                           const DecodeOptions& options) {
  Decoder d(bytes, options, spares);
  if (!d.TracesRequest(bytes, out)) return d.TakeError();
  return Status::Ok();
}

Result<pdata::Logs> DecodeLogsRequest(string_view bytes, const DecodeOptions& options) {
  pdata::Logs out;
  Decoder d(bytes, options);
  if (!d.LogsRequest(bytes, &out)) return d.TakeError();
  return out;
}

Result<ExportResponse> DecodeExportResponse(string_view bytes, const DecodeOptions& options) {
  ExportResponse out;
  Decoder d(bytes, options);
  if (!d.Response(bytes, &out)) return d.TakeError();
  return out;
}

Result<RpcStatus> DecodeRpcStatus(string_view bytes, const DecodeOptions& options) {
  RpcStatus out;
  Decoder d(bytes, options);
  if (!d.RpcStatusMsg(bytes, &out)) return d.TakeError();
  return out;
}

}  // namespace astrolabe::wire

#undef TRY
