#pragma once
// The prometheus receiver's factory: type "prometheus", metrics only, stability beta (as
// upstream). Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::receiver::prometheus {

std::unique_ptr<component::ReceiverFactory> NewFactory();

}  // namespace astrolabe::receiver::prometheus
