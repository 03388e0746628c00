#pragma once
// The PromQL engine: evaluates a parsed expression over a storage::Querier, as an instant query
// (one time) or a range query (start..end every step). docs/design/promql.md explains the
// evaluator: every node is evaluated once for all steps ("range evaluation", as Prometheus does),
// selectors iterate each series once, range functions slide a window over one buffer per series.
//
//   Engine engine(EngineOptions{});
//   ASSIGN_OR_RETURN(QueryResult r, engine.InstantQuery(storage, "sum(rate(x[5m]))", t_ms));
//
// Errors carry Prometheus' messages; the code says which API error type applies:
//   kInvalidArgument    bad_data   (parse errors, bad parameters such as a range query over a
//   string) kFailedPrecondition execution  (e.g. "vector cannot contain metrics with the same
//   labelset") kDeadlineExceeded   timeout    ("query timed out in query execution")
//   kResourceExhausted  execution  ("query processing would load too many samples into memory in
//                                   query execution"), also storage limits
//   anything else from storage: internal
//
// Thread-safety: an Engine is immutable after construction; many queries may run at once.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/ast.h"
#include "storage/storage.h"

namespace astrolabe::query {

// Steps a range query (and a subquery) may have, as Prometheus' API allows.
inline constexpr int64_t kMaxPointsPerSeries = 11'000;

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Samples a query may hold at once (loaded from storage plus intermediate results); 0 = no limit.
  size_t max_samples = 50'000'000;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // The step subqueries without an explicit step use (Prometheus' evaluation_interval).
  int64_t default_subquery_step_ms = 60 * 1000;
  // Streaming shortcuts that give bit-identical answers with less work and memory
  // (docs/design/promql.md, "Streaming shortcuts"): an aggregation of a selector or of a range
  // function folds each series into per-group step accumulators as it is read, instead of
  // materialising every series for every step first; histogram_quantile groups its buckets
  // once per query instead of once per step. Off only in tests that compare the two paths.
  bool streaming = true;
};

struct Point {
  int64_t t = 0;
  double v = 0;
};

// `drop_name` is evaluation state (Prometheus' delayed name removal): a function or operator
// that drops __name__ only marks the sample; the name goes at the end of the query, so that
// label_replace and `by (__name__)` still see it. Results returned by Engine never carry it.
struct Sample {
  storage::Labels metric;
  int64_t t = 0;
  double v = 0;
  bool drop_name = false;
};

struct Series {
  storage::Labels metric;
  std::vector<Point> points;
  bool drop_name = false;
};

using Vector = std::vector<Sample>;
using Matrix = std::vector<Series>;

// The value of a query: an instant query gives a scalar, string, vector or (for a range
// selector or subquery at top level) matrix; a range query gives a matrix sorted by labels.
struct QueryResult {
  ValueType type = ValueType::kNone;
  double scalar = 0;  // kScalar
  int64_t t = 0;      // kScalar, kString: the evaluation time
  std::string str;    // kString
  Vector vector;      // kVector
  Matrix matrix;      // kMatrix
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
};

// Prometheus' stale marker (value.StaleNaN) and how to recognise it.
double StaleNaN();
bool IsStaleNaN(double v);

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  // Evaluates `query` at `t_ms`.
  Result<QueryResult> InstantQuery(storage::Storage& storage, std::string_view query,
                                   int64_t t_ms) const;
  // Evaluates `query` at start, start+step, … ≤ end. REQUIRES step_ms > 0, end >= start.
  Result<QueryResult> RangeQuery(storage::Storage& storage, std::string_view query,
                                 int64_t start_ms, int64_t end_ms, int64_t step_ms) const;

  // The same over a parsed expression and a querier the caller owns.
  // `text` is the query's source, for the positions in annotations ("(1:5)").
  Result<QueryResult> Exec(storage::Querier& querier, const Expr& expr, int64_t start_ms,
                           int64_t end_ms, int64_t step_ms, bool instant,
                           std::string_view text = {}) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
};

}  // namespace astrolabe::query
