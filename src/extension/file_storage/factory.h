#pragma once

#include <memory>

#include "component/factory.h"

namespace astrolabe::extension::file_storage {

// The factory of type "file_storage".
std::unique_ptr<component::ExtensionFactory> NewFactory();

}  // namespace astrolabe::extension::file_storage
