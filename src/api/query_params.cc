#include "api/query_params.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "query/parser.h"

namespace astrolabe::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.unescape in its query (plus_is_space) and path modes.
Result<std::string> Unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0) {
        std::string bad(s.substr(i, 3));
        return InvalidArgument("invalid URL escape \"" + bad + "\"");
      }
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Go's strconv.ParseFloat for the forms Prometheus' clients send: an optional sign, then
// what std::from_chars accepts in general format ("1.5", "1e9", ".5", "inf", "nan").
std::optional<double> ParseFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Go returns ±Inf (or 0) with an error; Prometheus then refuses the value.
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return negative ? -v : v;
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return 29;
  return kDays[m - 1];
}

// RFC 3339 as Go's time.Parse(time.RFC3339Nano) reads it: YYYY-MM-DDTHH:MM:SS, an optional
// fraction of 1-9 digits, then Z or ±HH:MM.
std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !ParseDigits(s, 0, 4, &year) || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &month) || s[7] != '-' || !ParseDigits(s, 8, 2, &day) ||
      s[10] != 'T' || !ParseDigits(s, 11, 2, &hour) || s[13] != ':' ||
      !ParseDigits(s, 14, 2, &minute) || s[16] != ':' || !ParseDigits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - offset_s;
  return seconds * 1000 + nanos / 1'000'000;
}

bool DecodeHexRune(std::string_view hex, uint32_t* rune) {
  if (hex.empty() || hex.size() > 8) return false;
  uint32_t v = 0;
  for (char c : hex) {
    const int h = HexValue(c);
    if (h < 0) return false;
    v = v * 16 + static_cast<uint32_t>(h);
  }
  *rune = v;
  return true;
}

void AppendUtf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

}  // namespace

void FormValues::Add(std::string key, std::string value) {
  pairs_.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string_view> FormValues::Get(std::string_view key) const {
  for (const auto& [k, v] : pairs_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view FormValues::Value(std::string_view key) const {
  return Get(key).value_or(std::string_view());
}

std::vector<std::string_view> FormValues::All(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : pairs_) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

Status ParseForm(std::string_view encoded, FormValues* form) {
  Status first_error = Status::Ok();
  while (!encoded.empty()) {
    const size_t amp = encoded.find('&');
    std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view raw_key = pair.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    // As Go: a semicolon in the key is an error; the pair is skipped, the rest still parsed.
    if (raw_key.find(';') != std::string_view::npos) {
      if (first_error.ok()) first_error = InvalidArgument("invalid semicolon separator in query");
      continue;
    }
    Result<std::string> key = Unescape(raw_key, true);
    if (!key.ok()) {
      if (first_error.ok()) first_error = key.status();
      continue;
    }
    Result<std::string> value = Unescape(raw_value, true);
    if (!value.ok()) {
      if (first_error.ok()) first_error = value.status();
      continue;
    }
    form->Add(std::move(*key), std::move(*value));
  }
  return first_error;
}

Result<std::string> PathUnescape(std::string_view segment) { return Unescape(segment, false); }

Result<int64_t> ParseTimeMs(std::string_view text) {
  auto fail = [&] {
    return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
  };
  if (std::optional<double> f = ParseFloat(text)) {
    // Seconds within what milliseconds in an int64 hold (Prometheus' own bounds are ±9.2e15 s).
    if (!std::isfinite(*f) || std::fabs(*f) > 9.2e15) return fail();
    double whole = 0;
    const double frac = std::modf(*f, &whole);
    return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(std::round(frac * 1000));
  }
  if (std::optional<int64_t> ms = ParseRfc3339Ms(text)) return *ms;
  if (text == "-292273086-05-16T16:47:06Z") return kMinApiTimeMs;
  if (text == "292277025-08-18T07:12:54.999999999Z") return kMaxApiTimeMs;
  return fail();
}

Result<int64_t> ParseDurationParamMs(std::string_view text) {
  if (std::optional<double> f = ParseFloat(text)) {
    const double ms = *f * 1000;
    if (std::isnan(ms) || ms > 9.2e18 || ms < -9.2e18) {
      return InvalidArgument("cannot parse \"" + std::string(text) +
                             "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ms);
  }
  Result<int64_t> d = query::ParseDurationMs(text);
  if (!d.ok()) {
    return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
  }
  return *d;
}

Result<int64_t> ParseLimit(std::string_view text) {
  if (text.empty()) return int64_t{0};
  std::string_view digits = text;
  bool negative = false;
  if (digits[0] == '+' || digits[0] == '-') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || digits[0] == '+' || digits[0] == '-' || ec != std::errc() ||
      ptr != digits.data() + digits.size()) {
    return InvalidArgument("cannot parse \"" + std::string(text) + "\" as an integer");
  }
  if (negative && v != 0) return InvalidArgument("limit must be non-negative");
  return v;
}

std::string UnescapeLabelName(std::string_view name) {
  constexpr std::string_view kPrefix = "U__";
  if (name.size() <= kPrefix.size() || name.substr(0, kPrefix.size()) != kPrefix) {
    return std::string(name);
  }
  const std::string_view body = name.substr(kPrefix.size());
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '_') {
      if (i + 1 < body.size() && body[i + 1] == '_') {
        out += '_';
        ++i;
        continue;
      }
      const size_t close = body.find('_', i + 1);
      uint32_t rune = 0;
      if (close == std::string_view::npos ||
          !DecodeHexRune(body.substr(i + 1, close - i - 1), &rune) || rune > 0x10FFFF ||
          (rune >= 0xD800 && rune <= 0xDFFF)) {
        return std::string(name);
      }
      AppendUtf8(out, rune);
      i = close;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':') {
      out += c;
    } else {
      return std::string(name);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace astrolabe::api
