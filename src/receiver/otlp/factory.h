#pragma once
// The otlp receiver's factory: type "otlp", metrics, traces and logs, stability stable (as
// upstream). Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::receiver::otlp {

std::unique_ptr<component::ReceiverFactory> NewFactory();

}  // namespace astrolabe::receiver::otlp
