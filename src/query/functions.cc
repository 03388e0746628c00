#include "query/functions.h"

#include <unordered_map>

namespace astrolabe::query {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType T = ValueType::kString;

const std::vector<Function>& Table() {
  static const std::vector<Function> table = {
      {"abs", FuncId::kAbs, {V}},
      {"absent", FuncId::kAbsent, {V}},
      {"absent_over_time", FuncId::kAbsentOverTime, {M}},
      {"acos", FuncId::kAcos, {V}},
      {"acosh", FuncId::kAcosh, {V}},
      {"asin", FuncId::kAsin, {V}},
      {"asinh", FuncId::kAsinh, {V}},
      {"atan", FuncId::kAtan, {V}},
      {"atanh", FuncId::kAtanh, {V}},
      {"avg_over_time", FuncId::kAvgOverTime, {M}},
      {"ceil", FuncId::kCeil, {V}},
      {"changes", FuncId::kChanges, {M}},
      {"clamp", FuncId::kClamp, {V, S, S}},
      {"clamp_max", FuncId::kClampMax, {V, S}},
      {"clamp_min", FuncId::kClampMin, {V, S}},
      {"cos", FuncId::kCos, {V}},
      {"cosh", FuncId::kCosh, {V}},
      {"count_over_time", FuncId::kCountOverTime, {M}},
      {"days_in_month", FuncId::kDaysInMonth, {V}, 1},
      {"day_of_month", FuncId::kDayOfMonth, {V}, 1},
      {"day_of_week", FuncId::kDayOfWeek, {V}, 1},
      {"day_of_year", FuncId::kDayOfYear, {V}, 1},
      {"deg", FuncId::kDeg, {V}},
      {"delta", FuncId::kDelta, {M}},
      {"deriv", FuncId::kDeriv, {M}},
      {"exp", FuncId::kExp, {V}},
      {"floor", FuncId::kFloor, {V}},
      {"histogram_quantile", FuncId::kHistogramQuantile, {S, V}},
      {"histogram_quantiles", FuncId::kHistogramQuantiles, {V, T, S}, -1},
      {"histogram_fraction", FuncId::kHistogramFraction, {S, S, V}},
      {"histogram_avg", FuncId::kHistogramAvg, {V}},
      {"histogram_count", FuncId::kHistogramCount, {V}},
      {"histogram_sum", FuncId::kHistogramSum, {V}},
      {"histogram_stddev", FuncId::kHistogramStddev, {V}},
      {"histogram_stdvar", FuncId::kHistogramStdvar, {V}},
      {"double_exponential_smoothing", FuncId::kDoubleExponentialSmoothing, {M, S, S}},
      {"hour", FuncId::kHour, {V}, 1},
      {"idelta", FuncId::kIdelta, {M}},
      {"increase", FuncId::kIncrease, {M}},
      {"irate", FuncId::kIrate, {M}},
      {"label_replace", FuncId::kLabelReplace, {V, T, T, T, T}},
      {"label_join", FuncId::kLabelJoin, {V, T, T, T}, -1},
      {"last_over_time", FuncId::kLastOverTime, {M}},
      {"first_over_time", FuncId::kFirstOverTime, {M}},
      {"ln", FuncId::kLn, {V}},
      {"log10", FuncId::kLog10, {V}},
      {"log2", FuncId::kLog2, {V}},
      {"mad_over_time", FuncId::kMadOverTime, {M}},
      {"max_over_time", FuncId::kMaxOverTime, {M}},
      {"min_over_time", FuncId::kMinOverTime, {M}},
      {"minute", FuncId::kMinute, {V}, 1},
      {"month", FuncId::kMonth, {V}, 1},
      {"pi", FuncId::kPi, {}, 0, S},
      {"predict_linear", FuncId::kPredictLinear, {M, S}},
      {"present_over_time", FuncId::kPresentOverTime, {M}},
      {"quantile_over_time", FuncId::kQuantileOverTime, {S, M}},
      {"rad", FuncId::kRad, {V}},
      {"rate", FuncId::kRate, {M}},
      {"resets", FuncId::kResets, {M}},
      {"round", FuncId::kRound, {V, S}, 1},
      {"scalar", FuncId::kScalar, {V}, 0, S},
      {"sgn", FuncId::kSgn, {V}},
      {"sin", FuncId::kSin, {V}},
      {"sinh", FuncId::kSinh, {V}},
      {"sort", FuncId::kSort, {V}},
      {"sort_desc", FuncId::kSortDesc, {V}},
      {"sort_by_label", FuncId::kSortByLabel, {V, T}, -1},
      {"sort_by_label_desc", FuncId::kSortByLabelDesc, {V, T}, -1},
      {"sqrt", FuncId::kSqrt, {V}},
      {"stddev_over_time", FuncId::kStddevOverTime, {M}},
      {"stdvar_over_time", FuncId::kStdvarOverTime, {M}},
      {"sum_over_time", FuncId::kSumOverTime, {M}},
      {"tan", FuncId::kTan, {V}},
      {"tanh", FuncId::kTanh, {V}},
      {"time", FuncId::kTime, {}, 0, S},
      {"timestamp", FuncId::kTimestamp, {V}},
      {"vector", FuncId::kVector, {S}},
      {"year", FuncId::kYear, {V}, 1},
      {"ts_of_min_over_time", FuncId::kTsOfMinOverTime, {M}},
      {"ts_of_max_over_time", FuncId::kTsOfMaxOverTime, {M}},
      {"ts_of_last_over_time", FuncId::kTsOfLastOverTime, {M}},
      {"ts_of_first_over_time", FuncId::kTsOfFirstOverTime, {M}},
      // Query-parameter and scalar helpers from Prometheus' duration expressions.
      {"step", FuncId::kStep, {}, 0, S},
      {"range", FuncId::kRange, {}, 0, S},
      {"start", FuncId::kStart, {}, 0, S},
      {"end", FuncId::kEnd, {}, 0, S},
      {"min_of", FuncId::kMinOf, {S, S}, 0, S},
      {"max_of", FuncId::kMaxOf, {S, S}, 0, S},
  };
  return table;
}

}  // namespace

const Function* FindFunction(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const Function*>();
    for (const Function& f : Table()) (*m)[f.name] = &f;
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? nullptr : it->second;
}

}  // namespace astrolabe::query
