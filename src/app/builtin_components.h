#pragma once

#include "component/factory.h"

namespace astrolabe::app {

// Registers every built-in factory and alias. The one list: a new component is added
// here and nowhere else.
void RegisterBuiltinComponents(component::Registry& registry);

}  // namespace astrolabe::app
