#include "api/query_params.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "api/api_params.h"
#include "query/parser.h"

namespace astrolabe::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
  if (std::optional<Rfc3339Time> t = ParseRfc3339(text)) {
    return t->seconds * 1000 + t->nanos / 1'000'000;
  }
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

}  // namespace astrolabe::api
