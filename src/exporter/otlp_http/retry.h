#pragma once
// Retry timing for the otlp_http exporter: exponential backoff with jitter (the policy of
// upstream's configretry / cenkalti/backoff) and the Retry-After header of throttling
// responses.
//
// Backoff: the n-th delay (n = 0, 1, ...) is drawn uniformly from
//   [i·(1 − r), i·(1 + r)]  where i = min(initial_interval · multiplierⁿ, max_interval)
// and r = randomization_factor. Next() returns nullopt ("no more retries left") when the
// time already spent plus the drawn delay would exceed max_elapsed_time (0: never).
//
// Thread-compatible: one Backoff per request being retried.

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "common/clock.h"
#include "exporter/otlp_http/config.h"

namespace astrolabe::exporter::otlp_http {

class Backoff {
 public:
  // REQUIRES: config.Validate() is OK.
  Backoff(const RetryConfig& config, uint64_t seed);

  // The delay before the next attempt, or nullopt when that attempt would start after
  // max_elapsed_time. `elapsed` is the time since the first attempt began.
  std::optional<Duration> Next(Duration elapsed);

 private:
  RetryConfig config_;
  Duration current_;
  std::mt19937_64 rng_;
};

// Parses a Retry-After header value: delta-seconds ("120") or an HTTP date in RFC 1123
// form ("Wed, 21 Oct 2015 07:28:00 GMT"), the latter relative to `now_unix_nanos`. Returns
// nullopt for anything else, so the caller falls back to its backoff; a date in the past
// gives zero.
std::optional<Duration> ParseRetryAfter(std::string_view value, int64_t now_unix_nanos);

}  // namespace astrolabe::exporter::otlp_http
