#include "query/engine.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <unordered_map>

#include "query/evaluator.h"
#include "query/parser.h"

namespace astrolabe::query {

namespace {
constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
}  // namespace

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

namespace internal {

Status ExecError(std::string msg) { return FailedPrecondition(std::move(msg)); }

namespace {

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == NodeKind::kParen) p = p->children[0].get();
  return *p;
}

// Collects per-step output samples into series, keyed by labels, in first-seen order; a second
// sample for the same labels at the same step is Prometheus' "same labelset" error.
class SeriesCollector {
 public:
  Status Add(const storage::Labels& metric, int64_t t, double v, bool drop_name = false) {
    return AddAt(Index(metric, drop_name), t, v);
  }
  // The index of the series with `metric`, created empty when new.
  size_t Index(const storage::Labels& metric, bool drop_name) {
    const size_t idx = index_.FindOrAdd(metric, out_.size(), [&](size_t k) -> const storage::Labels& {
      return out_[k].metric;
    });
    if (idx == out_.size()) out_.push_back(Series{metric, {}, drop_name});
    return idx;
  }
  Status AddAt(size_t idx, int64_t t, double v) {
    Series& s = out_[idx];
    if (!s.points.empty() && s.points.back().t == t) {
      return ExecError("vector cannot contain metrics with the same labelset");
    }
    s.points.push_back({t, v});
    return Status::Ok();
  }
  // Time of the last point of series `idx`, or kMinTime.
  int64_t LastTime(size_t idx) const {
    return out_[idx].points.empty() ? storage::kMinTime : out_[idx].points.back().t;
  }
  Matrix Take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  Matrix out_;
  LabelsIndex index_;
};

// Walks a step-aligned matrix step by step.
class StepCursor {
 public:
  explicit StepCursor(const Matrix& m) : m_(m), pos_(m.size(), 0) {}
  // Calls fn(series_index, value) for every series with a point at `t`. REQUIRES: t increasing.
  template <typename Fn>
  void At(int64_t t, Fn&& fn) {
    for (size_t i = 0; i < m_.size(); ++i) {
      const auto& pts = m_[i].points;
      size_t& p = pos_[i];
      while (p < pts.size() && pts[p].t < t) ++p;
      if (p < pts.size() && pts[p].t == t) fn(i, pts[p].v);
    }
  }

 private:
  const Matrix& m_;
  std::vector<size_t> pos_;
};

Value ScalarValue(const Evaluator& ev, double v) {
  Value out;
  out.type = ValueType::kScalar;
  Series s;
  s.points.reserve(ev.steps());
  for (size_t i = 0; i < ev.steps(); ++i) s.points.push_back({ev.StepTime(i), v});
  out.matrix.push_back(std::move(s));
  return out;
}

double ScalarAt(const Value& v, size_t step) {
  if (v.matrix.empty() || step >= v.matrix[0].points.size()) return NAN;
  return v.matrix[0].points[step].v;
}

// Labels as Prometheus' labels.Labels.String() prints them: {__name__="x", a="b"}.
std::string PromLabels(const storage::Labels& l) {
  std::string out = "{";
  bool first = true;
  for (const storage::Label& p : l) {
    if (!first) out += ", ";
    first = false;
    out += std::string(p.name) + "=" + QuoteString(p.value);
  }
  return out + "}";
}

bool ShouldDropName(Op op) {
  return op == Op::kAdd || op == Op::kSub || op == Op::kMul || op == Op::kDiv || op == Op::kMod ||
         op == Op::kPow || op == Op::kAtan2;
}

// vectorElemBinop for floats: the value and whether a comparison keeps the sample.
double ElemBinop(Op op, double l, double r, bool* keep) {
  *keep = true;
  switch (op) {
    case Op::kAdd:
      return l + r;
    case Op::kSub:
      return l - r;
    case Op::kMul:
      return l * r;
    case Op::kDiv:
      return l / r;
    case Op::kPow:
      return std::pow(l, r);
    case Op::kMod:
      return std::fmod(l, r);
    case Op::kAtan2:
      return std::atan2(l, r);
    case Op::kEql:
      *keep = l == r;
      return l;
    case Op::kNeq:
      *keep = l != r;
      return l;
    case Op::kGtr:
      *keep = l > r;
      return l;
    case Op::kLss:
      *keep = l < r;
      return l;
    case Op::kGte:
      *keep = l >= r;
      return l;
    case Op::kLte:
      *keep = l <= r;
      return l;
    default:
      return NAN;
  }
}

storage::Labels SignatureLabels(const storage::Labels& l, const VectorMatching& vm) {
  storage::LabelsBuilder b;
  if (vm.on) {
    for (const std::string& n : vm.labels) {
      std::string_view v = l.Get(n);
      if (!v.empty()) b.Set(n, v);
    }
    return b.Build();
  }
  b.Reset(l);
  b.Del(storage::kMetricName);
  for (const std::string& n : vm.labels) b.Del(n);
  return b.Build();
}

storage::Labels ResultMetric(const storage::Labels& lhs, const storage::Labels& rhs, Op op,
                             const VectorMatching& vm, bool return_bool) {
  storage::LabelsBuilder b(lhs);
  if (vm.card == Cardinality::kOneToOne) {
    if (vm.on) {
      storage::LabelsBuilder keep;
      storage::Labels cur = b.Build();
      for (const std::string& n : vm.labels) {
        std::string_view v = cur.Get(n);
        if (!v.empty()) keep.Set(n, v);
      }
      b = keep;
    } else {
      for (const std::string& n : vm.labels) b.Del(n);
    }
  }
  for (const std::string& n : vm.include) {
    std::string_view v = rhs.Get(n);
    if (!v.empty()) {
      b.Set(n, v);
    } else {
      b.Del(n);
    }
  }
  return b.Build();
}

}  // namespace

Status Evaluator::AddSamples(size_t n) {
  *samples_ += n;
  if (options_.max_samples != 0 && *samples_ > options_.max_samples) {
    return ResourceExhausted(
        "query processing would load too many samples into memory in query execution");
  }
  return Status::Ok();
}

