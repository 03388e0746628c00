#pragma once
// Small string helpers used across modules.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace astrolabe {

std::string_view TrimSpace(std::string_view s);
// `s` with ASCII letters lower-cased (bytes >= 0x80 untouched: no locale).
std::string AsciiLower(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string Join(std::span<const std::string> parts, std::string_view sep);

// Levenshtein distance between a and b (byte-wise).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` by edit distance, if it is close enough to be a likely
// typo (distance <= max(1, len/3)); used for "did you mean ...?" suggestions.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates);

// Parses a Go-style duration ("10s", "1m30s", "250ms", "25h", "1.5h", "0").
// Units: ns, us, µs, ms, s, m, h. Prometheus' "d", "w", "y" are accepted too.
Result<Duration> ParseDuration(std::string_view text);

// Formats like Go's time.Duration.String(): "1h2m3.5s", "150ms", "0s".
std::string FormatDuration(Duration d);

// Parses a byte size: "512", "512KiB", "4MB", "1GiB" (case-insensitive units).
Result<uint64_t> ParseBytes(std::string_view text);

// RFC 3339 UTC with nanoseconds trimmed of trailing zeros: "2026-11-22T16:35:38.5Z".
std::string FormatRfc3339(int64_t unix_nanos);

}  // namespace astrolabe
