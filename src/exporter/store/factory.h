#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::exporter::store {

// The factory of type "store" (metrics today; traces and logs when the span store exists).
std::unique_ptr<component::ExporterFactory> NewFactory();

}  // namespace astrolabe::exporter::store
