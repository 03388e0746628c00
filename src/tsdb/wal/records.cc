#include "tsdb/wal/records.h"

#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace astrolabe::tsdb::wal {
namespace {

void PutUvarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Deltas wrap modulo 2^64, so any pair of refs or timestamps round-trips.
void PutDelta(uint64_t value, uint64_t prev, std::string* out) {
  PutUvarint(ZigZag(static_cast<int64_t>(value - prev)), out);
}

void PutString(std::string_view s, std::string* out) {
  PutUvarint(s.size(), out);
  out->append(s);
}

void PutDouble(double v, std::string* out) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
  out->append(buf, 8);
}

void Begin(RecordType type, size_t count, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(type));
  PutUvarint(count, out);
}

// A cursor over a record's bytes; every read checks bounds and remembers the first failure.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}

  bool Uvarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Fail("varint cut short");
      auto b = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && b > 1) return Fail("varint overflows 64 bits");
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return Fail("varint overflows 64 bits");
  }

  bool Delta(uint64_t prev, uint64_t* v) {
    uint64_t zz;
    if (!Uvarint(&zz)) return false;
    *v = prev + static_cast<uint64_t>(UnZigZag(zz));
    return true;
  }

  bool Double(double* v) {
    if (data_.size() - pos_ < 8) return Fail("value cut short");
    uint64_t bits = 0;
    for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += 8;
    *v = std::bit_cast<double>(bits);
    return true;
  }

  bool Byte(uint8_t* v) {
    if (pos_ >= data_.size()) return Fail("byte cut short");
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  bool String(std::string_view* s) {
    uint64_t n;
    if (!Uvarint(&n)) return false;
    if (n > data_.size() - pos_) return Fail(fmt::format("string of {} bytes cut short", n));
    *s = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // A count of entries, each at least `min_entry_bytes` long: bounded by the bytes left, so
  // a forged count cannot make the caller reserve more than the record could hold.
  bool Count(size_t min_entry_bytes, uint64_t* n) {
    if (!Uvarint(n)) return false;
    if (*n > (data_.size() - pos_) / min_entry_bytes) {
      return Fail(fmt::format("count {} larger than the record can hold", *n));
    }
    return true;
  }

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  const std::string& error() const { return error_; }

  bool Fail(std::string what) {
    if (error_.empty()) error_ = fmt::format("{} at byte {}", what, pos_);
    return false;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

const char* TypeName(RecordType t) {
  switch (t) {
    case RecordType::kSeries:
      return "series";
    case RecordType::kSamples:
      return "samples";
    case RecordType::kTombstones:
      return "tombstones";
    case RecordType::kMetadata:
      return "metadata";
  }
  return "unknown";
}

// Checks the type byte and reads the entry count.
Status Start(std::string_view record, RecordType want, size_t min_entry_bytes, Cursor* c,
             uint64_t* count) {
  uint8_t type;
  if (!c->Byte(&type)) return InvalidArgument(fmt::format("{} record is empty", TypeName(want)));
  if (type != static_cast<uint8_t>(want)) {
    return InvalidArgument(fmt::format("record type {} is not a {} record", type, TypeName(want)));
  }
  if (!c->Count(min_entry_bytes, count)) {
    return InvalidArgument(fmt::format("{} record: {}", TypeName(want), c->error()));
  }
  return Status::Ok();
}

Status EntryError(RecordType type, uint64_t i, const Cursor& c) {
  return InvalidArgument(fmt::format("{} record entry {}: {}", TypeName(type), i, c.error()));
}

Status Finish(RecordType type, Cursor* c) {
  if (!c->at_end()) {
    return InvalidArgument(
        fmt::format("{} record has trailing bytes at byte {}", TypeName(type), c->pos()));
  }
  return Status::Ok();
}

}  // namespace

void EncodeSeries(std::span<const SeriesRecord> entries, std::string* out) {
  Begin(RecordType::kSeries, entries.size(), out);
  uint64_t prev = 0;
  for (const auto& s : entries) {
    PutDelta(s.ref, prev, out);
    prev = s.ref;
    PutUvarint(s.labels.size(), out);
    for (const auto& [name, value] : s.labels) {
      PutString(name, out);
      PutString(value, out);
    }
  }
}

void EncodeSamples(std::span<const SampleRecord> entries, std::string* out) {
  Begin(RecordType::kSamples, entries.size(), out);
  out->reserve(out->size() + entries.size() * 12);
  uint64_t prev_ref = 0;
  uint64_t prev_t = 0;
  for (const auto& s : entries) {
    PutDelta(s.ref, prev_ref, out);
    PutDelta(static_cast<uint64_t>(s.t_ms), prev_t, out);
    PutDouble(s.v, out);
    prev_ref = s.ref;
    prev_t = static_cast<uint64_t>(s.t_ms);
  }
}

void EncodeTombstones(std::span<const TombstoneRecord> entries, std::string* out) {
  Begin(RecordType::kTombstones, entries.size(), out);
  uint64_t prev = 0;
  for (const auto& t : entries) {
    PutDelta(t.ref, prev, out);
    prev = t.ref;
    PutUvarint(ZigZag(t.mint), out);
    PutDelta(static_cast<uint64_t>(t.maxt), static_cast<uint64_t>(t.mint), out);
  }
}

void EncodeMetadata(std::span<const MetadataRecord> entries, std::string* out) {
  Begin(RecordType::kMetadata, entries.size(), out);
  uint64_t prev = 0;
  for (const auto& m : entries) {
    PutDelta(m.ref, prev, out);
    prev = m.ref;
    out->push_back(static_cast<char>(m.type));
    PutString(m.family, out);
    PutString(m.unit, out);
    PutString(m.help, out);
  }
}

Result<RecordType> PeekRecordType(std::string_view record) {
  if (record.empty()) return InvalidArgument("empty record");
  auto t = static_cast<uint8_t>(record[0]);
  if (t < static_cast<uint8_t>(RecordType::kSeries) ||
      t > static_cast<uint8_t>(RecordType::kMetadata)) {
    return InvalidArgument(fmt::format("unknown record type {}", t));
  }
  return static_cast<RecordType>(t);
}

Status DecodeSeries(std::string_view record, std::vector<SeriesRecord>* out,
                    std::vector<LabelView>* labels) {
  out->clear();
  labels->clear();
  Cursor c(record);
  uint64_t count;
  RETURN_IF_ERROR(Start(record, RecordType::kSeries, 2, &c, &count));
  out->reserve(count);
  // Spans are made once every label is in place: *labels may reallocate while it fills.
  std::vector<std::pair<size_t, size_t>> ranges;
  ranges.reserve(count);
  uint64_t prev = 0;
  Status status;
  for (uint64_t i = 0; i < count && status.ok(); ++i) {
    uint64_t ref;
    uint64_t n;
    if (!c.Delta(prev, &ref) || !c.Count(2, &n)) {
      status = EntryError(RecordType::kSeries, i, c);
      break;
    }
    prev = ref;
    size_t begin = labels->size();
    for (uint64_t j = 0; j < n; ++j) {
      LabelView l;
      if (!c.String(&l.first) || !c.String(&l.second)) {
        status = EntryError(RecordType::kSeries, i, c);
        break;
      }
      labels->push_back(l);
    }
    if (!status.ok()) break;
    out->push_back(SeriesRecord{ref, {}});
    ranges.emplace_back(begin, labels->size() - begin);
  }
  for (size_t i = 0; i < out->size(); ++i) {
    (*out)[i].labels =
        std::span<const LabelView>(labels->data() + ranges[i].first, ranges[i].second);
  }
  RETURN_IF_ERROR(status);
  return Finish(RecordType::kSeries, &c);
}

Status DecodeSamples(std::string_view record, std::vector<SampleRecord>* out) {
  out->clear();
  Cursor c(record);
  uint64_t count;
  RETURN_IF_ERROR(Start(record, RecordType::kSamples, 10, &c, &count));
  out->resize(count);
  uint64_t prev_ref = 0;
  uint64_t prev_t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    SampleRecord& s = (*out)[i];
    uint64_t t;
    if (!c.Delta(prev_ref, &s.ref) || !c.Delta(prev_t, &t) || !c.Double(&s.v)) {
      out->resize(i);
      return EntryError(RecordType::kSamples, i, c);
    }
    s.t_ms = static_cast<int64_t>(t);
    prev_ref = s.ref;
    prev_t = t;
  }
  return Finish(RecordType::kSamples, &c);
}

Status DecodeTombstones(std::string_view record, std::vector<TombstoneRecord>* out) {
  out->clear();
  Cursor c(record);
  uint64_t count;
  RETURN_IF_ERROR(Start(record, RecordType::kTombstones, 3, &c, &count));
  out->reserve(count);
  uint64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    TombstoneRecord t;
    uint64_t mint;
    uint64_t maxt;
    if (!c.Delta(prev, &t.ref) || !c.Uvarint(&mint))
      return EntryError(RecordType::kTombstones, i, c);
    t.mint = UnZigZag(mint);
    if (!c.Delta(static_cast<uint64_t>(t.mint), &maxt)) {
      return EntryError(RecordType::kTombstones, i, c);
    }
    t.maxt = static_cast<int64_t>(maxt);
    prev = t.ref;
    out->push_back(t);
  }
  return Finish(RecordType::kTombstones, &c);
}

