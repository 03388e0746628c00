#pragma once
// The PromQL abstract syntax tree (Prometheus 3 grammar, float side) and its printer.
//
// One node type, Expr, tagged by `kind`; only the fields of that kind are meaningful. Children
// are owned (unique_ptr). A tree is immutable once the parser has type-checked it; the evaluator
// only reads it (and may be shared between threads that only read).
//
// String() prints an expression that parses back to an equal tree (Equal()), in Prometheus'
// layout (`sum by (job) (rate(x[5m]))`, `a + on (b) group_left (c) d`).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/matcher.h"

namespace astrolabe::query {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType t);  // "scalar", "instant vector", "range vector", …

enum class NodeKind {
  kNumber,
  kString,
  kVectorSelector,
  kMatrixSelector,  // children[0] is the vector selector
  kSubquery,        // children[0] is the inner expression
  kCall,
  kAggregate,  // children[0] the operand; param the parameter (topk's k, quantile's φ, …)
  kBinary,     // children[0] lhs, children[1] rhs
  kUnary,      // children[0]; op is kSub or kAdd
  kParen,      // children[0]
};

enum class Op {
  kNone,
  // binary arithmetic
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  // comparison
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  // set
  kAnd,
  kOr,
  kUnless,
  // aggregations
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  kLimitk,
  kLimitRatio,
};
std::string_view OpString(Op op);
bool IsComparison(Op op);
bool IsSetOp(Op op);

// `@` modifier: none, a fixed time, start() or end() of the query.
enum class AtKind { kNone, kValue, kStart, kEnd };

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> labels;   // on(...) / ignoring(...) labels
  bool on = false;                   // true: on(labels); false: ignoring(labels)
  bool explicit_matching = false;    // on/ignoring was written
  std::vector<std::string> include;  // group_left/right(...) extra labels
  // fill(v) / fill_left(v) / fill_right(v) (Prometheus' experimental fill modifiers): the value
  // an unmatched side takes. With group_right the sides are those after swapping, so
  // fill_left fills the "many" side and fill_right the "one" side in every case.
  std::optional<double> fill_left;
  std::optional<double> fill_right;
};

struct Function;

struct PosRange {
  int start = 0;  // byte offsets into the query text
  int end = 0;
};

struct Expr {
  NodeKind kind = NodeKind::kNumber;
  PosRange pos;
  std::vector<std::unique_ptr<Expr>> children;

  double number = 0;  // kNumber
  std::string str;    // kString value; kVectorSelector metric name (may be empty)

  // kVectorSelector: every matcher, the name matcher included (as Prometheus keeps them).
  std::vector<storage::Matcher> matchers;
  // kVectorSelector, kSubquery (and kMatrixSelector through its child): modifiers.
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;  // for AtKind::kValue

  int64_t range_ms = 0;  // kMatrixSelector, kSubquery
  int64_t step_ms = 0;   // kSubquery; 0 = the default evaluation interval

  // Duration expressions (`x[5m * 2]`, `offset step()`) that use step() or range(): kept for
  // the evaluator, which resolves them per query; constant ones are folded into the fields
  // above by the parser. nullptr when the field above holds the value.
  std::unique_ptr<Expr> range_expr;   // kMatrixSelector, kSubquery
  std::unique_ptr<Expr> step_expr;    // kSubquery
  std::unique_ptr<Expr> offset_expr;  // kVectorSelector, kSubquery

  const Function* func = nullptr;  // kCall

  Op op = Op::kNone;                       // kAggregate, kBinary, kUnary
  std::unique_ptr<Expr> param;             // kAggregate
  std::vector<std::string> grouping;       // kAggregate
  bool without = false;                    // kAggregate
  bool bool_modifier = false;              // kBinary comparison `bool`
  std::optional<VectorMatching> matching;  // kBinary between two vectors

  ValueType Type() const;
  std::string String() const;
};

// Seconds a duration expression stands for, given the query's step and range (seconds).
// REQUIRES: `e` passed the parser's duration-expression check.
double EvalDurationExpr(const Expr& e, double step_s, double range_s);

// Structural equality (the printer round-trip check and tests).
bool Equal(const Expr& a, const Expr& b);

// Formats milliseconds the way Prometheus prints durations: 1h30m, 5m, 1d, 10ms, 0s.
std::string FormatDurationMs(int64_t ms);
// A PromQL double-quoted string literal for `s`.
std::string QuoteString(std::string_view s);
// Shortest decimal that reads back to `v`; Inf/NaN as +Inf, -Inf, NaN.
std::string FormatFloat(double v);

}  // namespace astrolabe::query
