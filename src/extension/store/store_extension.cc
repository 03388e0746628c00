#include "extension/store/store_extension.h"

#include <filesystem>
#include <system_error>

#include <spdlog/logger.h>

#include "common/log.h"
#include "spanstore/span_store.h"
#include "tsdb/db.h"

namespace astrolabe::extension::store {

StoreExtension::StoreExtension(const component::CreateSettings& settings, const Config& config)
    : id_(settings.id.ToString()), config_(config), log_(GetLogger("extension/" + id_)) {}

StoreExtension::~StoreExtension() { (void)Shutdown(std::chrono::steady_clock::now()); }

std::string StoreExtension::tsdb_directory() const {
  return (std::filesystem::path(config_.directory) / "tsdb").string();
}

Status StoreExtension::Start(component::Host&) {
  if (db_) return FailedPrecondition("store extension \"" + id_ + "\" started twice");
  const std::string dir = tsdb_directory();
  std::error_code ec;
  if (config_.create_directory) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Unavailable("creating " + dir + ": " + ec.message());
  } else if (!std::filesystem::is_directory(config_.directory, ec)) {
    return FailedPrecondition("directory must exist: " + config_.directory);
  }
  tsdb::DbOptions options;
  options.head.out_of_order_window_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.out_of_order_window)
          .count();
  options.head.max_future_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.max_future).count();
  options.head.max_series = static_cast<size_t>(config_.metrics.max_series);
  // A sample older than the retention window would be acknowledged and then deleted by the
  // next retention pass: refuse it instead ("out of bounds: too old for the retention window").
  options.head.max_age_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.retention_time).count();
  ASSIGN_OR_RETURN(options.wal.sync, tsdb::wal::ParseSyncMode(config_.metrics.wal.sync));
  options.wal.sync_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.wal.sync_interval);
  options.wal.segment_size = config_.metrics.wal.segment_size;
  options.retention_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.retention_time).count();
  options.retention_size_bytes = config_.metrics.retention_size;
  if (config_.metrics.wal.repair_on_open) {
    options.wal.verify_on_open = true;
    options.wal.repair_on_open = true;
  }
  Result<std::unique_ptr<tsdb::Db>> db = tsdb::Db::Open(dir, options);
  if (!db.ok()) return db.status().Annotate("opening the metrics store in " + dir);
  db_ = std::move(db).value();
  const tsdb::OpenStats& stats = db_->open_stats();
  log_->info("metrics store {} open: {} series, {} samples replayed ({} refused again)", dir,
             stats.series, stats.samples, stats.samples_rejected);

  const std::string spans_dir = (std::filesystem::path(config_.directory) / "spans").string();
  spanstore::Options span_options;
  span_options.sync = config_.spans.sync == "interval" ? spanstore::SyncMode::kInterval
                                                       : spanstore::SyncMode::kAlways;
  span_options.sync_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.spans.sync_interval);
  span_options.retention_time =
      std::chrono::duration_cast<std::chrono::seconds>(config_.spans.retention_time);
  span_options.retention_bytes = config_.spans.retention_size;
  span_options.max_row_bytes = config_.spans.max_row_bytes;
  auto spans = spanstore::SpanStore::Open(spans_dir, span_options);
  if (!spans.ok()) {
    (void)db_->Close();
    db_.reset();
    return spans.status().Annotate("opening the span store in " + spans_dir);
  }
  spans_ = std::move(spans).value();
  const spanstore::Stats span_stats = spans_->stats();
  log_->info("span store {} open: {} spans, {} logs", spans_dir, span_stats.spans, span_stats.logs);
  return Status::Ok();
}

Status StoreExtension::Shutdown(component::Deadline) {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  Status spans = spans_ ? spans_->Close() : Status::Ok();
  Status metrics = db_ ? db_->Close() : Status::Ok();
  return metrics.ok() ? spans : metrics;
}

storage::Storage& StoreExtension::metrics() { return *db_; }

spanstore::SpanStore& StoreExtension::spans() { return *spans_; }

}  // namespace astrolabe::extension::store
