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
  v.Field("max_future", max_future);
  v.Field("max_series", max_series);
  v.Field("retention_time", retention_time);
  v.ByteSize("retention_size", retention_size);
  v.Object("wal", wal);
}

void SpansConfig::Visit(config::Visitor& v) {
  v.Field("sync", sync);
  v.Field("sync_interval", sync_interval);
  v.Field("retention_time", retention_time);
  v.ByteSize("retention_size", retention_size);
  v.ByteSize("max_row_bytes", max_row_bytes);
}

void Config::Visit(config::Visitor& v) {
  v.Field("directory", directory);
  v.Field("create_directory", create_directory);
  v.Object("metrics", metrics);
  v.Object("spans", spans);
}

Status Config::Validate() const {
  if (directory.empty()) return InvalidArgument("directory must be specified");
  if (metrics.out_of_order_window.count() < 0) {
    return InvalidArgument("metrics.out_of_order_window must be non-negative");
  }
  if (metrics.max_future.count() < 0) {
    return InvalidArgument("metrics.max_future must be non-negative");
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
  if (metrics.retention_time.count() < 0) {
    return InvalidArgument("metrics.retention_time must be non-negative");
  }
  if (spans.sync != "always" && spans.sync != "interval") {
    return InvalidArgument("spans.sync: unknown sync mode \"" + spans.sync +
                           "\" (valid: always, interval)");
  }
  if (spans.sync == "interval" && spans.sync_interval.count() <= 0) {
    return InvalidArgument("spans.sync_interval must be positive with sync: interval");
  }
  if (spans.retention_time.count() < 0) {
    return InvalidArgument("spans.retention_time must be non-negative");
  }
  if (spans.max_row_bytes < (1u << 10) || spans.max_row_bytes > (32u << 20)) {
    return InvalidArgument("spans.max_row_bytes must be between 1KiB and 32MiB");
  }
  return Status::Ok();
}

}  // namespace astrolabe::extension::store
