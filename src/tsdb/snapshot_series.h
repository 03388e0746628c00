#pragma once
// Series over SeriesSnapshots (internal to src/tsdb): what the head querier and the block
// querier both return. A snapshot's chunks (ChunkView) point at bytes that must outlive the
// series — the head's immutable chunks (kept while a querier is open) or a block's mapped
// chunk files (kept by the block querier's reference to the block).

#include <memory>
#include <vector>

#include "storage/storage.h"
#include "tsdb/head.h"

namespace astrolabe::tsdb {

// Limits and counters shared by every iterator of one querier.
struct QueryState {
  storage::QueryLimits limits;
  uint64_t samples = 0;
};

// True when the snapshot (already cut to chunks overlapping the range) holds a sample inside
// [mint, maxt].
bool SnapshotHasData(const SeriesSnapshot& snap, int64_t mint, int64_t maxt);

// A series yielding the snapshot's samples in [mint, maxt].
std::unique_ptr<storage::Series> NewSnapshotSeries(SeriesSnapshot snap, int64_t mint, int64_t maxt,
                                                   std::shared_ptr<QueryState> state);

// A SeriesSet over owned series, in the given order; they live as long as the set.
std::unique_ptr<storage::SeriesSet> NewListSeriesSet(
    std::vector<std::unique_ptr<storage::Series>> series);

}  // namespace astrolabe::tsdb