Status Evaluator::CheckDeadline() {
  // Checked on the first call and every 256th after, to keep clock reads off the hot path.
  if ((deadline_counter_++ & 255) != 0) return Status::Ok();
  if (std::chrono::steady_clock::now() > deadline_) {
    return DeadlineExceeded("query timed out in query execution");
  }
  return Status::Ok();
}

namespace {
std::string PosString(std::string_view text, int pos) {
  int line = 1, line_start = 0;
  for (int i = 0; i < pos && i < static_cast<int>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}
void AddOnce(std::vector<std::string>* list, std::string msg) {
  if (std::find(list->begin(), list->end(), msg) == list->end()) list->push_back(std::move(msg));
}
}  // namespace

void Evaluator::Warn(const std::string& msg, const Expr& at) {
  AddOnce(&warnings_, "PromQL warning: " + msg + " (" + PosString(text_, at.pos.start) + ")");
}

void Evaluator::Info(const std::string& msg, const Expr& at) {
  AddOnce(&infos_, "PromQL info: " + msg + " (" + PosString(text_, at.pos.start) + ")");
}

int64_t Evaluator::DurationOf(int64_t fixed_ms, const std::unique_ptr<Expr>& expr) const {
  if (!expr) return fixed_ms;
  const double s = EvalDurationExpr(*expr, static_cast<double>(query_step()) / 1000,
                                    static_cast<double>(query_end_ - query_start_) / 1000);
  if (!std::isfinite(s) || std::fabs(s) * 1000 > kMaxAbsTimeMs) return 0;
  return static_cast<int64_t>(std::llround(s * 1000));
}

int64_t Evaluator::AtTime(const Expr& e) const {
  switch (e.at) {
    case AtKind::kValue:
      return e.at_ms;
    case AtKind::kStart:
      return query_start_;
    case AtKind::kEnd:
      return query_end_;
    case AtKind::kNone:
      break;
  }
  return 0;
}

Result<Value> Evaluator::Eval(const Expr& e) {
  RETURN_IF_ERROR(CheckDeadline());
  switch (e.kind) {
    case NodeKind::kNumber:
      return ScalarValue(*this, e.number);
    case NodeKind::kString: {
      Value v;
      v.type = ValueType::kString;
      v.str = e.str;
      return v;
    }
    case NodeKind::kParen:
      return Eval(*e.children[0]);
    case NodeKind::kUnary: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
      if (e.op == Op::kSub) {
        for (Series& s : v.matrix) {
          for (Point& p : s.points) p.v = -p.v;
        }
        if (v.type == ValueType::kVector) {
          for (Series& s : v.matrix) s.drop_name = true;
        }
      }
      return v;
    }
    case NodeKind::kVectorSelector:
      return EvalSelector(e, false);
    case NodeKind::kCall:
      return EvalCall(e);
    case NodeKind::kBinary:
      return EvalBinary(e);
    case NodeKind::kAggregate:
      return EvalAggregate(e);
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery:
      return ExecError("range vector cannot be evaluated as an instant value");
  }
  return Internal("unknown node");
}

Result<Value> Evaluator::EvalSelector(const Expr& vs, bool timestamps) {
  Value out;
  out.type = ValueType::kVector;
  RETURN_IF_ERROR(EvalSelectorTo(vs, timestamps, [&](Series& s) {
    out.matrix.push_back(std::move(s));
    return Status::Ok();
  }));
  return out;
}

Status Evaluator::EvalSelectorTo(const Expr& vs, bool timestamps, const SeriesSink& sink) {
  const int64_t offset = DurationOf(vs.offset_ms, vs.offset_expr);
  const bool fixed = vs.at != AtKind::kNone;
  const int64_t fixed_ref = fixed ? AtTime(vs) - offset : 0;
  const int64_t lo = fixed ? fixed_ref : start_ - offset;
  const int64_t hi = fixed ? fixed_ref : end_ - offset;
  const int64_t lookback = options_.lookback_delta_ms;
  storage::SelectHints hints;
  hints.sort_series = true;
  hints.step_ms = interval_;
  ASSIGN_OR_RETURN(auto set, querier_.Select(vs.matchers, lo - lookback + 1, hi, hints));
  const size_t n = steps();
  Series s;
  while (set->Next()) {
    RETURN_IF_ERROR(CheckDeadline());
    const storage::Series& series = set->At();
    auto it = series.Iterator();
    s.metric = series.labels();
    s.points.clear();
    s.drop_name = false;
    bool has_next = it->Next();
    storage::Sample next = has_next ? it->At() : storage::Sample{};
    bool has_last = false;
    storage::Sample last;
    auto advance_to = [&](int64_t ref) {
      while (has_next && next.t <= ref) {
        last = next;
        has_last = true;
        has_next = it->Next();
        if (has_next) next = it->At();
      }
    };
    auto value_at = [&](int64_t ref, double* v) {
      if (!has_last || last.t <= ref - lookback || IsStaleNaN(last.v)) return false;
      *v = timestamps ? static_cast<double>(last.t) / 1000.0 : last.v;
      return true;
    };
    if (fixed) {
      advance_to(fixed_ref);
      double v = 0;
      if (value_at(fixed_ref, &v)) {
        s.points.reserve(n);
        for (size_t i = 0; i < n; ++i) s.points.push_back({StepTime(i), v});
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        const int64_t ref = StepTime(i) - offset;
        advance_to(ref);
        double v = 0;
        if (value_at(ref, &v)) s.points.push_back({StepTime(i), v});
      }
    }
    RETURN_IF_ERROR(it->Err());
    if (!s.points.empty()) {
      RETURN_IF_ERROR(AddSamples(s.points.size()));
      RETURN_IF_ERROR(sink(s));
    }
  }
  return set->Err();
}

