#pragma once
// The delta tracker of the cumulativetodelta processor: it remembers the previous
// cumulative point of every stream and turns each new point into the delta since then.
// docs/design/cumulativetodelta.md describes the algorithm and where it differs from
// upstream's (contrib processor/cumulativetodeltaprocessor/internal/tracking).
//
//   Tracker tracker({.initial_value = InitialValue::kAuto, .created_unix_nano = now});
//   std::optional<DeltaPoint> delta = tracker.Convert(key, point);
//   if (delta) { ...write delta->start_time_unix_nano and delta->value into the point... }
//   tracker.Sweep(stale_before);  // forget streams not seen since `stale_before`

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "pdata/metrics.h"

namespace astrolabe::processor::cumulativetodelta {

// What to do with the first point of a stream (config key `initial_value`).
enum class InitialValue {
  // Emit the first point's full value only when its start time is known and lies after
  // the processor was created (the stream began while we were watching); drop it
  // otherwise (start unset, start == point time, or start before creation).
  kAuto,
  // Always emit the first point's full value, with start time unset (0).
  kKeep,
  // Never emit the first point; deltas begin with the second.
  kDrop,
};

// "auto", "keep", "drop".
std::string_view InitialValueName(InitialValue v);
// Exact, lowercase names only; nullopt for anything else.
std::optional<InitialValue> ParseInitialValue(std::string_view text);

// The identity of a stream, as upstream's tracking.MetricIdentity: a point belongs to the
// same stream as an earlier one only when every field is equal. The start time is part
// of the key, so a producer restart that announces a new start time begins a new stream.
// Description, scope attributes and schema URLs are not part of the identity.
struct StreamKey {
  pdata::MetricType type = pdata::MetricType::kSum;
  bool is_int = false;         // sums only: int64 values rather than doubles
  uint64_t resource_hash = 0;  // pdata::HashAttributes of the resource attributes
  std::string scope_name;
  std::string scope_version;
  bool is_monotonic = false;
  std::string name;
  std::string unit;
  uint64_t attributes_hash = 0;  // pdata::HashAttributes of the point attributes
  uint64_t start_time_unix_nano = 0;

  friend bool operator==(const StreamKey&, const StreamKey&) = default;
};

struct StreamKeyHash {
  size_t operator()(const StreamKey& key) const;
};

// The cumulative state of an explicit-bucket histogram point. An absent sum is 0.
struct HistogramValue {
  uint64_t count = 0;
  double sum = 0;
  std::vector<uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
  friend bool operator==(const HistogramValue&, const HistogramValue&) = default;
};

// The cumulative state of an exponential histogram point. An absent sum is 0.
struct ExponentialHistogramValue {
  uint64_t count = 0;
  double sum = 0;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  pdata::ExponentialHistogramDataPoint::Buckets positive;
  pdata::ExponentialHistogramDataPoint::Buckets negative;
  friend bool operator==(const ExponentialHistogramValue&,
                         const ExponentialHistogramValue&) = default;
};

// A sum's value (double or int64, as the point carried it) or a histogram's state. The
// alternative must match the key: double/int64 for kSum (is_int chooses), HistogramValue
// for kHistogram, ExponentialHistogramValue for kExponentialHistogram.
using PointValue = std::variant<double, int64_t, HistogramValue, ExponentialHistogramValue>;

struct CumulativePoint {
  uint64_t time_unix_nano = 0;
  PointValue value;
};

struct DeltaPoint {
  // The start of the delta interval: the previous point's time, or for a first point
  // emitted under kAuto its own start time, under kKeep 0.
  uint64_t start_time_unix_nano = 0;
  PointValue value;
};

struct TrackerOptions {
  InitialValue initial_value = InitialValue::kAuto;
  // When the processor was created (Unix ns); kAuto compares start times against it.
  uint64_t created_unix_nano = 0;
};

// A Tracker turns cumulative points into deltas, one stream at a time.
// Thread-compatible: the processor serialises calls per pipeline (it holds a mutex).
class Tracker {
 public:
  explicit Tracker(TrackerOptions options);

  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Returns the delta for `point`, or nullopt when the point is not to be emitted:
  //   - the first point of a stream, unless initial_value says to emit it;
  //   - a sum whose value went down (a counter reset): the point is dropped and becomes
  //     the new reference, so the next delta counts from the post-reset value;
  //   - a histogram whose bucket layout changed (it becomes the new reference);
  //   - an exponential histogram that was reset (count, zero threshold or layout shows
  //     it): dropped, and the previous point stays the reference.
  // A histogram whose count went down is a reset too, but its cumulative value is
  // returned as the delta. A NaN histogram sum is stored as the previous sum (the caller
  // keeps NaN in the output). Callers handle NaN sums and no-recorded-value points
  // themselves and do not pass them here.
  // REQUIRES: point.value's alternative matches key (see PointValue);
  //           point.time_unix_nano >= the previous point's time for the same key.
  std::optional<DeltaPoint> Convert(const StreamKey& key, const CumulativePoint& point);

  // The same in two steps, for callers with many points per metric: Intern() once per
  // metric (the key's type, resource hash, scope, name, unit and monotonicity: the parts
  // that are strings), then Convert(metric, key, point) per point, which reads only the
  // key's point fields (is_int, attributes_hash, start_time_unix_nano). Streams are then
  // found by plain integers: no string is hashed or compared per point. The id stays valid
  // until the next Sweep().
  uint64_t Intern(const StreamKey& key);
  std::optional<DeltaPoint> Convert(uint64_t metric, const StreamKey& key,
                                    const CumulativePoint& point);

  // Forgets every stream whose last point's time is before `stale_before` (Unix ns).
  void Sweep(uint64_t stale_before);

  // Streams currently remembered.
  size_t StreamCount() const { return states_.size(); }

 private:
  struct State {
    CumulativePoint previous;
  };
  // A stream: its interned metric and its point fields.
  struct PointKey {
    uint64_t metric = 0;
    uint64_t attributes_hash = 0;
    uint64_t start_time_unix_nano = 0;
    bool is_int = false;
    friend bool operator==(const PointKey&, const PointKey&) = default;
  };
  struct PointKeyHash {
    size_t operator()(const PointKey& k) const;
  };
  struct MetricEntry {
    uint64_t id = 0;
    size_t streams = 0;
  };

  TrackerOptions options_;
  // The metric part of a StreamKey (point fields zero) → its id.
  std::unordered_map<StreamKey, MetricEntry, StreamKeyHash> metrics_;
  std::unordered_map<uint64_t, StreamKey> metric_keys_;  // id → key (for Sweep)
  uint64_t next_metric_ = 1;
  std::unordered_map<PointKey, State, PointKeyHash> states_;
};

}  // namespace astrolabe::processor::cumulativetodelta
