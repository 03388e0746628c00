#pragma once
// Number and time rendering that matches Go's fmt package, so the debug exporter prints
// exactly what the upstream collector prints for the same data.

#include <cstdint>
#include <string>

namespace astrolabe::exporter::debug {

// Go's %v for a float64: shortest round-trip digits, %e form ("1e+06", "1.5e-05") when
// the decimal exponent is < -4 or >= 6 (as in Go, where shortest %g uses precision 6 for
// that choice), else plain ("0.125", "100000"); "NaN", "+Inf", "-Inf".
std::string GoFloatV(double v);

// Go's %f: six decimals ("1.230000"); "NaN", "+Inf", "-Inf".
std::string GoFloatF(double v);

// Go's time.Time.String() of Unix nanoseconds in UTC, as pcommon.Timestamp prints:
// "2020-02-11 20:26:13.000000789 +0000 UTC"; fractional seconds trimmed of trailing
// zeros and omitted when zero ("1970-01-01 00:00:00 +0000 UTC").
std::string GoTimestamp(uint64_t unix_nanos);

}  // namespace astrolabe::exporter::debug
