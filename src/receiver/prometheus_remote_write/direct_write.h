#pragma once
// DirectWriter: a decoded remote-write request straight into a storage::Storage (the server's
// tsdb), with the labels as the sender sent them — no pdata, no batch processor, no OTLP →
// Prometheus translation back. The receiver takes this path when its `store` key names a store
// extension (the server wires it when the receiver's pipelines are nothing but batch → store;
// docs/design/remote-write.md, "The direct path").
//
//   series   CheckSeries (translate.h) as the pdata path: invalid series are skipped and
//            counted, the rest written (remote write 2.0's partial-write rule)
//   labels   sorted by name, empty values dropped (Prometheus: absent) → storage::Labels
//   samples  Append for a series' first sample, AppendByRef for the rest; values bit-exact
//            (the stale marker NaN included), timestamps as sent
//   metadata 1.0 metadata records and 2.0 per-series metadata → UpdateMetadata(family,
//            {type, unit, help}), written only when it changed since this writer last wrote
//            it; 2.0's family is the series name without _bucket/_sum/_count for histograms
//            and summaries
//   native histograms  the few series that carry them go through the pdata translation and
//            the store exporter's Writer (classic _bucket/_sum/_count series, as the pipeline
//            would store them), in a second commit
//   exemplars  not stored (the tsdb keeps none); counted in DirectResult::exemplars_dropped
//
// The series and samples stored are the ones the pdata path (Translate → the store exporter)
// stores for the same request; the direct path keeps more metadata (the sender's type, help
// and unit for the family). direct_write_test.cc checks both on the same payloads.
//
// Write returns OK after one Commit (two with native histograms): durable as the storage's
// Commit is (the store's WAL `sync: always`: fsynced). kUnavailable when a Commit failed
// (nothing of that commit is stored; the sender retries). Samples the store refuses (out of
// order, duplicate, series limit) are counted in DirectResult::rejected, the rest committed.
//
// Thread-safe: requests may be written concurrently (one appender each).

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "exporter/store/writer.h"
#include "receiver/prometheus_remote_write/translate.h"
#include "storage/storage.h"
#include "wire/remote_write.h"

namespace astrolabe::receiver::prometheus_remote_write {

struct DirectResult {
  size_t samples = 0;             // float samples stored (stale markers included)
  size_t histograms = 0;          // native histogram samples stored (as classic series)
  size_t exemplars_dropped = 0;   // exemplars received (not stored)
  size_t invalid = 0;             // series skipped by CheckSeries
  std::string first_error;        // "timeseries[i]: why" of the first skipped series
  std::map<std::string, size_t> limited;  // of those, samples a limit refused, by limit
  size_t rejected = 0;            // samples the store refused
  std::string first_rejection;    // the store's message for the first one
};

class DirectWriter {
 public:
  explicit DirectWriter(TranslateLimits limits, size_t max_metadata_families = 100'000);

  Status Write(storage::Storage& storage, const wire::prw::WriteRequest& request,
               DirectResult* result);

 private:
  // Metadata changed since it was last written; adds them to `app`.
  void WriteMetadata(const wire::prw::WriteRequest& request, storage::Appender& app,
                     std::vector<std::pair<std::string, storage::MetricMetadata>>* written);

  const TranslateLimits limits_;
  const size_t max_metadata_families_;
  std::mutex metadata_mu_;
  // Family → the metadata last committed for it; bounded by max_metadata_families_.
  std::unordered_map<std::string, storage::MetricMetadata> metadata_;  // GUARDED_BY(metadata_mu_)
  exporter::store::Writer histograms_;  // native histograms, as the store exporter writes them
};

}  // namespace astrolabe::receiver::prometheus_remote_write
