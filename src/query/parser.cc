#include "query/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "query/functions.h"

namespace astrolabe::query {
namespace {

enum class Tok {
  kEof,
  kIdentifier,        // foo, also keywords and aggregation names (see `keyword` below)
  kMetricIdentifier,  // foo:bar
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAssign,  // =
  kEqlRegex,
  kNeqRegex,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
};

struct Token {
  Tok type;
  int pos = 0;
  std::string_view text;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string PositionString(std::string_view text, int pos) {
  int line = 1;
  int line_start = 0;
  for (int i = 0; i < pos && i < static_cast<int>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

Status ParseError(std::string_view text, int pos, const std::string& msg) {
  return InvalidArgument(PositionString(text, pos) + ": parse error: " + msg);
}

// Length of a duration literal ((digits unit)+) at text[i], or 0.
size_t ScanDuration(std::string_view s, size_t i) {
  size_t start = i;
  size_t end = i;
  while (true) {
    size_t j = end;
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j == end) break;
    size_t unit = 0;
    if (j + 1 < s.size() && s[j] == 'm' && s[j + 1] == 's') {
      unit = 2;
    } else if (j < s.size() && (s[j] == 's' || s[j] == 'm' || s[j] == 'h' || s[j] == 'd' ||
                                s[j] == 'w' || s[j] == 'y')) {
      unit = 1;
    }
    if (unit == 0) break;
    end = j + unit;
  }
  if (end == start) return 0;
  if (end < s.size() && IsAlnum(s[end])) return 0;
  return end - start;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Status Run(std::vector<Token>* out) {
    size_t i = 0;
    const std::string_view s = text_;
    while (true) {
      while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          ++i;
        } else if (c == '#') {
          while (i < s.size() && s[i] != '\n') ++i;
        } else {
          break;
        }
      }
      if (i >= s.size()) {
        out->push_back({Tok::kEof, static_cast<int>(s.size()), {}});
        return Status::Ok();
      }
      int pos = static_cast<int>(i);
      char c = s[i];
      auto emit = [&](Tok t, size_t n) {
        out->push_back({t, pos, s.substr(i, n)});
        i += n;
      };
      auto next = [&](size_t k) { return i + k < s.size() ? s[i + k] : '\0'; };
      switch (c) {
        case '(':
          emit(Tok::kLParen, 1);
          continue;
        case ')':
          emit(Tok::kRParen, 1);
          continue;
        case '{':
          emit(Tok::kLBrace, 1);
          continue;
        case '}':
          emit(Tok::kRBrace, 1);
          continue;
        case '[':
          emit(Tok::kLBracket, 1);
          continue;
        case ']':
          emit(Tok::kRBracket, 1);
          continue;
        case ',':
          emit(Tok::kComma, 1);
          continue;
        case ':':
          emit(Tok::kColon, 1);
          continue;
        case '@':
          emit(Tok::kAt, 1);
          continue;
        case '+':
          emit(Tok::kAdd, 1);
          continue;
        case '-':
          emit(Tok::kSub, 1);
          continue;
        case '*':
          emit(Tok::kMul, 1);
          continue;
        case '/':
          emit(Tok::kDiv, 1);
          continue;
        case '%':
          emit(Tok::kMod, 1);
          continue;
        case '^':
          emit(Tok::kPow, 1);
          continue;
        case '=':
          if (next(1) == '=') {
            emit(Tok::kEqlc, 2);
          } else if (next(1) == '~') {
            emit(Tok::kEqlRegex, 2);
          } else {
            emit(Tok::kAssign, 1);
          }
          continue;
        case '!':
          if (next(1) == '=') {
            emit(Tok::kNeq, 2);
          } else if (next(1) == '~') {
            emit(Tok::kNeqRegex, 2);
          } else {
            return ParseError(text_, pos,
                              "unexpected character after '!': " + std::string(1, next(1)));
          }
          continue;
        case '<':
          if (next(1) == '=') {
            emit(Tok::kLte, 2);
          } else {
            emit(Tok::kLss, 1);
          }
          continue;
        case '>':
          if (next(1) == '=') {
            emit(Tok::kGte, 2);
          } else {
            emit(Tok::kGtr, 1);
          }
          continue;
        case '"':
        case '\'':
        case '`': {
          size_t j = i + 1;
          while (j < s.size() && s[j] != c) {
            if (c != '`' && s[j] == '\\') ++j;
            if (c != '`' && j < s.size() && s[j] == '\n') break;
            ++j;
          }
          if (j >= s.size() || s[j] != c) {
            return ParseError(text_, pos, "unterminated quoted string");
          }
          emit(Tok::kString, j + 1 - i);
          continue;
        }
        default:
          break;
      }
      if (IsDigit(c) || (c == '.' && IsDigit(next(1)))) {
        size_t d = IsDigit(c) ? ScanDuration(s, i) : 0;
        if (d > 0) {
          emit(Tok::kDuration, d);
          continue;
        }
        size_t j = i;
        if (c == '0' && (next(1) == 'x' || next(1) == 'X')) {
          j += 2;
          while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
        } else {
          while (j < s.size() && IsDigit(s[j])) ++j;
          if (j < s.size() && s[j] == '.') {
            ++j;
            while (j < s.size() && IsDigit(s[j])) ++j;
          }
          if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
            if (k < s.size() && IsDigit(s[k])) {
              j = k;
              while (j < s.size() && IsDigit(s[j])) ++j;
            }
          }
        }
        if (j < s.size() && (IsAlpha(s[j]) || s[j] == '.')) {
          return ParseError(
              text_, pos,
              "bad number or duration syntax: \"" + std::string(s.substr(i, j + 1 - i)) + "\"");
        }
        emit(Tok::kNumber, j - i);
        continue;
      }
      if (IsAlpha(c) || c == ':') {
        size_t j = i;
        bool colon = false;
        while (j < s.size() && (IsAlnum(s[j]) || s[j] == ':')) {
          if (s[j] == ':') colon = true;
          ++j;
        }
        emit(colon ? Tok::kMetricIdentifier : Tok::kIdentifier, j - i);
        continue;
      }
      return ParseError(text_, pos, "unexpected character: " + QuoteString(s.substr(i, 1)));
    }
  }

