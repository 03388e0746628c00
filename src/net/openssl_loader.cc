#include "net/openssl_loader.h"

#include <atomic>
#include <mutex>

namespace astrolabe::net::internal {

#ifndef ASTROLABE_LAZY_OPENSSL

Status LoadOpenSsl() { return Status::Ok(); }
bool OpenSslLoaded() { return true; }

#endif

}  // namespace astrolabe::net::internal