Result<RangeInput> Evaluator::EvalRange(const Expr& arg) {
  const Expr& e = Unparen(arg);
  RangeInput in;
  in.range_ms = DurationOf(e.range_ms, e.range_expr);
  const int64_t range = in.range_ms;
  if (e.kind == NodeKind::kMatrixSelector) {
    const Expr& vs = *e.children[0];
    in.selector = &vs;
    in.offset_ms = DurationOf(vs.offset_ms, vs.offset_expr);
    in.fixed_ref = vs.at != AtKind::kNone;
    in.ref_ms = in.fixed_ref ? AtTime(vs) - in.offset_ms : 0;
    const int64_t lo = in.fixed_ref ? in.ref_ms : start_ - in.offset_ms;
    const int64_t hi = in.fixed_ref ? in.ref_ms : end_ - in.offset_ms;
    storage::SelectHints hints;
    hints.step_ms = interval_;
    ASSIGN_OR_RETURN(in.set, querier_.Select(vs.matchers, lo - range + 1, hi, hints));
    in.min_t = lo - range;
    in.max_t = hi;
    return in;
  }
  if (e.kind != NodeKind::kSubquery) return Internal("range argument is not a range vector");
  in.offset_ms = DurationOf(e.offset_ms, e.offset_expr);
  in.fixed_ref = e.at != AtKind::kNone;
  in.ref_ms = in.fixed_ref ? AtTime(e) - in.offset_ms : 0;
  const Expr& inner = *e.children[0];
  if (Unparen(inner).kind == NodeKind::kVectorSelector) in.selector = &Unparen(inner);
  const int64_t own_step = DurationOf(e.step_ms, e.step_expr);
  const int64_t step = own_step > 0 ? own_step : options_.default_subquery_step_ms;
  const int64_t ref_lo = in.fixed_ref ? in.ref_ms : start_ - in.offset_ms;
  const int64_t ref_hi = in.fixed_ref ? in.ref_ms : end_ - in.offset_ms;
  int64_t inner_start = step * ((ref_lo - range) / step);
  if (inner_start <= ref_lo - range) inner_start += step;
  if (inner_start > ref_hi) return in;
  // The subquery's own steps cover every window of the outer steps.
  int64_t inner_end = inner_start + ((ref_hi - inner_start) / step) * step;
  // Every inner step may hold a point per series: the samples limit bounds the steps too
  // (before anything is allocated for them).
  const int64_t inner_steps = (inner_end - inner_start) / step + 1;
  if (options_.max_samples != 0 && static_cast<uint64_t>(inner_steps) > options_.max_samples) {
    return ResourceExhausted(
        "query processing would load too many samples into memory in query execution");
  }
  Evaluator sub(options_, querier_, inner_start, inner_end, step, deadline_, samples_);
  sub.text_ = text_;
  sub.range_query_ = range_query_;
  sub.query_step_ = query_step_;
  sub.query_start_ = query_start_;
  sub.query_end_ = query_end_;
  ASSIGN_OR_RETURN(Value v, sub.Eval(inner));
  for (auto& w : sub.warnings_) warnings_.push_back(std::move(w));
  for (auto& i : sub.infos_) infos_.push_back(std::move(i));
  in.series = std::move(v.matrix);
  return in;
}

Result<bool> Evaluator::NextRangeSeries(RangeInput& in, Series* out) {
  if (!in.set) {
    if (in.next >= in.series.size()) return false;
    *out = std::move(in.series[in.next++]);
    return true;
  }
  while (in.set->Next()) {
    RETURN_IF_ERROR(CheckDeadline());
    const storage::Series& series = in.set->At();
    out->metric = series.labels();
    out->points.clear();
    out->drop_name = false;
    auto it = series.Iterator();
    while (it->Next()) {
      const storage::Sample smp = it->At();
      if (smp.t <= in.min_t || smp.t > in.max_t || IsStaleNaN(smp.v)) continue;
      out->points.push_back({smp.t, smp.v});
    }
    RETURN_IF_ERROR(it->Err());
    if (out->points.empty()) continue;
    // The buffer is transient: it counts against the limit while held, not afterwards.
    if (options_.max_samples != 0 && *samples_ + out->points.size() > options_.max_samples) {
      return ResourceExhausted(
          "query processing would load too many samples into memory in query execution");
    }
    return true;
  }
  RETURN_IF_ERROR(in.set->Err());
  return false;
}

Result<bool> Evaluator::StreamSeries(const Expr& arg, const SeriesSink& sink) {
  const Expr& e = Unparen(arg);
  if (e.kind == NodeKind::kVectorSelector) {
    RETURN_IF_ERROR(EvalSelectorTo(e, false, sink));
    return true;
  }
  // Exactly the calls EvalCall hands to EvalRangeCall, but absent_over_time (one output for
  // all series) and those with scalar arguments.
  if (e.kind == NodeKind::kCall && e.children.size() == 1 &&
      e.func->id != FuncId::kAbsentOverTime && e.children[0]->Type() == ValueType::kMatrix) {
    RETURN_IF_ERROR(EvalRangeCallTo(e, 0, sink));
    return true;
  }
  return false;
}

Result<Matrix> Evaluator::EvalRangeTop(const Expr& e) {
  ASSIGN_OR_RETURN(RangeInput in, EvalRange(e));
  const int64_t ref = in.fixed_ref ? in.ref_ms : start_ - in.offset_ms;
  Matrix out;
  Series s;
  while (true) {
    ASSIGN_OR_RETURN(bool more, NextRangeSeries(in, &s));
    if (!more) break;
    Series o;
    o.metric = std::move(s.metric);
    for (const Point& p : s.points) {
      if (p.t > ref - in.range_ms && p.t <= ref) o.points.push_back(p);
    }
    if (!o.points.empty()) {
      RETURN_IF_ERROR(AddSamples(o.points.size()));
      out.push_back(std::move(o));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.metric < b.metric; });
  return out;
}

