#pragma once
// Internal to src/query: the evaluator behind Engine (engine.cc), the aggregations
// (eval_aggregate.cc) and the function kernels (eval_functions.cc). Not a public header.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "query/ast.h"
#include "query/engine.h"
#include "query/functions.h"
#include "storage/storage.h"

namespace astrolabe::query::internal {

// Label sets by hash, for grouping series: `FindOrAdd(labels, next, at)` returns the position of
// the group whose labels (`at(k)`) equal `labels`, or registers and returns `next` (the caller then
// appends that group). Groups keep the order they were first seen in.
class LabelsIndex {
 public:
  template <typename At>
  size_t FindOrAdd(const storage::Labels& labels, size_t next, At&& at) {
    std::vector<size_t>& bucket = by_hash_[labels.Hash()];
    for (size_t k : bucket) {
      if (at(k) == labels) return k;
    }
    bucket.push_back(next);
    return next;
  }
  void clear() { by_hash_.clear(); }

 private:
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash_;
};

// A value over all evaluation steps.
//  kVector: one Series per label set, with a point at each step it has a value.
//  kScalar: one Series (no labels) with a point at every step.
//  kString: `str`.
//  kMatrix: only at top level of an instant query: raw samples.
struct Value {
  ValueType type = ValueType::kNone;
  Matrix matrix;
  std::string str;
};

// The samples a range function needs for every step: one buffer per series, and how a step's
// window is found in it: (ref - range, ref] with ref = (at or step time) - offset.
struct RangeInput {
  // A matrix selector streams: one series is read at a time from `set` (memory: one series'
  // samples in the query range). A subquery's series are materialized in `series`.
  std::unique_ptr<storage::SeriesSet> set;
  int64_t min_t = 0, max_t = 0;  // samples of `set` kept: (min_t, max_t]
  Matrix series;                 // raw samples (stale markers removed), sorted by time
  size_t next = 0;
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  bool fixed_ref = false;  // `@`: every step uses ref_ms
  int64_t ref_ms = 0;
  // For absent_over_time: the equality matchers of the selector.
  const Expr* selector = nullptr;
};

// What a range-function kernel sees for one series and one step.
struct RangeWindow {
  std::span<const Point> points;
  int64_t ts = 0;           // step time
  int64_t range_start = 0;  // ref - range (exclusive)
  int64_t range_end = 0;    // ref
  int64_t range_ms = 0;
  // Set by a caller that knows no sample of `points` after the first is below its predecessor:
  // rate/increase then skip their counter-reset scan (the result is the same).
  bool no_resets = false;
};

// Receives the series of an instant-vector node one at a time (Evaluator::StreamSeries). The
// series is the callee's buffer: read it, or move out of it, before returning.
using SeriesSink = std::function<Status(Series&)>;

class Evaluator {
 public:
  Evaluator(const EngineOptions& options, storage::Querier& querier, int64_t start, int64_t end,
            int64_t interval, std::chrono::steady_clock::time_point deadline, size_t* samples)
      : options_(options),
        querier_(querier),
        start_(start),
        end_(end),
        interval_(interval),
        query_start_(start),
        query_end_(end),
        deadline_(deadline),
        samples_(samples) {}

  Result<Value> Eval(const Expr& e);
  // A range-vector argument (matrix selector or subquery, through parens).
  Result<RangeInput> EvalRange(const Expr& e);
  // The next series of `in` into `out` (false at the end).
  Result<bool> NextRangeSeries(RangeInput& in, Series* out);
  // Raw samples of a top-level range vector (instant query).
  Result<Matrix> EvalRangeTop(const Expr& e);
  // Streams the series of `e` to `sink`, one at a time, exactly as Eval(e) would return them
  // (same order, labels, points, drop_name, sample accounting), without holding them all.
  // Streams a vector selector and a range function whose only argument is a matrix selector;
  // returns false, having read nothing, for any other node.
  Result<bool> StreamSeries(const Expr& e, const SeriesSink& sink);

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  size_t steps() const { return static_cast<size_t>((end_ - start_) / interval_) + 1; }
  int64_t StepTime(size_t i) const { return start_ + static_cast<int64_t>(i) * interval_; }

  // Sample accounting and the deadline; both fail the query.
  Status AddSamples(size_t n);
  Status CheckDeadline();

  // Annotations as Prometheus words them: "PromQL warning: <msg> (line:col)"; duplicates are
  // kept once.
  void Warn(const std::string& msg, const Expr& at);
  void Info(const std::string& msg, const Expr& at);
  void set_text(std::string_view text) { text_ = text; }
  void set_range_query(bool range) { range_query_ = range; }
  // The outermost query's parameters (step 0 for an instant query).
  int64_t query_start() const { return query_start_; }
  int64_t query_end() const { return query_end_; }
  int64_t query_step() const { return range_query_ ? query_step_ : 0; }
  bool range_query() const { return range_query_; }

  std::vector<std::string>& warnings() { return warnings_; }
  std::vector<std::string>& infos() { return infos_; }