 private:
  std::string_view text_;
};

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsKeywordAggregation(std::string_view lower, Op* op) {
  static const std::pair<std::string_view, Op> kAggs[] = {
      {"sum", Op::kSum},
      {"avg", Op::kAvg},
      {"count", Op::kCount},
      {"min", Op::kMin},
      {"max", Op::kMax},
      {"group", Op::kGroup},
      {"stddev", Op::kStddev},
      {"stdvar", Op::kStdvar},
      {"topk", Op::kTopk},
      {"bottomk", Op::kBottomk},
      {"count_values", Op::kCountValues},
      {"quantile", Op::kQuantile},
      {"limitk", Op::kLimitk},
      {"limit_ratio", Op::kLimitRatio},
  };
  for (const auto& [name, o] : kAggs) {
    if (lower == name) {
      *op = o;
      return true;
    }
  }
  return false;
}

bool AggregationHasParam(Op op) {
  return op == Op::kTopk || op == Op::kBottomk || op == Op::kCountValues || op == Op::kQuantile ||
         op == Op::kLimitk || op == Op::kLimitRatio;
}

// Binary operator precedence (higher binds tighter); 0 when `t` is not a binary operator.
int Precedence(const Token& t, Op* op) {
  switch (t.type) {
    case Tok::kAdd:
      *op = Op::kAdd;
      return 4;
    case Tok::kSub:
      *op = Op::kSub;
      return 4;
    case Tok::kMul:
      *op = Op::kMul;
      return 5;
    case Tok::kDiv:
      *op = Op::kDiv;
      return 5;
    case Tok::kMod:
      *op = Op::kMod;
      return 5;
    case Tok::kPow:
      *op = Op::kPow;
      return 6;
    case Tok::kEqlc:
      *op = Op::kEql;
      return 3;
    case Tok::kNeq:
      *op = Op::kNeq;
      return 3;
    case Tok::kLss:
      *op = Op::kLss;
      return 3;
    case Tok::kLte:
      *op = Op::kLte;
      return 3;
    case Tok::kGtr:
      *op = Op::kGtr;
      return 3;
    case Tok::kGte:
      *op = Op::kGte;
      return 3;
    case Tok::kIdentifier: {
      std::string l = Lower(t.text);
      if (l == "and") {
        *op = Op::kAnd;
        return 2;
      }
      if (l == "unless") {
        *op = Op::kUnless;
        return 2;
      }
      if (l == "or") {
        *op = Op::kOr;
        return 1;
      }
      if (l == "atan2") {
        *op = Op::kAtan2;
        return 5;
      }
      return 0;
    }
    default:
      return 0;
  }
}

constexpr int kUnaryPrecedence = 5;  // Prometheus: `unary_op expr %prec MUL`

std::string TokenDesc(const Token& t) {
  switch (t.type) {
    case Tok::kEof:
      return "end of input";
    case Tok::kIdentifier:
      return "identifier \"" + std::string(t.text) + "\"";
    case Tok::kMetricIdentifier:
      return "metric identifier \"" + std::string(t.text) + "\"";
    case Tok::kNumber:
      return "number \"" + std::string(t.text) + "\"";
    case Tok::kDuration:
      return "duration \"" + std::string(t.text) + "\"";
    case Tok::kString:
      return "string " + std::string(t.text);
    case Tok::kLParen:
      return "(";
    case Tok::kRParen:
      return ")";
    case Tok::kLBrace:
      return "{";
    case Tok::kRBrace:
      return "}";
    case Tok::kLBracket:
      return "[";
    case Tok::kRBracket:
      return "]";
    case Tok::kComma:
      return ",";
    case Tok::kColon:
      return ":";
    case Tok::kAt:
      return "@";
    case Tok::kAssign:
      return "=";
    default:
      return "<op:" + std::string(t.text) + ">";
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> toks) : text_(text), toks_(std::move(toks)) {}

  Result<std::unique_ptr<Expr>> ParseTop() {
    if (Peek().type == Tok::kEof) return ParseError(text_, 0, "no expression found in input");
    ASSIGN_OR_RETURN(auto e, ParseBinary(0));
    if (Peek().type != Tok::kEof) return Unexpected(Peek(), "");
    return e;
  }

  Result<std::vector<storage::Matcher>> ParseSelectorOnly() {
    ASSIGN_OR_RETURN(auto e, ParsePrimary());
    if (Peek().type != Tok::kEof) return Unexpected(Peek(), "");
    if (e->kind != NodeKind::kVectorSelector) {
      return ParseError(text_, 0, "expected a series selector");
    }
    return e->matchers;
  }

  // name{a="b"} as labels, for test scripts.
  Result<storage::Labels> ParseLabelsOnly() {
    std::vector<std::pair<std::string, std::string>> pairs;
    const Token& t = Peek();
    if (t.type == Tok::kIdentifier || t.type == Tok::kMetricIdentifier) {
      pairs.emplace_back("__name__", std::string(t.text));
      Advance();
    }
    if (Peek().type == Tok::kLBrace) {
      Advance();
      while (Peek().type != Tok::kRBrace) {
        ASSIGN_OR_RETURN(std::string name, LabelName());
        if (Peek().type != Tok::kAssign) return Unexpected(Peek(), "in label set");
        Advance();
        if (Peek().type != Tok::kString) return Unexpected(Peek(), "in label set");
        ASSIGN_OR_RETURN(std::string value, StringValue(Peek()));
        Advance();
        pairs.emplace_back(std::move(name), std::move(value));
        if (Peek().type == Tok::kComma) {
          Advance();
        } else if (Peek().type != Tok::kRBrace) {
          return Unexpected(Peek(), "in label set");
        }
      }
      Advance();
    }
    if (Peek().type != Tok::kEof) return Unexpected(Peek(), "in label set");
    std::vector<std::pair<std::string_view, std::string_view>> views;
    for (const auto& [n, v] : pairs) views.emplace_back(n, v);
    return storage::Labels::FromPairs(views);
  }

 private:
  const Token& Peek(size_t k = 0) const {
    size_t i = std::min(pos_ + k, toks_.size() - 1);
    return toks_[i];
  }
  void Advance() {
    if (pos_ < toks_.size() - 1) ++pos_;
  }
  bool PeekKeyword(std::string_view kw) const {
    return Peek().type == Tok::kIdentifier && Lower(Peek().text) == kw;
  }

  Status Unexpected(const Token& t, std::string_view context) {
    std::string msg = "unexpected " + TokenDesc(t);
    if (!context.empty()) msg += " " + std::string(context);
    return ParseError(text_, t.pos, msg);
  }
  Status Error(int pos, const std::string& msg) { return ParseError(text_, pos, msg); }

  Result<std::string> StringValue(const Token& t) {
    std::string_view body = t.text.substr(1, t.text.size() - 2);
    auto r = UnquoteString(body, t.text[0]);
    if (!r.ok()) return Error(t.pos, r.status().message());
    return r;
  }

  Result<std::string> LabelName() {
    const Token& t = Peek();
    if (t.type == Tok::kIdentifier) {
      Advance();
      return std::string(t.text);
    }
    if (t.type == Tok::kString) {
      ASSIGN_OR_RETURN(std::string s, StringValue(t));
      Advance();
      return s;
    }
    return Unexpected(t, "in label matching, expected label");
  }

  std::unique_ptr<Expr> Node(NodeKind kind, int start) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos.start = start;
    e->pos.end = start;
    return e;
  }