Result<Value> Evaluator::EvalCall(const Expr& e) {
  const Function& f = *e.func;
  if (range_query_ && (f.id == FuncId::kSort || f.id == FuncId::kSortDesc ||
                       f.id == FuncId::kSortByLabel || f.id == FuncId::kSortByLabelDesc)) {
    Warn("sort is ineffective for range queries since results are always ordered by labels", e);
  }
  if (f.id == FuncId::kTimestamp) {
    const Expr& arg = Unparen(*e.children[0]);
    if (arg.kind == NodeKind::kVectorSelector) {
      ASSIGN_OR_RETURN(Value v, EvalSelector(arg, true));
      for (Series& s : v.matrix) s.drop_name = true;
      return v;
    }
  }
  for (size_t i = 0; i < e.children.size(); ++i) {
    if (e.children[i]->Type() == ValueType::kMatrix) return EvalRangeCall(e, i);
  }
  if (IsElementwise(f.id) && !e.children.empty()) {
    // Series by series: labels are unchanged (the name is only marked), so no step-by-step
    // regrouping is needed.
    ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
    std::vector<Value> scalars;
    for (size_t i = 1; i < e.children.size(); ++i) {
      ASSIGN_OR_RETURN(Value s, Eval(*e.children[i]));
      scalars.push_back(std::move(s));
    }
    double sargs[2] = {0, 0};
    for (Series& s : v.matrix) {
      RETURN_IF_ERROR(CheckDeadline());
      size_t kept = 0;
      for (const Point& p : s.points) {
        const size_t step = static_cast<size_t>((p.t - start_) / interval_);
        for (size_t a = 0; a < scalars.size() && a < 2; ++a) sargs[a] = ScalarAt(scalars[a], step);
        double out = 0;
        if (ApplyElementwise(f.id, p.v, p.t, std::span<const double>(sargs, scalars.size()),
                             &out)) {
          s.points[kept++] = Point{p.t, out};
        }
      }
      s.points.resize(kept);
      s.drop_name = true;
    }
    std::erase_if(v.matrix, [](const Series& s) { return s.points.empty(); });
    return v;
  }
  // Instant-vector and scalar arguments, evaluated for every step.
  std::vector<Value> args;
  args.reserve(e.children.size());
  for (const auto& c : e.children) {
    if (c->Type() == ValueType::kString) {
      args.emplace_back();
      args.back().type = ValueType::kString;
      continue;
    }
    ASSIGN_OR_RETURN(Value v, Eval(*c));
    args.push_back(std::move(v));
  }
  if (options_.streaming && f.id == FuncId::kHistogramQuantile && args.size() == 2 &&
      args[0].type == ValueType::kScalar && args[1].type == ValueType::kVector) {
    return EvalHistogramQuantile(e, args[0], args[1]);
  }
  std::vector<StepCursor> cursors;
  cursors.reserve(args.size());
  for (const Value& v : args) cursors.emplace_back(v.matrix);
  std::vector<Vector> step_args(args.size());
  SeriesCollector out;
  Vector result;
  const bool is_scalar = f.return_type == ValueType::kScalar;
  for (size_t i = 0; i < steps(); ++i) {
    RETURN_IF_ERROR(CheckDeadline());
    const int64_t ts = StepTime(i);
    for (size_t a = 0; a < args.size(); ++a) {
      step_args[a].clear();
      if (args[a].type == ValueType::kScalar) {
        step_args[a].push_back(Sample{{}, ts, ScalarAt(args[a], i)});
      } else if (args[a].type == ValueType::kVector) {
        cursors[a].At(ts, [&](size_t si, double v) {
          step_args[a].push_back(
              Sample{args[a].matrix[si].metric, ts, v, args[a].matrix[si].drop_name});
        });
      }
    }
    result.clear();
    RETURN_IF_ERROR(CallInstantFunction(*this, e, step_args, ts, &result));
    for (const Sample& s : result) RETURN_IF_ERROR(out.Add(s.metric, ts, s.v, s.drop_name));
  }
  Value v;
  v.type = is_scalar ? ValueType::kScalar : ValueType::kVector;
  v.matrix = out.Take();
  if (is_scalar && v.matrix.empty()) return ScalarValue(*this, NAN);
  size_t total = 0;
  for (const Series& s : v.matrix) total += s.points.size();
  RETURN_IF_ERROR(AddSamples(total));
  return v;
}

Result<Value> Evaluator::EvalHistogramQuantile(const Expr& e, const Value& qv, const Value& v) {
  const Expr& vec_expr = *e.children[1];
  const Matrix& in = v.matrix;
  constexpr size_t kNone = SIZE_MAX;
  // Once per query: each input series' histogram (its labels without `le`) and bucket bound.
  struct Hist {
    storage::Labels metric;
    std::string name;
    size_t out = kNone;   // its output series in `collector`, once it has one
    size_t step = kNone;  // the step `buckets` holds
    std::vector<Bucket> buckets;
  };
  std::vector<Hist> hists;
  std::vector<size_t> hist_of(in.size(), kNone);
  std::vector<double> upper_of(in.size(), 0);
  std::vector<bool> warned(in.size(), false);
  LabelsIndex index;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!ParseLe(in[i].metric.Get("le"), &upper_of[i])) continue;  // warned when first seen
    storage::LabelsBuilder b(in[i].metric);
    b.Del("le");
    storage::Labels m = b.Build();
    const size_t hi = index.FindOrAdd(m, hists.size(), [&](size_t k) -> const storage::Labels& { return hists[k].metric; });
    if (hi == hists.size()) {
      hists.push_back(Hist{std::move(m), std::string(in[i].metric.MetricName()), kNone, kNone, {}});
    }
    hist_of[i] = hi;
  }
  // Per step: the buckets present, histograms in the order the per-step path meets them (by
  // their first series present), so output series and annotations come in the same order.
  StepCursor cursor(in);
  SeriesCollector collector;
  std::vector<size_t> order;
  for (size_t i = 0; i < steps(); ++i) {
    RETURN_IF_ERROR(CheckDeadline());
    const int64_t ts = StepTime(i);
    const double q = ScalarAt(qv, i);
    if (!(q >= 0 && q <= 1)) {
      Warn("quantile value should be between 0 and 1, got " + FormatFloat(q), *e.children[0]);
    }
    order.clear();
    cursor.At(ts, [&](size_t si, double val) {
      const size_t hi = hist_of[si];
      if (hi == kNone) {
        if (!warned[si]) {
          warned[si] = true;
          Warn("bucket label \"le\" is missing or has a malformed value of \"" +
                   std::string(in[si].metric.Get("le")) + "\" for metric name \"" +
                   std::string(in[si].metric.MetricName()) + "\"",
               vec_expr);
        }
        return;
      }
      Hist& h = hists[hi];
      if (h.step != i) {
        h.step = i;
        h.buckets.clear();
        order.push_back(hi);
      }
      h.buckets.push_back({upper_of[si], val});
    });
    for (size_t hi : order) {
      Hist& h = hists[hi];
      bool has_inf = false, valid = false;
      if (PrepareBuckets(&h.buckets, &has_inf, &valid)) {
        Info(
            "input to histogram_quantile needed to be fixed for monotonicity (see "
            "https://prometheus.io/docs/prometheus/latest/querying/functions/"
            "#histogram_quantile) for metric name \"" +
                h.name + "\"",
            vec_expr);
      }
      if (h.out == kNone) h.out = collector.Index(h.metric, true);
      RETURN_IF_ERROR(collector.AddAt(h.out, ts, BucketQuantile(q, h.buckets, valid)));
    }
  }
  Value out;
  out.type = ValueType::kVector;
  out.matrix = collector.Take();
  size_t total = 0;
  for (const Series& s : out.matrix) total += s.points.size();
  RETURN_IF_ERROR(AddSamples(total));
  return out;
}

