#pragma once
// The debug exporter's factory: type "debug", all three signals, stability alpha (as
// upstream).

#include <memory>

#include "component/factory.h"

namespace astrolabe::exporter::debug {

std::unique_ptr<component::ExporterFactory> NewFactory();

}  // namespace astrolabe::exporter::debug
