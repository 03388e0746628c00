#include "processor/cumulativetodelta/config.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "common/strings.h"

namespace astrolabe::processor::cumulativetodelta {

void RegexpOptions::Visit(config::Visitor& v) {
  v.Field("cacheenabled", cacheenabled);
  v.Field("cachemaxnumentries", cachemaxnumentries);
}

void MatchMetrics::Visit(config::Visitor& v) {
  v.Field("match_type", match_type);
  v.Object("regexp", regexp);
  v.Field("metrics", metrics);
  v.Field("metric_types", metric_types);
}

void Config::Visit(config::Visitor& v) {
  v.Field("max_staleness", max_staleness);
  // The mode travels as text; decoding parses it back.
  std::string initial(InitialValueName(initial_value));
  v.Field("initial_value", initial);
  if (v.decoding()) {
    if (std::optional<InitialValue> parsed = ParseInitialValue(initial)) {
      initial_value = *parsed;
    } else {
      v.Error("initial_value", "unknown initial_value: " + initial);
    }
  }
  v.Object("include", include);
  v.Object("exclude", exclude);
}

namespace {

Status ValidateMetricTypes(const MatchMetrics& m, std::string_view which) {
  for (const std::string& t : m.metric_types) {
    std::string lower = AsciiLower(t);
    if (lower != "sum" && lower != "histogram" && lower != "exponentialhistogram") {
      return InvalidArgument("found invalid metric type in " + std::string(which) +
                             ".metric_types: " + t);
    }
  }
  return Status::Ok();
}

Status ValidateMatching(const MatchMetrics& m, std::string_view which) {
  if (m.metrics.empty()) return Status::Ok();
  if (m.match_type != "strict" && m.match_type != "regexp") {
    return InvalidArgument("unrecognized match_type: '" + m.match_type +
                           "', valid types are: [regexp strict]");
  }
  if (m.match_type == "regexp") {
    for (const std::string& pattern : m.metrics) {
      try {
        std::regex re(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return InvalidArgument(std::string(which) + ".metrics: invalid regexp \"" + pattern +
                               "\": " + e.what());
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status Config::Validate() const {
  RETURN_IF_ERROR(ValidateMetricTypes(include, "include"));
  RETURN_IF_ERROR(ValidateMetricTypes(exclude, "exclude"));
  if ((!include.metrics.empty() && include.match_type.empty()) ||
      (!exclude.metrics.empty() && exclude.match_type.empty())) {
    return InvalidArgument("match_type must be set if metrics are supplied");
  }
  if ((!include.match_type.empty() && include.metrics.empty()) ||
      (!exclude.match_type.empty() && exclude.metrics.empty())) {
    return InvalidArgument("metrics must be supplied if match_type is set");
  }
  RETURN_IF_ERROR(ValidateMatching(include, "include"));
  RETURN_IF_ERROR(ValidateMatching(exclude, "exclude"));
  if (max_staleness < Duration::zero()) {
    return InvalidArgument("max_staleness must not be negative");
  }
  // A bare number decodes as nanoseconds; a value that small can only be a missing unit.
  if (max_staleness > Duration::zero() && max_staleness < std::chrono::milliseconds(1)) {
    return InvalidArgument("max_staleness " + FormatDuration(max_staleness) +
                           " is unreasonably small; is it missing a unit suffix?");
  }
  return Status::Ok();
}

}  // namespace astrolabe::processor::cumulativetodelta
