// Aggregations over one step's vector, with Prometheus' numerics: Kahan-compensated sums, the
// mean falling back to incremental updates when the sum overflows, Welford's variance.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include "query/evaluator.h"

namespace astrolabe::query::internal {
namespace {

storage::Labels GroupLabels(const storage::Labels& metric, const Expr& e) {
  storage::LabelsBuilder b;
  if (!e.without) {
    for (const std::string& n : e.grouping) {
      std::string_view v = metric.Get(n);
      if (!v.empty()) b.Set(n, v);
    }
    return b.Build();
  }
  b.Reset(metric);
  b.Del(storage::kMetricName);
  for (const std::string& n : e.grouping) b.Del(n);
  return b.Build();
}

struct Group {
  storage::Labels labels;
  std::vector<size_t> members;
  bool drop_name = false;  // a member is marked and the group keeps __name__ (`by (__name__)`)
};

// Prometheus' "mean with overflow fallback" over `values` in order.
double Mean(const Vector& in, const std::vector<size_t>& members) {
  double sum = in[members[0]].v, c = 0, mean = 0, count = 1;
  bool incremental = false;
  for (size_t i = 1; i < members.size(); ++i) {
    const double f = in[members[i]].v;
    count = static_cast<double>(i + 1);
    if (!incremental) {
      double ns = sum, nc = c;
      KahanInc(f, &ns, &nc);
      if (!std::isinf(ns)) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= (count - 1);
    }
    const double q = (count - 1) / count;
    double m = q * mean, mc = q * c;
    KahanInc(f / count, &m, &mc);
    mean = m;
    c = mc;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

// What a folding aggregation (sum, avg, count, group, min, max, stddev, stdvar) holds for one
// group at one step. AggregateAllSteps keeps one per group; StepAggregator keeps the fields
// in per-step arrays and reads a step's back into one to finish it.
struct Fold {
  double count = 0;
  double sum = 0, c = 0, mean = 0;  // Kahan sum / incremental mean; Welford mean
  double value = 0;                 // min/max; Welford's sum of squares
  bool incremental = false;         // avg: the sum overflowed, `mean` is the incremental mean
};

// The aggregation's value for a group at a step with at least one member.
double FoldResult(Op op, const Fold& a) {
  switch (op) {
    case Op::kSum:
      return a.sum + a.c;
    case Op::kAvg:
      return a.incremental ? a.mean + a.c : a.sum / a.count + a.c / a.count;
    case Op::kCount:
      return a.count;
    case Op::kGroup:
      return 1;
    case Op::kMin:
    case Op::kMax:
      return a.value;
    case Op::kStdvar:
      return a.value / a.count;
    case Op::kStddev:
      return std::sqrt(a.value / a.count);
    default:
      return 0;
  }
}

}  // namespace

bool AggregateAllSteps(Evaluator& ev, const Expr& e, const Matrix& in, Matrix* out) {
  const Op op = e.op;
  if (op != Op::kSum && op != Op::kAvg && op != Op::kCount && op != Op::kGroup && op != Op::kMin &&
      op != Op::kMax && op != Op::kStddev && op != Op::kStdvar) {
    return false;
  }
  // Groups, in order of first appearance.
  std::vector<size_t> group_of(in.size());
  LabelsIndex index;
  for (size_t i = 0; i < in.size(); ++i) {
    storage::Labels gl = GroupLabels(in[i].metric, e);
    const size_t gi = index.FindOrAdd(gl, out->size(), [&](size_t k) -> const storage::Labels& { return (*out)[k].metric; });
    if (gi == out->size()) {
      out->push_back(Series{std::move(gl), {}, false});
    }
    group_of[i] = gi;
    if (in[i].drop_name) (*out)[gi].drop_name = true;
  }
  struct Acc : Fold {
    size_t step = SIZE_MAX;  // the step this accumulator holds; SIZE_MAX: none yet
  };
  std::vector<Acc> acc(out->size());
  std::vector<size_t> touched;
  std::vector<size_t> pos(in.size(), 0);
  const size_t steps = ev.steps();
  for (size_t step = 0; step < steps; ++step) {
    const int64_t ts = ev.StepTime(step);
    touched.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      const auto& pts = in[i].points;
      size_t& p = pos[i];
      while (p < pts.size() && pts[p].t < ts) ++p;
      if (p >= pts.size() || pts[p].t != ts) continue;
      const double f = pts[p].v;
      Acc& a = acc[group_of[i]];
      if (a.step != step) {
        a = Acc{};
        a.step = step;
        touched.push_back(group_of[i]);
        a.count = 1;
        a.sum = f;
        // Welford from an empty state: delta = f, mean = f, sum of squares f * (f - f) (NaN
        // for an infinite or NaN first value, as in the step-by-step form).
        a.value = op == Op::kStddev || op == Op::kStdvar ? f * (f - f) : f;
        a.mean = f;
        if (op == Op::kSum) {
          a.sum = 0;
          KahanInc(f, &a.sum, &a.c);
        }
        continue;
      }
      a.count += 1;
      switch (op) {
        case Op::kSum:
          KahanInc(f, &a.sum, &a.c);
          break;
        case Op::kAvg: {
          if (!a.incremental) {
            double ns = a.sum, nc = a.c;
            KahanInc(f, &ns, &nc);
            if (!std::isinf(ns)) {
              a.sum = ns;
              a.c = nc;
              break;
            }
            a.incremental = true;
            a.mean = a.sum / (a.count - 1);
            a.c /= (a.count - 1);
          }
          const double q = (a.count - 1) / a.count;
          double m = q * a.mean, mc = q * a.c;
          KahanInc(f / a.count, &m, &mc);
          a.mean = m;
          a.c = mc;
          break;
        }
        case Op::kMin:
          if (a.value > f || std::isnan(a.value)) a.value = f;
          break;
        case Op::kMax:
          if (a.value < f || std::isnan(a.value)) a.value = f;
          break;
        case Op::kStddev:
        case Op::kStdvar: {
          const double delta = f - a.mean;
          a.mean += delta / a.count;
          a.value += delta * (f - a.mean);
          break;
        }
        default:
          break;
      }
    }
    std::sort(touched.begin(), touched.end());
    for (size_t g : touched) (*out)[g].points.push_back({ts, FoldResult(op, acc[g])});
  }
  // Groups without any point (possible only when every member is empty) are dropped.
  std::erase_if(*out, [](const Series& s) { return s.points.empty(); });
  return true;
}

bool StepAggregator::Supports(Op op) {
  return op == Op::kSum || op == Op::kAvg || op == Op::kCount || op == Op::kGroup ||
         op == Op::kMin || op == Op::kMax || op == Op::kStddev || op == Op::kStdvar;
}

StepAggregator::StepAggregator(const Evaluator& ev, const Expr& e) : ev_(ev), e_(e) {}

void StepAggregator::Add(const Series& s) {
  if (s.points.empty()) return;
  const Op op = e_.op;
  storage::Labels gl = GroupLabels(s.metric, e_);
  const size_t gi = index_.FindOrAdd(gl, out_.size(), [&](size_t k) -> const storage::Labels& { return out_[k].metric; });
  if (gi == out_.size()) {
    out_.push_back(Series{std::move(gl), {}, false});
    const size_t n = ev_.steps();
    GroupAcc a;
    a.count.assign(n, 0);
    if (op == Op::kSum || op == Op::kAvg) {
      a.sum.assign(n, 0);
      a.c.assign(n, 0);
    }
    if (op == Op::kAvg || op == Op::kStddev || op == Op::kStdvar) a.mean.assign(n, 0);
    if (op == Op::kMin || op == Op::kMax || op == Op::kStddev || op == Op::kStdvar) {
      a.value.assign(n, 0);
    }
    if (op == Op::kAvg) a.incremental.assign(n, 0);
    acc_.push_back(std::move(a));
  }
  if (s.drop_name) out_[gi].drop_name = true;
  GroupAcc& a = acc_[gi];
  const int64_t start = ev_.start(), interval = ev_.interval();
  for (const Point& p : s.points) {
    const size_t k = static_cast<size_t>((p.t - start) / interval);
    const double f = p.v;
    if (a.count[k] == 0) {
      // The first member at this step, as AggregateAllSteps starts an accumulator.
      a.count[k] = 1;
      switch (op) {
        case Op::kSum:
          KahanInc(f, &a.sum[k], &a.c[k]);
          break;
        case Op::kAvg:
          a.sum[k] = f;
          a.mean[k] = f;
          break;
        case Op::kMin:
        case Op::kMax:
          a.value[k] = f;
          break;
        case Op::kStddev:
        case Op::kStdvar:
          a.mean[k] = f;
          a.value[k] = f * (f - f);
          break;
        default:
          break;
      }
      continue;
    }
    a.count[k] += 1;
    const double count = static_cast<double>(a.count[k]);
    switch (op) {
      case Op::kSum:
        KahanInc(f, &a.sum[k], &a.c[k]);
        break;
      case Op::kAvg: {
        if (a.incremental[k] == 0) {
          double ns = a.sum[k], nc = a.c[k];
          KahanInc(f, &ns, &nc);
          if (!std::isinf(ns)) {
            a.sum[k] = ns;
            a.c[k] = nc;
            break;
          }
          a.incremental[k] = 1;
          a.mean[k] = a.sum[k] / (count - 1);
          a.c[k] /= (count - 1);
        }
        const double q = (count - 1) / count;
        double m = q * a.mean[k], mc = q * a.c[k];
        KahanInc(f / count, &m, &mc);
        a.mean[k] = m;
        a.c[k] = mc;
        break;
      }
      case Op::kMin:
        if (a.value[k] > f || std::isnan(a.value[k])) a.value[k] = f;
        break;
      case Op::kMax:
        if (a.value[k] < f || std::isnan(a.value[k])) a.value[k] = f;
        break;
      case Op::kStddev:
      case Op::kStdvar: {
        const double delta = f - a.mean[k];
        a.mean[k] += delta / count;
        a.value[k] += delta * (f - a.mean[k]);
        break;
      }
      default:
        break;
    }
  }
}

Matrix StepAggregator::Finish() {
  const Op op = e_.op;
  const size_t n = ev_.steps();
  for (size_t g = 0; g < out_.size(); ++g) {
    GroupAcc& a = acc_[g];
    auto& pts = out_[g].points;
    for (size_t k = 0; k < n; ++k) {
      if (a.count[k] == 0) continue;
      Fold f;  // only the arrays `op` needs exist (Add)
      f.count = static_cast<double>(a.count[k]);
      if (!a.sum.empty()) {
        f.sum = a.sum[k];
        f.c = a.c[k];
      }
      if (!a.mean.empty()) f.mean = a.mean[k];
      if (!a.value.empty()) f.value = a.value[k];
      if (!a.incremental.empty()) f.incremental = a.incremental[k] != 0;
      pts.push_back({ev_.StepTime(k), FoldResult(op, f)});
    }
    a = GroupAcc{};  // frees the accumulators as the output grows
  }
  acc_.clear();
  index_.clear();
  return std::move(out_);
}

Status Aggregate(const Expr& e, const Vector& in, double param, const std::string& str_param,
                 int64_t ts, Vector* out) {
  std::vector<Group> groups;
  LabelsIndex index;
  for (size_t i = 0; i < in.size(); ++i) {
    storage::Labels gl = GroupLabels(in[i].metric, e);
    const size_t gi = index.FindOrAdd(gl, groups.size(), [&](size_t k) -> const storage::Labels& { return groups[k].labels; });
    if (gi == groups.size()) {
      groups.push_back(Group{std::move(gl), {}});
    }
    groups[gi].members.push_back(i);
    if (in[i].drop_name) groups[gi].drop_name = true;
  }
  const Op op = e.op;
  int64_t k = 0;
  if (op == Op::kTopk || op == Op::kBottomk || op == Op::kLimitk) {
    if (std::isnan(param)) return ExecError("Parameter value is NaN");
    if (param >= 9.223372036854775807e18 || param <= -9.223372036854775808e18) {
      return ExecError("Scalar value " + FormatGoFloat(param) + " overflows int64");
    }
    k = static_cast<int64_t>(param);
    if (k < 1) return Status::Ok();
  }
  if (op == Op::kLimitRatio) {
    if (std::isnan(param)) return ExecError("Ratio value is NaN");
    param = std::clamp(param, -1.0, 1.0);
  }
  for (Group& g : groups) {
    const auto& m = g.members;
    switch (op) {
      case Op::kSum: {
        double sum = 0, c = 0;
        for (size_t i : m) KahanInc(in[i].v, &sum, &c);
        out->push_back(Sample{g.labels, ts, sum + c, g.drop_name});
        break;
      }
      case Op::kAvg:
        out->push_back(Sample{g.labels, ts, Mean(in, m), g.drop_name});
        break;
      case Op::kCount:
        out->push_back(Sample{g.labels, ts, static_cast<double>(m.size()), g.drop_name});
        break;
      case Op::kGroup:
        out->push_back(Sample{g.labels, ts, 1, g.drop_name});
        break;
      case Op::kMin:
      case Op::kMax: {
        double v = in[m[0]].v;
        for (size_t j = 1; j < m.size(); ++j) {
          double f = in[m[j]].v;
          if (op == Op::kMin ? (v > f || std::isnan(v)) : (v < f || std::isnan(v))) v = f;
        }
        out->push_back(Sample{g.labels, ts, v, g.drop_name});
        break;
      }
      case Op::kStddev:
      case Op::kStdvar: {
        double mean = 0, var = 0, count = 0;
        for (size_t i : m) {
          count += 1;
          const double f = in[i].v;
          const double delta = f - mean;
          mean += delta / count;
          var += delta * (f - mean);
        }
        double v = var / count;
        if (op == Op::kStddev) v = std::sqrt(v);
        out->push_back(Sample{g.labels, ts, v, g.drop_name});
        break;
      }
      case Op::kQuantile: {
        std::vector<double> values;
        values.reserve(m.size());
        for (size_t i : m) values.push_back(in[i].v);
        out->push_back(Sample{g.labels, ts, Quantile(param, values), g.drop_name});
        break;
      }
      case Op::kTopk:
      case Op::kBottomk: {
        std::vector<size_t> sorted = m;
        const bool top = op == Op::kTopk;
        std::stable_sort(sorted.begin(), sorted.end(), [&](size_t a, size_t b) {
          const double x = in[a].v, y = in[b].v;
          if (std::isnan(x)) return false;
          if (std::isnan(y)) return true;
          return top ? x > y : x < y;
        });
        const size_t take = std::min(sorted.size(), static_cast<size_t>(k));
        for (size_t j = 0; j < take; ++j) out->push_back(in[sorted[j]]);
        break;
      }
      case Op::kLimitk: {
        const size_t take = std::min(m.size(), static_cast<size_t>(k));
        for (size_t j = 0; j < take; ++j) out->push_back(in[m[j]]);
        break;
      }
      case Op::kLimitRatio: {
        for (size_t i : m) {
          // A series' place in [0, 1): its label hash, re-mixed (splitmix64's finaliser) so
          // that the fraction is uniform whatever the hash's own bit quality.
          uint64_t h = in[i].metric.Hash();
          h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
          h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
          h ^= h >> 31;
          const double offset =
              static_cast<double>(h) / static_cast<double>(std::numeric_limits<uint64_t>::max());
          const bool keep = param >= 0 ? offset < param : offset >= 1 + param;
          if (keep) out->push_back(in[i]);
        }
        break;
      }
      case Op::kCountValues:
        break;  // below: grouped by the output labels
      default:
        return Internal("not an aggregation");
    }
  }
  if (op == Op::kCountValues) {
    // The value label is set first, then samples are grouped: a value label that overwrites a
    // grouping label merges those groups, as in Prometheus.
    std::vector<std::pair<storage::Labels, double>> counts;
    LabelsIndex pos;
    for (const Sample& s : in) {
      storage::LabelsBuilder b(GroupLabels(s.metric, e));
      b.Set(str_param, FormatGoFloat(s.v));
      storage::Labels l = b.Build();
      const size_t idx = pos.FindOrAdd(l, counts.size(), [&](size_t k) -> const storage::Labels& { return counts[k].first; });
      if (idx == counts.size()) {
        counts.emplace_back(std::move(l), 0);
      }
      counts[idx].second += 1;
    }
    for (auto& [l, c] : counts) out->push_back(Sample{std::move(l), ts, c});
  }
  return Status::Ok();
}

}  // namespace astrolabe::query::internal