Result<std::vector<Value>> Evaluator::EvalScalarArgs(const Expr& e, size_t range_arg) {
  std::vector<Value> scalars;
  for (size_t i = 0; i < e.children.size(); ++i) {
    if (i == range_arg) continue;
    ASSIGN_OR_RETURN(Value v, Eval(*e.children[i]));
    scalars.push_back(std::move(v));
  }
  return scalars;
}

Result<Value> Evaluator::EvalRangeCall(const Expr& e, size_t range_arg) {
  const FuncId id = e.func->id;
  ASSIGN_OR_RETURN(RangeInput in, EvalRange(*e.children[range_arg]));
  ASSIGN_OR_RETURN(std::vector<Value> scalars, EvalScalarArgs(e, range_arg));
  const size_t n = steps();
  Value out;
  out.type = ValueType::kVector;
  auto ref_at = [&](size_t i) { return in.fixed_ref ? in.ref_ms : StepTime(i) - in.offset_ms; };

  if (id == FuncId::kAbsentOverTime) {
    std::vector<bool> any(n, false);
    Series series;
    while (true) {
      ASSIGN_OR_RETURN(bool more, NextRangeSeries(in, &series));
      if (!more) break;
      const auto& pts = series.points;
      size_t lo = 0, hi = 0;
      for (size_t i = 0; i < n; ++i) {
        const int64_t ref = ref_at(i);
        while (hi < pts.size() && pts[hi].t <= ref) ++hi;
        while (lo < pts.size() && pts[lo].t <= ref - in.range_ms) ++lo;
        if (hi > lo) any[i] = true;
      }
    }
    Series s;
    s.metric = AbsentLabels(in.selector);
    for (size_t i = 0; i < n; ++i) {
      if (!any[i]) s.points.push_back({StepTime(i), 1});
    }
    if (!s.points.empty()) out.matrix.push_back(std::move(s));
    return out;
  }

  RETURN_IF_ERROR(RangeCallSeries(e, in, scalars, [&](Series& s) {
    out.matrix.push_back(std::move(s));
    return Status::Ok();
  }));
  return out;
}

Status Evaluator::EvalRangeCallTo(const Expr& e, size_t range_arg, const SeriesSink& sink) {
  ASSIGN_OR_RETURN(RangeInput in, EvalRange(*e.children[range_arg]));
  ASSIGN_OR_RETURN(std::vector<Value> scalars, EvalScalarArgs(e, range_arg));
  return RangeCallSeries(e, in, scalars, sink);
}

Status Evaluator::RangeCallSeries(const Expr& e, RangeInput& in, const std::vector<Value>& scalars,
                                  const SeriesSink& sink) {
  const FuncId id = e.func->id;
  const size_t n = steps();
  auto ref_at = [&](size_t i) { return in.fixed_ref ? in.ref_ms : StepTime(i) - in.offset_ms; };
  const bool keep_name = RangeFunctionKeepsName(id);
  std::vector<double> scalar_args(scalars.size());
  // Output labels seen so far: two equal ones are an error (possible for a subquery's input).
  std::unordered_map<uint64_t, std::vector<storage::Labels>> seen;
  // rate/increase: resets[k] counts the samples in [1, k] below their predecessor, so a
  // window without a counter reset is known in O(1) and skips the reset scan.
  const bool count_resets = options_.streaming && (id == FuncId::kRate || id == FuncId::kIncrease);
  std::vector<uint32_t> resets;
  Series series;
  Series o;
  while (true) {
    ASSIGN_OR_RETURN(bool more, NextRangeSeries(in, &series));
    if (!more) break;
    o.metric = series.metric;
    o.drop_name = series.drop_name || !keep_name;
    o.points.clear();
    o.points.reserve(n);  // the sink may have taken the last series' points
    const auto& pts = series.points;
    if (count_resets && !pts.empty()) {
      resets.resize(pts.size());
      resets[0] = 0;
      for (size_t k = 1; k < pts.size(); ++k) {
        resets[k] = resets[k - 1] + (pts[k].v < pts[k - 1].v ? 1 : 0);
      }
    }
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t ref = ref_at(i);
      while (hi < pts.size() && pts[hi].t <= ref) ++hi;
      while (lo < pts.size() && pts[lo].t <= ref - in.range_ms) ++lo;
      if (hi <= lo) continue;
      for (size_t a = 0; a < scalars.size(); ++a) scalar_args[a] = ScalarAt(scalars[a], i);
      if (id == FuncId::kQuantileOverTime && !(scalar_args[0] >= 0 && scalar_args[0] <= 1)) {
        Warn("quantile value should be between 0 and 1, got " + FormatFloat(scalar_args[0]),
             *e.children[0]);
      }
      RangeWindow w;
      w.points = std::span<const Point>(pts.data() + lo, hi - lo);
      w.ts = StepTime(i);
      w.range_start = ref - in.range_ms;
      w.range_end = ref;
      w.range_ms = in.range_ms;
      w.no_resets = count_resets && resets[hi - 1] == resets[lo];
      ASSIGN_OR_RETURN(std::optional<double> r, CallRangeFunction(id, w, scalar_args));
      if (r) o.points.push_back({w.ts, *r});
    }
    if (o.points.empty()) continue;
    auto& bucket = seen[o.metric.Hash()];
    for (const storage::Labels& l : bucket) {
      if (l == o.metric) return ExecError("vector cannot contain metrics with the same labelset");
    }
    bucket.push_back(o.metric);
    RETURN_IF_ERROR(AddSamples(o.points.size()));
    RETURN_IF_ERROR(sink(o));
  }
  return Status::Ok();
}

