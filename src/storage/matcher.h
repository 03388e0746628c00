#pragma once
// Matcher: one PromQL label matcher (`name="v"`, `!=`, `=~`, `!~`) with Prometheus semantics:
//  - a regex is fully anchored and uses RE2 syntax, with `.` matching newline too, exactly as
//    Prometheus compiles `^(?s:<re>)$`;
//  - a series without the label is treated as having the value "", so a matcher that matches
//    the empty string (`a=""`, `a!="x"`, `a=~"x|"`, `a!~"x"`) also selects series without `a`.
// Common regex shapes take fast paths without running RE2: literals, alternations of literals
// (`a|b|c`, also reported by LiteralSet() so an index can look values up directly), `prefix.*`,
// `.*suffix`, `.*infix.*`, `.*` and `.+`.
//
// Immutable after Make(); copies share the compiled regex; safe to use from many threads.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::storage {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// "=", "!=", "=~", "!~".
std::string_view MatchTypeString(MatchType type);

class Matcher {
 public:
  // Fails with kInvalidArgument naming the label and the RE2 error when `value` is not a valid
  // regex for =~ / !~.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);
  // For tests and constants. REQUIRES: the regex compiles (aborts otherwise).
  static Matcher MustMake(MatchType type, std::string name, std::string value);

  MatchType type() const;
  const std::string& name() const;
  const std::string& value() const;

  // True when a label value `v` satisfies the matcher ("" standing for an absent label).
  bool Matches(std::string_view v) const;
  // Matches("") computed once.
  bool MatchesEmpty() const;
  // When the equality or regex underneath is a finite set of literals: that set (sorted,
  // unique); nullptr otherwise. For = and =~ these are exactly the values that match; for !=
  // and !~ exactly the values that do not. `a="x"` and `a!="x"` give {"x"}, `a=~"x|y"` and
  // `a!~"x|y"` give {"x","y"}. Lets an index look values up instead of scanning them.
  const std::vector<std::string>* LiteralSet() const;

  // `name="value"` / `name=~"re"`, value quoted as in PromQL.
  std::string ToString() const;

 private:
  struct Impl;
  explicit Matcher(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace astrolabe::storage
