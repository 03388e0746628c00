#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::extension::store {

// The factory of type "store".
std::unique_ptr<component::ExtensionFactory> NewFactory();

}  // namespace astrolabe::extension::store
