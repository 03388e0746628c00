#pragma once
// PromQL lexer and parser (Prometheus 3 grammar, float side), with Prometheus' type checks.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Expr> expr, ParseExpr("sum by (job) (rate(x[5m]))"));
//
// Errors are kInvalidArgument with Prometheus' wording and position:
// "1:7: parse error: unexpected <op:*>" (line:column, 1-based, of the offending token).
// Untrusted input is fine: nesting is bounded (kMaxDepth), no input crashes (fuzz/promql_parse).

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/ast.h"
#include "storage/labels.h"

namespace astrolabe::query {

inline constexpr int kMaxDepth = 1000;
// Durations, offsets and `@` times are limited to ±1e17 ms (3 million years) so that the
// evaluator's time arithmetic (start - offset - range - lookback) cannot overflow int64.
inline constexpr double kMaxAbsTimeMs = 1e17;

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view text);

// A series selector alone (`name{a="b"}`, `{"a.b", c=~"d"}`): its matchers.
Result<std::vector<storage::Matcher>> ParseMetricSelector(std::string_view text);

// A label set as written in test scripts: `name{a="b", c="d"}` or `{a="b"}` (equality only).
Result<storage::Labels> ParseSeriesLabels(std::string_view text);

// A Prometheus duration ("1h30m", "5m", "90s", "1.5" is not one): milliseconds.
Result<int64_t> ParseDurationMs(std::string_view text);

// Decodes a PromQL string literal body between its quotes (`quote` is ", ' or `).
Result<std::string> UnquoteString(std::string_view body, char quote);

}  // namespace astrolabe::query
