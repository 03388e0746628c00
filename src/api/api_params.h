#pragma once
// Parameter values the API's handlers share: times given as RFC 3339 or Unix seconds (the
// forms the Prometheus API accepts for start/end/time). Untrusted input: reached by
// fuzz/url_query_fuzz.cc. Thread-safe (no state).

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace astrolabe::api {

// Unix nanoseconds of `text`, which is either
//   - RFC 3339: "2026-11-23T01:02:03Z", "2026-11-23T01:02:03.123456789+01:00" ('t'/'z' in
//     either case; up to 9 fraction digits), or
//   - Unix seconds, optionally with up to 9 fraction digits: "1763859723", "1763859723.5".
// Times before 1970 or after 2262-04-11 (int64 nanoseconds) are kInvalidArgument, as is
// anything else ("invalid time \"yesterday\": expected RFC 3339 or Unix seconds").
Result<int64_t> ParseTimeParam(std::string_view text);

}  // namespace astrolabe::api
