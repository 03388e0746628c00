#include "query/ast.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "query/functions.h"

namespace astrolabe::query {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view OpString(Op op) {
  switch (op) {
    case Op::kNone:
      return "";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kPow:
      return "^";
    case Op::kAtan2:
      return "atan2";
    case Op::kEql:
      return "==";
    case Op::kNeq:
      return "!=";
    case Op::kGtr:
      return ">";
    case Op::kLss:
      return "<";
    case Op::kGte:
      return ">=";
    case Op::kLte:
      return "<=";
    case Op::kAnd:
      return "and";
    case Op::kOr:
      return "or";
    case Op::kUnless:
      return "unless";
    case Op::kSum:
      return "sum";
    case Op::kAvg:
      return "avg";
    case Op::kCount:
      return "count";
    case Op::kMin:
      return "min";
    case Op::kMax:
      return "max";
    case Op::kGroup:
      return "group";
    case Op::kStddev:
      return "stddev";
    case Op::kStdvar:
      return "stdvar";
    case Op::kTopk:
      return "topk";
    case Op::kBottomk:
      return "bottomk";
    case Op::kCountValues:
      return "count_values";
    case Op::kQuantile:
      return "quantile";
    case Op::kLimitk:
      return "limitk";
    case Op::kLimitRatio:
      return "limit_ratio";
  }
  return "";
}

bool IsComparison(Op op) {
  return op == Op::kEql || op == Op::kNeq || op == Op::kGtr || op == Op::kLss || op == Op::kGte ||
         op == Op::kLte;
}
bool IsSetOp(Op op) { return op == Op::kAnd || op == Op::kOr || op == Op::kUnless; }

ValueType Expr::Type() const {
  switch (kind) {
    case NodeKind::kNumber:
      return ValueType::kScalar;
    case NodeKind::kString:
      return ValueType::kString;
    case NodeKind::kVectorSelector:
      return ValueType::kVector;
    case NodeKind::kMatrixSelector:
      return ValueType::kMatrix;
    case NodeKind::kSubquery:
      return ValueType::kMatrix;
    case NodeKind::kCall:
      return func->return_type;
    case NodeKind::kAggregate:
      return ValueType::kVector;
    case NodeKind::kBinary:
      return children[0]->Type() == ValueType::kScalar && children[1]->Type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    case NodeKind::kUnary:
    case NodeKind::kParen:
      return children[0]->Type();
  }
  return ValueType::kNone;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t v = ms < 0 ? static_cast<uint64_t>(-(ms + 1)) + 1 : static_cast<uint64_t>(ms);
  if (ms < 0) out = "-";
  static const std::pair<const char*, uint64_t> kUnits[] = {{"y", 365ULL * 24 * 3600 * 1000},
                                                            {"w", 7ULL * 24 * 3600 * 1000},
                                                            {"d", 24ULL * 3600 * 1000},
                                                            {"h", 3600ULL * 1000},
                                                            {"m", 60ULL * 1000},
                                                            {"s", 1000},
                                                            {"ms", 1}};
  for (const auto& [name, size] : kUnits) {
    if (v >= size) {
      out += std::to_string(v / size) + name;
      v %= size;
    }
  }
  return out;
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

namespace {

constexpr std::string_view kMetricNameLabel = "__name__";

bool IsLegacyName(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsKeywordLike(std::string_view s) {
  static const char* kWords[] = {
      "by",     "without", "on",      "ignoring",     "group_left", "group_right", "bool",
      "offset", "and",     "or",      "unless",       "atan2",      "inf",         "nan",
      "sum",    "avg",     "count",   "min",          "max",        "group",       "stddev",
      "stdvar", "topk",    "bottomk", "count_values", "quantile",   "limitk",      "limit_ratio"};
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* w : kWords) {
    if (lower == w) return true;
  }
  return false;
}

std::string LabelNameString(std::string_view name) {
  if (IsLegacyName(name, false)) return std::string(name);
  return QuoteString(name);
}

std::string LabelList(const std::vector<std::string>& labels) {
  std::string out = "(";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += LabelNameString(labels[i]);
  }
  out += ")";
  return out;
}

bool OptEqual(const std::unique_ptr<Expr>& a, const std::unique_ptr<Expr>& b) {
  if ((a == nullptr) != (b == nullptr)) return false;
  return a == nullptr || Equal(*a, *b);
}

std::string DurationString(int64_t ms, const std::unique_ptr<Expr>& expr) {
  return expr ? expr->String() : FormatDurationMs(ms);
}

std::string Modifiers(const Expr& e) {
  std::string out;
  switch (e.at) {
    case AtKind::kNone:
      break;
    case AtKind::kValue: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %lld.%03lld", static_cast<long long>(e.at_ms / 1000),
                    static_cast<long long>(std::llabs(e.at_ms % 1000)));
      if (e.at_ms < 0 && e.at_ms / 1000 == 0) {
        std::snprintf(buf, sizeof(buf), " @ -0.%03lld",
                      static_cast<long long>(std::llabs(e.at_ms % 1000)));
      }
      out += buf;
      break;
    }
    case AtKind::kStart:
      out += " @ start()";
      break;
    case AtKind::kEnd:
      out += " @ end()";
      break;
  }
  if (e.offset_expr) {
    out += " offset " + e.offset_expr->String();
  } else if (e.offset_ms != 0) {
    out += " offset " + FormatDurationMs(e.offset_ms);
  }
  return out;
}

