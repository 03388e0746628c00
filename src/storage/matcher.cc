#include "storage/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace astrolabe::storage {
namespace {

// How a regex is evaluated; everything but kRegex avoids RE2 at match time.
enum class Fast { kRegex, kLiteralSet, kPrefix, kSuffix, kContains, kAny, kNonEmpty };

bool IsMeta(char c) {
  switch (c) {
    case '\\':
    case '.':
    case '+':
    case '*':
    case '?':
    case '(':
    case ')':
    case '|':
    case '[':
    case ']':
    case '{':
    case '}':
    case '^':
    case '$':
      return true;
    default:
      return false;
  }
}

// Parses `s` as a literal string with `\`-escaped punctuation; nullopt if it holds any other
// regex syntax.
std::optional<std::string> ParseLiteral(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      char n = s[i + 1];
      // Only escaped punctuation is a literal; \d, \w, \pL, \Q... are classes or operators.
      if ((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9')) {
        return std::nullopt;
      }
      out.push_back(n);
      ++i;
      continue;
    }
    if (IsMeta(c)) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

// Strips one pair of enclosing "(...)" or "(?:...)" when they enclose the whole expression.
std::string_view StripGroup(std::string_view s) {
  size_t open = 0;
  if (s.starts_with("(?:")) {
    open = 3;
  } else if (s.starts_with("(") && !s.starts_with("(?")) {
    open = 1;
  } else {
    return s;
  }
  if (!s.ends_with(")")) return s;
  // The group must close at the last character: track depth, skipping escapes.
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth == 0 && i != s.size() - 1) return s;
  }
  return s.substr(open, s.size() - open - 1);
}

struct FastPlan {
  Fast kind = Fast::kRegex;
  std::string literal;           // prefix / suffix / infix
  std::vector<std::string> set;  // kLiteralSet
};

FastPlan Plan(std::string_view re) {
  FastPlan plan;
  if (re == ".*") {
    plan.kind = Fast::kAny;
    return plan;
  }
  if (re == ".+") {
    plan.kind = Fast::kNonEmpty;
    return plan;
  }
  std::string_view body = StripGroup(re);
  // Alternation of literals (a single literal is the one-element case).
  {
    std::vector<std::string> set;
    bool ok = true;
    size_t start = 0;
    for (size_t i = 0; i <= body.size(); ++i) {
      // An escape skips the escaped character; a trailing `\` stays in the last alternative,
      // which ParseLiteral then refuses (skipping past the end left that alternative unchecked).
      if (i + 1 < body.size() && body[i] == '\\') {
        ++i;
        continue;
      }
      if (i == body.size() || body[i] == '|') {
        auto lit = ParseLiteral(body.substr(start, i - start));
        if (!lit) {
          ok = false;
          break;
        }
        set.push_back(std::move(*lit));
        start = i + 1;
      }
    }
    if (ok) {
      std::sort(set.begin(), set.end());
      set.erase(std::unique(set.begin(), set.end()), set.end());
      plan.kind = Fast::kLiteralSet;
      plan.set = std::move(set);
      return plan;
    }
  }
  bool lead = re.starts_with(".*");
  bool trail = re.size() >= 2 && re.ends_with(".*") && !re.ends_with("\\.*");
  std::string_view mid = re;
  if (lead) mid.remove_prefix(2);
  if (trail && mid.size() >= 2)
    mid.remove_suffix(2);
  else if (trail)
    return plan;
  if (!lead && !trail) return plan;
  auto lit = ParseLiteral(mid);
  if (!lit) return plan;
  plan.literal = std::move(*lit);
  plan.kind = lead && trail ? Fast::kContains : lead ? Fast::kSuffix : Fast::kPrefix;
  return plan;
}

void AppendQuoted(std::string& out, std::string_view v) {
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string_view MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

struct Matcher::Impl {
  MatchType type;
  std::string name;
  std::string value;
  FastPlan plan;
  std::unique_ptr<re2::RE2> re;     // only when plan.kind == kRegex
  std::vector<std::string> eq_set;  // for = and !=: {value}
  bool matches_empty = false;

  bool RegexMatches(std::string_view v) const {
    switch (plan.kind) {
      case Fast::kAny:
        return true;
      case Fast::kNonEmpty:
        return !v.empty();
      case Fast::kLiteralSet:
        return std::binary_search(plan.set.begin(), plan.set.end(), v);
      case Fast::kPrefix:
        return v.starts_with(plan.literal);
      case Fast::kSuffix:
        return v.ends_with(plan.literal);
      case Fast::kContains:
        return v.find(plan.literal) != std::string_view::npos;
      case Fast::kRegex:
        return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re);
    }
    return false;
  }

  bool Matches(std::string_view v) const {
    switch (type) {
      case MatchType::kEqual:
        return v == value;
      case MatchType::kNotEqual:
        return v != value;
      case MatchType::kRegexMatch:
        return RegexMatches(v);
      case MatchType::kRegexNoMatch:
        return !RegexMatches(v);
    }
    return false;
  }
};

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  auto impl = std::make_shared<Impl>();
  impl->type = type;
  impl->name = std::move(name);
  impl->value = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    // Always compile, even when a fast path will be used: the regex must be valid RE2 and the
    // fast-path parser must never accept what RE2 rejects.
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    auto re = std::make_unique<re2::RE2>("(?s:" + impl->value + ")", opts);
    if (!re->ok()) {
      return InvalidArgument("invalid regex in matcher " + impl->name +
                             std::string(MatchTypeString(type)) + "\"" + impl->value +
                             "\": " + re->error());
    }
    impl->plan = Plan(impl->value);
    if (impl->plan.kind == Fast::kRegex) impl->re = std::move(re);
  } else {
    impl->eq_set.push_back(impl->value);
  }
  impl->matches_empty = impl->Matches("");
  return Matcher(std::move(impl));
}

Matcher Matcher::MustMake(MatchType type, std::string name, std::string value) {
  auto m = Make(type, std::move(name), std::move(value));
  if (!m.ok()) std::abort();
  return std::move(m).value();
}

MatchType Matcher::type() const { return impl_->type; }
const std::string& Matcher::name() const { return impl_->name; }
const std::string& Matcher::value() const { return impl_->value; }
bool Matcher::Matches(std::string_view v) const { return impl_->Matches(v); }
bool Matcher::MatchesEmpty() const { return impl_->matches_empty; }

const std::vector<std::string>* Matcher::LiteralSet() const {
  if (impl_->type == MatchType::kEqual || impl_->type == MatchType::kNotEqual) {
    return &impl_->eq_set;
  }
  if (impl_->plan.kind == Fast::kLiteralSet) return &impl_->plan.set;
  return nullptr;
}

std::string Matcher::ToString() const {
  std::string out = impl_->name;
  out.append(MatchTypeString(impl_->type));
  AppendQuoted(out, impl_->value);
  return out;
}

}  // namespace astrolabe::storage
