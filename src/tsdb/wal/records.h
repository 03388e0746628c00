#pragma once
// The logical WAL records the head writes and replays: series definitions, float samples,
// tombstones and metric metadata. A record is one byte of RecordType followed by a batch of
// entries; refs and timestamps are delta-encoded within the record as zigzag varints, values
// are the 8 IEEE-754 bytes. docs/design/tsdb-wal.md draws each layout.
//
// Independent of any Labels type: series labels go in and come out as spans of
// (name, value) string_view pairs. Decoding yields views into the record bytes, which the
// caller keeps alive (during Wal::Replay, only for the callback): copy what you keep.
// Decoders never trust counts or lengths in the bytes and fail with a message naming the
// entry and byte offset. Thread-compatible; the functions are pure.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace astrolabe::tsdb::wal {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kMetadata = 4,
};

using LabelView = std::pair<std::string_view, std::string_view>;

struct SeriesRecord {
  uint64_t ref = 0;
  std::span<const LabelView> labels;  // sorted by name, as the head keeps them
};

struct SampleRecord {
  uint64_t ref = 0;
  int64_t t_ms = 0;
  double v = 0;
};

struct TombstoneRecord {
  uint64_t ref = 0;
  int64_t mint = 0;  // inclusive
  int64_t maxt = 0;  // inclusive
};

// The OpenMetrics metric families; the head maps its own enum onto these.
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateSet = 7,
};

// Metadata of one series (`ref`, with `family` empty) or of a whole metric family (`family`
// set, `ref` 0 by convention): the head keeps metadata per family, others may keep it per
// series. The latest record for a key wins.
struct MetadataRecord {
  uint64_t ref = 0;
  MetricType type = MetricType::kUnknown;
  std::string_view unit;
  std::string_view help;
  std::string_view family;
};

// Each Encode* replaces *out with one record holding every entry of `entries` (the buffer's
// capacity is reused). An empty batch still makes a valid record.
void EncodeSeries(std::span<const SeriesRecord> entries, std::string* out);
void EncodeSamples(std::span<const SampleRecord> entries, std::string* out);
void EncodeTombstones(std::span<const TombstoneRecord> entries, std::string* out);
void EncodeMetadata(std::span<const MetadataRecord> entries, std::string* out);

// The type byte of `record`; InvalidArgument when empty or not a known type.
Result<RecordType> PeekRecordType(std::string_view record);

// Each Decode* clears and fills *out (and *labels for series) from `record`, whose type must
// match. Series spans point into *labels, so keep both together; string_views point into
// `record`. On error *out holds the entries decoded before the damage.
Status DecodeSeries(std::string_view record, std::vector<SeriesRecord>* out,
                    std::vector<LabelView>* labels);
Status DecodeSamples(std::string_view record, std::vector<SampleRecord>* out);
Status DecodeTombstones(std::string_view record, std::vector<TombstoneRecord>* out);
Status DecodeMetadata(std::string_view record, std::vector<MetadataRecord>* out);

// A series with owned strings, for callers that keep what they decode (checkpoint, tests).
struct OwnedSeries {
  uint64_t ref = 0;
  std::vector<std::pair<std::string, std::string>> labels;
};
OwnedSeries ToOwned(const SeriesRecord& series);

}  // namespace astrolabe::tsdb::wal