storage::Labels Evaluator::AbsentLabels(const Expr* selector) {
  storage::LabelsBuilder b;
  if (selector == nullptr || selector->kind != NodeKind::kVectorSelector) return b.Build();
  // Prometheus' historic rule: a name matched twice, or by a non-equality matcher after an
  // equality one, is left out (absent(x{job="a",job="b"}) gives {}).
  std::unordered_map<std::string, bool> has;
  for (const auto& m : selector->matchers) {
    if (m.name() == storage::kMetricName) continue;
    if (m.type() == storage::MatchType::kEqual && !has[m.name()]) {
      b.Set(m.name(), m.value());
      has[m.name()] = true;
    } else {
      b.Del(m.name());
    }
  }
  return b.Build();
}

Result<Value> Evaluator::EvalBinary(const Expr& e) {
  ASSIGN_OR_RETURN(Value lhs, Eval(*e.children[0]));
  ASSIGN_OR_RETURN(Value rhs, Eval(*e.children[1]));
  const Op op = e.op;
  const bool ret_bool = e.bool_modifier;
  const size_t n = steps();
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    Value out = ScalarValue(*this, 0);
    for (size_t i = 0; i < n; ++i) {
      bool keep = true;
      double v = ElemBinop(op, ScalarAt(lhs, i), ScalarAt(rhs, i), &keep);
      if (IsComparison(op)) v = keep ? 1 : 0;
      out.matrix[0].points[i].v = v;
    }
    return out;
  }
  if (lhs.type == ValueType::kScalar || rhs.type == ValueType::kScalar) {
    const bool swap = lhs.type == ValueType::kScalar;
    const Value& vec = swap ? rhs : lhs;
    const Value& sc = swap ? lhs : rhs;
    SeriesCollector c;
    const bool drop = ShouldDropName(op) || ret_bool;
    for (const Series& s : vec.matrix) {
      const storage::Labels& m = s.metric;
      for (const Point& p : s.points) {
        size_t step = static_cast<size_t>((p.t - start_) / interval_);
        double sv = ScalarAt(sc, step);
        double l = swap ? sv : p.v;
        double r = swap ? p.v : sv;
        bool keep = true;
        double v = ElemBinop(op, l, r, &keep);
        if (IsComparison(op)) {
          if (swap) v = r;
          if (ret_bool) {
            v = keep ? 1 : 0;
          } else if (!keep) {
            continue;
          }
        }
        RETURN_IF_ERROR(c.Add(m, p.t, v, drop || s.drop_name));
      }
    }
    Value out;
    out.type = ValueType::kVector;
    out.matrix = c.Take();
    return out;
  }
  // Vector-vector. Each series' matching signature gets a small integer id once; every step
  // then indexes by id (no hashing per step), and each output series is found once per
  // (series, partner) pair.
  const VectorMatching& vm = *e.matching;
  std::unordered_map<std::string, uint32_t> sig_ids;
  std::vector<storage::Labels> sig_labels;
  auto sig_id = [&](const storage::Labels& metric) {
    storage::Labels sig = SignatureLabels(metric, vm);
    auto [it, inserted] = sig_ids.emplace(sig.ToString(), static_cast<uint32_t>(sig_labels.size()));
    if (inserted) sig_labels.push_back(std::move(sig));
    return it->second;
  };
  std::vector<uint32_t> lsid(lhs.matrix.size()), rsid(rhs.matrix.size());
  for (size_t i = 0; i < lhs.matrix.size(); ++i) lsid[i] = sig_id(lhs.matrix[i].metric);
  for (size_t i = 0; i < rhs.matrix.size(); ++i) rsid[i] = sig_id(rhs.matrix[i].metric);
  const size_t nsig = sig_labels.size();
  StepCursor lc(lhs.matrix), rc(rhs.matrix);
  SeriesCollector c;
  std::vector<std::pair<size_t, double>> lv, rv;
  // Per signature: the step it was last seen on each side / matched, and where.
  constexpr size_t kNever = SIZE_MAX;
  std::vector<size_t> seen_step(nsig, kNever), seen_at(nsig, 0), matched_step(nsig, kNever);
  // Output series per input series, for set operators (labels unchanged).
  std::vector<size_t> lout(lhs.matrix.size(), kNever), rout(rhs.matrix.size(), kNever);
  // Per "many"-side series: its last partner and the output series for that pair.
  const bool swap = vm.card == Cardinality::kOneToMany;
  const Value& many = swap ? rhs : lhs;
  const Value& one = swap ? lhs : rhs;
  const auto& many_sid = swap ? rsid : lsid;
  const auto& one_sid = swap ? lsid : rsid;
  std::vector<size_t> partner(many.matrix.size(), kNever), pair_out(many.matrix.size(), 0);
  // fill modifiers: the value for a missing "many" / "one" side, and their output series.
  const std::optional<double> fill_many = vm.fill_left;
  const std::optional<double> fill_one = vm.fill_right;
  constexpr size_t kFilled = SIZE_MAX - 1;
  std::vector<size_t> one_matched_step(nsig, kNever), fill_out(one.matrix.size(), kNever);
  auto add = [&](size_t* slot, const Series& src, int64_t ts, double v, bool drop) -> Status {
    if (*slot == kNever) *slot = c.Index(src.metric, drop || src.drop_name);
    return c.AddAt(*slot, ts, v);
  };
  for (size_t i = 0; i < n; ++i) {
    RETURN_IF_ERROR(CheckDeadline());
    const int64_t ts = StepTime(i);
    lv.clear();
    rv.clear();
    lc.At(ts, [&](size_t si, double v) { lv.emplace_back(si, v); });
    rc.At(ts, [&](size_t si, double v) { rv.emplace_back(si, v); });
    if (op == Op::kAnd || op == Op::kUnless) {
      for (auto& [si, v] : rv) seen_step[rsid[si]] = i;
      for (auto& [si, v] : lv) {
        const bool found = seen_step[lsid[si]] == i;
        if (found == (op == Op::kAnd))
          RETURN_IF_ERROR(add(&lout[si], lhs.matrix[si], ts, v, false));
      }
      continue;
    }
    if (op == Op::kOr) {
      for (auto& [si, v] : lv) {
        seen_step[lsid[si]] = i;
        RETURN_IF_ERROR(add(&lout[si], lhs.matrix[si], ts, v, false));
      }
      for (auto& [si, v] : rv) {
        if (seen_step[rsid[si]] != i) RETURN_IF_ERROR(add(&rout[si], rhs.matrix[si], ts, v, false));
      }
      continue;
    }
    // Arithmetic and comparison: index the "one" side (group_right swaps the sides).
    auto& many_v = swap ? rv : lv;
    auto& one_v = swap ? lv : rv;
    for (size_t k = 0; k < one_v.size(); ++k) {
      const size_t si = one_v[k].first;
      const uint32_t sid = one_sid[si];
      if (seen_step[sid] == i) {
        const storage::Labels& a = one.matrix[one_v[seen_at[sid]].first].metric;
        const storage::Labels& b = one.matrix[si].metric;
        const bool first_lt = storage::Labels::Compare(a, b) < 0;
        return ExecError("found duplicate series for the match group " +
                         PromLabels(sig_labels[sid]) + " on the " + (swap ? "left" : "right") +
                         " hand-side of the operation: [" + PromLabels(first_lt ? a : b) + ", " +
                         PromLabels(first_lt ? b : a) +
                         "];many-to-many matching not allowed: matching labels must be unique "
                         "on one side");
      }
      seen_step[sid] = i;
      seen_at[sid] = k;
    }
    auto emit = [&](size_t o, double l, double r) -> Status {
      bool keep = true;
      double v = ElemBinop(op, l, r, &keep);
      if (IsComparison(op)) {
        if (ret_bool) {
          v = keep ? 1 : 0;
        } else if (!keep) {
          return Status::Ok();
        }
      }
      if (vm.card != Cardinality::kOneToOne && c.LastTime(o) == ts) {
        return ExecError("multiple matches for labels: grouping labels must ensure unique matches");
      }
      return c.AddAt(o, ts, v);
    };
    for (auto& [si, mval] : many_v) {
      const uint32_t sid = many_sid[si];
      if (seen_step[sid] != i) {
        if (!fill_one) continue;
        // No "one" partner: it takes the fill value and contributes no labels.
        if (partner[si] != kFilled) {
          partner[si] = kFilled;
          pair_out[si] =
              c.Index(ResultMetric(many.matrix[si].metric, storage::Labels(), op, vm, ret_bool),
                      ShouldDropName(op) || ret_bool || many.matrix[si].drop_name);
        }
        RETURN_IF_ERROR(emit(pair_out[si], swap ? *fill_one : mval, swap ? mval : *fill_one));
        continue;
      }
      one_matched_step[sid] = i;
      const auto& [oi, oval] = one_v[seen_at[sid]];
      const double l = swap ? oval : mval;
      const double r = swap ? mval : oval;
      bool keep = true;
      double v = ElemBinop(op, l, r, &keep);
      if (vm.card == Cardinality::kOneToOne) {
        if (matched_step[sid] == i) {
          return ExecError(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
        }
        matched_step[sid] = i;
      }
      if (IsComparison(op)) {
        if (ret_bool) {
          v = keep ? 1 : 0;
        } else if (!keep) {
          continue;
        }
      }
      if (partner[si] != oi) {
        partner[si] = oi;
        pair_out[si] =
            c.Index(ResultMetric(many.matrix[si].metric, one.matrix[oi].metric, op, vm, ret_bool),
                    ShouldDropName(op) || ret_bool || many.matrix[si].drop_name);
      }
      const size_t o = pair_out[si];
      if (vm.card != Cardinality::kOneToOne && c.LastTime(o) == ts) {
        return ExecError("multiple matches for labels: grouping labels must ensure unique matches");
      }
      RETURN_IF_ERROR(c.AddAt(o, ts, v));
    }
    if (fill_many) {
      // "One" entries nobody matched: the "many" side takes the fill value and the match
      // group's labels.
      for (auto& [oi, oval] : one_v) {
        const uint32_t sid = one_sid[oi];
        if (one_matched_step[sid] == i) continue;
        if (fill_out[oi] == kNever) {
          fill_out[oi] =
              c.Index(ResultMetric(sig_labels[sid], one.matrix[oi].metric, op, vm, ret_bool),
                      ShouldDropName(op) || ret_bool);
        }
        RETURN_IF_ERROR(emit(fill_out[oi], swap ? oval : *fill_many, swap ? *fill_many : oval));
      }
    }
  }
  Value out;
  out.type = ValueType::kVector;
  out.matrix = c.Take();
  std::erase_if(out.matrix, [](const Series& s) { return s.points.empty(); });
  size_t total = 0;
  for (const Series& s : out.matrix) total += s.points.size();
  RETURN_IF_ERROR(AddSamples(total));
  return out;
}

