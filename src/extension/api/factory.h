#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::extension::api {

// The factory of type "api".
std::unique_ptr<component::ExtensionFactory> NewFactory();

}  // namespace astrolabe::extension::api
