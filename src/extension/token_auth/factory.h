#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::extension::token_auth {

// The factory of type "token_auth".
std::unique_ptr<component::ExtensionFactory> NewFactory();

}  // namespace astrolabe::extension::token_auth
