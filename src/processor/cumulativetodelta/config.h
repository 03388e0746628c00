#pragma once
// Config of the cumulativetodelta processor; keys, defaults and messages as upstream's
// (contrib processor/cumulativetodeltaprocessor/config.go):
//
//   processors:
//     cumulativetodelta:
//       max_staleness: 1h        # forget a stream this long after its last point; 0 = never
//       initial_value: auto      # auto | keep | drop (see tracker.h InitialValue)
//       include:                 # convert only these (default: every metric)
//         match_type: strict     # strict | regexp; required with `metrics`
//         metrics: [a_total]
//         metric_types: [sum]    # sum | histogram | exponentialhistogram, any case
//       exclude:                 # never convert these; exclude wins over include
//         match_type: regexp
//         regexp: {cacheenabled: false, cachemaxnumentries: 0}  # accepted, no effect
//         metrics: ["^debug_"]

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "component/factory.h"
#include "processor/cumulativetodelta/tracker.h"

namespace astrolabe::processor::cumulativetodelta {

// Upstream's filterset regexp options. They tune a match cache there; matching here is
// uncached and the values change nothing, but configs that set them still load.
struct RegexpOptions {
  bool cacheenabled = false;
  int64_t cachemaxnumentries = 0;
  void Visit(config::Visitor& v);
};

// One `include` or `exclude` block.
struct MatchMetrics {
  std::string match_type;  // "", "strict" or "regexp"
  RegexpOptions regexp;
  std::vector<std::string> metrics;
  std::vector<std::string> metric_types;

  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  Duration max_staleness = std::chrono::hours(1);
  InitialValue initial_value = InitialValue::kAuto;
  MatchMetrics include;
  MatchMetrics exclude;

  // An unknown initial_value is a decode error at its position: `unknown initial_value: x`.
  void Visit(config::Visitor& v) override;
  // Upstream's messages:
  //   `found invalid metric type in include.metric_types: gauge`
  //   `match_type must be set if metrics are supplied`
  //   `metrics must be supplied if match_type is set`
  //   `unrecognized match_type: 'x', valid types are: [regexp strict]`
  // and, where upstream says nothing, ours:
  //   `include.metrics: invalid regexp "(": ...` (upstream ignored bad regexps; see README)
  //   `max_staleness must not be negative`
  //   `max_staleness 5ns is unreasonably small; is it missing a unit suffix?`
  Status Validate() const override;
};

}  // namespace astrolabe::processor::cumulativetodelta
