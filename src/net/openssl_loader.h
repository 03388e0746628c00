#pragma once
// Internal to astrolabe_net: OpenSSL, loaded on first use.
//
// Linking libssl and libcrypto costs every process ~1.9 MB of resident memory before it makes
// a single TLS connection (relocations and constructors of two large libraries; measured in
// docs/design/net.md). A collector that only speaks plaintext never needs them, so with
// ASTROLABE_LAZY_OPENSSL the binary does not link them: every OpenSSL function the HTTP
// client calls is a small trampoline (openssl_trampolines.cc) that jumps through a pointer
// filled in by LoadOpenSsl() with dlopen("libssl.so.3") + dlsym. Without the option (other
// architectures), OpenSSL is linked normally and LoadOpenSsl() only returns OK.
// Thread-safe.

#include "common/status.h"

namespace astrolabe::net::internal {

// Loads libssl/libcrypto and resolves every trampoline, once. Later calls return the first
// result. REQUIRES: called (and OK) before any OpenSSL function is used.
Status LoadOpenSsl();

// True once LoadOpenSsl() succeeded: the process has started using TLS.
bool OpenSslLoaded();

}  // namespace astrolabe::net::internal
