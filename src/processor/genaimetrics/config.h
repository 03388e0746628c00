#pragma once
// Config of the genaimetrics processor (README.md):
//
//   processors:
//     genaimetrics:
//       metrics_flush_interval: 15s   # how often the aggregated metrics are sent on

#include "common/clock.h"
#include "component/factory.h"

namespace astrolabe::processor::genaimetrics {

struct Config : component::ComponentConfig {
  Duration metrics_flush_interval = std::chrono::seconds(15);

  void Visit(config::Visitor& v) override;
  // `metrics_flush_interval must be at least 100ms`.
  Status Validate() const override;
};

}  // namespace astrolabe::processor::genaimetrics
