#pragma once
// The storage seam (DESIGN.md §3): what ingest writes through and what query reads through.
// Query code depends on these interfaces only, never on src/tsdb internals.
//
//   Storage ──NewAppender()──► Appender   Append / AppendByRef / UpdateMetadata, then Commit
//           └─NewQuerier()───► Querier    Select(matchers, mint, maxt) → SeriesSet
//                                          SeriesSet → Series → SampleIterator (Next/Seek/At)
//
// Times are milliseconds since the Unix epoch; values are doubles (Prometheus stale markers are
// one NaN bit pattern and are stored bit-exactly). Classic histograms are stored the way
// Prometheus keeps them: plain float series `<name>_bucket{le="…"}`, `<name>_sum`, `<name>_count`.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/labels.h"
#include "storage/matcher.h"

namespace astrolabe::storage {

// Identifies a series inside one Storage for the lifetime of that Storage. 0 is never a valid
// reference.
using SeriesRef = uint64_t;

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

struct Sample {
  int64_t t = 0;
  double v = 0;
};

// ---- errors -------------------------------------------------------------------------------
// Per-sample append errors. Their messages start with Prometheus' wording so that API
// responses read the same; AppendErrorKindOf() classifies a Status by that prefix.
enum class AppendErrorKind {
  kNone,
  kOutOfOrder,     // "out of order sample": older than the series' newest sample, no OOO window
  kTooOld,         // "too old sample": older than the out-of-order window allows
  kOutOfBounds,    // "out of bounds": before the head's minimum valid time
  kDuplicate,      // "duplicate sample for timestamp": same time, different value
  kInvalidLabels,  // "invalid labels": empty set, empty name, duplicate names
  kUnknownRef,     // "unknown series ref"
  kLimit,          // "series limit": the storage refuses new series
  kOther,
};
Status OutOfOrderSampleError(const Labels* labels, int64_t t, int64_t newest);
Status TooOldSampleError(const Labels* labels, int64_t t, int64_t min_allowed);
Status OutOfBoundsError(const Labels* labels, int64_t t, int64_t min_valid);
Status DuplicateSampleError(const Labels* labels, int64_t t, double existing, double v);
Status InvalidLabelsError(std::string_view why);
Status UnknownRefError(SeriesRef ref);
AppendErrorKind AppendErrorKindOf(const Status& status);

// ---- metadata ----------------------------------------------------------------------------
enum class MetricType {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset
};
std::string_view MetricTypeString(MetricType type);  // "counter", "gauge", … as in the API

struct MetricMetadata {
  MetricType type = MetricType::kUnknown;
  std::string unit;
  std::string help;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

struct FamilyMetadata {
  std::string family;  // metric family name, e.g. "time_to_first_token_seconds"
  MetricMetadata metadata;
};

// ---- write path --------------------------------------------------------------------------
// An Appender batches samples; nothing is visible to queriers before Commit(). One appender
// serves one request on one thread (not thread-safe); many appenders may run concurrently.
// Per-sample errors come back from Append*/ and drop that sample only: the caller may keep
// appending and still Commit the rest. After Commit() or Rollback() the appender is spent.
class Appender {
 public:
  virtual ~Appender() = default;

  // Appends (t, v) to the series `labels`, creating the series if needed, and returns its ref
  // for later AppendByRef calls. Errors: AppendErrorKind above.
  virtual Result<SeriesRef> Append(const Labels& labels, int64_t t, double v) = 0;
  // Fast path for a ref returned earlier by this Storage. kUnknownRef when it is gone.
  virtual Status AppendByRef(SeriesRef ref, int64_t t, double v) = 0;
  // Records type/unit/help of a metric family; the last committed update wins.
  virtual Status UpdateMetadata(std::string_view family, const MetricMetadata& metadata) = 0;

  // Makes the batch durable (when the storage logs) and visible. On error nothing of the batch
  // is visible and the caller must not acknowledge it.
  virtual Status Commit() = 0;
  // Discards the batch. Series created by Append stay (empty) until garbage-collected.
  virtual void Rollback() = 0;
};

// ---- read path ---------------------------------------------------------------------------
// Iterates one series' samples in increasing time order. Not thread-safe.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Moves to the next sample; false at the end or on error (then Err() says why).
  virtual bool Next() = 0;
  // Moves to the first sample with time >= t; stays when the current sample already qualifies;
  // never moves backwards. False when there is none (or on error).
  virtual bool Seek(int64_t t) = 0;
  // REQUIRES: the last Next()/Seek() returned true.
  virtual Sample At() const = 0;
  virtual Status Err() const = 0;
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator over the samples in the Select's [mint, maxt].
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
};

// Series in label order (when SelectHints::sort_series) or in storage order.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // REQUIRES: the last Next() returned true. Valid until the next Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const = 0;
};

struct SelectHints {
  bool sort_series = true;
  // Informational, for storages that can pre-aggregate (PromQL step and function).
  int64_t step_ms = 0;
  std::string func;
};

// Per-querier limits; 0 means unlimited. Exceeding one fails with kResourceExhausted and a
// message naming the limit.
struct QueryLimits {
  size_t max_series = 0;   // series one Select may return
  size_t max_samples = 0;  // samples all iterators of this querier may yield together
};

// A Querier reads a consistent-enough view: every sample committed before a Select started is
// seen; samples committed during it may or may not be. Not thread-safe; SeriesSets and
// iterators it returns must not outlive it.
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all `matchers` with at least one sample in [mint, maxt] (inclusive).
  // No matchers selects every series.
  virtual Result<std::unique_ptr<SeriesSet>> Select(std::span<const Matcher> matchers, int64_t mint,
                                                    int64_t maxt,
                                                    const SelectHints& hints = {}) = 0;
  // Sorted, unique label names / values of the series Select would return.
  virtual Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers,
                                                      int64_t mint, int64_t maxt) = 0;
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name,
                                                       std::span<const Matcher> matchers,
                                                       int64_t mint, int64_t maxt) = 0;
  // Metadata of `family`, or of every family when empty, sorted by family.
  virtual std::vector<FamilyMetadata> Metadata(std::string_view family) = 0;
};

// What the server's store exporter and query engine hold. Thread-safe.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
  virtual std::unique_ptr<Querier> NewQuerier(const QueryLimits& limits = {}) = 0;
};

// ---- helpers ------------------------------------------------------------------------------
// A SampleIterator over a vector (tests, merging, small results).
std::unique_ptr<SampleIterator> NewListSampleIterator(std::vector<Sample> samples);

// Collects every series and its samples; stops at the first error. For tests and tools.
struct MaterializedSeries {
  Labels labels;
  std::vector<Sample> samples;
};
Result<std::vector<MaterializedSeries>> Materialize(SeriesSet& set);

}  // namespace astrolabe::storage
