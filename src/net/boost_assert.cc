// Boost assertion handler for every target that links astrolabe_net (which defines
// BOOST_ENABLE_ASSERT_HANDLER publicly).
//
// Why: Boost 1.81's Beast asserts `n >= 5` in basic_parser::parse_chunk_header, which a
// client can trip by sending a final chunk ("0\r\n") and then its trailer in separate
// segments; the code after the assert is correct (boostorg/beast PR #2861, fixed in later
// Boost releases). With asserts enabled (Debug builds), any client could abort the process.
// Release builds compile the asserts out; here a failed assertion is logged and execution
// continues, exactly as a release build would.

#include <atomic>
#include <cstdio>
#include <cstring>

#include <boost/assert.hpp>

#include "net/http_codec.h"

namespace {
std::atomic<int> logged{0};
std::atomic<uint64_t> unexpected{0};
}  // namespace

namespace astrolabe::net::internal {
uint64_t UnexpectedBoostAssertions() { return unexpected.load(std::memory_order_relaxed); }
}  // namespace astrolabe::net::internal

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  bool known = std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "basic_parser") != nullptr;
  if (!known) unexpected.fetch_add(1, std::memory_order_relaxed);
  // Rate-limited: a peer able to trip one could otherwise flood stderr.
  if (logged.fetch_add(1, std::memory_order_relaxed) < 16) {
    std::fprintf(stderr,
                 "boost assertion failed (continuing as a release build would): %s%s%s "
                 "in %s at %s:%ld\n",
                 expr, msg != nullptr ? ": " : "", msg != nullptr ? msg : "", function, file, line);
  }
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
