// Remote-write 1.0 and 2.0 decoding and encoding (contract in remote_write.h, field
// tables in docs/design/remote-write.md).
//
// Decoding walks each message once with a ProtoReader, writing straight into the model;
// strings stay views into the caller's buffer. A 2.0 request is decoded in two passes over
// the top level: symbols first (they may come after the series on the wire — protobuf
// fields can arrive in any order), then the series, whose references are resolved as they
// are read. The path of the message being decoded is kept as a small stack so errors can
// name the field.

#include "wire/remote_write.h"

#include <bit>
#include <cstring>
#include <unordered_map>

#include "wire/proto_wire.h"

#define TRY(expr)              \
  do {                         \
    if (!(expr)) return false; \
  } while (0)

namespace astrolabe::wire::prw {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kUnknown:
      return "unknown";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateSet:
      return "stateset";
  }
  return "unknown";
}

bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

std::string_view TimeSeries::LabelValue(std::string_view name) const {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

size_t WriteRequest::SampleCount() const {
  size_t n = 0;
  for (const TimeSeries& ts : timeseries) n += ts.samples.size();
  return n;
}
size_t WriteRequest::HistogramCount() const {
  size_t n = 0;
  for (const TimeSeries& ts : timeseries) n += ts.histograms.size();
  return n;
}
size_t WriteRequest::ExemplarCount() const {
  size_t n = 0;
  for (const TimeSeries& ts : timeseries) n += ts.exemplars.size();
  return n;
}

namespace {

using std::string_view;

// Labels per series reserved up front: node_exporter series have 3-6.
constexpr size_t kLabelsGuess = 8;

class Decoder {
 public:
  explicit Decoder(string_view whole) : base_(whole.data()) {}

  Status TakeError() { return std::move(error_); }

  bool RequestV1(string_view in, WriteRequest* out);
  bool RequestV2(string_view in, WriteRequest* out);

 private:
  struct PathElem {
    const char* name;
    int64_t index;
  };
  // Pushes a path element for the lifetime of a scope.
  class Scope {
   public:
    Scope(Decoder* d, const char* name, int64_t index) : d_(d) {
      d_->path_.push_back({name, index});
    }
    ~Scope() { d_->path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Decoder* d_;
  };

  bool Fail(size_t offset, const char* field, int64_t index, string_view what) {
    std::string msg;
    for (const PathElem& e : path_) {
      if (!msg.empty()) msg += '.';
      msg += e.name;
      if (e.index >= 0) msg += "[" + std::to_string(e.index) + "]";
    }
    if (field != nullptr) {
      if (!msg.empty()) msg += '.';
      msg += field;
      if (index >= 0) msg += "[" + std::to_string(index) + "]";
    }
    if (!msg.empty()) msg += ": ";
    msg += what;
    msg += " at offset " + std::to_string(offset);
    error_ = InvalidArgument(std::move(msg));
    return false;
  }
  bool ReaderFail(const ProtoReader& r, const char* field = nullptr, int64_t index = -1) {
    return Fail(r.error_offset(), field, index, ReadErrorText(r.error()));
  }
  bool CheckType(const ProtoReader& r, WireType got, WireType want, const char* field) {
    if (got == want) return true;
    std::string what = "wire type ";
    what += WireTypeName(got);
    what += ", want ";
    what += WireTypeName(want);
    return Fail(r.field_offset(), field, -1, what);
  }

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
  // How many times field `field` occurs at the top level of `in` (a cheap pre-pass to size
  // vectors; stops quietly at malformed input, which the real pass then reports).
  size_t CountField(string_view in, uint32_t field) {
    ProtoReader r(in, base_);
    size_t n = 0;
    uint32_t f;
    WireType wt;
    while (!r.done() && r.ReadTag(&f, &wt) && r.SkipField(wt)) n += f == field;
    return n;
  }
  bool Skip(ProtoReader& r, WireType wt) {
    if (!r.SkipField(wt)) return ReaderFail(r);
    return true;
  }

  bool Varint(ProtoReader& r, WireType wt, const char* field, uint64_t* v) {
    TRY(CheckType(r, wt, WireType::kVarint, field));
    if (!r.ReadVarint(v)) return ReaderFail(r, field);
    return true;
  }
  bool Double(ProtoReader& r, WireType wt, const char* field, double* v) {
    TRY(CheckType(r, wt, WireType::kFixed64, field));
    uint64_t u;
    if (!r.ReadFixed64(&u)) return ReaderFail(r, field);
    *v = std::bit_cast<double>(u);
    return true;
  }
  bool Len(ProtoReader& r, WireType wt, const char* field, int64_t index, string_view* v) {
    TRY(CheckType(r, wt, WireType::kLengthDelimited, field));
    if (!r.ReadLengthDelimited(v)) return ReaderFail(r, field, index);
    return true;
  }

  // One element of a repeated message field: appended to `items` and decoded by `decode`,
  // with `field[i]` on the error path.
  template <typename T>
  bool Repeated(ProtoReader& r, WireType wt, const char* field, std::vector<T>* items,
                bool (Decoder::*decode)(string_view, T*)) {
    const int64_t i = static_cast<int64_t>(items->size());
    string_view sub;
    TRY(Len(r, wt, field, i, &sub));
    Scope s(this, field, i);
    items->emplace_back();
    return (this->*decode)(sub, &items->back());
  }
  template <typename E>
  bool Enum(ProtoReader& r, WireType wt, const char* field, E* v) {
    uint64_t u;
    TRY(Varint(r, wt, field, &u));
    *v = static_cast<E>(static_cast<int32_t>(static_cast<uint32_t>(u)));
    return true;
  }

  // A repeated varint field, packed or not; `convert` maps the raw varint.
  template <typename T, typename Convert>
  bool RepeatedVarint(ProtoReader& r, WireType wt, const char* field, std::vector<T>* out,
                      Convert convert) {
    if (wt == WireType::kVarint) {
      uint64_t u;
      if (!r.ReadVarint(&u)) return ReaderFail(r, field);
      out->push_back(convert(u));
      return true;
    }
    string_view packed;
    TRY(Len(r, wt, field, -1, &packed));
    ProtoReader pr(packed, base_);
    while (!pr.done()) {
      uint64_t u;
      if (!pr.ReadVarint(&u)) return Fail(pr.offset(), field, -1, ReadErrorText(pr.error()));
      out->push_back(convert(u));
    }
    return true;
  }
  bool RepeatedDouble(ProtoReader& r, WireType wt, const char* field, std::vector<double>* out) {
    if (wt == WireType::kFixed64) {
      double d;
      TRY(Double(r, wt, field, &d));
      out->push_back(d);
      return true;
    }
    string_view packed;
    TRY(Len(r, wt, field, -1, &packed));
    if (packed.size() % 8 != 0) {
      return Fail(r.field_offset(), field, -1, "packed doubles not a multiple of 8 bytes");
    }
    size_t n = packed.size() / 8;
    size_t at = out->size();
    out->resize(at + n);
    for (size_t i = 0; i < n; ++i) {
      uint64_t u;
      std::memcpy(&u, packed.data() + 8 * i, 8);
      if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap64(u);
      (*out)[at + i] = std::bit_cast<double>(u);
    }
    return true;
  }

  // ---- shared messages
  bool LabelMsg(string_view in, Label* out);
  bool SampleMsg(string_view in, Sample* out);
  bool SpanMsg(string_view in, BucketSpan* out);
  bool HistogramMsg(string_view in, Histogram* out);
  // ---- 1.0
  bool SeriesV1(string_view in, TimeSeries* out);
  bool ExemplarV1(string_view in, Exemplar* out);
  bool MetadataV1(string_view in, MetricMetadata* out);
  // ---- 2.0
  bool SeriesV2(string_view in, TimeSeries* out);
  bool ExemplarV2(string_view in, Exemplar* out);
  bool MetadataV2(string_view in, SeriesMetadata* out);
  bool Symbol(ProtoReader& r, uint32_t ref, const char* field, string_view* out) {
    if (ref >= symbols_.size()) {
      return Fail(r.field_offset(), field, -1,
                  "symbol reference " + std::to_string(ref) + " is out of bounds of the " +
                      std::to_string(symbols_.size()) + "-entry symbols table");
    }
    *out = symbols_[ref];
    return true;
  }
  bool LabelRefs(ProtoReader& r, WireType wt, std::vector<uint32_t>* scratch) {
    return RepeatedVarint(r, wt, "labels_refs", scratch,
                          [](uint64_t u) { return static_cast<uint32_t>(u); });
  }
  bool ResolveLabels(const ProtoReader& r, const std::vector<uint32_t>& refs,
                     std::vector<Label>* out) {
    if (refs.size() % 2 != 0) {
      return Fail(r.offset(), "labels_refs", -1,
                  "odd number of label references (" + std::to_string(refs.size()) + ")");
    }
    out->reserve(out->size() + refs.size() / 2);
    for (size_t i = 0; i < refs.size(); i += 2) {
      if (refs[i] >= symbols_.size() || refs[i + 1] >= symbols_.size()) {
        uint32_t bad = refs[i] >= symbols_.size() ? refs[i] : refs[i + 1];
        return Fail(r.offset(), "labels_refs", static_cast<int64_t>(i),
                    "symbol reference " + std::to_string(bad) + " is out of bounds of the " +
                        std::to_string(symbols_.size()) + "-entry symbols table");
      }
      out->push_back({symbols_[refs[i]], symbols_[refs[i + 1]]});
    }
    return true;
  }

  const char* base_;
  std::vector<PathElem> path_;
  std::vector<string_view> symbols_;
  std::vector<uint32_t> series_refs_, exemplar_refs_;  // scratch for 2.0 label references
  Status error_;
};

bool Decoder::LabelMsg(string_view in, Label* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        return Len(r, wt, "name", -1, &out->name);
      case 2:
        return Len(r, wt, "value", -1, &out->value);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::SampleMsg(string_view in, Sample* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        return Double(r, wt, "value", &out->value);
      case 2:
        TRY(Varint(r, wt, "timestamp", &u));
        out->timestamp_ms = static_cast<int64_t>(u);
        return true;
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::SpanMsg(string_view in, BucketSpan* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        TRY(Varint(r, wt, "offset", &u));
        out->offset = ZigZagDecode32(static_cast<uint32_t>(u));
        return true;
      case 2:
        TRY(Varint(r, wt, "length", &u));
        out->length = static_cast<uint32_t>(u);
        return true;
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::HistogramMsg(string_view in, Histogram* out) {
  auto zigzag64 = [](uint64_t u) { return ZigZagDecode64(u); };
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        TRY(Varint(r, wt, "count_int", &out->count_int));
        out->float_counts = false;
        return true;
      case 2:
        TRY(Double(r, wt, "count_float", &out->count_float));
        out->float_counts = true;
        return true;
      case 3:
        return Double(r, wt, "sum", &out->sum);
      case 4:
        TRY(Varint(r, wt, "schema", &u));
        out->schema = ZigZagDecode32(static_cast<uint32_t>(u));
        return true;
      case 5:
        return Double(r, wt, "zero_threshold", &out->zero_threshold);
      case 6:
        return Varint(r, wt, "zero_count_int", &out->zero_count_int);
      case 7:
        return Double(r, wt, "zero_count_float", &out->zero_count_float);
      case 8:
      case 11: {
        auto* spans = f == 8 ? &out->negative_spans : &out->positive_spans;
        const char* name = f == 8 ? "negative_spans" : "positive_spans";
        return Repeated(r, wt, name, spans, &Decoder::SpanMsg);
      }
      case 9:
        return RepeatedVarint(r, wt, "negative_deltas", &out->negative_deltas, zigzag64);
      case 12:
        return RepeatedVarint(r, wt, "positive_deltas", &out->positive_deltas, zigzag64);
      case 10:
        return RepeatedDouble(r, wt, "negative_counts", &out->negative_counts);
      case 13:
        return RepeatedDouble(r, wt, "positive_counts", &out->positive_counts);
      case 14:
        return Enum(r, wt, "reset_hint", &out->reset_hint);
      case 15:
        TRY(Varint(r, wt, "timestamp", &u));
        out->timestamp_ms = static_cast<int64_t>(u);
        return true;
      case 16:
        return RepeatedDouble(r, wt, "custom_values", &out->custom_values);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::ExemplarV1(string_view in, Exemplar* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        return Repeated(r, wt, "labels", &out->labels, &Decoder::LabelMsg);
      case 2:
        return Double(r, wt, "value", &out->value);
      case 3:
        TRY(Varint(r, wt, "timestamp", &u));
        out->timestamp_ms = static_cast<int64_t>(u);
        return true;
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::SeriesV1(string_view in, TimeSeries* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1: {
        if (out->labels.empty()) out->labels.reserve(kLabelsGuess);
        return Repeated(r, wt, "labels", &out->labels, &Decoder::LabelMsg);
      }
      case 2:
        return Repeated(r, wt, "samples", &out->samples, &Decoder::SampleMsg);
      case 3:
        return Repeated(r, wt, "exemplars", &out->exemplars, &Decoder::ExemplarV1);
      case 4:
        return Repeated(r, wt, "histograms", &out->histograms, &Decoder::HistogramMsg);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::MetadataV1(string_view in, MetricMetadata* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        return Enum(r, wt, "type", &out->type);
      case 2:
        return Len(r, wt, "metric_family_name", -1, &out->metric_family_name);
      case 4:
        return Len(r, wt, "help", -1, &out->help);
      case 5:
        return Len(r, wt, "unit", -1, &out->unit);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::RequestV1(string_view in, WriteRequest* out) {
  out->timeseries.reserve(CountField(in, 1));
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    switch (f) {
      case 1:
        return Repeated(r, wt, "timeseries", &out->timeseries, &Decoder::SeriesV1);
      case 3:
        return Repeated(r, wt, "metadata", &out->metadata, &Decoder::MetadataV1);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::ExemplarV2(string_view in, Exemplar* out) {
  std::vector<uint32_t>& refs = exemplar_refs_;
  refs.clear();
  ProtoReader start(in, base_);
  TRY(ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        return LabelRefs(r, wt, &refs);
      case 2:
        return Double(r, wt, "value", &out->value);
      case 3:
        TRY(Varint(r, wt, "timestamp", &u));
        out->timestamp_ms = static_cast<int64_t>(u);
        return true;
      default:
        return Skip(r, wt);
    }
  }));
  return ResolveLabels(start, refs, &out->labels);
}

bool Decoder::MetadataV2(string_view in, SeriesMetadata* out) {
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    uint64_t u;
    switch (f) {
      case 1:
        return Enum(r, wt, "type", &out->type);
      case 3:
        TRY(Varint(r, wt, "help_ref", &u));
        return Symbol(r, static_cast<uint32_t>(u), "help_ref", &out->help);
      case 4:
        TRY(Varint(r, wt, "unit_ref", &u));
        return Symbol(r, static_cast<uint32_t>(u), "unit_ref", &out->unit);
      default:
        return Skip(r, wt);
    }
  });
}

bool Decoder::SeriesV2(string_view in, TimeSeries* out) {
  std::vector<uint32_t>& refs = series_refs_;  // reused: no allocation per series
  refs.clear();
  ProtoReader start(in, base_);
  TRY(ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    string_view sub;
    uint64_t u;
    switch (f) {
      case 1:
        return LabelRefs(r, wt, &refs);
      case 2:
        return Repeated(r, wt, "samples", &out->samples, &Decoder::SampleMsg);
      case 3:
        return Repeated(r, wt, "histograms", &out->histograms, &Decoder::HistogramMsg);
      case 4:
        return Repeated(r, wt, "exemplars", &out->exemplars, &Decoder::ExemplarV2);
      case 5: {
        TRY(Len(r, wt, "metadata", -1, &sub));
        Scope s(this, "metadata", -1);
        return MetadataV2(sub, &out->metadata);
      }
      case 6:
        TRY(Varint(r, wt, "created_timestamp", &u));
        out->created_timestamp_ms = static_cast<int64_t>(u);
        return true;
      default:
        return Skip(r, wt);
    }
  }));
  return ResolveLabels(start, refs, &out->labels);
}

bool Decoder::RequestV2(string_view in, WriteRequest* out) {
  // Pass 1: the symbols table.
  TRY(ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f != 4) return Skip(r, wt);
    string_view s;
    TRY(Len(r, wt, "symbols", static_cast<int64_t>(symbols_.size()), &s));
    symbols_.push_back(s);
    return true;
  }));
  // Pass 2: the series.
  out->timeseries.reserve(CountField(in, 5));
  return ForEachField(in, [&](ProtoReader& r, uint32_t f, WireType wt) {
    if (f == 4) return Skip(r, wt);
    if (f != 5) return Skip(r, wt);
    return Repeated(r, wt, "timeseries", &out->timeseries, &Decoder::SeriesV2);
  });
}

// ---------------------------------------------------------------- encoding

// Builds a message into a scratch string, then appends it length-delimited: simple, and the
// messages are small (a series, a label), so the extra copy is cheap next to the network.
class Encoder {
 public:
  static void Str(std::string* out, uint32_t field, string_view s) {
    if (!s.empty()) AppendLengthDelimited(out, field, s);
  }
  static void Uvarint(std::string* out, uint32_t field, uint64_t v) {
    if (v == 0) return;
    AppendTag(out, field, WireType::kVarint);
    AppendVarint(out, v);
  }
  static void Svarint(std::string* out, uint32_t field, int64_t v) {
    Uvarint(out, field, static_cast<uint64_t>(v));
  }
  static void Double(std::string* out, uint32_t field, double v, bool always = false) {
    if (!always && std::bit_cast<uint64_t>(v) == 0) return;  // +0.0 is the default
    AppendTag(out, field, WireType::kFixed64);
    AppendFixed64(out, std::bit_cast<uint64_t>(v));
  }
  template <typename T, typename F>
  static void PackedVarint(std::string* out, uint32_t field, const std::vector<T>& v, F conv) {
    if (v.empty()) return;
    std::string packed;
    for (const T& x : v) AppendVarint(&packed, conv(x));
    AppendLengthDelimited(out, field, packed);
  }
  static void PackedDouble(std::string* out, uint32_t field, const std::vector<double>& v) {
    if (v.empty()) return;
    AppendTag(out, field, WireType::kLengthDelimited);
    AppendVarint(out, v.size() * 8);
    for (double d : v) AppendFixed64(out, std::bit_cast<uint64_t>(d));
  }

  static void LabelMsg(std::string* out, const Label& l) {
    std::string m;
    Str(&m, 1, l.name);
    Str(&m, 2, l.value);
    AppendLengthDelimited(out, 1, m);
  }
  static void SampleMsg(std::string* out, uint32_t field, const Sample& s) {
    std::string m;
    Double(&m, 1, s.value);
    Svarint(&m, 2, s.timestamp_ms);
    AppendLengthDelimited(out, field, m);
  }
  static void Spans(std::string* out, uint32_t field, const std::vector<BucketSpan>& spans) {
    for (const BucketSpan& s : spans) {
      std::string m;
      Uvarint(&m, 1, ZigZagEncode32(s.offset));
      Uvarint(&m, 2, s.length);
      AppendLengthDelimited(out, field, m);
    }
  }
  static void HistogramMsg(std::string* out, uint32_t field, const Histogram& h) {
    std::string m;
    if (h.float_counts) {
      Double(&m, 2, h.count_float, /*always=*/true);
    } else {
      AppendTag(&m, 1, WireType::kVarint);
      AppendVarint(&m, h.count_int);
    }
    Double(&m, 3, h.sum);
    Uvarint(&m, 4, ZigZagEncode32(h.schema));
    Double(&m, 5, h.zero_threshold);
    if (h.float_counts) {
      Double(&m, 7, h.zero_count_float, /*always=*/true);
    } else {
      AppendTag(&m, 6, WireType::kVarint);
      AppendVarint(&m, h.zero_count_int);
    }
    auto zz = [](int64_t v) { return ZigZagEncode64(v); };
    Spans(&m, 8, h.negative_spans);
    PackedVarint(&m, 9, h.negative_deltas, zz);
    PackedDouble(&m, 10, h.negative_counts);
    Spans(&m, 11, h.positive_spans);
    PackedVarint(&m, 12, h.positive_deltas, zz);
    PackedDouble(&m, 13, h.positive_counts);
    Uvarint(&m, 14, static_cast<uint32_t>(h.reset_hint));
    Svarint(&m, 15, h.timestamp_ms);
    PackedDouble(&m, 16, h.custom_values);
    AppendLengthDelimited(out, field, m);
  }
};

// The 2.0 symbols table: "" first, then strings in order of first use.
class SymbolTable {
 public:
  SymbolTable() { Ref(""); }
  uint32_t Ref(string_view s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<uint32_t>(symbols_.size()));
    if (inserted) symbols_.push_back(s);
    return it->second;
  }
  const std::vector<string_view>& symbols() const { return symbols_; }

 private:
  std::unordered_map<string_view, uint32_t> index_;
  std::vector<string_view> symbols_;
};

}  // namespace

