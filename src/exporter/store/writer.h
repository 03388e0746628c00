#pragma once
// Writer: one OTLP metrics batch into a storage::Storage — translate (translate.h),
// accumulate deltas (accumulator.h), append, one Commit. The store exporter's data path,
// usable on its own (tests, benchmarks).
//
// Result of Write:
//   OK                      every data point is stored, durable as the storage's Commit is.
//   kInvalidArgument from component::PartialRejection
//                           some points were refused for good (untranslatable name or label,
//                           unspecified temporality, out-of-order or duplicate sample, series
//                           limit, a delta not newer than its series); the rest is stored and
//                           durable. The sender must not retry.
//   kUnavailable            Commit failed: nothing of the batch is stored, delta totals are
//                           as before; the sender may retry.
//
// Thread-safe: batches may be written from several threads. Batches holding delta points
// are serialised (running totals must follow commit order); others run concurrently.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "exporter/store/accumulator.h"
#include "exporter/store/translate.h"
#include "pdata/metrics.h"
#include "storage/storage.h"

namespace astrolabe::exporter::store {

// Running totals of delta series idle this long (by point time) are dropped from memory;
// they come back from the store when the series does.
inline constexpr int64_t kForgetDeltaSeriesAfterMs = 60 * 60 * 1000;

struct WriteStats {
  uint64_t points = 0;    // data points in the batch
  uint64_t rejected = 0;  // data points refused (not, or not completely, stored)
  uint64_t samples = 0;   // samples appended
};

class Writer {
 public:
  explicit Writer(TranslateOptions options) : options_(std::move(options)) {}

  Status Write(storage::Storage& storage, const pdata::Metrics& metrics,
               WriteStats* stats = nullptr);

  // Delta series with a running total in memory.
  size_t delta_series() const;

 private:
  const TranslateOptions options_;
  mutable std::mutex delta_mu_;
  DeltaAccumulator accumulator_;  // GUARDED_BY(delta_mu_)
  int64_t newest_delta_t_ = 0;    // GUARDED_BY(delta_mu_): newest delta point time seen
  int64_t next_forget_t_ = 0;     // GUARDED_BY(delta_mu_): when to sweep next (point time)
  std::mutex metadata_mu_;
  std::unordered_map<std::string, storage::MetricMetadata> metadata_;  // GUARDED_BY(metadata_mu_)
};

}  // namespace astrolabe::exporter::store
