#pragma once
// CommitLog: the hook through which the head makes a committed batch durable before it becomes
// visible — the seam the write-ahead log (src/tsdb/wal) plugs into.
//
// Head::Commit describes every batch as records and calls Log() once, before applying any
// sample; when Log() fails, nothing of the batch is applied and the error reaches the caller,
// who must not acknowledge the write. On start-up the WAL feeds the same records back through
// Head::ReplaySeries / ReplaySamples / ReplayMetadata.
//
// Record semantics (what a replay must reproduce):
//  - Series(ref, labels): series `ref` has these labels. Emitted the first time a commit
//    references a series that was not yet logged (so a series created by a rolled-back batch is
//    logged when a later batch uses it, and never before its samples). A ref may be logged more
//    than once with the same labels; replay treats repeats as no-ops.
//  - Samples(ref, t, v): in the order the head applies them. Replay applies them with the same
//    rules as Commit (in-order, out-of-order window, duplicates), so a sample the head dropped at
//    commit is dropped again.
//  - Metadata(family, type, unit, help): last one wins.
//
// Log() may be called from many appender threads at once; the implementation serialises (and
// may group-commit). The spans are valid only during the call.

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/labels.h"
#include "storage/storage.h"

namespace astrolabe::tsdb {

struct SeriesRecord {
  uint64_t ref = 0;
  const storage::Labels* labels = nullptr;  // iterate for (name, value) string_view pairs
};

// The (name, value) pairs of a series record, in label order, as the WAL writes them; views
// into `labels`. Replay turns pairs back into Labels with storage::Labels::FromPairs().
inline std::vector<std::pair<std::string_view, std::string_view>> LabelPairs(
    const storage::Labels& labels) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(labels.size());
  for (storage::Label l : labels) out.emplace_back(l.name, l.value);
  return out;
}

struct SampleRecord {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
};

struct MetadataRecord {
  std::string_view family;
  const storage::MetricMetadata* metadata = nullptr;
};

struct CommitBatch {
  std::span<const SeriesRecord> series;
  std::span<const SampleRecord> samples;
  std::span<const MetadataRecord> metadata;
};

class CommitLog {
 public:
  virtual ~CommitLog() = default;
  // Makes `batch` durable (per the log's sync policy). Thread-safe.
  virtual Status Log(const CommitBatch& batch) = 0;
};

}  // namespace astrolabe::tsdb
