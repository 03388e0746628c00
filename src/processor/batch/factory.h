#pragma once
// The batch processor's factory: type "batch", traces, metrics and logs, stability beta
// (as upstream). Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::processor::batch {

std::unique_ptr<component::ProcessorFactory> NewFactory();

}  // namespace astrolabe::processor::batch
