#pragma once
// Parameter values the API's handlers share: times given as RFC 3339 or Unix seconds (the
// forms the Prometheus API accepts for start/end/time). Untrusted input: reached by
// fuzz/url_query_fuzz.cc. Thread-safe (no state).

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace astrolabe::api {

// An RFC 3339 time as Go's time.Parse(time.RFC3339Nano) reads it:
// YYYY-MM-DDTHH:MM:SS, an optional fraction of 1-9 digits, then Z or ±HH:MM ('t'/'z' in either
// case; second 60 is refused, as Go does). Seconds since the Unix epoch
// (negative before 1970) and the fraction in nanoseconds; nullopt when `text` is not one.
struct Rfc3339Time {
  int64_t seconds = 0;
  int64_t nanos = 0;
};
std::optional<Rfc3339Time> ParseRfc3339(std::string_view text);

// Unix nanoseconds of `text`, which is either
//   - RFC 3339: "2026-11-23T01:02:03Z", "2026-11-23T01:02:03.123456789+01:00" ('t'/'z' in
//     either case; up to 9 fraction digits), or
//   - Unix seconds, optionally with up to 9 fraction digits: "1763859723", "1763859723.5".
// Times before 1970 or after 2262-04-11 (int64 nanoseconds) are kInvalidArgument, as is
// anything else ("invalid time \"yesterday\": expected RFC 3339 or Unix seconds").
Result<int64_t> ParseTimeParam(std::string_view text);

}  // namespace astrolabe::api
