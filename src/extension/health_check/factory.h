#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::extension::health_check {

// The factory of type "health_check".
std::unique_ptr<component::ExtensionFactory> NewFactory();

}  // namespace astrolabe::extension::health_check
