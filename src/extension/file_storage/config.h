#pragma once
// Config of the file_storage extension. Keys and defaults as upstream's contrib
// extension/storage/filestorage (README.md, config.go, factory.go):
//
//   extensions:
//     file_storage:
//       directory: /var/lib/otelcol/file_storage
//       timeout: 1s                    # wait for another process's file lock
//       create_directory: false
//       directory_permissions: "0750"  # octal, used when create_directory is true
//       fsync: false
//       compaction:
//         on_start: false
//         on_rebound: false
//         directory: /var/lib/otelcol/file_storage
//         max_transaction_size: 65536
//         rebound_needed_threshold_mib: 100
//         rebound_trigger_threshold_mib: 10
//         check_interval: 5s
//         cleanup_on_start: false
//
// Validate() checks values only; whether the directories exist is checked by Start (see
// README.md: upstream checks it while validating).
//
// Thread-compatible value types.

#include <cstdint>
#include <string>

#include "component/factory.h"

namespace astrolabe::extension::file_storage {

inline constexpr const char* kDefaultDirectory = "/var/lib/otelcol/file_storage";

struct CompactionConfig {
  bool on_start = false;
  bool on_rebound = false;
  std::string directory = kDefaultDirectory;
  int64_t max_transaction_size = 65536;
  int64_t rebound_needed_threshold_mib = 100;
  int64_t rebound_trigger_threshold_mib = 10;
  Duration check_interval = std::chrono::seconds(5);
  bool cleanup_on_start = false;

  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  std::string directory = kDefaultDirectory;
  Duration timeout = std::chrono::seconds(1);
  bool create_directory = false;
  std::string directory_permissions = "0750";
  bool fsync = false;
  CompactionConfig compaction;

  void Visit(config::Visitor& v) override;
  // As upstream: "max transaction size for compaction cannot be less than 0",
  // "compaction check interval must be positive when rebound compaction is set", and
  // with create_directory: "invalid octal value for directory_permissions: x",
  // "invalid permission bits for directory_permissions: x" (beyond 0777). Ours too:
  // "directory must be specified", "timeout must be non-negative",
  // "rebound thresholds must be non-negative".
  Status Validate() const override;
};

// Parses "0750" (a leading 0 is optional); nullopt-like error for anything else.
Result<uint32_t> ParsePermissions(std::string_view text);

}  // namespace astrolabe::extension::file_storage
