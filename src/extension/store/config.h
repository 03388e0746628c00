#pragma once
// Config of the store extension: the server's embedded stores under one directory.
//
//   extensions:
//     store:
//       directory: /var/lib/astrolabe     # the tsdb lives in <directory>/tsdb
//       create_directory: true
//       metrics:
//         out_of_order_window: 0s         # how far behind the newest sample a late one may be
//         max_future: 10m                 # refuse samples further ahead of the clock; 0s = any
//         max_series: 0                   # refuse new series beyond this; 0 = unlimited
//         wal:
//           sync: always                  # always | interval
//           sync_interval: 1s             # with sync: interval
//           segment_size: 128MiB
//           repair_on_open: false         # drop records after damage instead of failing
//
//       spans:                            # traces and logs, in <directory>/spans
//         sync: always                    # always | interval (as the WAL's)
//         sync_interval: 1s
//         retention_time: 0s              # drop whole hours older than this; 0 = keep
//         retention_size: 0               # drop the oldest hours beyond this; 0 = unlimited
//         max_row_bytes: 1MiB             # a larger span or log record is refused
//       (metrics also take retention_time: 360h and retention_size: 0, whole blocks)
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
  // Mimir's creation grace period (10m) and Loki's reject_old/creation grace: a sample this far
  // ahead of the wall clock is refused as "out of bounds: too far in the future".
  Duration max_future = std::chrono::minutes(10);
  int64_t max_series = 0;
  // Blocks older than this are deleted, and samples older than now - this are refused.
  Duration retention_time = std::chrono::hours(24 * 15);
  uint64_t retention_size = 0;
  WalConfig wal;

  void Visit(config::Visitor& v);
};

struct SpansConfig {
  std::string sync = "always";
  Duration sync_interval = std::chrono::seconds(1);
  Duration retention_time = Duration::zero();
  uint64_t retention_size = 0;
  uint64_t max_row_bytes = 1ull << 20;
  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  std::string directory = kDefaultDirectory;
  bool create_directory = true;
  MetricsConfig metrics;
  SpansConfig spans;

  void Visit(config::Visitor& v) override;
  // "directory must be specified", "metrics.out_of_order_window must be non-negative",
  // "metrics.max_future must be non-negative",
  // "metrics.max_series must be non-negative", "metrics.wal.sync: unknown sync mode ...",
  // "metrics.wal.sync_interval must be positive with sync: interval",
  // "metrics.wal.segment_size must be at least 64KiB", "metrics.retention_time must be
  // non-negative", "spans.sync: ...", "spans.max_row_bytes must be between 1KiB and 32MiB".
  Status Validate() const override;
};

}  // namespace astrolabe::extension::store
