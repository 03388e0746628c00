#include "extension/store/config.h"

#include "tsdb/wal/wal.h"

namespace astrolabe::extension::store {

void WalConfig::Visit(config::Visitor& v) {
  v.Field("sync", sync);
  v.Field("sync_interval", sync_interval);
  v.ByteSize("segment_size", segment_size);
  v.Field("repair_on_open", repair_on_open);
}

void MetricsConfig::Visit(config::Visitor& v) {
  v.Field("out_of_order_window", out_of_order_window);
  v.Field("max_series", max_series);
  v.Object("wal", wal);
}

void Config::Visit(config::Visitor& v) {
  v.Field("directory", directory);
  v.Field("create_directory", create_directory);
  v.Object("metrics", metrics);
}

Status Config::Validate() const {
  if (directory.empty()) return InvalidArgument("directory must be specified");
  if (metrics.out_of_order_window.count() < 0) {
    return InvalidArgument("metrics.out_of_order_window must be non-negative");
  }
  if (metrics.max_series < 0) return InvalidArgument("metrics.max_series must be non-negative");
  Result<tsdb::wal::SyncMode> mode = tsdb::wal::ParseSyncMode(metrics.wal.sync);
  if (!mode.ok()) return mode.status().Annotate("metrics.wal.sync");
  if (*mode == tsdb::wal::SyncMode::kInterval && metrics.wal.sync_interval.count() <= 0) {
    return InvalidArgument("metrics.wal.sync_interval must be positive with sync: interval");
  }
  if (metrics.wal.segment_size < (64u << 10)) {
    return InvalidArgument("metrics.wal.segment_size must be at least 64KiB");
  }
  return Status::Ok();
}

}  // namespace astrolabe::extension::store
