#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace astrolabe {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  size_t e = s.size();
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}

std::string Join(std::span<const std::string> parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

Result<Duration> ParseDuration(std::string_view text) {
  std::string_view s = TrimSpace(text);
  if (s.empty()) return InvalidArgument("empty duration");
  if (s == "0") return Duration(0);
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    std::string number(s.substr(0, i));
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    long double scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else if (unit == "d") scale = 86400e9;
    else if (unit == "w") scale = 7 * 86400e9;
    else if (unit == "y") scale = 365 * 86400e9;
    else if (unit.empty())
      return InvalidArgument("missing unit in duration \"" + std::string(text) + "\"");
    else
      return InvalidArgument("unknown unit \"" + std::string(unit) + "\" in duration \"" +
                             std::string(text) + "\"");
    char* end = nullptr;
    long double v = std::strtold(number.c_str(), &end);
    if (end != number.c_str() + number.size())
      return InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    total += v * scale;
  }
  if (total > 9.2e18L) return InvalidArgument("duration \"" + std::string(text) + "\" too large");
  auto ns = static_cast<int64_t>(std::llround(static_cast<double>(total)));
  return Duration(negative ? -ns : ns);
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  char buf[64];
  if (u < 1000) {
    std::snprintf(buf, sizeof buf, "%lluns", static_cast<unsigned long long>(u));
    return sign + buf;
  }
  auto trim = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (!s.empty() && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (u < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(u) / 1e3);
    return sign + trim(buf) + "\xC2\xB5s";
  }
  if (u < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(u) / 1e6);
    return sign + trim(buf) + "ms";
  }
  uint64_t hours = u / 3'600'000'000'000ULL;
  u -= hours * 3'600'000'000'000ULL;
  uint64_t minutes = u / 60'000'000'000ULL;
  u -= minutes * 60'000'000'000ULL;
  std::snprintf(buf, sizeof buf, "%llu.%09llu", static_cast<unsigned long long>(u / 1'000'000'000ULL),
                static_cast<unsigned long long>(u % 1'000'000'000ULL));
  std::string out = sign;
  if (hours) out += std::to_string(hours) + "h";
  if (hours || minutes) out += std::to_string(minutes) + "m";
  return out + trim(buf) + "s";
}

Result<uint64_t> ParseBytes(std::string_view text) {
  std::string_view s = TrimSpace(text);
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return InvalidArgument("invalid size \"" + std::string(text) + "\"");
  uint64_t n = std::stoull(std::string(s.substr(0, i)));
  std::string unit;
  for (char c : TrimSpace(s.substr(i))) unit += static_cast<char>(std::tolower(c));
  uint64_t scale = 1;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "kb") scale = 1000;
  else if (unit == "kib" || unit == "k") scale = 1024;
  else if (unit == "mb") scale = 1000 * 1000;
  else if (unit == "mib" || unit == "m") scale = 1024 * 1024;
  else if (unit == "gb") scale = 1000ULL * 1000 * 1000;
  else if (unit == "gib" || unit == "g") scale = 1024ULL * 1024 * 1024;
  else return InvalidArgument("unknown unit in size \"" + std::string(text) + "\"");
  return n * scale;
}

std::string FormatRfc3339(int64_t unix_nanos) {
  time_t secs = static_cast<time_t>(unix_nanos / 1'000'000'000);
  int64_t frac = unix_nanos % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

}  // namespace astrolabe