std::string SelectorString(const Expr& e) {
  // The name's matcher keeps its place among the matchers: written outside the braces when it
  // is first and a plain identifier, else as a quoted name at its place ({d="x", "a.b"}), so
  // that the printed selector parses to the same matcher order (found by the fuzzer). A
  // leading ':' would lex as a colon, so such names are quoted too ({":"}).
  size_t name_at = e.matchers.size();
  for (size_t i = 0; i < e.matchers.size() && !e.str.empty(); ++i) {
    const auto& m = e.matchers[i];
    if (m.name() == kMetricNameLabel && m.type() == storage::MatchType::kEqual &&
        m.value() == e.str) {
      name_at = i;
      break;
    }
  }
  const bool bare = name_at == 0 && IsLegacyName(e.str, true) && !IsKeywordLike(e.str) &&
                    e.str[0] != ':';
  std::string out = bare ? e.str : "";
  std::string inner;
  for (size_t i = 0; i < e.matchers.size(); ++i) {
    if (i == name_at && bare) continue;
    if (!inner.empty()) inner += ", ";
    if (i == name_at) {
      inner += QuoteString(e.str);
      continue;
    }
    const auto& m = e.matchers[i];
    inner += LabelNameString(m.name());
    inner += MatchTypeString(m.type());
    inner += QuoteString(m.value());
  }
  if (!inner.empty() || !bare) out += "{" + inner + "}";
  return out;
}

}  // namespace

std::string Expr::String() const {
  switch (kind) {
    case NodeKind::kNumber:
      // "+Inf" would reparse as a unary plus, which binds looser than `^` (found by the fuzzer:
      // `-2 ^ inf ^ 1`).
      if (std::isinf(number) && number > 0) return "Inf";
      return FormatFloat(number);
    case NodeKind::kString:
      return QuoteString(str);
    case NodeKind::kVectorSelector:
      return SelectorString(*this) + Modifiers(*this);
    case NodeKind::kMatrixSelector:
      return SelectorString(*children[0]) + "[" + DurationString(range_ms, range_expr) + "]" +
             Modifiers(*children[0]);
    case NodeKind::kSubquery:
      return children[0]->String() + "[" + DurationString(range_ms, range_expr) + ":" +
             (step_ms != 0 || step_expr ? DurationString(step_ms, step_expr) : "") + "]" +
             Modifiers(*this);
    case NodeKind::kCall: {
      std::string out(func->name);
      out += "(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ", ";
        out += children[i]->String();
      }
      return out + ")";
    }
    case NodeKind::kAggregate: {
      std::string out(OpString(op));
      if (without) {
        out += " without " + LabelList(grouping) + " ";
      } else if (!grouping.empty()) {
        out += " by " + LabelList(grouping) + " ";
      }
      out += "(";
      if (param) out += param->String() + ", ";
      return out + children[0]->String() + ")";
    }
    case NodeKind::kBinary: {
      std::string out = children[0]->String() + " " + std::string(OpString(op));
      if (bool_modifier) out += " bool";
      if (matching) {
        const VectorMatching& vm = *matching;
        if (vm.explicit_matching) {
          out += vm.on ? " on" : " ignoring";
          out += " " + LabelList(vm.labels);
        }
        if (vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany) {
          out += vm.card == Cardinality::kManyToOne ? " group_left" : " group_right";
          out += " " + LabelList(vm.include);
        }
        auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
        if (vm.fill_left && vm.fill_right && same(*vm.fill_left, *vm.fill_right)) {
          out += " fill(" + FormatFloat(*vm.fill_left) + ")";
        } else {
          if (vm.fill_left) out += " fill_left(" + FormatFloat(*vm.fill_left) + ")";
          if (vm.fill_right) out += " fill_right(" + FormatFloat(*vm.fill_right) + ")";
        }
      }
      return out + " " + children[1]->String();
    }
    case NodeKind::kUnary:
      return std::string(OpString(op)) + children[0]->String();
    case NodeKind::kParen:
      return "(" + children[0]->String() + ")";
  }
  return "";
}

