#pragma once
// A Querier over several queriers (e.g. the tsdb's on-disk blocks and its head) that answers as
// one storage would:
//  - Select: the sub-queriers' series merged in label order; series with identical labels
//    become one series whose samples are the union by timestamp. Where two sources hold a
//    sample at the same timestamp, the one from the earlier querier in the list wins (the
//    choice is deterministic; with identical data it does not matter which);
//  - LabelNames / LabelValues: sorted union;
//  - Metadata: by family, the earlier querier's entry wins;
//  - limits: max_series counts merged series; max_samples counts samples the merged
//    iterators yield (sub-queriers should get the same limits, which they can only reach
//    earlier than the merge would).
//
// Every sub-querier is selected with sort_series = true (a merge needs label order).
// Ownership: the merge querier owns the sub-queriers. Not thread-safe, like any Querier. The
// merged series and iterators reference the sub-sets' current series: a merged Series is valid
// until the next Next() of its set, and its iterators as long as the sub-queriers keep their
// series alive (the tsdb's do, until the set is destroyed).

#include <memory>
#include <vector>

#include "storage/storage.h"

namespace astrolabe::storage {

// A single querier is returned as is.
std::unique_ptr<Querier> NewMergeQuerier(std::vector<std::unique_ptr<Querier>> queriers,
                                         const QueryLimits& limits = {});

// The merge of series sets that are each in label order (what Select does with the sub-sets).
// `limits` apply to this set alone (max_series merged series, max_samples merged samples).
std::unique_ptr<SeriesSet> NewMergeSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets,
                                             const QueryLimits& limits = {});

// A SampleIterator over the union of `its` by timestamp; on equal timestamps the earlier
// iterator's sample wins. Takes ownership.
std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> its);

}  // namespace astrolabe::storage
