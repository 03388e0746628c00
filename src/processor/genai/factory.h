#pragma once
// The genai processor's factory: type "genai", traces and logs, stability alpha.
// Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::processor::genai {

std::unique_ptr<component::ProcessorFactory> NewFactory();

}  // namespace astrolabe::processor::genai
