#pragma once
// Detectors of personal data and secrets in free text (prompts and completions), and the
// rewriting of what they find. Used by the `redaction` processor (src/processor/redaction);
// the algorithms and their limits are in docs/design/redaction.md.
//
// Built-in kinds, found in ONE left-to-right pass over the bytes (a table lookup per byte,
// a bounded look-around only where a trigger character sits at a word start or at '@'):
//   email    local@domain.tld
//   phone    +CC international numbers (8–15 digits) and separated national numbers
//            (NANP 3-3-4, trunk-prefix 0… with 10–11 digits); never bare digit runs,
//            dates, times, versions or ids
//   card     13–19 digits, optional single space/dash separators, Luhn-checked
//   iban     CC + check digits + 11–30 alphanumerics, optional spaces, ISO 7064 mod 97
//   ip       IPv4 dotted quads (octets ≤ 255) and IPv6 (full, '::'-compressed, v4-mapped)
//   api_key  sk-, sk-proj-, sk-ant-, ghp_/gho_/ghu_/ghs_/ghr_, github_pat_, xox[abpr]-,
//            AKIA/ASIA…, AIza…, glpat-, hf_, nvapi-, JWTs (eyJ….eyJ….sig), and the token
//            after "Bearer "
// User rules are RE2 expressions (linear time; no backtracking blow-up), all compiled into
// one alternation so they cost one more pass together, whatever their number.
//
// Matches never overlap; a built-in match wins over a user match that overlaps it.
//
// Thread-safety: a Detector is immutable after Create(); Find/Rewrite may run on any
// number of threads at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::redaction {

// Built-in kinds, in the order of their rule index.
enum class Kind : uint8_t { kEmail, kPhone, kCard, kIban, kIp, kApiKey };
inline constexpr size_t kBuiltinKinds = 6;
// "email", "phone", "card", "iban", "ip", "api_key".
std::string_view KindName(Kind kind);

// How found items are rewritten (the content capture mode; `drop` and `full` are the
// processor's business: they never reach Rewrite).
enum class Mode : uint8_t { kFull, kRedact, kHash, kDrop };
// "full", "redact", "hash", "drop"; ParseMode returns false on anything else.
std::string_view ModeName(Mode mode);
bool ParseMode(std::string_view text, Mode* mode);

struct UserRule {
  std::string name;   // the kind written into [REDACTED:<name>]: [a-z0-9_]+
  std::string regex;  // RE2 syntax
};

struct DetectorOptions {
  // Built-in kinds to run (by name); empty = none. Default: all of them.
  std::vector<std::string> detectors = {"email", "phone", "card", "iban", "ip", "api_key"};
  std::vector<UserRule> rules;
};

// One item found: bytes [begin, end) of the text, and the rule (a Kind's index below
// kBuiltinKinds, else kBuiltinKinds + the user rule's index).
struct Match {
  size_t begin = 0;
  size_t end = 0;
  uint32_t rule = 0;
  bool operator==(const Match&) const = default;
};

class Detector {
 public:
  // Errors (kInvalidArgument) name the rule: `unknown detector "x" (valid: email, phone,
  // card, iban, ip, api_key)`, `rules[1] (name "emp"): invalid regex: missing )`,
  // `rules[0]: name must be [a-z0-9_]+`, `rules[0] (name "x"): regex matches the empty
  // string`, `rules: duplicate name "x"`.
  static Result<std::unique_ptr<Detector>> Create(const DetectorOptions& options);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Appends every item in `text` to `out`, in order, without overlaps. Allocates nothing
  // when nothing is found (out is only appended to).
  void Find(std::string_view text, std::vector<Match>& out) const;

  // The built-in pass alone, with or without its skip over anchor-free text: tests and the
  // redaction fuzz target check that both find the same items.
  void FindBuiltinForTest(std::string_view text, bool skip, std::vector<Match>& out) const;

  // The kind name of a match's rule ("email", …, or the user rule's name).
  std::string_view RuleName(uint32_t rule) const;
  size_t rule_count() const { return kBuiltinKinds + user_names_.size(); }

  // Rewrites `text` with every match replaced (mode kRedact: "[REDACTED:<kind>]", kHash:
  // "[HASH:<kind>:<16 hex of SHA-256(item)>]") into *out; `matches` as Find returned them.
  // REQUIRES: mode is kRedact or kHash; matches sorted, non-overlapping, within text.
  void Rewrite(std::string_view text, const std::vector<Match>& matches, Mode mode,
               std::string* out) const;

 private:
  Detector() = default;
  // skip: jump over text that holds no anchor byte (docs/design/redaction.md "Skipping").
  void FindBuiltin(std::string_view text, bool skip, std::vector<Match>& out) const;

  bool enabled_[kBuiltinKinds] = {};
  std::vector<std::string> user_names_;
  struct UserRegex;  // RE2 stays out of this header
  std::unique_ptr<UserRegex> user_;
};

// Exposed for tests: the checks the detectors use.
bool LuhnValid(std::string_view digits);   // digits only
bool IbanValid(std::string_view compact);  // [A-Z0-9] only, no spaces

}  // namespace astrolabe::redaction
