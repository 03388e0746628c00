#include "exporter/otlp_http/retry.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string>

namespace astrolabe::exporter::otlp_http {

Backoff::Backoff(const RetryConfig& config, uint64_t seed)
    : config_(config), current_(config.initial_interval), rng_(seed) {}

std::optional<Duration> Backoff::Next(Duration elapsed) {
  const double interval = static_cast<double>(current_.count());
  const double delta = config_.randomization_factor * interval;
  double pick = interval;
  if (delta > 0) {
    std::uniform_real_distribution<double> dist(interval - delta, interval + delta);
    pick = dist(rng_);
  }
  Duration delay(static_cast<int64_t>(std::max(0.0, pick)));

  // Grow the interval for the following call, capped; a product that overflows is capped
  // too (the comparison is done in double).
  const double grown = interval * config_.multiplier;
  const double cap = static_cast<double>(config_.max_interval.count());
  current_ = Duration(static_cast<int64_t>(std::min(grown, cap)));

  if (config_.max_elapsed_time.count() > 0 && elapsed + delay > config_.max_elapsed_time) {
    return std::nullopt;
  }
  return delay;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

int MonthIndex(std::string_view m) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i;
  }
  return -1;
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "Wed, 21 Oct 2015 07:28:00 GMT" → Unix seconds. Parsed by hand rather than with
// strptime, whose %a/%b depend on the process locale.
std::optional<int64_t> ParseRfc1123(std::string_view s) {
  // Fixed layout: 3-letter day, comma, space, then "DD Mon YYYY HH:MM:SS GMT".
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ') return std::nullopt;
  std::string_view rest = s.substr(5);  // "21 Oct 2015 07:28:00 GMT"
  if (rest[2] != ' ' || rest[6] != ' ' || rest[11] != ' ' || rest[14] != ':' || rest[17] != ':' ||
      rest[20] != ' ' || rest.substr(21) != "GMT") {
    return std::nullopt;
  }
  int day, year, hour, minute, second;
  int month = MonthIndex(rest.substr(3, 3));
  if (month < 0 || !ParseInt(rest.substr(0, 2), day) || !ParseInt(rest.substr(7, 4), year) ||
      !ParseInt(rest.substr(12, 2), hour) || !ParseInt(rest.substr(15, 2), minute) ||
      !ParseInt(rest.substr(18, 2), second)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::optional<Duration> ParseRetryAfter(std::string_view value, int64_t now_unix_nanos) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    // Cap at a day: a larger value is a server bug and would overflow nanoseconds anyway.
    seconds = std::min<int64_t>(seconds, 86'400);
    return std::chrono::seconds(seconds);
  }
  std::optional<int64_t> at = ParseRfc1123(value);
  if (!at) return std::nullopt;
  int64_t delta = *at * 1'000'000'000 - now_unix_nanos;
  return Duration(std::clamp<int64_t>(delta, 0, int64_t{86'400} * 1'000'000'000));
}

}  // namespace astrolabe::exporter::otlp_http
