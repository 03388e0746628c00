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
//
// Process exit: the first call initialises OpenSSL with OPENSSL_INIT_NO_ATEXIT, so OpenSSL
// registers no atexit cleanup. That cleanup would delete OpenSSL's thread-local keys while
// threads that used OpenSSL still run (libgrpc's detached executor, timer and EventEngine
// threads outlive exit(); grpc/grpc#38539, fixed the same way in gRPC 1.83): such a thread that
// then ends never frees its error queue, which LeakSanitizer reports (issue #12). Without the
// cleanup every thread frees its own state as it ends and the OS reclaims the rest.
// The gRPC module does the same before libgrpc first touches OpenSSL (grpc_server.cc).

#include "common/status.h"

namespace astrolabe::net::internal {

// Loads libssl/libcrypto and resolves every trampoline, once. Later calls return the first
// result. REQUIRES: called (and OK) before any OpenSSL function is used.
Status LoadOpenSsl();

// True once LoadOpenSsl() succeeded: the process has started using TLS.
bool OpenSslLoaded();

}  // namespace astrolabe::net::internal
