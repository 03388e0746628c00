// Function kernels: per-step functions over instant vectors, and range functions over one
// series' window. Numerics follow Prometheus' promql/functions.go (extrapolated rates, Kahan
// sums, linear regression, classic-bucket quantiles).

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "query/evaluator.h"

namespace astrolabe::query::internal {

double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a < b ? a : b;
}

void KahanInc(double inc, double* sum, double* c) {
  const double t = *sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

storage::Labels DropName(const storage::Labels& l) {
  if (!l.Has(storage::kMetricName)) return l;
  storage::LabelsBuilder b(l);
  b.Del(storage::kMetricName);
  return b.Build();
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

bool ParseLe(std::string_view le, double* upper) {
  if (le.empty()) return false;
  const std::string str(le);
  char* end = nullptr;
  *upper = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

bool PrepareBuckets(std::vector<Bucket>* buckets, bool* has_inf, bool* valid) {
  auto& b = *buckets;
  *has_inf = false;
  *valid = false;
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (b.empty() || !(std::isinf(b.back().upper) && b.back().upper > 0)) return false;
  // Equal bounds merge in place (sorted, so they are adjacent).
  size_t n = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (n > 0 && b[n - 1].upper == b[i].upper) {
      b[n - 1].count += b[i].count;
    } else {
      b[n++] = b[i];
    }
  }
  b.resize(n);
  bool fixed = false;
  double prev = b[0].count;
  for (size_t i = 1; i < b.size(); ++i) {
    const double cur = b[i].count;
    if (cur == prev) continue;
    const double diff = std::fabs(prev - cur);
    const double abs_sum = std::fabs(prev) + std::fabs(cur);
    const bool almost = (prev == 0 || cur == 0 || abs_sum < 2.2250738585072014e-308)
                            ? diff < 1e-12 * 2.2250738585072014e-308
                            : diff / std::min(abs_sum, 1.7976931348623157e308) < 1e-12;
    if (almost || cur < prev) {
      b[i].count = prev;
      if (!almost) fixed = true;
      continue;
    }
    prev = cur;
  }
  *has_inf = true;
  *valid = b.size() >= 2 && b.back().count != 0 && !std::isnan(b.back().count);
  return fixed;
}

double BucketQuantile(double q, const std::vector<Bucket>& c, bool valid) {
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  if (!valid) return NAN;
  double rank = q * c.back().count;
  size_t bi = 0;
  while (bi < c.size() - 1 && !(c[bi].count >= rank)) ++bi;
  if (bi == c.size() - 1) return c[c.size() - 2].upper;
  if (bi == 0 && c[0].upper <= 0) return c[0].upper;
  double start = 0, endb = c[bi].upper, count = c[bi].count;
  if (bi > 0) {
    start = c[bi - 1].upper;
    count -= c[bi - 1].count;
    rank -= c[bi - 1].count;
  }
  return start + (endb - start) * (rank / count);
}

bool RangeFunctionKeepsName(FuncId id) {
  return id == FuncId::kLastOverTime || id == FuncId::kFirstOverTime;
}

namespace {

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == NodeKind::kParen) p = p->children[0].get();
  return *p;
}

const std::string& StringArg(const Expr& call, size_t i) { return Unparen(*call.children[i]).str; }

// ---- range kernels ----

std::optional<double> ExtrapolatedRate(const RangeWindow& w, bool is_counter, bool is_rate) {
  const auto& s = w.points;
  if (s.size() < 2) return std::nullopt;
  double result = s.back().v - s.front().v;
  if (is_counter && !w.no_resets) {
    double last = 0;
    for (const Point& p : s) {
      if (p.v < last) result += last;
      last = p.v;
    }
  }
  double to_start = static_cast<double>(s.front().t - w.range_start) / 1000;
  double to_end = static_cast<double>(w.range_end - s.back().t) / 1000;
  const double sampled = static_cast<double>(s.back().t - s.front().t) / 1000;
  const double avg_between = sampled / static_cast<double>(s.size() - 1);
  const double threshold = avg_between * 1.1;
  if (to_start >= threshold) to_start = avg_between / 2;
  if (is_counter && result > 0 && s.front().v >= 0) {
    const double to_zero = sampled * (s.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  if (to_end >= threshold) to_end = avg_between / 2;
  double factor = (sampled + to_start + to_end) / sampled;
  if (is_rate) factor /= static_cast<double>(w.range_ms) / 1000;
  return result * factor;
}

std::optional<double> InstantValue(const RangeWindow& w, bool is_rate) {
  const auto& s = w.points;
  if (s.size() < 2) return std::nullopt;
  const Point& last = s[s.size() - 1];
  const Point& prev = s[s.size() - 2];
  double result = last.v - prev.v;
  if (is_rate && last.v < prev.v) result = last.v;
  const int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

void LinearRegression(std::span<const Point> s, int64_t intercept_time, double* slope,
                      double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = s[0].v;
  bool const_y = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (const_y && i > 0 && s[i].v != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(s[i].t - intercept_time) / 1e3;
    KahanInc(x, &sx, &cx);
    KahanInc(s[i].v, &sy, &cy);
    KahanInc(x * s[i].v, &sxy, &cxy);
    KahanInc(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = NAN;
      *intercept = NAN;
      return;
    }
    *slope = 0;
    *intercept = init_y;
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

double MeanOf(std::span<const Point> s) {
  double sum = s[0].v, c = 0, mean = 0, count = 1;
  bool incremental = false;
  for (size_t i = 1; i < s.size(); ++i) {
    count = static_cast<double>(i + 1);
    if (!incremental) {
      double ns = sum, nc = c;
      KahanInc(s[i].v, &ns, &nc);
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
    KahanInc(s[i].v / count, &m, &mc);
    mean = m;
    c = mc;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

double Variance(std::span<const Point> s) {
  double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
  for (const Point& p : s) {
    count += 1;
    const double delta = p.v - (mean + cmean);
    KahanInc(delta / count, &mean, &cmean);
    KahanInc(delta * (p.v - (mean + cmean)), &aux, &caux);
  }
  return (aux + caux) / count;
}

}  // namespace

Result<std::optional<double>> CallRangeFunction(FuncId id, const RangeWindow& w,
                                                std::span<const double> args) {
  const auto& s = w.points;
  switch (id) {
    case FuncId::kRate:
      return ExtrapolatedRate(w, true, true);
    case FuncId::kIncrease:
      return ExtrapolatedRate(w, true, false);
    case FuncId::kDelta:
      return ExtrapolatedRate(w, false, false);
    case FuncId::kIrate:
      return InstantValue(w, true);
    case FuncId::kIdelta:
      return InstantValue(w, false);
    case FuncId::kChanges:
    case FuncId::kResets: {
      double n = 0;
      double prev = s[0].v;
      for (size_t i = 1; i < s.size(); ++i) {
        const double cur = s[i].v;
        if (id == FuncId::kChanges) {
          if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) n += 1;
        } else if (cur < prev) {
          n += 1;
        }
        prev = cur;
      }
      return std::optional<double>(n);
    }
    case FuncId::kDeriv: {
      if (s.size() < 2) return std::optional<double>();
      double slope = 0, intercept = 0;
      LinearRegression(s, s[0].t, &slope, &intercept);
      return std::optional<double>(slope);
    }
    case FuncId::kPredictLinear: {
      if (s.size() < 2) return std::optional<double>();
      double slope = 0, intercept = 0;
      LinearRegression(s, w.ts, &slope, &intercept);
      return std::optional<double>(slope * args[0] + intercept);
    }
    case FuncId::kAvgOverTime:
      return std::optional<double>(MeanOf(s));
    case FuncId::kSumOverTime: {
      double sum = 0, c = 0;
      for (const Point& p : s) KahanInc(p.v, &sum, &c);
      if (std::isinf(sum)) return std::optional<double>(sum);
      return std::optional<double>(sum + c);
    }
    case FuncId::kCountOverTime:
      return std::optional<double>(static_cast<double>(s.size()));
    case FuncId::kPresentOverTime:
      return std::optional<double>(1.0);
    case FuncId::kLastOverTime:
      return std::optional<double>(s.back().v);
    case FuncId::kFirstOverTime:
      return std::optional<double>(s.front().v);
    case FuncId::kTsOfLastOverTime:
      return std::optional<double>(static_cast<double>(s.back().t) / 1000);
    case FuncId::kTsOfFirstOverTime:
      return std::optional<double>(static_cast<double>(s.front().t) / 1000);
    case FuncId::kMinOverTime:
    case FuncId::kMaxOverTime:
    case FuncId::kTsOfMinOverTime:
    case FuncId::kTsOfMaxOverTime: {
      const bool is_min = id == FuncId::kMinOverTime || id == FuncId::kTsOfMinOverTime;
      const bool want_ts = id == FuncId::kTsOfMinOverTime || id == FuncId::kTsOfMaxOverTime;
      double v = s[0].v;
      int64_t t = s[0].t;
      for (const Point& p : s) {
        const bool better = is_min ? p.v < v : p.v > v;
        const bool tie = want_ts && p.v == v;
        if (better || tie || std::isnan(v)) {
          v = p.v;
          t = p.t;
        }
      }
      if (!want_ts) return std::optional<double>(v);
      return std::optional<double>(static_cast<double>(t) / 1000);
    }
    case FuncId::kStddevOverTime:
      return std::optional<double>(std::sqrt(Variance(s)));
    case FuncId::kStdvarOverTime:
      return std::optional<double>(Variance(s));
    case FuncId::kQuantileOverTime: {
      std::vector<double> values;
      values.reserve(s.size());
      for (const Point& p : s) values.push_back(p.v);
      return std::optional<double>(Quantile(args[0], values));
    }
    case FuncId::kMadOverTime: {
      std::vector<double> values;
      values.reserve(s.size());
      for (const Point& p : s) {
        if (std::isnan(p.v)) return std::optional<double>(NAN);
        values.push_back(p.v);
      }
      const double median = Quantile(0.5, values);
      for (double& v : values) v = std::fabs(v - median);
      return std::optional<double>(Quantile(0.5, values));
    }
    case FuncId::kDoubleExponentialSmoothing: {
      const double sf = args[0], tf = args[1];
      if (!(sf > 0 && sf < 1)) {
        return ExecError("invalid smoothing factor. Expected: 0 < sf < 1, got: " +
                         FormatGoFloat(sf));
      }
      if (!(tf > 0 && tf < 1)) {
        return ExecError("invalid trend factor. Expected: 0 < tf < 1, got: " + FormatGoFloat(tf));
      }
      if (s.size() < 2) return std::optional<double>();
      double s0 = 0, s1 = s[0].v, b = s[1].v - s[0].v;
      for (size_t i = 1; i < s.size(); ++i) {
        const double x = sf * s[i].v;
        if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
        const double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      return std::optional<double>(s1);
    }
    default:
      return Internal("not a range function");
  }
}

namespace {

// Natural order: runs of digits compare as numbers.
bool NatLess(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = a[i] >= '0' && a[i] <= '9';
    const bool db = b[j] >= '0' && b[j] <= '9';
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && a[ie] >= '0' && a[ie] <= '9') ++ie;
      while (je < b.size() && b[je] >= '0' && b[je] <= '9') ++je;
      std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

// Go's regexp.Expand for label_replace templates: $1, ${1}, $name, ${name}, $$.
std::string Expand(std::string_view tmpl, const RE2& re,
                   const std::vector<re2::StringPiece>& groups) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out.push_back(c);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next;
    if (tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.push_back(c);
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      next = close + 1;
      bool ok = !name.empty();
      for (char d : name) {
        if (!(std::isalnum(static_cast<unsigned char>(d)) || d == '_')) ok = false;
      }
      if (!ok) {
        out.push_back(c);
        continue;
      }
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() &&
             (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
        ++j;
      }
      if (j == i + 1) {
        out.push_back(c);
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
      next = j;
    }
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char d) { return d >= '0' && d <= '9'; });
    int idx = -1;
    if (numeric) {
      if (name.size() < 10) idx = std::stoi(std::string(name));
    } else {
      auto it = names.find(std::string(name));
      if (it != names.end()) idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size() && groups[idx].data() != nullptr) {
      out.append(groups[idx].data(), groups[idx].size());
    }
    i = next - 1;
  }
  return out;
}

Result<std::shared_ptr<RE2>> CompileAnchored(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(true);
  auto re = std::make_shared<RE2>("^(?:" + pattern + ")$", opts);
  if (!re->ok()) {
    return ExecError("invalid regular expression in label_replace(): " + pattern);
  }
  if (cache.size() > 1000) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

void CivilFromUnix(double seconds, std::tm* tm) {
  time_t t = static_cast<time_t>(seconds);
  gmtime_r(&t, tm);
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

}  // namespace

bool IsElementwise(FuncId id) {
  switch (id) {
    case FuncId::kAbs:
    case FuncId::kCeil:
    case FuncId::kFloor:
    case FuncId::kExp:
    case FuncId::kSqrt:
    case FuncId::kLn:
    case FuncId::kLog2:
    case FuncId::kLog10:
    case FuncId::kSin:
    case FuncId::kCos:
    case FuncId::kTan:
    case FuncId::kAsin:
    case FuncId::kAcos:
    case FuncId::kAtan:
    case FuncId::kSinh:
    case FuncId::kCosh:
    case FuncId::kTanh:
    case FuncId::kAsinh:
    case FuncId::kAcosh:
    case FuncId::kAtanh:
    case FuncId::kDeg:
    case FuncId::kRad:
    case FuncId::kSgn:
    case FuncId::kRound:
    case FuncId::kClamp:
    case FuncId::kClampMax:
    case FuncId::kClampMin:
    case FuncId::kTimestamp:
    case FuncId::kDayOfMonth:
    case FuncId::kDayOfWeek:
    case FuncId::kDayOfYear:
    case FuncId::kDaysInMonth:
    case FuncId::kHour:
    case FuncId::kMinute:
    case FuncId::kMonth:
    case FuncId::kYear:
      return true;
    default:
      return false;
  }
}

bool ApplyElementwise(FuncId id, double v, int64_t ts, std::span<const double> s, double* out) {
  auto arg = [&](size_t i, double def) { return i < s.size() ? s[i] : def; };
  switch (id) {
    case FuncId::kAbs:
      *out = std::fabs(v);
      return true;
    case FuncId::kCeil:
      *out = std::ceil(v);
      return true;
    case FuncId::kFloor:
      *out = std::floor(v);
      return true;
    case FuncId::kExp:
      *out = std::exp(v);
      return true;
    case FuncId::kSqrt:
      *out = std::sqrt(v);
      return true;
    case FuncId::kLn:
      *out = std::log(v);
      return true;
    case FuncId::kLog2:
      *out = std::log2(v);
      return true;
    case FuncId::kLog10:
      *out = std::log10(v);
      return true;
    case FuncId::kSin:
      *out = std::sin(v);
      return true;
    case FuncId::kCos:
      *out = std::cos(v);
      return true;
    case FuncId::kTan:
      *out = std::tan(v);
      return true;
    case FuncId::kAsin:
      *out = std::asin(v);
      return true;
    case FuncId::kAcos:
      *out = std::acos(v);
      return true;
    case FuncId::kAtan:
      *out = std::atan(v);
      return true;
    case FuncId::kSinh:
      *out = std::sinh(v);
      return true;
    case FuncId::kCosh:
      *out = std::cosh(v);
      return true;
    case FuncId::kTanh:
      *out = std::tanh(v);
      return true;
    case FuncId::kAsinh:
      *out = std::asinh(v);
      return true;
    case FuncId::kAcosh:
      *out = std::acosh(v);
      return true;
    case FuncId::kAtanh:
      *out = std::atanh(v);
      return true;
    case FuncId::kDeg:
      *out = v * 180 / M_PI;
      return true;
    case FuncId::kRad:
      *out = v * M_PI / 180;
      return true;
    case FuncId::kSgn:
      *out = v > 0 ? 1.0 : v < 0 ? -1.0 : v;
      return true;
    case FuncId::kRound: {
      const double inv = 1.0 / arg(0, 1);
      *out = std::floor(v * inv + 0.5) / inv;
      return true;
    }
    case FuncId::kClamp: {
      const double lo = arg(0, 0), hi = arg(1, 0);
      if (hi < lo) return false;
      *out = GoMax(lo, GoMin(hi, v));
      return true;
    }
    case FuncId::kClampMax:
      *out = GoMin(arg(0, 0), v);
      return true;
    case FuncId::kClampMin:
      *out = GoMax(arg(0, 0), v);
      return true;
    case FuncId::kTimestamp:
      *out = static_cast<double>(ts) / 1000;
      return true;
    case FuncId::kDayOfMonth:
    case FuncId::kDayOfWeek:
    case FuncId::kDayOfYear:
    case FuncId::kDaysInMonth:
    case FuncId::kHour:
    case FuncId::kMinute:
    case FuncId::kMonth:
    case FuncId::kYear: {
      if (std::isnan(v) || std::isinf(v)) return false;
      std::tm tm{};
      CivilFromUnix(v, &tm);
      switch (id) {
        case FuncId::kDayOfMonth:
          *out = tm.tm_mday;
          break;
        case FuncId::kDayOfWeek:
          *out = tm.tm_wday;
          break;
        case FuncId::kDayOfYear:
          *out = tm.tm_yday + 1;
          break;
        case FuncId::kDaysInMonth:
          *out = DaysInMonth(tm.tm_year + 1900, tm.tm_mon + 1);
          break;
        case FuncId::kHour:
          *out = tm.tm_hour;
          break;
        case FuncId::kMinute:
          *out = tm.tm_min;
          break;
        case FuncId::kMonth:
          *out = tm.tm_mon + 1;
          break;
        default:
          *out = tm.tm_year + 1900;
          break;
      }
      return true;
    }
    default:
      return false;
  }
}

Status CallInstantFunction(Evaluator& ev, const Expr& call, std::span<const Vector> args,
                           int64_t ts, Vector* out) {
  const FuncId id = call.func->id;
  if (IsElementwise(id) && !args.empty()) {
    double scalars[2] = {0, 0};
    for (size_t i = 1; i < args.size() && i < 3; ++i) scalars[i - 1] = args[i][0].v;
    for (const Sample& s : args[0]) {
      double v = 0;
      if (ApplyElementwise(id, s.v, ts, std::span<const double>(scalars, args.size() - 1), &v)) {
        out->push_back(Sample{s.metric, ts, v, true});
      }
    }
    return Status::Ok();
  }
  switch (id) {
    case FuncId::kVector:
      out->push_back(Sample{{}, ts, args[0][0].v});
      return Status::Ok();
    case FuncId::kScalar:
      out->push_back(Sample{{}, ts, args[0].size() == 1 ? args[0][0].v : NAN});
      return Status::Ok();
    case FuncId::kTime:
      out->push_back(Sample{{}, ts, static_cast<double>(ts) / 1000});
      return Status::Ok();
    case FuncId::kStep:
      out->push_back(Sample{{}, ts, static_cast<double>(ev.query_step()) / 1000});
      return Status::Ok();
    case FuncId::kRange:
      out->push_back(Sample{{}, ts, static_cast<double>(ev.query_end() - ev.query_start()) / 1000});
      return Status::Ok();
    case FuncId::kStart:
      out->push_back(Sample{{}, ts, static_cast<double>(ev.query_start()) / 1000});
      return Status::Ok();
    case FuncId::kEnd:
      out->push_back(Sample{{}, ts, static_cast<double>(ev.query_end()) / 1000});
      return Status::Ok();
    case FuncId::kMinOf:
      out->push_back(Sample{{}, ts, GoMin(args[0][0].v, args[1][0].v)});
      return Status::Ok();
    case FuncId::kMaxOf:
      out->push_back(Sample{{}, ts, GoMax(args[0][0].v, args[1][0].v)});
      return Status::Ok();
    case FuncId::kPi:
      out->push_back(Sample{{}, ts, M_PI});
      return Status::Ok();
    case FuncId::kDayOfMonth:
    case FuncId::kDayOfWeek:
    case FuncId::kDayOfYear:
    case FuncId::kDaysInMonth:
    case FuncId::kHour:
    case FuncId::kMinute:
    case FuncId::kMonth:
    case FuncId::kYear: {
      // No argument: vector(time()).
      double v = 0;
      if (ApplyElementwise(id, static_cast<double>(ts) / 1000, ts, {}, &v)) {
        out->push_back(Sample{{}, ts, v});
      }
      return Status::Ok();
    }
    case FuncId::kAbsent: {
      if (!args[0].empty()) return Status::Ok();
      const Expr& arg = Unparen(*call.children[0]);
      out->push_back(Sample{Evaluator::AbsentLabels(&arg), ts, 1});
      return Status::Ok();
    }
    case FuncId::kSort:
    case FuncId::kSortDesc: {
      Vector v(args[0].begin(), args[0].end());
      const bool desc = id == FuncId::kSortDesc;
      std::stable_sort(v.begin(), v.end(), [desc](const Sample& a, const Sample& b) {
        if (std::isnan(a.v)) return false;
        if (std::isnan(b.v)) return true;
        return desc ? a.v > b.v : a.v < b.v;
      });
      out->insert(out->end(), v.begin(), v.end());
      return Status::Ok();
    }
    case FuncId::kSortByLabel:
    case FuncId::kSortByLabelDesc: {
      std::vector<std::string> names;
      for (size_t i = 1; i < call.children.size(); ++i) names.push_back(StringArg(call, i));
      Vector v(args[0].begin(), args[0].end());
      const bool desc = id == FuncId::kSortByLabelDesc;
      std::stable_sort(v.begin(), v.end(), [&](const Sample& a, const Sample& b) {
        for (const std::string& n : names) {
          std::string_view x = a.metric.Get(n), y = b.metric.Get(n);
          if (x == y) continue;
          return desc ? NatLess(y, x) : NatLess(x, y);
        }
        return desc ? storage::Labels::Compare(b.metric, a.metric) < 0
                    : storage::Labels::Compare(a.metric, b.metric) < 0;
      });
      out->insert(out->end(), v.begin(), v.end());
      return Status::Ok();
    }
    case FuncId::kLabelReplace: {
      const std::string& dst = StringArg(call, 1);
      const std::string& repl = StringArg(call, 2);
      const std::string& src = StringArg(call, 3);
      const std::string& pattern = StringArg(call, 4);
      ASSIGN_OR_RETURN(std::shared_ptr<RE2> re, CompileAnchored(pattern));
      if (dst.empty() || !storage::IsValidUtf8(dst)) {
        return ExecError("invalid destination label name in label_replace(): " + dst);
      }
      std::vector<re2::StringPiece> groups(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
      for (const Sample& s : args[0]) {
        std::string_view value = s.metric.Get(src);
        if (!re->Match(re2::StringPiece(value.data(), value.size()), 0, value.size(),
                       RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
          out->push_back(s);
          continue;
        }
        std::string result = Expand(repl, *re, groups);
        storage::LabelsBuilder b(s.metric);
        b.Set(dst, result);
        out->push_back(Sample{b.Build(), ts, s.v, s.drop_name && dst != storage::kMetricName});
      }
      return Status::Ok();
    }
    case FuncId::kLabelJoin: {
      const std::string& dst = StringArg(call, 1);
      const std::string& sep = StringArg(call, 2);
      if (dst.empty() || !storage::IsValidUtf8(dst)) {
        return ExecError("invalid destination label name in label_join(): " + dst);
      }
      for (const Sample& s : args[0]) {
        std::string joined;
        for (size_t i = 3; i < call.children.size(); ++i) {
          if (i > 3) joined += sep;
          joined += s.metric.Get(StringArg(call, i));
        }
        storage::LabelsBuilder b(s.metric);
        b.Set(dst, joined);
        out->push_back(Sample{b.Build(), ts, s.v, s.drop_name && dst != storage::kMetricName});
      }
      return Status::Ok();
    }
    case FuncId::kHistogramQuantile:
    case FuncId::kHistogramQuantiles:
    case FuncId::kHistogramFraction: {
      // histogram_quantile(q, v), histogram_quantiles(v, "label", q1, q2, …) or
      // histogram_fraction(lower, upper, v), over classic buckets.
      const bool multi = id == FuncId::kHistogramQuantiles;
      const bool fraction = id == FuncId::kHistogramFraction;
      const size_t vec_arg = multi ? 0 : fraction ? 2 : 1;
      std::vector<std::pair<double, const Expr*>> qs;
      if (fraction) {
        // no quantiles
      } else if (multi) {
        for (size_t i = 2; i < args.size(); ++i)
          qs.emplace_back(args[i][0].v, call.children[i].get());
      } else {
        qs.emplace_back(args[0][0].v, call.children[0].get());
      }
      for (const auto& [q, at] : qs) {
        if (!(q >= 0 && q <= 1)) {
          ev.Warn("quantile value should be between 0 and 1, got " + FormatFloat(q), *at);
        }
      }
      struct Hist {
        std::string name;
        storage::Labels metric;
        std::vector<Bucket> buckets;
        bool valid = false;    // has +Inf, at least two buckets and observations
        bool has_inf = false;  // the last bucket is +Inf
      };
      std::vector<Hist> hists;
      LabelsIndex index;
      for (const Sample& s : args[vec_arg]) {
        double upper = 0;
        if (!ParseLe(s.metric.Get("le"), &upper)) {
          ev.Warn("bucket label \"le\" is missing or has a malformed value of \"" +
                      std::string(s.metric.Get("le")) + "\" for metric name \"" +
                      std::string(s.metric.MetricName()) + "\"",
                  *call.children[vec_arg]);
          continue;
        }
        storage::LabelsBuilder b(s.metric);
        b.Del("le");
        storage::Labels m = b.Build();
        const size_t hi =
            index.FindOrAdd(m, hists.size(), [&](size_t k) -> const storage::Labels& { return hists[k].metric; });
        if (hi == hists.size()) {
          hists.push_back(Hist{std::string(s.metric.MetricName()), std::move(m), {}});
        }
        hists[hi].buckets.push_back({upper, s.v});
      }
      for (Hist& h : hists) {
        if (PrepareBuckets(&h.buckets, &h.has_inf, &h.valid)) {
          ev.Info(
              "input to histogram_quantile needed to be fixed for monotonicity (see "
              "https://prometheus.io/docs/prometheus/latest/querying/functions/"
              "#histogram_quantile) for metric name \"" +
                  h.name + "\"",
              *call.children[vec_arg]);
        }
      }
      if (fraction) {
        // Prometheus' BucketFraction: ranks at `lower` and `upper`, interpolated linearly in
        // their buckets (the first bucket starts at 0 when its bound is positive).
        const double lower = args[0][0].v, upper = args[1][0].v;
        for (const Hist& h : hists) {
          double r = NAN;
          const auto& c = h.buckets;
          const double count = h.has_inf ? c.back().count : 0;
          if (!h.has_inf || count == 0 || std::isnan(lower) || std::isnan(upper)) {
            r = NAN;
          } else if (lower >= upper) {
            r = 0;
          } else {
            double rank = 0, lower_rank = 0, upper_rank = 0;
            bool lower_set = false, upper_set = false;
            for (size_t i = 0; i < c.size(); ++i) {
              double lb = -INFINITY;
              if (i > 0) {
                lb = c[i - 1].upper;
              } else if (c[i].upper > 0) {
                lb = 0;
              }
              const double ub = c[i].upper;
              // A bucket of infinite width contributes nothing to the part of it that is
              // inside [lower, upper]: no interpolation across an infinite bound.
              auto interpolate = [&](double v) {
                if (std::isinf(lb)) return c[i].count;
                if (std::isinf(ub)) return rank;
                return rank + (c[i].count - rank) * (v - lb) / (ub - lb);
              };
              if (!lower_set && lb >= lower) {
                lower_rank = rank;
                lower_set = true;
              }
              if (!upper_set && lb >= upper) {
                upper_rank = rank;
                upper_set = true;
              }
              if (lower_set && upper_set) break;
              if (!lower_set && lb < lower && ub > lower) {
                lower_rank = interpolate(lower);
                lower_set = true;
              }
              if (!upper_set && lb < upper && ub > upper) {
                upper_rank = interpolate(upper);
                upper_set = true;
              }
              if (lower_set && upper_set) break;
              rank = c[i].count;
            }
            if (!lower_set || lower_rank > count) lower_rank = count;
            if (!upper_set || upper_rank > count) upper_rank = count;
            r = (upper_rank - lower_rank) / count;
          }
          out->push_back(Sample{h.metric, ts, r, true});
        }
        return Status::Ok();
      }
      for (const auto& [q, at] : qs) {
        for (const Hist& h : hists) {
          if (!multi) {
            out->push_back(Sample{h.metric, ts, BucketQuantile(q, h.buckets, h.valid), true});
            continue;
          }
          std::string qs_label = FormatGoFloat(q);
          if (qs_label.find_first_of(".eIN") == std::string::npos) qs_label += ".0";
          storage::LabelsBuilder b(h.metric);
          b.Set(StringArg(call, 1), qs_label);
          out->push_back(Sample{b.Build(), ts, BucketQuantile(q, h.buckets, h.valid), true});
        }
      }
      return Status::Ok();
    }
    case FuncId::kHistogramAvg:
    case FuncId::kHistogramCount:
    case FuncId::kHistogramSum:
    case FuncId::kHistogramStddev:
    case FuncId::kHistogramStdvar:
      // Native-histogram functions: float samples give no output.
      return Status::Ok();
    default:
      return Internal("function " + std::string(call.func->name) + " is not an instant function");
  }
}

}  // namespace astrolabe::query::internal
