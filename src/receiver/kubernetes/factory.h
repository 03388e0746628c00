#pragma once
// The kubernetes receiver's factory: type "kubernetes", metrics only, stability alpha.
// Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::receiver::kubernetes {

std::unique_ptr<component::ReceiverFactory> NewFactory();

}  // namespace astrolabe::receiver::kubernetes
