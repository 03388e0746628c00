#pragma once
// Numbers of the exposition formats: sample values, timestamps, and their Go-compatible
// rendering. Pure functions; thread-safe; no allocation except appending to the caller's string.

#include <cstdint>
#include <string>
#include <string_view>

namespace astrolabe::expfmt {

// Parses a sample value. Grammar (Go's strconv.ParseFloat without hex floats and underscores,
// which Prometheus rejects, and the same as Python's float() that the OpenMetrics reference
// parser uses):
//   [+-]? (digits ['.' digits*] | '.' digits) ([eE] [+-]? digits)?
//   [+-]? ("inf" | "infinity")      case-insensitive
//   "nan"                           case-insensitive, unsigned
// Leading zeros are allowed. A finite literal too large for a double is an error when
// `overflow_is_error` (text: Go's ErrRange) and +-Inf otherwise (OpenMetrics: Python's float());
// underflow yields 0. The result is correctly rounded. Returns false on a syntax error.
bool ParseValue(std::string_view s, bool overflow_is_error, double* out);

// Parses a text-format timestamp: a signed decimal int64 of milliseconds.
bool ParseTextTimestamp(std::string_view s, int64_t* ms);

// Parses an OpenMetrics timestamp: a float number of seconds (ParseValue's grammar; NaN and
// infinities rejected). `*ms` is the value in milliseconds truncated toward zero (as Prometheus'
// int64(ts*1000)), computed exactly for plain decimals and saturated at the int64 range.
bool ParseOpenMetricsTimestamp(std::string_view s, double* seconds, int64_t* ms);

// Appends `v` as Go's exposition writers do: "NaN", "+Inf", "-Inf", otherwise
// strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that round-trip, integers without a
// decimal point, exponent form when the decimal exponent is < -4 or >= 6 with at least two
// exponent digits ("123456", "1.234567e+06", "0.0001", "1.5e-05").
void AppendFloat(std::string* out, double v);

// Appends `ms` milliseconds as OpenMetrics seconds, exactly: "1", "1.5", "-0.001".
void AppendSecondsFromMillis(std::string* out, int64_t ms);

}  // namespace astrolabe::expfmt
