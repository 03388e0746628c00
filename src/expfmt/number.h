#pragma once
// Numbers of the exposition formats: sample values, timestamps, and their Go-compatible
// rendering. Pure functions; thread-safe; no allocation except appending to the caller's string.

#include <cstddef>
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

// Exact powers of ten as doubles, 10^0 .. 10^22.
inline constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The common sample value, a plain decimal: a digit, digits, then optionally '.' and digits,
// 19 digits at most and a mantissa of at most 2^53. Reads such a literal from the start of
// [p, end) up to the first byte that is neither a digit nor (the first) '.', stores its value
// (what ParseValue gives that literal: the Clinger quotient, correctly rounded) and returns
// where it ended; returns nullptr, storing nothing, when what starts at p is not one (a sign,
// inf/nan, too many digits). The caller checks that the literal ends where the token does
// ("1e5" stops at 'e'). Inline, and one pass over the bytes: the parser calls it per sample.
inline const char* ParsePlainDecimal(const char* p, const char* end, double* out) {
  const char* q = p;
  uint64_t m = 0;
  while (q < end && static_cast<unsigned char>(*q - '0') < 10) {
    m = m * 10 + static_cast<uint64_t>(*q++ - '0');
  }
  const auto int_digits = q - p;
  ptrdiff_t frac_digits = 0;
  if (int_digits == 0) return nullptr;
  if (q < end && *q == '.') {
    const char* f = ++q;
    while (q < end && static_cast<unsigned char>(*q - '0') < 10) {
      m = m * 10 + static_cast<uint64_t>(*q++ - '0');
    }
    frac_digits = q - f;
  }
  // 19 digits never overflow the mantissa (10^19 - 1 < 2^64); 19 fraction digits < 22.
  if (int_digits + frac_digits > 19 || m > (uint64_t{1} << 53)) return nullptr;
  double v = static_cast<double>(m);
  if (frac_digits > 0) v /= kExactPow10[frac_digits];
  *out = v;
  return q;
}

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
