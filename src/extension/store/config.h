#pragma once
// Config of the store extension: the server's embedded stores under one directory.
//
//   extensions:
//     store:
//       directory: /var/lib/astrolabe     # the tsdb lives in <directory>/tsdb
//       create_directory: true
//       metrics:
//         out_of_order_window: 0s         # how far behind the newest sample a late one may be
//         max_series: 0                   # refuse new series beyond this; 0 = unlimited
//         wal:
//           sync: always                  # always | interval
//           sync_interval: 1s             # with sync: interval
//           segment_size: 128MiB
//           repair_on_open: false         # drop records after damage instead of failing
//
// The span store gets its own `spans:` section when it exists.
// Thread-compatible value types.

#include <cstdint>
#include <string>

#include "component/factory.h"

namespace astrolabe::extension::store {

inline constexpr const char* kDefaultDirectory = "/var/lib/astrolabe";

struct WalConfig {
  std::string sync = "always";
  Duration sync_interval = std::chrono::seconds(1);
  uint64_t segment_size = 128ull << 20;
  bool repair_on_open = false;

  void Visit(config::Visitor& v);
};

struct MetricsConfig {
  Duration out_of_order_window = Duration::zero();
  int64_t max_series = 0;
  WalConfig wal;

  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  std::string directory = kDefaultDirectory;
  bool create_directory = true;
  MetricsConfig metrics;

  void Visit(config::Visitor& v) override;
  // "directory must be specified", "metrics.out_of_order_window must be non-negative",
  // "metrics.max_series must be non-negative", "metrics.wal.sync: unknown sync mode ...",
  // "metrics.wal.sync_interval must be positive with sync: interval",
  // "metrics.wal.segment_size must be at least 64KiB".
  Status Validate() const override;
};

}  // namespace astrolabe::extension::store
