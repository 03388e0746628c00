#pragma once
// Test helpers (not part of the library): owned copies of parsed samples and the
// parse -> write -> parse round-trip check.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "expfmt/format.h"

namespace astrolabe::expfmt {

struct OwnedLabel {
  std::string name;
  std::string value;
  bool operator==(const OwnedLabel&) const = default;
};

struct OwnedSample {
  std::string family;
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;
  std::string name;
  Suffix suffix = Suffix::kNone;
  std::vector<OwnedLabel> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  bool has_exemplar = false;
  std::vector<OwnedLabel> exemplar_labels;
  double exemplar_value = 0;
  std::optional<int64_t> exemplar_timestamp_ms;
  uint64_t hash = 0;
  uint64_t group_hash = 0;
};

// Equal values treat NaN == NaN (same for exemplar values).
bool SameSample(const OwnedSample& a, const OwnedSample& b, std::string* why);

// Parses `body`; a non-OK status on a parse error.
Status ParseAll(std::string_view body, Format format, std::vector<OwnedSample>* out);

// Writes samples back: a family header whenever the family changes.
std::string WriteAll(const std::vector<OwnedSample>& samples, Format format);

// Parses, writes, parses again, and expects identical samples (gtest expectations).
void ExpectRoundTrip(std::string_view body, Format format);

}  // namespace astrolabe::expfmt
