#pragma once
// The PromQL function table: name, argument types, return type. The parser checks calls against
// it; the evaluator dispatches on `id`.

#include <string_view>
#include <vector>

#include "query/ast.h"

namespace astrolabe::query {

enum class FuncId {
  kAbs,
  kAbsent,
  kAbsentOverTime,
  kAcos,
  kAcosh,
  kAsin,
  kAsinh,
  kAtan,
  kAtanh,
  kAvgOverTime,
  kCeil,
  kChanges,
  kClamp,
  kClampMax,
  kClampMin,
  kCos,
  kCosh,
  kCountOverTime,
  kDaysInMonth,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kDeg,
  kDelta,
  kDeriv,
  kExp,
  kFloor,
  kHistogramQuantile,
  kHistogramQuantiles,
  kHistogramFraction,
  kHistogramAvg,
  kHistogramCount,
  kHistogramSum,
  kHistogramStddev,
  kHistogramStdvar,
  kDoubleExponentialSmoothing,
  kHour,
  kIdelta,
  kIncrease,
  kIrate,
  kLabelReplace,
  kLabelJoin,
  kLastOverTime,
  kFirstOverTime,
  kLn,
  kLog10,
  kLog2,
  kMadOverTime,
  kMaxOverTime,
  kMinOverTime,
  kMinute,
  kMonth,
  kPi,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRad,
  kRate,
  kResets,
  kRound,
  kScalar,
  kSgn,
  kSin,
  kSinh,
  kSort,
  kSortDesc,
  kSortByLabel,
  kSortByLabelDesc,
  kSqrt,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTan,
  kTanh,
  kTime,
  kTimestamp,
  kVector,
  kYear,
  kTsOfMinOverTime,
  kTsOfMaxOverTime,
  kTsOfLastOverTime,
  kTsOfFirstOverTime,
  kStep,
  kRange,
  kStart,
  kEnd,
  kMinOf,
  kMaxOf,
};

struct Function {
  std::string_view name;
  FuncId id;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types; n > 0: the last n arguments are optional; -1: the last type repeats
  // any number of times (label_join, sort_by_label).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// nullptr when `name` is not a function.
const Function* FindFunction(std::string_view name);

}  // namespace astrolabe::query
