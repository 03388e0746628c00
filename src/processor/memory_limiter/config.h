#pragma once
// Config of the memory_limiter processor; keys, defaults and messages as upstream's (core
// internal/memorylimiter/config.go):
//
//   processors:
//     memory_limiter:
//       check_interval: 1s                     # required, > 0: how often RSS is measured
//       limit_mib: 4000                        # hard limit; or:
//       limit_percentage: 80                   #   the same as a share of total memory
//       spike_limit_mib: 800                   # soft limit = hard - spike (default 20% of
//       spike_limit_percentage: 15             #   the hard limit)
//       min_gc_interval_when_soft_limited: 10s # least time between heap trims (soft)
//       min_gc_interval_when_hard_limited: 0s  # least time between heap trims (hard)
//       max_gc_interval_when_soft_limited: 30s # cap of the back-off when trims do not help
//       max_gc_interval_when_hard_limited: 30s
//
// limit_mib wins over limit_percentage. The *_gc_* keys keep upstream's names; here they
// pace malloc_trim(0), the C++ process's counterpart of a forced Go GC (README.md).
//
// As upstream, the default config does not validate: check_interval and a limit must be set.

#include <cstdint>

#include "common/clock.h"
#include "component/factory.h"

namespace astrolabe::processor::memory_limiter {

struct Config : component::ComponentConfig {
  Duration check_interval{0};
  // uint32 upstream: a negative or too large value is a decode error at its position,
  // worded as upstream's ("cannot parse value as 'uint32': -2000 overflows uint").
  int64_t limit_mib = 0;
  int64_t spike_limit_mib = 0;
  int64_t limit_percentage = 0;
  int64_t spike_limit_percentage = 0;
  Duration min_gc_interval_when_soft_limited = std::chrono::seconds(10);
  Duration min_gc_interval_when_hard_limited{0};
  Duration max_gc_interval_when_soft_limited = std::chrono::seconds(30);
  Duration max_gc_interval_when_hard_limited = std::chrono::seconds(30);

  void Visit(config::Visitor& v) override;
  // Upstream's messages, in upstream's order, e.g.
  //   `'check_interval' must be greater than zero`
  //   `'limit_mib' or 'limit_percentage' must be greater than zero`
  //   `'spike_limit_mib' must be smaller than 'limit_mib'`
  Status Validate() const override;
};

}  // namespace astrolabe::processor::memory_limiter
