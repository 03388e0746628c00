#pragma once
// The redaction processor's factory: type "redaction", traces and logs, stability alpha.
// Register it in src/app/builtin_components.cc with
// `registry.Add(processor::redaction::NewFactory());`.

#include <memory>

#include "component/factory.h"

namespace astrolabe::processor::redaction {

std::unique_ptr<component::ProcessorFactory> NewFactory();

}  // namespace astrolabe::processor::redaction
