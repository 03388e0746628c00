// libFuzzer target for storage::Matcher: a user-supplied PromQL regex. Input: regex, a NUL byte,
// then a label value. Checks: Make() never crashes; for a valid regex and a well-formed UTF-8
// value, Matches() — fast path or not — agrees with RE2 itself on the anchored dot-all form, and
// LiteralSet(), when present, agrees with Matches(). Seed corpus: fuzz/corpus/storage_matcher/.

#include <re2/re2.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "storage/labels.h"
#include "storage/matcher.h"

using astrolabe::storage::Matcher;
using astrolabe::storage::MatchType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string re = in.substr(0, nul);
  std::string value = nul == std::string::npos ? "" : in.substr(nul + 1);
  auto m = Matcher::Make(MatchType::kRegexMatch, "l", re);
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(true);
  re2::RE2 ref("(?s:" + re + ")", opts);
  if (m.ok() != ref.ok()) std::abort();
  if (!m.ok()) return 0;
  // Stored label values are valid UTF-8 (the head rejects others); on anything else RE2 and
  // Go's regexp disagree about what '.' matches, so only well-formed values are compared.
  if (!astrolabe::storage::IsValidUtf8(value)) {
    (void)m->Matches(value);
    return 0;
  }
  bool want = re2::RE2::FullMatch(value, ref);
  if (m->Matches(value) != want) std::abort();
  auto neg = Matcher::Make(MatchType::kRegexNoMatch, "l", re);
  if (!neg.ok() || neg->Matches(value) == want) std::abort();
  if (const auto* set = m->LiteralSet()) {
    bool in_set = std::binary_search(set->begin(), set->end(), value);
    if (in_set != want) std::abort();
  }
  return 0;
}
