#pragma once
// The prometheus_remote_write receiver's factory: type "prometheus_remote_write" (upstream's
// contrib name "prometheusremotewrite" is registered as an alias), metrics only, stability
// alpha. Registered in src/app/builtin_components.cc.

#include <memory>

#include "component/factory.h"

namespace astrolabe::receiver::prometheus_remote_write {

std::unique_ptr<component::ReceiverFactory> NewFactory();

}  // namespace astrolabe::receiver::prometheus_remote_write