Status DecodeMetadata(std::string_view record, std::vector<MetadataRecord>* out) {
  out->clear();
  Cursor c(record);
  uint64_t count;
  RETURN_IF_ERROR(Start(record, RecordType::kMetadata, 5, &c, &count));
  out->reserve(count);
  uint64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    MetadataRecord m;
    uint8_t type;
    if (!c.Delta(prev, &m.ref) || !c.Byte(&type) || !c.String(&m.family) || !c.String(&m.unit) ||
        !c.String(&m.help)) {
      return EntryError(RecordType::kMetadata, i, c);
    }
    if (type > static_cast<uint8_t>(MetricType::kStateSet)) {
      c.Fail(fmt::format("unknown metric type {}", type));
      return EntryError(RecordType::kMetadata, i, c);
    }
    m.type = static_cast<MetricType>(type);
    prev = m.ref;
    out->push_back(m);
  }
  return Finish(RecordType::kMetadata, &c);
}

OwnedSeries ToOwned(const SeriesRecord& series) {
  OwnedSeries o;
  o.ref = series.ref;
  o.labels.reserve(series.labels.size());
  for (const auto& [n, v] : series.labels) o.labels.emplace_back(std::string(n), std::string(v));
  return o;
}

}  // namespace astrolabe::tsdb::wal
