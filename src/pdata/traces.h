#pragma once
// PLACEHOLDER until the full OTLP model lands: the container type and its batch alias.

#include <cstddef>

#include "pdata/batch.h"

namespace astrolabe::pdata {

struct Traces {
  Traces Clone() const { return *this; }
  size_t SpanCount() const { return 0; }
};

using TracesBatch = Batch<Traces>;

}  // namespace astrolabe::pdata