Result<Value> Evaluator::EvalAggregate(const Expr& e) {
  Value param;
  std::string str_param;
  if (e.param) {
    if (e.param->Type() == ValueType::kString) {
      str_param = Unparen(*e.param).str;
    } else {
      ASSIGN_OR_RETURN(param, Eval(*e.param));
    }
  }
  if (e.op == Op::kCountValues && (str_param.empty() || !storage::IsValidUtf8(str_param))) {
    return ExecError("invalid label name \"" + str_param + "\"");
  }
  if (options_.streaming && StepAggregator::Supports(e.op)) {
    // Each series folds into its group as it is read: no series x steps matrix in between.
    StepAggregator agg(*this, e);
    ASSIGN_OR_RETURN(bool streamed, StreamSeries(*e.children[0], [&](Series& s) {
                       agg.Add(s);
                       return Status::Ok();
                     }));
    if (streamed) {
      Value out;
      out.type = ValueType::kVector;
      out.matrix = agg.Finish();
      return out;
    }
  }
  ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
  {
    Value out;
    out.type = ValueType::kVector;
    if (AggregateAllSteps(*this, e, v.matrix, &out.matrix)) return out;
  }
  StepCursor cur(v.matrix);
  SeriesCollector c;
  Vector in, result;
  for (size_t i = 0; i < steps(); ++i) {
    RETURN_IF_ERROR(CheckDeadline());
    const int64_t ts = StepTime(i);
    in.clear();
    cur.At(ts, [&](size_t si, double val) {
      in.push_back(Sample{v.matrix[si].metric, ts, val, v.matrix[si].drop_name});
    });
    result.clear();
    double p = e.param && e.param->Type() == ValueType::kScalar ? ScalarAt(param, i) : 0;
    if (e.op == Op::kQuantile && !(p >= 0 && p <= 1)) {
      Warn("quantile value should be between 0 and 1, got " + FormatFloat(p), *e.param);
    }
    RETURN_IF_ERROR(Aggregate(e, in, p, str_param, ts, &result));
    for (const Sample& s : result) RETURN_IF_ERROR(c.Add(s.metric, ts, s.v, s.drop_name));
  }
  Value out;
  out.type = ValueType::kVector;
  out.matrix = c.Take();
  return out;
}

