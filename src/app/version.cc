#include "app/version.h"

namespace astrolabe::app {

#ifndef ASTROLABE_VERSION
#define ASTROLABE_VERSION "0.0.0-dev"
#endif

const char* Version() { return ASTROLABE_VERSION; }

std::string BuildDescription() {
#if defined(__x86_64__)
  const char* arch = "amd64";
#elif defined(__aarch64__)
  const char* arch = "arm64";
#else
  const char* arch = "unknown";
#endif
  return std::string("Astrolabe/") + Version() + " (linux/" + arch + ")";
}

}  // namespace astrolabe::app