Result<WriteRequest> DecodeWriteRequest(std::string_view bytes) {
  Decoder d(bytes);
  WriteRequest out;
  if (!d.RequestV1(bytes, &out)) return d.TakeError();
  return out;
}

Result<WriteRequest> DecodeWriteRequestV2(std::string_view bytes) {
  Decoder d(bytes);
  WriteRequest out;
  if (!d.RequestV2(bytes, &out)) return d.TakeError();
  return out;
}

void AppendWriteRequest(const WriteRequest& request, std::string* out) {
  using E = Encoder;
  std::string series;
  std::string sub;
  for (const TimeSeries& ts : request.timeseries) {
    series.clear();
    for (const Label& l : ts.labels) E::LabelMsg(&series, l);
    for (const Sample& s : ts.samples) E::SampleMsg(&series, 2, s);
    for (const Exemplar& e : ts.exemplars) {
      sub.clear();
      for (const Label& l : e.labels) E::LabelMsg(&sub, l);
      E::Double(&sub, 2, e.value);
      E::Svarint(&sub, 3, e.timestamp_ms);
      AppendLengthDelimited(&series, 3, sub);
    }
    for (const Histogram& h : ts.histograms) E::HistogramMsg(&series, 4, h);
    AppendLengthDelimited(out, 1, series);
  }
  for (const MetricMetadata& m : request.metadata) {
    sub.clear();
    E::Uvarint(&sub, 1, static_cast<uint32_t>(m.type));
    E::Str(&sub, 2, m.metric_family_name);
    E::Str(&sub, 4, m.help);
    E::Str(&sub, 5, m.unit);
    AppendLengthDelimited(out, 3, sub);
  }
}

