#pragma once
// PLACEHOLDER until the full OTLP model lands: the container type and its batch alias.

#include <cstddef>

#include "pdata/batch.h"

namespace astrolabe::pdata {

struct Logs {
  Logs Clone() const { return *this; }
  size_t LogRecordCount() const { return 0; }
};

using LogsBatch = Batch<Logs>;

}  // namespace astrolabe::pdata
