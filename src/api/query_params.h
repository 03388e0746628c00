#pragma once
// The parameters of the Prometheus-compatible query API (api/query_api.h), decoded from
// untrusted bytes exactly as Prometheus' web/api/v1 reads them (it uses Go's net/url):
//
//   FormValues form;
//   RETURN_IF_ERROR(ParseForm(request.query(), &form));          // ?query=up&time=1700000000
//   RETURN_IF_ERROR(ParseForm(request.body(), &form));           // form POST body
//   ASSIGN_OR_RETURN(int64_t t_ms, ParseTimeMs(*form.Get("time")));
//
// Every function takes arbitrary bytes and never crashes (fuzz/query_params_fuzz.cc); errors
// are kInvalidArgument with Prometheus' wording where it has one ("cannot parse \"x\" to a
// valid timestamp"). Thread-safe (no state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace astrolabe::api {

// The decoded key/value pairs of one or more application/x-www-form-urlencoded strings, in
// the order they were added (a form POST body first, then the URL's query, as Go's
// Request.Form does, so that a body value wins for single-valued parameters).
class FormValues {
 public:
  void Add(std::string key, std::string value);
  // The first value of `key`, or nullopt. An empty value ("time=") is returned as "".
  std::optional<std::string_view> Get(std::string_view key) const;
  // The first value of `key`, or "" when absent (Go's FormValue).
  std::string_view Value(std::string_view key) const;
  // Every value of `key`, in order ("match[]" is repeated).
  std::vector<std::string_view> All(std::string_view key) const;
  size_t size() const { return pairs_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Appends the pairs of `encoded` ("a=1&b=x+y&c=%2F") to `form`. '&' separates pairs (empty
// pairs are skipped), the first '=' separates key and value (a pair without '=' has the
// value ""), '+' is a space, %XX a byte. Errors: `invalid URL escape "%zz"`, and, as Go since
// 1.17, `invalid semicolon separator in query` for a key containing ';'. On error the pairs
// decoded so far are kept.
Status ParseForm(std::string_view encoded, FormValues* form);

// Decodes %XX in a URL path segment ('+' stays '+'). Error: `invalid URL escape "%zz"`.
Result<std::string> PathUnescape(std::string_view segment);

// A time parameter: Unix seconds as a float ("1700000000", "1700000000.123", "-5.5", "1e9"),
// rounded to the millisecond as Prometheus does, or RFC 3339 with an optional fraction and
// zone ("2026-11-23T01:02:03.5Z", "2026-11-23T03:02:03+02:00"), truncated to the millisecond.
// Prometheus' own boundary strings (minTime/maxTime, what Grafana sends for "all time") map
// to kMinApiTimeMs/kMaxApiTimeMs. Error: `cannot parse "x" to a valid timestamp`.
Result<int64_t> ParseTimeMs(std::string_view text);

// Prometheus' api MinTime and MaxTime (about ±292 million years), in milliseconds: the default
// start and end of /series, /labels and /label/<name>/values.
inline constexpr int64_t kMinApiTimeMs = -9223309901257974000;
inline constexpr int64_t kMaxApiTimeMs = 9223309901257974999;

// A duration parameter (`step`, `timeout`): float seconds ("15", "0.5") or a Prometheus
// duration ("1m30s", "5m", "1d"). Milliseconds, truncated. Errors: `cannot parse "x" to a
// valid duration`, `cannot parse "x" to a valid duration. It overflows int64`.
Result<int64_t> ParseDurationParamMs(std::string_view text);

// `limit`: "" → 0 (no limit); a non-negative decimal integer. Errors: `limit must be
// non-negative`, `cannot parse "x" as an integer`.
Result<int64_t> ParseLimit(std::string_view text);

// The name of /api/v1/label/<name>/values after PathUnescape: names written as Prometheus'
// "U__" value encoding (`U__a_2e_b` for `a.b`, `__` for `_`) are decoded; any other name is
// returned as is. A malformed encoding is returned undecoded, as Prometheus does.
std::string UnescapeLabelName(std::string_view name);

// True when `s` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace astrolabe::api