double EvalDurationExpr(const Expr& e, double step_s, double range_s) {
  auto go_min = [](double x, double y) {
    if (std::isnan(x) || std::isnan(y)) return static_cast<double>(NAN);
    return x < y ? x : y;
  };
  auto go_max = [](double x, double y) {
    if (std::isnan(x) || std::isnan(y)) return static_cast<double>(NAN);
    return x > y ? x : y;
  };
  switch (e.kind) {
    case NodeKind::kNumber:
      return e.number;
    case NodeKind::kParen:
      return EvalDurationExpr(*e.children[0], step_s, range_s);
    case NodeKind::kUnary: {
      const double v = EvalDurationExpr(*e.children[0], step_s, range_s);
      return e.op == Op::kSub ? -v : v;
    }
    case NodeKind::kBinary: {
      const double l = EvalDurationExpr(*e.children[0], step_s, range_s);
      const double r = EvalDurationExpr(*e.children[1], step_s, range_s);
      switch (e.op) {
        case Op::kAdd:
          return l + r;
        case Op::kSub:
          return l - r;
        case Op::kMul:
          return l * r;
        case Op::kDiv:
          return l / r;
        case Op::kMod:
          return std::fmod(l, r);
        case Op::kPow:
          return std::pow(l, r);
        default:
          return NAN;
      }
    }
    case NodeKind::kCall: {
      const std::string_view name = e.func->name;
      if (name == "step") return step_s;
      if (name == "range") return range_s;
      const double a = EvalDurationExpr(*e.children[0], step_s, range_s);
      const double b = EvalDurationExpr(*e.children[1], step_s, range_s);
      return name == "min_of" ? go_min(a, b) : go_max(a, b);
    }
    default:
      return NAN;
  }
}

bool Equal(const Expr& a, const Expr& b) {
  if (a.kind != b.kind || a.children.size() != b.children.size()) return false;
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!Equal(*a.children[i], *b.children[i])) return false;
  }
  switch (a.kind) {
    case NodeKind::kNumber:
      return (std::isnan(a.number) && std::isnan(b.number)) || a.number == b.number;
    case NodeKind::kString:
      return a.str == b.str;
    case NodeKind::kVectorSelector: {
      if (a.str != b.str || a.matchers.size() != b.matchers.size()) return false;
      for (size_t i = 0; i < a.matchers.size(); ++i) {
        if (a.matchers[i].ToString() != b.matchers[i].ToString()) return false;
      }
      return a.offset_ms == b.offset_ms && a.at == b.at && a.at_ms == b.at_ms &&
             OptEqual(a.offset_expr, b.offset_expr);
    }
    case NodeKind::kMatrixSelector:
      return a.range_ms == b.range_ms && OptEqual(a.range_expr, b.range_expr);
    case NodeKind::kSubquery:
      return a.range_ms == b.range_ms && a.step_ms == b.step_ms && a.offset_ms == b.offset_ms &&
             a.at == b.at && a.at_ms == b.at_ms && OptEqual(a.range_expr, b.range_expr) &&
             OptEqual(a.step_expr, b.step_expr) && OptEqual(a.offset_expr, b.offset_expr);
    case NodeKind::kCall:
      return a.func == b.func;
    case NodeKind::kAggregate:
      if ((a.param == nullptr) != (b.param == nullptr)) return false;
      if (a.param && !Equal(*a.param, *b.param)) return false;
      return a.op == b.op && a.grouping == b.grouping && a.without == b.without;
    case NodeKind::kBinary: {
      if (a.op != b.op || a.bool_modifier != b.bool_modifier) return false;
      if (a.matching.has_value() != b.matching.has_value()) return false;
      if (!a.matching) return true;
      const VectorMatching& x = *a.matching;
      const VectorMatching& y = *b.matching;
      auto same = [](const std::optional<double>& p, const std::optional<double>& q) {
        if (p.has_value() != q.has_value()) return false;
        return !p || *p == *q || (std::isnan(*p) && std::isnan(*q));
      };
      return x.card == y.card && x.labels == y.labels && x.on == y.on &&
             x.explicit_matching == y.explicit_matching && x.include == y.include &&
             same(x.fill_left, y.fill_left) && same(x.fill_right, y.fill_right);
    }
    case NodeKind::kUnary:
      return a.op == b.op;
    case NodeKind::kParen:
      return true;
  }
  return false;
}

}  // namespace astrolabe::query
