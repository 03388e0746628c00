#pragma once
// The genaimetrics processor's factory: type "genaimetrics", traces only, stability
// development. Register it in src/app/builtin_components.cc with
// `registry.Add(processor::genaimetrics::NewFactory());`.

#include <memory>

#include "common/clock.h"
#include "component/factory.h"

namespace astrolabe::processor::genaimetrics {

std::unique_ptr<component::ProcessorFactory> NewFactory();
// For tests: processors read `clock`, which must outlive them.
std::unique_ptr<component::ProcessorFactory> NewFactory(const Clock& clock);

}  // namespace astrolabe::processor::genaimetrics
