#pragma once
// PLACEHOLDER until the full OTLP model lands: the container type and its batch alias.

#include <cstddef>

#include "pdata/batch.h"

namespace astrolabe::pdata {

struct Metrics {
  Metrics Clone() const { return *this; }
  size_t DataPointCount() const { return 0; }
};

using MetricsBatch = Batch<Metrics>;

}  // namespace astrolabe::pdata
