#pragma once
// Relabeling, as Prometheus does it (prometheus model/relabel/relabel.go): an ordered list
// of rules rewrites a label set, or drops it. Used for targets (relabel_configs, before a
// target is scraped) and for samples (metric_relabel_configs, after each scrape).
//
// Regexes are RE2 syntax in Prometheus; here they are compiled with std::regex
// (ECMAScript grammar) after a small translation that keeps Prometheus' meaning:
//   - anchored at both ends, as Prometheus wraps every regex in ^(?s:...)$;
//   - `.` outside a bracket expression also matches a newline (the `s` flag);
//   - a leading `(?i)` becomes the icase flag;
//   - named groups `(?P<name>...)` / `(?<name>...)` become plain groups (reachable by
//     number only; `${name}` in a replacement expands to "").
// Other RE2-only syntax (\z, \pL, [[:alpha:]] works in both) fails to compile with a
// message naming the regex. Replacement templates follow Go's Regexp.Expand: `$1`,
// `${1}`, `$$` for a literal `$`; a name is the longest run of [A-Za-z0-9_] after `$`
// (so `$1x` names group "1x", which does not exist and expands to "").
//
// Thread-safety: compiled rules are immutable and may be shared by threads.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "receiver/prometheus/config.h"

namespace astrolabe::receiver::prometheus {

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// A label set kept sorted by name, names unique. Empty values are allowed while building
// and are dropped by Compact() (Prometheus treats "" as absent).
class Labels {
 public:
  Labels() = default;
  // Sorts; on duplicate names the last one wins.
  explicit Labels(std::vector<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Set(std::string_view name, std::string_view value);
  void Del(std::string_view name);
  // Removes labels with empty values.
  void Compact();
  // Makes room for `n` labels, so that building a set label by label reallocates once.
  void Reserve(size_t n) { items_.reserve(n); }

  const std::vector<Label>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // `{a="1", b="2"}` for messages.
  std::string ToString() const;
  // A stable 64-bit hash (FNV-1a over names and values with separators).
  uint64_t Hash() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  std::vector<Label> items_;
};

// Hashes a label vector (as Labels::Hash), for unordered containers keyed by series.
struct LabelVectorHash {
  size_t operator()(const std::vector<Label>& labels) const;
};

// An anchored regex with Prometheus' semantics (see above).
class Regex {
 public:
  // Errors: InvalidArgument `error parsing regexp: <why>: \`<regex>\``.
  static Result<Regex> Compile(std::string_view pattern);

  bool Match(std::string_view s) const;
  // Matches `s` (anchored) and expands `tmpl` with the groups; nullopt when no match.
  std::optional<std::string> MatchAndExpand(std::string_view s, std::string_view tmpl) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<const std::regex> re_;
};

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// Parses an action name (case-insensitive); nullopt when unknown.
std::optional<RelabelAction> ParseRelabelAction(std::string_view name);

struct RelabelRule {
  RelabelAction action = RelabelAction::kReplace;
  std::vector<std::string> source_labels;
  std::string separator;
  Regex regex;
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement;
};

// Compiles validated configs. Errors name the rule index: "relabel_configs[2]: ...".
Result<std::vector<RelabelRule>> CompileRelabelRules(const std::vector<RelabelConfig>& configs,
                                                     std::string_view what);

// Applies `rules` in order. Returns false when the label set is dropped (keep, drop,
// keepequal, dropequal); `labels` is then unspecified. Labels left with empty values are
// removed.
bool Relabel(const std::vector<RelabelRule>& rules, Labels& labels);

// Prometheus' label name rule for relabel targets: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view name);

// The MD5 digest of `data` (RFC 1321), used by hashmod as Prometheus does.
std::array<uint8_t, 16> Md5(std::string_view data);

}  // namespace astrolabe::receiver::prometheus
