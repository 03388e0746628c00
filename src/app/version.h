#pragma once

#include <string>

namespace astrolabe::app {

// "0.1.0"
const char* Version();
// "Astrolabe/0.1.0 (linux/amd64)", the User-Agent and the `version` command's line.
std::string BuildDescription();

}  // namespace astrolabe::app