void AppendWriteRequestV2(const WriteRequest& request, std::string* out) {
  using E = Encoder;
  SymbolTable symbols;
  std::string body;  // the series; symbols go first on the wire, so build these aside
  std::string series;
  std::string sub;
  std::vector<uint32_t> refs;
  auto label_refs = [&](const std::vector<Label>& labels) {
    refs.clear();
    for (const Label& l : labels) {
      refs.push_back(symbols.Ref(l.name));
      refs.push_back(symbols.Ref(l.value));
    }
    return refs;
  };
  auto ident = [](uint32_t v) { return static_cast<uint64_t>(v); };
  for (const TimeSeries& ts : request.timeseries) {
    series.clear();
    E::PackedVarint(&series, 1, label_refs(ts.labels), ident);
    for (const Sample& s : ts.samples) E::SampleMsg(&series, 2, s);
    for (const Histogram& h : ts.histograms) E::HistogramMsg(&series, 3, h);
    for (const Exemplar& e : ts.exemplars) {
      sub.clear();
      E::PackedVarint(&sub, 1, label_refs(e.labels), ident);
      E::Double(&sub, 2, e.value);
      E::Svarint(&sub, 3, e.timestamp_ms);
      AppendLengthDelimited(&series, 4, sub);
    }
    sub.clear();
    E::Uvarint(&sub, 1, static_cast<uint32_t>(ts.metadata.type));
    E::Uvarint(&sub, 3, symbols.Ref(ts.metadata.help));
    E::Uvarint(&sub, 4, symbols.Ref(ts.metadata.unit));
    if (!sub.empty()) AppendLengthDelimited(&series, 5, sub);
    E::Svarint(&series, 6, ts.created_timestamp_ms);
    AppendLengthDelimited(&body, 5, series);
  }
  for (string_view s : symbols.symbols()) {
    AppendTag(out, 4, WireType::kLengthDelimited);  // "" is written too: it is entry 0
    AppendVarint(out, s.size());
    out->append(s);
  }
  out->append(body);
}

}  // namespace astrolabe::wire::prw
