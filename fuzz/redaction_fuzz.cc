// Fuzzes the redaction detectors (src/redaction/detector.h), which read prompt and
// completion text from any client. The first byte picks the options (bit 0: add two user
// RE2 rules; bit 1: hash instead of redact); the rest is the text. Checks, besides the
// sanitizers:
//   - matches are in bounds, non-empty, sorted and non-overlapping;
//   - a built-in match never holds '"' or '\' (rewriting JSON text keeps it valid JSON);
//   - an e-mail holds one '@'; a card's digits pass Luhn; an IBAN passes mod 97;
//   - the rewritten text has exactly the expected length, and the bytes between matches
//     are unchanged;
//   - the built-in pass finds the same items with and without its skip over anchor-free
//     text (docs/design/redaction.md "Skipping").
// Seeds: fuzz/corpus/redaction/ (the lines of src/redaction/testdata/corpus.tsv).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redaction/detector.h"

namespace {

using astrolabe::redaction::Detector;
using astrolabe::redaction::DetectorOptions;
using astrolabe::redaction::Kind;
using astrolabe::redaction::Match;
using astrolabe::redaction::Mode;

const Detector& Get(bool rules) {
  static std::unique_ptr<Detector> plain = std::move(Detector::Create({})).value();
  static std::unique_ptr<Detector> with_rules = [] {
    DetectorOptions o;
    o.rules = {{"employee_id", R"(EMP-\d{6})"}, {"word", R"((?i)secret(\w*))"}};
    return std::move(Detector::Create(o)).value();
  }();
  return rules ? *with_rules : *plain;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool rules = data[0] & 1;
  const Mode mode = (data[0] & 2) ? Mode::kHash : Mode::kRedact;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Detector& d = Get(rules);
  std::vector<Match> matches;
  d.Find(text, matches);
  size_t prev_end = 0;
  size_t expected_size = text.size();
  for (const Match& m : matches) {
    if (m.begin >= m.end || m.end > text.size() || m.begin < prev_end) std::abort();
    if (m.rule >= d.rule_count()) std::abort();
    prev_end = m.end;
    const std::string_view item = text.substr(m.begin, m.end - m.begin);
    const std::string_view kind = d.RuleName(m.rule);
    expected_size -= item.size();
    expected_size += (mode == Mode::kHash ? 8 + kind.size() + 16 : 11 + kind.size());
    if (m.rule >= astrolabe::redaction::kBuiltinKinds) continue;
    if (item.find('"') != std::string_view::npos || item.find('\\') != std::string_view::npos) {
      std::abort();
    }
    switch (static_cast<Kind>(m.rule)) {
      case Kind::kEmail:
        if (item.find('@') == std::string_view::npos || item.find('@') != item.rfind('@')) {
          std::abort();
        }
        break;
      case Kind::kCard: {
        std::string digits;
        for (char c : item) {
          if (c >= '0' && c <= '9') digits += c;
        }
        if (digits.size() < 13 || digits.size() > 19 || !astrolabe::redaction::LuhnValid(digits)) {
          std::abort();
        }
        break;
      }
      case Kind::kIban: {
        std::string compact;
        for (char c : item) {
          if (c != ' ') compact += c;
        }
        if (!astrolabe::redaction::IbanValid(compact)) std::abort();
        break;
      }
      default:
        break;
    }
  }
  std::vector<Match> skipped;
  std::vector<Match> unskipped;
  d.FindBuiltinForTest(text, /*skip=*/true, skipped);
  d.FindBuiltinForTest(text, /*skip=*/false, unskipped);
  if (skipped != unskipped) std::abort();
  if (!matches.empty()) {
    std::string out;
    d.Rewrite(text, matches, mode, &out);
    if (out.size() != expected_size) std::abort();
    // The text before the first item is unchanged.
    if (out.compare(0, matches[0].begin, text.substr(0, matches[0].begin)) != 0) std::abort();
  }
  return 0;
}
