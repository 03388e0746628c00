#pragma once
// Test helpers: an exposition parsed by our own expfmt parser into "name{a="x",b="y"}" → value
// (labels in exposition order), so tests check what a scraper would read.

#include <map>
#include <string>
#include <string_view>

#include "expfmt/parser.h"

namespace astrolabe::sim::testing {

struct Parsed {
  std::map<std::string, double> values;
  std::map<std::string, std::string> types;  // family name → "counter", ...
  std::string error;                         // empty when the parser accepted the body
  double Get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? -1 : it->second;
  }
};

inline Parsed ParseText(std::string_view body) {
  Parsed out;
  expfmt::Parser parser;
  Status st = parser.Parse(body, expfmt::Format::kText, [&](const expfmt::Sample& s) {
    std::string key(s.name);
    if (!s.labels.empty()) {
      key += "{";
      bool first = true;
      for (const auto& l : s.labels) {
        if (!first) key += ",";
        first = false;
        key += std::string(l.name) + "=\"" + std::string(l.value) + "\"";
      }
      key += "}";
    }
    out.values[key] = s.value;
    out.types[std::string(s.family.name)] =
        std::string(expfmt::MetricTypeName(s.family.type, expfmt::Format::kText));
  });
  if (!st.ok()) out.error = st.ToString();
  return out;
}

}  // namespace astrolabe::sim::testing