  int End() const {
    return pos_ == 0 ? 0 : toks_[pos_ - 1].pos + static_cast<int>(toks_[pos_ - 1].text.size());
  }

  Result<std::unique_ptr<Expr>> ParseBinary(int min_prec) {
    if (++depth_ > kMaxDepth) return Error(Peek().pos, "expression nested too deeply");
    ASSIGN_OR_RETURN(auto lhs, ParseUnary());
    while (true) {
      Op op = Op::kNone;
      int prec = Precedence(Peek(), &op);
      if (prec == 0 || prec < min_prec) break;
      const Token op_tok = Peek();
      Advance();
      auto bin = Node(NodeKind::kBinary, lhs->pos.start);
      bin->op = op;
      VectorMatching vm;
      if (PeekKeyword("bool")) {
        bin->bool_modifier = true;
        Advance();
      }
      if (PeekKeyword("on") || PeekKeyword("ignoring")) {
        vm.on = PeekKeyword("on");
        vm.explicit_matching = true;
        Advance();
        ASSIGN_OR_RETURN(vm.labels, GroupingLabels());
        if (PeekKeyword("group_left") || PeekKeyword("group_right")) {
          vm.card = PeekKeyword("group_left") ? Cardinality::kManyToOne : Cardinality::kOneToMany;
          Advance();
          if (Peek().type == Tok::kLParen) {
            ASSIGN_OR_RETURN(vm.include, GroupingLabels());
          }
        }
      } else if (PeekKeyword("group_left") || PeekKeyword("group_right")) {
        return Unexpected(Peek(), "in binary expression, expected on or ignoring");
      }
      // fill(v), fill_left(v), fill_right(v); a bare `fill` is the right operand's name.
      while ((PeekKeyword("fill") || PeekKeyword("fill_left") || PeekKeyword("fill_right")) &&
             Peek(1).type == Tok::kLParen) {
        const std::string which = Lower(Peek().text);
        const int fill_pos = Peek().pos;
        Advance();
        Advance();
        double sign = 1;
        if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
          if (Peek().type == Tok::kSub) sign = -1;
          Advance();
        }
        const Token v = Peek();
        double value = 0;
        if (v.type == Tok::kNumber) {
          RETURN_IF_ERROR(NumberValue(v, &value));
        } else if (v.type == Tok::kIdentifier &&
                   (Lower(v.text) == "inf" || Lower(v.text) == "nan")) {
          value = Lower(v.text) == "inf" ? INFINITY : NAN;
        } else {
          return Unexpected(v, "in fill modifier, expected number");
        }
        Advance();
        if (Peek().type != Tok::kRParen)
          return Unexpected(Peek(), "in fill modifier, expected \")\"");
        Advance();
        value *= sign;
        if ((which != "fill_right" && vm.fill_left) || (which != "fill_left" && vm.fill_right)) {
          return Error(fill_pos, "fill modifier may not be set multiple times");
        }
        if (which != "fill_right") vm.fill_left = value;
        if (which != "fill_left") vm.fill_right = value;
      }
      int next_min = op == Op::kPow ? prec : prec + 1;
      ASSIGN_OR_RETURN(auto rhs, ParseBinary(next_min));
      bin->pos.end = rhs->pos.end;
      bin->children.push_back(std::move(lhs));
      bin->children.push_back(std::move(rhs));
      RETURN_IF_ERROR(CheckBinary(bin.get(), std::move(vm), op_tok));
      lhs = std::move(bin);
    }
    --depth_;
    return lhs;
  }

  Status CheckBinary(Expr* e, VectorMatching vm, const Token& op_tok) {
    ValueType lt = e->children[0]->Type();
    ValueType rt = e->children[1]->Type();
    auto ok_type = [](ValueType t) { return t == ValueType::kScalar || t == ValueType::kVector; };
    if (!ok_type(lt) || !ok_type(rt)) {
      return Error(e->pos.start,
                   "binary expression must contain only scalar and instant vector types");
    }
    bool both_vectors = lt == ValueType::kVector && rt == ValueType::kVector;
    if (e->bool_modifier && !IsComparison(e->op)) {
      return Error(op_tok.pos, "bool modifier can only be used on comparison operators");
    }
    if (IsComparison(e->op) && !e->bool_modifier && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      return Error(op_tok.pos, "comparisons between scalars must use BOOL modifier");
    }
    if (IsSetOp(e->op)) {
      if (!both_vectors) {
        return Error(op_tok.pos, "set operator \"" + std::string(OpString(e->op)) +
                                     "\" not allowed in binary scalar expression");
      }
      if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
        return Error(op_tok.pos,
                     "no grouping allowed for \"" + std::string(OpString(e->op)) + "\" operation");
      }
      vm.card = Cardinality::kManyToMany;
    }
    if (!both_vectors && (vm.explicit_matching || vm.card != Cardinality::kOneToOne)) {
      if (vm.explicit_matching) {
        return Error(op_tok.pos, "vector matching only allowed between instant vectors");
      }
    }
    if (vm.on) {
      for (const std::string& l : vm.include) {
        for (const std::string& m : vm.labels) {
          if (l == m) {
            return Error(op_tok.pos,
                         "label \"" + l + "\" must not occur in ON and GROUP clause at once");
          }
        }
      }
    }
    if ((vm.fill_left || vm.fill_right) && (!both_vectors || IsSetOp(e->op))) {
      return Error(op_tok.pos,
                   "fill modifiers are only allowed for arithmetic and comparison operations "
                   "between instant vectors");
    }
    if (both_vectors) e->matching = std::move(vm);
    return Status::Ok();
  }

  Result<std::unique_ptr<Expr>> ParseUnary() {
    const Token t = Peek();
    if (t.type == Tok::kSub || t.type == Tok::kAdd) {
      Advance();
      if (++depth_ > kMaxDepth) return Error(t.pos, "expression nested too deeply");
      ASSIGN_OR_RETURN(auto operand, ParseBinary(kUnaryPrecedence + 1));
      --depth_;
      if (operand->kind == NodeKind::kNumber) {
        if (t.type == Tok::kSub) operand->number = -operand->number;
        operand->pos.start = t.pos;
        return operand;
      }
      ValueType ot = operand->Type();
      if (ot != ValueType::kScalar && ot != ValueType::kVector) {
        return Error(t.pos,
                     "unary expression only allowed on expressions of type scalar or instant "
                     "vector, got \"" +
                         std::string(ValueTypeName(ot)) + "\"");
      }
      auto u = Node(NodeKind::kUnary, t.pos);
      u->op = t.type == Tok::kSub ? Op::kSub : Op::kAdd;
      u->pos.end = operand->pos.end;
      u->children.push_back(std::move(operand));
      return u;
    }
    ASSIGN_OR_RETURN(auto e, ParsePrimary());
    return ParsePostfix(std::move(e));
  }

  Status NumberValue(const Token& t, double* out) {
    std::string s(t.text);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      uint64_t v = 0;
      auto r = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        *out = std::strtod(s.c_str(), nullptr);
        return Status::Ok();
      }
      *out = static_cast<double>(v);
      return Status::Ok();
    }
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return Error(t.pos, "bad number syntax: \"" + s + "\"");
    return Status::Ok();
  }

  // A duration in a range, a subquery step or an offset: a literal (number = seconds), or an
  // expression of literals, + - * / % ^, parentheses, step(), range(), min_of(), max_of().
  // Constant ones are folded into *ms; ones using step() or range() go to *expr for the
  // evaluator. `atom`: offset's form — an optional sign and one literal, call or parenthesised
  // expression (`x offset 1m + 2` adds 2 to the selector).
  Status DurationExpr(bool atom, int64_t* ms, std::unique_ptr<Expr>* expr) {
    const Token first = Peek();
    std::unique_ptr<Expr> d;
    if (atom) {
      int sign = 0;
      if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
        sign = Peek().type == Tok::kSub ? -1 : 1;
        Advance();
      }
      const Token a = Peek();
      const bool ok = a.type == Tok::kNumber || a.type == Tok::kDuration ||
                      a.type == Tok::kLParen ||
                      (a.type == Tok::kIdentifier && Peek(1).type == Tok::kLParen);
      if (!ok) return Unexpected(a, "expected duration");
      ASSIGN_OR_RETURN(d, ParsePrimary());
      if (sign != 0) {
        if (d->kind == NodeKind::kNumber) {
          if (sign < 0) d->number = -d->number;
          d->pos.start = first.pos;
        } else {
          auto u = Node(NodeKind::kUnary, first.pos);
          u->op = sign < 0 ? Op::kSub : Op::kAdd;
          u->pos.end = d->pos.end;
          u->children.push_back(std::move(d));
          d = std::move(u);
        }
      }
    } else {
      if (Peek().type == Tok::kRBracket || Peek().type == Tok::kColon) {
        return Unexpected(Peek(), "expected duration");
      }
      ASSIGN_OR_RETURN(d, ParseBinary(0));
    }
    bool dynamic = false;
    RETURN_IF_ERROR(CheckDurationExpr(*d, &dynamic));
    if (dynamic) {
      *ms = 0;
      *expr = std::move(d);
      return Status::Ok();
    }
    const double seconds = EvalDurationExpr(*d, 0, 0);
    if (!std::isfinite(seconds) || std::fabs(seconds) * 1000 > kMaxAbsTimeMs) {
      return Error(first.pos, "duration out of range");
    }
    *ms = static_cast<int64_t>(std::llround(seconds * 1000));
    expr->reset();
    return Status::Ok();
  }

  Status CheckDurationExpr(const Expr& e, bool* dynamic) {
    switch (e.kind) {
      case NodeKind::kNumber:
        return Status::Ok();
      case NodeKind::kParen:
      case NodeKind::kUnary:
        return CheckDurationExpr(*e.children[0], dynamic);
      case NodeKind::kBinary:
        if (e.op != Op::kAdd && e.op != Op::kSub && e.op != Op::kMul && e.op != Op::kDiv &&
            e.op != Op::kMod && e.op != Op::kPow) {
          break;
        }
        RETURN_IF_ERROR(CheckDurationExpr(*e.children[0], dynamic));
        return CheckDurationExpr(*e.children[1], dynamic);
      case NodeKind::kCall:
        if (e.func->id == FuncId::kStep || e.func->id == FuncId::kRange) {
          *dynamic = true;
          return Status::Ok();
        }
        if (e.func->id == FuncId::kMinOf || e.func->id == FuncId::kMaxOf) {
          RETURN_IF_ERROR(CheckDurationExpr(*e.children[0], dynamic));
          return CheckDurationExpr(*e.children[1], dynamic);
        }
        break;
      default:
        break;
    }
    return Error(e.pos.start,
                 "invalid duration expression: only numbers, durations, + - * / % ^, step(), "
                 "range(), min_of() and max_of() are allowed");
  }

  Result<std::unique_ptr<Expr>> ParsePostfix(std::unique_ptr<Expr> e) {
    while (true) {
      const Token t = Peek();
      if (t.type == Tok::kLBracket) {
        Advance();
        int64_t range = 0;
        bool have_range = false;
        std::unique_ptr<Expr> range_expr, step_expr;
        if (Peek().type != Tok::kColon) {
          RETURN_IF_ERROR(DurationExpr(false, &range, &range_expr));
          have_range = true;
        }
        if (Peek().type == Tok::kColon) {
          if (!have_range) return Unexpected(Peek(), "in subquery, expected duration");
          Advance();
          int64_t step = 0;
          if (Peek().type != Tok::kRBracket) {
            RETURN_IF_ERROR(DurationExpr(false, &step, &step_expr));
            if (step <= 0 && !step_expr)
              return Error(t.pos, "subquery step must be greater than 0");
          }
          if (Peek().type != Tok::kRBracket)
            return Unexpected(Peek(), "in subquery, expected \"]\"");
          Advance();
          ValueType it = e->Type();
          if (it != ValueType::kVector) {
            return Error(t.pos, "subquery is only allowed on instant vector, got " +
                                    std::string(ValueTypeName(it)) + " instead");
          }
          if (range <= 0 && !range_expr) return Error(t.pos, "range must be greater than 0");
          auto sq = Node(NodeKind::kSubquery, e->pos.start);
          sq->range_ms = range;
          sq->step_ms = step;
          sq->range_expr = std::move(range_expr);
          sq->step_expr = std::move(step_expr);
          sq->pos.end = End();
          sq->children.push_back(std::move(e));
          e = std::move(sq);
          continue;
        }
        if (Peek().type != Tok::kRBracket) return Unexpected(Peek(), "in range, expected \"]\"");
        Advance();
        if (e->kind != NodeKind::kVectorSelector) {
          return Error(t.pos, "ranges only allowed for vector selectors");
        }
        if (e->offset_ms != 0 || e->offset_expr || e->at != AtKind::kNone) {
          return Error(t.pos, "no offset or @ modifiers allowed before range");
        }
        if (range <= 0 && !range_expr) return Error(t.pos, "range must be greater than 0");
        auto ms = Node(NodeKind::kMatrixSelector, e->pos.start);
        ms->range_ms = range;
        ms->range_expr = std::move(range_expr);
        ms->pos.end = End();
        ms->children.push_back(std::move(e));
        e = std::move(ms);
        continue;
      }
      if (PeekKeyword("offset")) {
        Advance();
        int64_t off = 0;
        std::unique_ptr<Expr> off_expr;
        RETURN_IF_ERROR(DurationExpr(true, &off, &off_expr));
        Expr* target = ModifierTarget(e.get());
        if (target == nullptr) {
          return Error(t.pos,
                       "offset modifier must be preceded by an instant vector selector or range "
                       "vector selector or a subquery");
        }
        if (target->offset_ms != 0 || target->offset_expr) {
          return Error(t.pos, "offset may not be set multiple times");
        }
        target->offset_ms = off;
        target->offset_expr = std::move(off_expr);
        e->pos.end = End();
        continue;
      }
      if (t.type == Tok::kAt) {
        Advance();
        Expr* target = ModifierTarget(e.get());
        if (target == nullptr) {
          return Error(t.pos,
                       "@ modifier must be preceded by an instant vector selector or range vector "
                       "selector or a subquery");
        }
        if (target->at != AtKind::kNone)
          return Error(t.pos, "@ <timestamp> may not be set multiple times");
        const Token v = Peek();
        if (v.type == Tok::kIdentifier && (Lower(v.text) == "start" || Lower(v.text) == "end") &&
            Peek(1).type == Tok::kLParen && Peek(2).type == Tok::kRParen) {
          target->at = Lower(v.text) == "start" ? AtKind::kStart : AtKind::kEnd;
          Advance();
          Advance();
          Advance();
        } else {
          bool neg = false;
          if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
            neg = Peek().type == Tok::kSub;
            Advance();
          }
          const Token n = Peek();
          double val = 0;
          if (n.type == Tok::kNumber) {
            RETURN_IF_ERROR(NumberValue(n, &val));
          } else if (n.type == Tok::kDuration) {
            auto r = ParseDurationMs(n.text);
            if (!r.ok()) return Error(n.pos, r.status().message());
            val = static_cast<double>(*r) / 1000.0;
          } else if (n.type == Tok::kIdentifier &&
                     (Lower(n.text) == "inf" || Lower(n.text) == "nan")) {
            val = Lower(n.text) == "inf" ? INFINITY : NAN;
          } else {
            return Unexpected(n, "in @, expected timestamp");
          }
          Advance();
          if (neg) val = -val;
          double ms = std::round(val * 1000.0);
          if (!std::isfinite(ms) || std::fabs(ms) > kMaxAbsTimeMs) {
            return Error(n.pos, "timestamp out of bounds for @ modifier: " + FormatFloat(val));
          }
          target->at = AtKind::kValue;
          target->at_ms = static_cast<int64_t>(ms);
        }
        e->pos.end = End();
        continue;
      }
      return e;
    }
  }

  static Expr* ModifierTarget(Expr* e) {
    if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kSubquery) return e;
    if (e->kind == NodeKind::kMatrixSelector) return e->children[0].get();
    return nullptr;
  }

  Result<std::vector<std::string>> GroupingLabels() {
    if (Peek().type != Tok::kLParen) return Unexpected(Peek(), "in grouping opts, expected \"(\"");
    Advance();
    std::vector<std::string> out;
    while (Peek().type != Tok::kRParen) {
      const Token t = Peek();
      if (t.type == Tok::kIdentifier) {
        out.emplace_back(t.text);
        Advance();
      } else if (t.type == Tok::kString) {
        ASSIGN_OR_RETURN(std::string s, StringValue(t));
        if (!storage::IsValidUtf8(s)) return Error(t.pos, "invalid label name \"" + s + "\"");
        out.push_back(std::move(s));
        Advance();
      } else {
        return Unexpected(t, "in grouping opts, expected label");
      }
      if (Peek().type == Tok::kComma) {
        Advance();
      } else if (Peek().type != Tok::kRParen) {
        return Unexpected(Peek(), "in grouping opts, expected \")\" or \",\"");
      }
    }
    Advance();
    return out;
  }

  Result<std::unique_ptr<Expr>> ParsePrimary() {
    const Token t = Peek();
    switch (t.type) {
      case Tok::kNumber: {
        auto e = Node(NodeKind::kNumber, t.pos);
        RETURN_IF_ERROR(NumberValue(t, &e->number));
        Advance();
        e->pos.end = End();
        return e;
      }
      case Tok::kDuration: {
        auto e = Node(NodeKind::kNumber, t.pos);
        auto r = ParseDurationMs(t.text);
        if (!r.ok()) return Error(t.pos, r.status().message());
        e->number = static_cast<double>(*r) / 1000.0;
        Advance();
        e->pos.end = End();
        return e;
      }
      case Tok::kString: {
        auto e = Node(NodeKind::kString, t.pos);
        ASSIGN_OR_RETURN(e->str, StringValue(t));
        Advance();
        e->pos.end = End();
        return e;
      }
      case Tok::kLParen: {
        Advance();
        if (++depth_ > kMaxDepth) return Error(t.pos, "expression nested too deeply");
        ASSIGN_OR_RETURN(auto inner, ParseBinary(0));
        --depth_;
        if (Peek().type != Tok::kRParen)
          return Unexpected(Peek(), "in paren expression, expected \")\"");
        Advance();
        auto e = Node(NodeKind::kParen, t.pos);
        e->pos.end = End();
        e->children.push_back(std::move(inner));
        return e;
      }
      case Tok::kLBrace:
        return ParseSelector("", t.pos);
      case Tok::kIdentifier:
      case Tok::kMetricIdentifier: {
        std::string lower = Lower(t.text);
        Op agg = Op::kNone;
        if (t.type == Tok::kIdentifier && IsKeywordAggregation(lower, &agg)) {
          return ParseAggregation(agg, t.pos);
        }
        if (t.type == Tok::kIdentifier && Peek(1).type == Tok::kLParen) {
          const Function* f = FindFunction(t.text);
          // step() and range() are keywords of duration expressions: any case.
          if (f == nullptr && (lower == "step" || lower == "range")) f = FindFunction(lower);
          if (f == nullptr)
            return Error(t.pos, "unknown function with name \"" + std::string(t.text) + "\"");
          return ParseCall(f, t.pos);
        }
        if (t.type == Tok::kIdentifier && (lower == "inf" || lower == "nan")) {
          auto e = Node(NodeKind::kNumber, t.pos);
          e->number = lower == "inf" ? INFINITY : NAN;
          Advance();
          e->pos.end = End();
          return e;
        }
        if (t.type == Tok::kIdentifier && IsReserved(lower)) {
          return Unexpected(t, "");
        }
        Advance();
        return ParseSelector(std::string(t.text), t.pos);
      }
      default:
        return Unexpected(t, "");
    }
  }

  static bool IsReserved(std::string_view lower) {
    return lower == "by" || lower == "without" || lower == "on" || lower == "ignoring" ||
           lower == "group_left" || lower == "group_right" || lower == "bool" ||
           lower == "offset" || lower == "and" || lower == "or" || lower == "unless" ||
           lower == "atan2";
  }

  Result<std::unique_ptr<Expr>> ParseSelector(std::string name, int start) {
    auto e = Node(NodeKind::kVectorSelector, start);
    bool name_set = !name.empty();
    if (name_set) {
      e->str = name;
      e->matchers.push_back(
          storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__", name));
    }
    if (Peek().type == Tok::kLBrace) {
      Advance();
      while (Peek().type != Tok::kRBrace) {
        const Token lt = Peek();
        // A quoted name alone is the metric name: {"a.b"}.
        if (lt.type == Tok::kString &&
            (Peek(1).type == Tok::kComma || Peek(1).type == Tok::kRBrace)) {
          ASSIGN_OR_RETURN(std::string n, StringValue(lt));
          Advance();
          if (name_set)
            return Error(lt.pos,
                         "metric name must not be set twice: \"" + e->str + "\" or \"" + n + "\"");
          name_set = true;
          e->str = n;
          e->matchers.push_back(
              storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__", n));
        } else {
          std::string label;
          if (lt.type == Tok::kIdentifier) {
            label = std::string(lt.text);
            Advance();
          } else if (lt.type == Tok::kString) {
            ASSIGN_OR_RETURN(label, StringValue(lt));
            Advance();
          } else {
            return Unexpected(lt, "in label matching, expected label");
          }
          storage::MatchType mt;
          switch (Peek().type) {
            case Tok::kAssign:
              mt = storage::MatchType::kEqual;
              break;
            case Tok::kNeq:
              mt = storage::MatchType::kNotEqual;
              break;
            case Tok::kEqlRegex:
              mt = storage::MatchType::kRegexMatch;
              break;
            case Tok::kNeqRegex:
              mt = storage::MatchType::kRegexNoMatch;
              break;
            default:
              return Unexpected(Peek(), "in label matching, expected label matching operator");
          }
          Advance();
          const Token vt = Peek();
          if (vt.type != Tok::kString) return Unexpected(vt, "in label matching, expected string");
          ASSIGN_OR_RETURN(std::string value, StringValue(vt));
          Advance();
          if (!storage::IsValidUtf8(label))
            return Error(lt.pos, "invalid label name \"" + label + "\"");
          auto m = storage::Matcher::Make(mt, label, value);
          if (!m.ok()) return Error(vt.pos, m.status().message());
          if (label == "__name__" && mt == storage::MatchType::kEqual && name_set &&
              !name.empty()) {
            return Error(
                lt.pos, "metric name must not be set twice: \"" + name + "\" or \"" + value + "\"");
          }
          e->matchers.push_back(std::move(*m));
        }
        if (Peek().type == Tok::kComma) {
          Advance();
        } else if (Peek().type != Tok::kRBrace) {
          return Unexpected(Peek(), "in label matching, expected \",\" or \"}\"");
        }
      }
      Advance();
    }
    e->pos.end = End();
    bool non_empty = false;
    for (const auto& m : e->matchers) {
      if (!m.MatchesEmpty()) non_empty = true;
    }
    if (!non_empty) {
      return Error(start, "vector selector must contain at least one non-empty matcher");
    }
    return e;
  }

  Result<std::unique_ptr<Expr>> ParseAggregation(Op op, int start) {
    Advance();
    auto e = Node(NodeKind::kAggregate, start);
    e->op = op;
    bool have_grouping = false;
    auto grouping = [&]() -> Status {
      if (PeekKeyword("by") || PeekKeyword("without")) {
        if (have_grouping) return Unexpected(Peek(), "in aggregation");
        e->without = PeekKeyword("without");
        Advance();
        ASSIGN_OR_RETURN(e->grouping, GroupingLabels());
        have_grouping = true;
      }
      return Status::Ok();
    };
    RETURN_IF_ERROR(grouping());
    if (Peek().type != Tok::kLParen) return Unexpected(Peek(), "in aggregation, expected \"(\"");
    const int lparen = Peek().pos;
    Advance();
    if (Peek().type == Tok::kRParen)
      return Error(lparen, "no arguments for aggregate expression provided");
    if (++depth_ > kMaxDepth) return Error(start, "expression nested too deeply");
    std::vector<std::unique_ptr<Expr>> args;
    while (true) {
      ASSIGN_OR_RETURN(auto a, ParseBinary(0));
      args.push_back(std::move(a));
      if (Peek().type == Tok::kComma) {
        Advance();
        if (Peek().type == Tok::kRParen) break;
        continue;
      }
      break;
    }
    --depth_;
    if (Peek().type != Tok::kRParen) return Unexpected(Peek(), "in aggregation, expected \")\"");
    Advance();
    RETURN_IF_ERROR(grouping());
    e->pos.end = End();
    const bool has_param = AggregationHasParam(op);
    if (has_param) {
      if (args.size() != 2) {
        return Error(
            start, "wrong number of arguments for aggregate expression provided, expected 2, got " +
                       std::to_string(args.size()));
      }
      e->param = std::move(args[0]);
      e->children.push_back(std::move(args[1]));
    } else {
      if (args.size() != 1) {
        return Error(
            start, "wrong number of arguments for aggregate expression provided, expected 1, got " +
                       std::to_string(args.size()));
      }
      e->children.push_back(std::move(args[0]));
    }
    ValueType t = e->children[0]->Type();
    if (t != ValueType::kVector) {
      return Error(e->children[0]->pos.start,
                   "expected type instant vector in aggregation expression, got " +
                       std::string(ValueTypeName(t)));
    }
    if (has_param) {
      ValueType want = op == Op::kCountValues ? ValueType::kString : ValueType::kScalar;
      if (e->param->Type() != want) {
        return Error(e->param->pos.start, "expected type " + std::string(ValueTypeName(want)) +
                                              " in aggregation parameter, got " +
                                              std::string(ValueTypeName(e->param->Type())));
      }
    }
    return e;
  }

  Result<std::unique_ptr<Expr>> ParseCall(const Function* f, int start) {
    Advance();  // name
    Advance();  // (
    auto e = Node(NodeKind::kCall, start);
    e->func = f;
    if (++depth_ > kMaxDepth) return Error(start, "expression nested too deeply");
    while (Peek().type != Tok::kRParen) {
      ASSIGN_OR_RETURN(auto a, ParseBinary(0));
      e->children.push_back(std::move(a));
      if (Peek().type == Tok::kComma) {
        Advance();
        if (Peek().type == Tok::kRParen) return Unexpected(Peek(), "in function call");
      } else if (Peek().type != Tok::kRParen) {
        return Unexpected(Peek(), "in function call, expected \",\" or \")\"");
      }
    }
    --depth_;
    Advance();
    e->pos.end = End();
    const size_t n = e->children.size();
    const size_t want = f->arg_types.size();
    const std::string fname(f->name);
    if (f->variadic == 0) {
      if (n != want) {
        return Error(start, "expected " + std::to_string(want) + " argument(s) in call to \"" +
                                fname + "\", got " + std::to_string(n));
      }
    } else if (f->variadic > 0) {
      size_t min = want - static_cast<size_t>(f->variadic);
      if (n < min) {
        return Error(start, "expected at least " + std::to_string(min) +
                                " argument(s) in call to \"" + fname + "\", got " +
                                std::to_string(n));
      }
      if (n > want) {
        return Error(start, "expected at most " + std::to_string(want) +
                                " argument(s) in call to \"" + fname + "\", got " +
                                std::to_string(n));
      }
    } else {
      size_t min = want - 1;
      if (n < min) {
        return Error(start, "expected at least " + std::to_string(min) +
                                " argument(s) in call to \"" + fname + "\", got " +
                                std::to_string(n));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      ValueType want_t = i < want ? f->arg_types[i] : f->arg_types.back();
      ValueType got = e->children[i]->Type();
      if (got != want_t) {
        return Error(e->children[i]->pos.start, "expected type " +
                                                    std::string(ValueTypeName(want_t)) +
                                                    " in call to function \"" + fname + "\", got " +
                                                    std::string(ValueTypeName(got)));
      }
    }
    if (f->id == FuncId::kLabelReplace || f->id == FuncId::kLabelJoin) {
      // Destination label names are checked at parse time as in Prometheus.
      const Expr* dst = e->children[1].get();
      if (dst->kind == NodeKind::kString && !storage::IsValidUtf8(dst->str)) {
        return Error(dst->pos.start, "invalid label name \"" + dst->str + "\"");
      }
    }
    return e;
  }

  std::string_view text_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<std::string> UnquoteString(std::string_view body, char quote) {
  std::string out;
  if (quote == '`') {
    out.assign(body);
  } else {
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      char c = body[i];
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (++i >= body.size()) return InvalidArgument("escape sequence not terminated");
      char e = body[i];
      switch (e) {
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
        case '"':
          if (e != quote) return InvalidArgument("unknown escape sequence");
          out.push_back(e);
          break;
        case 'x': {
          if (i + 2 >= body.size()) return InvalidArgument("escape sequence not terminated");
          int h = HexVal(body[i + 1]);
          int l = HexVal(body[i + 2]);
          if (h < 0 || l < 0) return InvalidArgument("illegal character in escape sequence");
          out.push_back(static_cast<char>(h * 16 + l));
          i += 2;
          break;
        }
        case 'u':
        case 'U': {
          size_t n = e == 'u' ? 4 : 8;
          if (i + n >= body.size()) return InvalidArgument("escape sequence not terminated");
          uint32_t cp = 0;
          for (size_t k = 1; k <= n; ++k) {
            int h = HexVal(body[i + k]);
            if (h < 0) return InvalidArgument("illegal character in escape sequence");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
            return InvalidArgument("escape sequence is an invalid Unicode code point");
          }
          AppendUtf8(&out, cp);
          i += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            if (i + 2 >= body.size()) {
              return InvalidArgument("escape sequence not terminated");
            }
            int v = 0;
            for (size_t k = 0; k < 3; ++k) {
              char d = body[i + k];
              if (d < '0' || d > '7')
                return InvalidArgument("illegal character in escape sequence");
              v = v * 8 + (d - '0');
            }
            if (v > 255) return InvalidArgument("octal escape value > 255");
            out.push_back(static_cast<char>(v));
            i += 2;
            break;
          }
          return InvalidArgument("unknown escape sequence");
      }
    }
  }
  return out;
}

Result<int64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty duration string");
  if (text == "0") return int64_t{0};
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"y", 365LL * 24 * 3600 * 1000},
      {"w", 7LL * 24 * 3600 * 1000},
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1},
  };
  size_t i = 0;
  int last_unit = -1;
  int64_t total = 0;
  const std::string bad = "not a valid duration string: \"" + std::string(text) + "\"";
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && IsDigit(text[j])) ++j;
    if (j == i) return InvalidArgument(bad);
    int64_t n = 0;
    auto r = std::from_chars(text.data() + i, text.data() + j, n);
    if (r.ec != std::errc()) return InvalidArgument(bad);
    size_t k = j;
    while (k < text.size() && !IsDigit(text[k])) ++k;
    std::string_view unit = text.substr(j, k - j);
    int idx = -1;
    for (int u = 0; u < 7; ++u) {
      if (kUnits[u].first == unit) idx = u;
    }
    if (idx < 0 || idx <= last_unit) return InvalidArgument(bad);
    last_unit = idx;
    if (n > std::numeric_limits<int64_t>::max() / kUnits[idx].second) {
      return InvalidArgument(bad);
    }
    int64_t add = n * kUnits[idx].second;
    if (total > std::numeric_limits<int64_t>::max() - add) return InvalidArgument(bad);
    total += add;
    i = k;
  }
  return total;
}

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view text) {
  std::vector<Token> toks;
  RETURN_IF_ERROR(Lexer(text).Run(&toks));
  Parser p(text, std::move(toks));
  return p.ParseTop();
}

Result<std::vector<storage::Matcher>> ParseMetricSelector(std::string_view text) {
  std::vector<Token> toks;
  RETURN_IF_ERROR(Lexer(text).Run(&toks));
  Parser p(text, std::move(toks));
  return p.ParseSelectorOnly();
}

Result<storage::Labels> ParseSeriesLabels(std::string_view text) {
  std::vector<Token> toks;
  RETURN_IF_ERROR(Lexer(text).Run(&toks));
  Parser p(text, std::move(toks));
  return p.ParseLabelsOnly();
}

}  // namespace astrolabe::query
