#include "extension/store/store_extension.h"

#include <filesystem>
#include <system_error>

#include <spdlog/logger.h>

#include "common/log.h"
#include "tsdb/db.h"

namespace astrolabe::extension::store {

StoreExtension::StoreExtension(const component::CreateSettings& settings, const Config& config)
    : id_(settings.id.ToString()), config_(config), log_(GetLogger("extension/" + id_)) {}

StoreExtension::~StoreExtension() {
  if (db_) (void)db_->Close();
}

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
  options.head.max_series = static_cast<size_t>(config_.metrics.max_series);
  ASSIGN_OR_RETURN(options.wal.sync, tsdb::wal::ParseSyncMode(config_.metrics.wal.sync));
  options.wal.sync_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.wal.sync_interval);
  options.wal.segment_size = config_.metrics.wal.segment_size;
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
  return Status::Ok();
}

Status StoreExtension::Shutdown(component::Deadline) {
  if (!db_) return Status::Ok();
  return db_->Close();
}

storage::Storage& StoreExtension::metrics() { return *db_; }

}  // namespace astrolabe::extension::store
