#include "exporter/store/naming.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "common/strings.h"

namespace astrolabe::exporter::store {
namespace {

bool IsMetricChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
}
bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// OTel (UCUM) unit → Prometheus word (otlptranslator unitMap). "1" maps to nothing.
std::string_view MainUnitWord(std::string_view unit) {
  static const std::unordered_map<std::string_view, std::string_view> kMap = {
      {"d", "days"},
      {"h", "hours"},
      {"min", "minutes"},
      {"s", "seconds"},
      {"ms", "milliseconds"},
      {"us", "microseconds"},
      {"ns", "nanoseconds"},
      {"By", "bytes"},
      {"KiBy", "kibibytes"},
      {"MiBy", "mebibytes"},
      {"GiBy", "gibibytes"},
      {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},
      {"MBy", "megabytes"},
      {"GBy", "gigabytes"},
      {"TBy", "terabytes"},
      {"m", "meters"},
      {"V", "volts"},
      {"A", "amperes"},
      {"J", "joules"},
      {"W", "watts"},
      {"g", "grams"},
      {"Cel", "celsius"},
      {"Hz", "hertz"},
      {"1", ""},
      {"%", "percent"},
  };
  auto it = kMap.find(unit);
  return it == kMap.end() ? unit : it->second;
}

std::string_view PerUnitWord(std::string_view unit) {
  static const std::unordered_map<std::string_view, std::string_view> kMap = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
      {"w", "week"},   {"mo", "month"}, {"y", "year"},
  };
  auto it = kMap.find(unit);
  return it == kMap.end() ? unit : it->second;
}

// (main, per) suffixes before clean-up; per is "per_<word>" or "".
std::pair<std::string, std::string> UnitSuffixes(std::string_view unit) {
  std::string main, per;
  size_t slash = unit.find('/');
  std::string_view main_unit = TrimSpace(unit.substr(0, slash));
  if (!main_unit.empty() && main_unit.find_first_of("{}") == std::string_view::npos) {
    main = std::string(MainUnitWord(main_unit));
  }
  if (slash != std::string_view::npos && slash + 1 < unit.size()) {
    std::string_view per_unit = TrimSpace(unit.substr(slash + 1));
    if (!per_unit.empty() && per_unit.find_first_of("{}") == std::string_view::npos) {
      std::string_view word = PerUnitWord(per_unit);
      if (!word.empty()) per = "per_" + std::string(word);
    }
  }
  return {main, per};
}

// Invalid characters (and `_`) to `_`, runs of `_` collapsed, a leading `_` removed.
std::string CleanUpUnit(std::string_view unit) {
  std::string out;
  bool prev_underscore = false;
  for (char c : unit) {
    if (IsMetricChar(c)) {
      out += c;
      prev_underscore = false;
    } else if (!prev_underscore) {
      out += '_';
      prev_underscore = true;
    }
  }
  if (!out.empty() && out.front() == '_') out.erase(0, 1);
  return out;
}

void RemoveToken(std::vector<std::string>& tokens, std::string_view token) {
  tokens.erase(std::remove(tokens.begin(), tokens.end(), token), tokens.end());
}

bool Contains(const std::vector<std::string>& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

bool UnderscoresOnly(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '_'; });
}

}  // namespace

Result<std::string> MetricName(std::string_view name, std::string_view unit, NameKind kind) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : name) {
    if (IsMetricChar(c)) {
      current += c;
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));

  auto [main_raw, per_raw] = UnitSuffixes(unit);
  std::string main = CleanUpUnit(main_raw);
  std::string per = CleanUpUnit(per_raw);
  if (Contains(tokens, main)) main.clear();
  if (per == "per_") {
    per.clear();
  } else {
    if (!per.empty() && per.back() == '_') per.pop_back();
    if (Contains(tokens, per)) per.clear();
  }
  if (!per.empty() && !main.empty() && main.back() == '_') main.pop_back();
  if (!main.empty()) tokens.push_back(main);
  if (!per.empty()) tokens.push_back(per);

  if (kind == NameKind::kMonotonicCounter) {
    RemoveToken(tokens, "total");
    tokens.push_back("total");
  }
  if (unit == "1" && kind == NameKind::kGauge) {
    RemoveToken(tokens, "ratio");
    tokens.push_back("ratio");
  }
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out += '_';
    out += t;
  }
  if (!out.empty() && IsDigit(out.front())) out.insert(out.begin(), '_');
  if (out.empty()) {
    return InvalidArgument("normalization for metric \"" + std::string(name) +
                           "\" resulted in empty name");
  }
  if (out != name && UnderscoresOnly(out)) {
    return InvalidArgument("normalization for metric \"" + std::string(name) +
                           "\" resulted in invalid name \"" + out + "\"");
  }
  return out;
}

Result<std::string> LabelName(std::string_view key) {
  if (key.empty()) return InvalidArgument("label name is empty");
  std::string_view middle = key;
  const bool reserved = key.size() >= 4 && key.starts_with("__") && key.ends_with("__");
  if (reserved) middle = key.substr(2, key.size() - 4);
  std::string out;
  out.reserve(key.size() + 4);
  if (reserved) out += "__";
  bool prev_underscore = false;
  for (char c : middle) {
    if (IsLabelChar(c)) {
      out += c;
      prev_underscore = false;
    } else if (!prev_underscore) {
      out += '_';
      prev_underscore = true;
    }
  }
  if (reserved) out += "__";
  if (IsDigit(out.front())) out.insert(0, "key_");
  if (UnderscoresOnly(out)) {
    return InvalidArgument("normalization for label name \"" + std::string(key) +
                           "\" resulted in invalid name \"" + out + "\"");
  }
  return out;
}

std::string UnitName(std::string_view unit) {
  auto [main_raw, per_raw] = UnitSuffixes(unit);
  std::string main = CleanUpUnit(main_raw);
  std::string per = CleanUpUnit(per_raw);
  std::string u;
  if (!main.empty() && !per.empty()) {
    u = main + "_" + per;
  } else if (!main.empty()) {
    u = main;
  } else {
    u = per;
  }
  if (!u.empty() && u.front() == '_') u.erase(0, 1);
  if (!u.empty() && u.back() == '_') u.pop_back();
  return u;
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";  // cannot happen: 400 bytes hold any double
  return std::string(buf, end);
}

}  // namespace astrolabe::exporter::store
