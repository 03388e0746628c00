#pragma once
// The cumulativetodelta processor's factory: type "cumulativetodelta", metrics only,
// stability beta (as upstream). Register it in src/app/builtin_components.cc with
// `registry.Add(processor::cumulativetodelta::NewFactory());`.

#include <memory>

#include "common/clock.h"
#include "component/factory.h"

namespace astrolabe::processor::cumulativetodelta {

// Processors it creates read the real clock.
std::unique_ptr<component::ProcessorFactory> NewFactory();

// For tests: processors it creates read `clock`, which must outlive them.
std::unique_ptr<component::ProcessorFactory> NewFactory(const Clock& clock);

}  // namespace astrolabe::processor::cumulativetodelta
