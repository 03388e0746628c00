#include "extension/file_storage/config.h"

namespace astrolabe::extension::file_storage {

void CompactionConfig::Visit(config::Visitor& v) {
  v.Field("on_start", on_start);
  v.Field("on_rebound", on_rebound);
  v.Field("directory", directory);
  v.Field("max_transaction_size", max_transaction_size);
  v.Field("rebound_needed_threshold_mib", rebound_needed_threshold_mib);
  v.Field("rebound_trigger_threshold_mib", rebound_trigger_threshold_mib);
  v.Field("check_interval", check_interval);
  v.Field("cleanup_on_start", cleanup_on_start);
}

void Config::Visit(config::Visitor& v) {
  v.Field("directory", directory);
  v.Field("timeout", timeout);
  v.Field("create_directory", create_directory);
  v.Field("directory_permissions", directory_permissions);
  v.Field("fsync", fsync);
  v.Object("compaction", compaction);
}

Result<uint32_t> ParsePermissions(std::string_view text) {
  if (text.empty()) return InvalidArgument("invalid octal value for directory_permissions: \"\"");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return InvalidArgument("invalid octal value for directory_permissions: " + std::string(text));
    }
    value = value * 8 + static_cast<uint64_t>(c - '0');
    if (value > 07777777) break;
  }
  if (value > 0777) {
    return InvalidArgument("invalid permission bits for directory_permissions: " +
                           std::string(text));
  }
  return static_cast<uint32_t>(value);
}

Status Config::Validate() const {
  if (directory.empty()) return InvalidArgument("directory must be specified");
  if (timeout.count() < 0) return InvalidArgument("timeout must be non-negative");
  if (compaction.max_transaction_size < 0) {
    return InvalidArgument("max transaction size for compaction cannot be less than 0");
  }
  if (compaction.on_rebound && compaction.check_interval.count() <= 0) {
    return InvalidArgument(
        "compaction check interval must be positive when rebound compaction is set");
  }
  if (compaction.rebound_needed_threshold_mib < 0 || compaction.rebound_trigger_threshold_mib < 0) {
    return InvalidArgument("rebound thresholds must be non-negative");
  }
  if (create_directory) RETURN_IF_ERROR(ParsePermissions(directory_permissions).status());
  return Status::Ok();
}

}  // namespace astrolabe::extension::file_storage
