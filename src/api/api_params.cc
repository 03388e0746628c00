#include "api/api_params.h"

#include <chrono>
#include <limits>
#include <string>

namespace astrolabe::api {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

bool Digits(std::string_view s, size_t pos, size_t len, int64_t* out) {
  if (pos + len > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// ".123" at `pos` → nanoseconds, advancing `pos`; true when there is no fraction.
bool Fraction(std::string_view s, size_t* pos, int64_t* nanos) {
  *nanos = 0;
  if (*pos >= s.size() || s[*pos] != '.') return true;
  ++*pos;
  size_t digits = 0;
  int64_t scale = kNanosPerSecond;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    if (++digits > 9) return false;
    scale /= 10;
    *nanos += (s[*pos] - '0') * scale;
    ++*pos;
  }
  return digits > 0;
}

Status Invalid(std::string_view text) {
  std::string shown(text.substr(0, 64));
  return InvalidArgument("invalid time \"" + shown + "\": expected RFC 3339 (" +
                         "2026-11-23T01:02:03Z) or Unix seconds (1763859723.5)");
}

Result<int64_t> FromSeconds(int64_t seconds, int64_t nanos, std::string_view text) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;
  if (seconds < 0 || seconds > kMax) {
    return InvalidArgument("time \"" + std::string(text.substr(0, 64)) +
                           "\" is out of range (1970 to 2262)");
  }
  return seconds * kNanosPerSecond + nanos;
}

}  // namespace

Result<int64_t> ParseTimeParam(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty time");
  // Unix seconds: digits, then an optional fraction.
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i > 0 && (i == text.size() || text[i] == '.')) {
    if (i > 12) return FromSeconds(-1, 0, text);  // past 2262 whatever the digits
    int64_t seconds = 0, nanos = 0;
    Digits(text, 0, i, &seconds);
    if (!Fraction(text, &i, &nanos) || i != text.size()) return Invalid(text);
    return FromSeconds(seconds, nanos, text);
  }
  std::optional<Rfc3339Time> t = ParseRfc3339(text);
  if (!t) return Invalid(text);
  return FromSeconds(t->seconds, t->nanos, text);
}

std::optional<Rfc3339Time> ParseRfc3339(std::string_view text) {
  int64_t year, month, day, hour, minute, second;
  if (text.size() < 20 || !Digits(text, 0, 4, &year) || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) ||
      (text[10] != 'T' && text[10] != 't') || !Digits(text, 11, 2, &hour) || text[13] != ':' ||
      !Digits(text, 14, 2, &minute) || text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (!Fraction(text, &pos, &nanos) || pos >= text.size()) return std::nullopt;
  int64_t offset_seconds = 0;
  const char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    int64_t oh, om;
    if (!Digits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (zone == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(static_cast<int>(year)),
                           std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  return Rfc3339Time{days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds, nanos};
}

}  // namespace astrolabe::api
