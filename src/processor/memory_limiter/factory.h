#pragma once
// The memory_limiter processor's factory: type "memory_limiter", traces, metrics and logs,
// stability beta (as upstream). Registered in src/app/builtin_components.cc.
//
// Processors created from the same config object (one processor id used in several
// pipelines) share one MemoryLimiter, as upstream's factory does; a new config (a reload)
// gets a new one.

#include <memory>

#include "common/clock.h"
#include "component/factory.h"
#include "processor/memory_limiter/memory.h"

namespace astrolabe::processor::memory_limiter {

// Measures the real process (NewProcMemoryProbe) on the real clock.
std::unique_ptr<component::ProcessorFactory> NewFactory();

// For tests: `probe` replaces the real measurements; `clock` (outliving the factory's
// processors) paces the trims.
std::unique_ptr<component::ProcessorFactory> NewFactory(std::shared_ptr<MemoryProbe> probe,
                                                        const Clock& clock);

}  // namespace astrolabe::processor::memory_limiter
