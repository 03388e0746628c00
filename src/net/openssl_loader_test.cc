// LoadOpenSsl's process-exit rule: OpenSSL's own atexit cleanup is never registered, so a
// thread that used OpenSSL and ends after main() returned still frees its per-thread state.
//
// The bug this guards against (issue #12, grpc/grpc#38539): libgrpc's executor, timer and
// EventEngine threads are detached and still alive when exit() runs. OpenSSL 3's atexit handler
// (OPENSSL_cleanup) deletes the thread-local keys; a grpc thread that ends after that never runs
// OpenSSL's thread destructor, and its error queue (ERR_STATE from CRYPTO_zalloc, the file and
// function names from CRYPTO_strdup: ~968 bytes in 3 allocations) is reported by LeakSanitizer.
#include "net/openssl_loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "net/server_tls.h"
#include "net/server_tls_context.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASTROLABE_HAS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define ASTROLABE_HAS_LSAN 1
#endif
#endif
#ifdef ASTROLABE_HAS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace astrolabe::net::internal {
namespace {

#ifdef ASTROLABE_HAS_LSAN
std::thread* late_thread = nullptr;
std::atomic<bool> release{false};

// Registered before OpenSSL is first initialised, so it runs after any atexit handler OpenSSL
// registers (handlers run in reverse order): the thread ends the way a grpc thread does.
void EndTheThreadThenCheckLeaks() {
  release = true;
  late_thread->join();
  std::_Exit(__lsan_do_recoverable_leak_check() != 0 ? 3 : 0);
}

[[noreturn]] void ExitWhileAThreadHoldsOpenSslState() {
  std::atexit(EndTheThreadThenCheckLeaks);
  if (!LoadOpenSsl().ok()) std::_Exit(4);
  std::atomic<bool> used{false};
  late_thread = new std::thread([&used] {
    ServerTlsOptions options;
    options.cert_file = "/nonexistent/astrolabe-test.pem";
    options.key_file = "/nonexistent/astrolabe-test.key";
    // Fails inside OpenSSL: this thread now has an error queue with a file and function name.
    if (MakeServerTlsContext(options).ok()) std::_Exit(5);
    used = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!used) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::exit(0);
}
#endif

TEST(OpenSslLoaderDeathTest, AThreadEndingAfterExitFreesItsOpenSslState) {
#ifndef ASTROLABE_HAS_LSAN
  GTEST_SKIP() << "needs LeakSanitizer (an ASTROLABE_SANITIZE build)";
#else
  // A fresh process: OpenSSL must not have been initialised before the atexit hook.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Exit code 3: LeakSanitizer found the thread's OpenSSL error state unreachable.
  EXPECT_EXIT(ExitWhileAThreadHoldsOpenSslState(), ::testing::ExitedWithCode(0), "");
#endif
}

}  // namespace
}  // namespace astrolabe::net::internal