// The end of delayed name removal: drops __name__ where marked. Series that become equal merge
// when their points do not overlap in time; a shared timestamp is Prometheus' "same labelset"
// error.
Status DropMarkedNames(Matrix* m) {
  bool any = false;
  for (Series& s : *m) {
    if (s.drop_name) {
      s.metric = DropName(s.metric);
      s.drop_name = false;
      any = true;
    }
  }
  if (!any) return Status::Ok();
  LabelsIndex seen;
  Matrix out;

  for (Series& s : *m) {
    const size_t idx = seen.FindOrAdd(s.metric, out.size(), [&](size_t k) -> const storage::Labels& { return out[k].metric; });
    if (idx == out.size()) {
      out.push_back(std::move(s));
      continue;
    }

    auto& pts = out[idx].points;
    pts.insert(pts.end(), s.points.begin(), s.points.end());
    std::sort(pts.begin(), pts.end(), [](const Point& x, const Point& y) { return x.t < y.t; });
    for (size_t k = 1; k < pts.size(); ++k) {
      if (pts[k].t == pts[k - 1].t) {
        return ExecError("vector cannot contain metrics with the same labelset");
      }
    }
  }
  *m = std::move(out);
  return Status::Ok();
}

}  // namespace internal

Engine::Engine(EngineOptions options) : options_(options) {}

Result<QueryResult> Engine::InstantQuery(storage::Storage& storage, std::string_view query,
                                         int64_t t_ms) const {
  ASSIGN_OR_RETURN(auto expr, ParseExpr(query));
  auto querier = storage.NewQuerier();
  return Exec(*querier, *expr, t_ms, t_ms, 1, true, query);
}

Result<QueryResult> Engine::RangeQuery(storage::Storage& storage, std::string_view query,
                                       int64_t start_ms, int64_t end_ms, int64_t step_ms) const {
  ASSIGN_OR_RETURN(auto expr, ParseExpr(query));
  auto querier = storage.NewQuerier();
  return Exec(*querier, *expr, start_ms, end_ms, step_ms, false, query);
}

Result<QueryResult> Engine::Exec(storage::Querier& querier, const Expr& expr, int64_t start_ms,
                                 int64_t end_ms, int64_t step_ms, bool instant,
                                 std::string_view text) const {
  if (step_ms <= 0)
    return InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  if (end_ms < start_ms) return InvalidArgument("end timestamp must not be before start time");
  if (std::fabs(static_cast<double>(start_ms)) > kMaxAbsTimeMs ||
      std::fabs(static_cast<double>(end_ms)) > kMaxAbsTimeMs) {
    return InvalidArgument("query time out of range");
  }
  // Prometheus' API limit; it also bounds what one query allocates per series.
  if (!instant && (end_ms - start_ms) / step_ms >= kMaxPointsPerSeries) {
    return InvalidArgument(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  if (instant) {
    end_ms = start_ms;
    step_ms = 1;
  }
  const ValueType type = expr.Type();
  if (!instant && type != ValueType::kScalar && type != ValueType::kVector) {
    return InvalidArgument("invalid expression type \"" + std::string(ValueTypeName(type)) +
                           "\" for range query, must be Scalar or instant Vector");
  }
  size_t samples = 0;
  internal::Evaluator ev(options_, querier, start_ms, end_ms, step_ms,
                         std::chrono::steady_clock::now() + options_.timeout, &samples);
  ev.set_text(text);
  ev.set_range_query(!instant);
  QueryResult r;
  r.type = instant ? type : ValueType::kMatrix;
  if (type == ValueType::kMatrix) {
    ASSIGN_OR_RETURN(r.matrix, ev.EvalRangeTop(expr));
  } else {
    ASSIGN_OR_RETURN(internal::Value v, ev.Eval(expr));
    RETURN_IF_ERROR(internal::DropMarkedNames(&v.matrix));
    if (!instant) {
      r.matrix = std::move(v.matrix);
      if (type == ValueType::kScalar) {
        for (Series& s : r.matrix) s.metric = storage::Labels();
      }
      std::sort(r.matrix.begin(), r.matrix.end(),
                [](const Series& a, const Series& b) { return a.metric < b.metric; });
    } else if (type == ValueType::kScalar) {
      r.scalar = internal::ScalarAtPublic(v, 0);
      r.t = start_ms;
    } else if (type == ValueType::kString) {
      r.str = v.str;
      r.t = start_ms;
    } else {
      for (Series& s : v.matrix) {
        for (const Point& p : s.points) r.vector.push_back(Sample{s.metric, start_ms, p.v});
      }
    }
  }
  r.warnings = std::move(ev.warnings());
  r.infos = std::move(ev.infos());
  return r;
}

}  // namespace astrolabe::query
