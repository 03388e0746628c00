#pragma once
// Splitting a pending batch at an item boundary, as upstream's batch processor does
// (core processor/batchprocessor/split{metrics,traces,logs}.go). docs/design/batch.md
// has the rules with examples.
//
// Split*(size, src) removes the first `size` items (data points, spans, log records) of
// `src`, in order, and returns them; `src` keeps the rest. Whole resources, scopes and
// metrics move while they fit; the first one that does not fit is divided: the returned
// part gets a copy of its resource (and schema URL), scope, and, for a metric, its name,
// description, unit, metadata and type parameters (temporality, monotonicity) with the
// leading points, and `src` keeps the same container with the remaining points. So one
// metric's data points may be spread over consecutive batches. Containers holding no
// items are carried along while the returned part is not yet full.
// When `src` holds `size` items or fewer, all of it is returned and `src` left empty.
//
// REQUIRES: size > 0.

#include <cstddef>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::processor::batch {

pdata::Metrics SplitMetrics(size_t size, pdata::Metrics& src);
pdata::Traces SplitTraces(size_t size, pdata::Traces& src);
pdata::Logs SplitLogs(size_t size, pdata::Logs& src);

}  // namespace astrolabe::processor::batch