 private:
  Result<Value> EvalSelector(const Expr& vs, bool timestamps);
  // The series of a vector selector, one at a time to `sink` (EvalSelector collects them).
  Status EvalSelectorTo(const Expr& vs, bool timestamps, const SeriesSink& sink);
  Result<Value> EvalCall(const Expr& e);
  Result<Value> EvalRangeCall(const Expr& e, size_t range_arg);
  // The values of a range function's other (scalar) arguments, in order.
  Result<std::vector<Value>> EvalScalarArgs(const Expr& e, size_t range_arg);
  // The output series of a range function other than absent_over_time, one at a time.
  Status EvalRangeCallTo(const Expr& e, size_t range_arg, const SeriesSink& sink);
  Status RangeCallSeries(const Expr& e, RangeInput& in, const std::vector<Value>& scalars,
                         const SeriesSink& sink);
  // histogram_quantile(q, v) with v evaluated: buckets grouped once per query, then only
  // arithmetic per step. Same output as the per-step path (CallInstantFunction).
  Result<Value> EvalHistogramQuantile(const Expr& e, const Value& q, const Value& v);
  Result<Value> EvalBinary(const Expr& e);
  Result<Value> EvalAggregate(const Expr& e);
  // A duration field, or its expression resolved for this query (step() and range() in s).
  int64_t DurationOf(int64_t fixed_ms, const std::unique_ptr<Expr>& expr) const;

  // The time an `@` modifier names (start() and end() are the outermost query's).
  int64_t AtTime(const Expr& e) const;

 public:
  // absent()'s output labels: the selector's equality matchers (a name given twice is dropped).
  static storage::Labels AbsentLabels(const Expr* selector);

 private:
  const EngineOptions& options_;
  storage::Querier& querier_;
  int64_t start_, end_, interval_;
  int64_t query_start_, query_end_;
  int64_t query_step_ = interval_;
  std::chrono::steady_clock::time_point deadline_;
  size_t* samples_;
  std::string_view text_;
  bool range_query_ = false;
  uint32_t deadline_counter_ = 0;
  std::vector<std::string> warnings_;
  std::vector<std::string> infos_;
};

inline double ScalarAtPublic(const Value& v, size_t step) {
  return v.matrix.empty() || step >= v.matrix[0].points.size() ? NAN : v.matrix[0].points[step].v;
}

// Error helpers with Prometheus' messages.
Status ExecError(std::string msg);  // kFailedPrecondition: API error type "execution"
// Drops __name__ from series marked drop_name; fails when two series become equal.
Status DropMarkedNames(Matrix* m);

// ---- shared by the kernels ----
double GoMax(double a, double b);
double GoMin(double a, double b);
void KahanInc(double inc, double* sum, double* c);
std::string FormatGoFloat(double v);  // strconv.FormatFloat(v, 'f', -1, 64)
storage::Labels DropName(const storage::Labels& l);
// Quantile of `values` (sorted in place) as Prometheus computes it.
double Quantile(double q, std::vector<double>& values);

// Functions applied to each sample on its own (math, clamp*, round, timestamp, date functions
// with an argument): the result for value `v` at step `ts` given the scalar arguments, false
// for "no output".
bool IsElementwise(FuncId id);
bool ApplyElementwise(FuncId id, double v, int64_t ts, std::span<const double> scalar_args,
                      double* out);

// Per-step function over instant-vector / scalar arguments. `args` holds, per argument, the
// vector at this step (scalars as one sample without labels). Appends results to `out`.
Status CallInstantFunction(Evaluator& ev, const Expr& call, std::span<const Vector> args,
                           int64_t ts, Vector* out);
// Range function over one window. Returns nullopt for "no output".
Result<std::optional<double>> CallRangeFunction(FuncId id, const RangeWindow& w,
                                                std::span<const double> scalar_args);
// Whether a range function keeps __name__ (last_over_time, first_over_time).
bool RangeFunctionKeepsName(FuncId id);

// sum, avg, count, group, min, max, stddev, stdvar over all steps at once: the group of each
// series is computed once, then every step accumulates into its group. False when `e.op` is
// not one of these (the caller then aggregates step by step with Aggregate()).
bool AggregateAllSteps(Evaluator& ev, const Expr& e, const Matrix& in, Matrix* out);

// The same aggregations fed one series at a time (a streamed selector or range function):
// each series' group is computed once, its points fold into that group's accumulator for
// their step. Per group and step the members are folded in the order they are added, as
// AggregateAllSteps folds them, so the results are bit-identical to it for the same series
// in the same order. Memory: one accumulator per group and step.
class StepAggregator {
 public:
  static bool Supports(Op op);
  // REQUIRES: Supports(e.op). `e` and `ev` outlive the aggregator.
  StepAggregator(const Evaluator& ev, const Expr& e);
  // REQUIRES: every point's time is one of ev's step times, increasing.
  void Add(const Series& s);
  // The groups in order of first appearance, each with a point at every step it had a member.
  Matrix Finish();

 private:
  struct GroupAcc {
    // Per step; only the arrays `op` needs are allocated.
    std::vector<uint32_t> count;
    std::vector<double> sum, c, mean, value;
    std::vector<uint8_t> incremental;
  };
  const Evaluator& ev_;
  const Expr& e_;
  Matrix out_;
  std::vector<GroupAcc> acc_;
  LabelsIndex index_;
};

// Classic-bucket helpers shared by histogram_quantile's per-step and per-query paths.
struct Bucket {
  double upper;
  double count;
};
// Sorts by bound, merges equal bounds and forces monotonic counts (ignoring float noise).
// `has_inf`: the last bound is +Inf (otherwise the buckets are only sorted); `valid`: usable
// for a quantile. Returns true when a real decrease was fixed (Prometheus' info annotation).
bool PrepareBuckets(std::vector<Bucket>* buckets, bool* has_inf, bool* valid);
// Prometheus' bucketQuantile over prepared buckets.
double BucketQuantile(double q, const std::vector<Bucket>& buckets, bool valid);
// The `le` label parsed as a bucket bound; false when missing or malformed.
bool ParseLe(std::string_view le, double* upper);

// Aggregation over one step's vector.
Status Aggregate(const Expr& e, const Vector& in, double param, const std::string& str_param,
                 int64_t ts, Vector* out);

}  // namespace astrolabe::query::internal
