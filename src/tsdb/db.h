#pragma once
// Db: the metrics store as ingest and query see it — the in-memory head made durable by the
// write-ahead log. Open() replays the WAL (checkpoint + segments) into a fresh head, then
// every Commit is logged before it becomes visible, so a write acknowledged after Commit
// returned OK survives kill -9 (and, with `sync: always`, power loss).
//
//   dir/wal/        the WAL's segments and checkpoints (src/tsdb/wal, docs/design/tsdb-wal.md)
//
// Damage found on open: a torn tail of the last segment is truncated by the WAL with one log
// line; damage in an earlier segment fails Open with DataLoss naming the file and offset,
// unless DbOptions::wal.repair_on_open is set (then the records after the damage are dropped
// and counted, and the store opens).
//
// Blocks, compaction and retention are not here yet: the head holds everything since the
// last start, and the WAL grows until a checkpoint (a later step of the tsdb work).
//
// Threads: as Head: appenders and queriers from any number of threads.

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/storage.h"
#include "tsdb/head.h"
#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb {

struct DbOptions {
  HeadOptions head;  // head.commit_log is set by Open()
  wal::Options wal;
};

struct OpenStats {
  uint64_t records = 0;
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t samples_rejected = 0;  // refused again by the append rules, as at commit time
  uint64_t unknown_refs = 0;      // samples whose series record is missing
  uint64_t metadata = 0;
};

class Db final : public storage::Storage {
 public:
  static Result<std::unique_ptr<Db>> Open(const std::string& dir, DbOptions options = {});
  ~Db() override;

  std::unique_ptr<storage::Appender> NewAppender() override;
  std::unique_ptr<storage::Querier> NewQuerier(const storage::QueryLimits& limits = {}) override;

  Head& head() { return *head_; }
  const OpenStats& open_stats() const { return open_stats_; }
  wal::Stats wal_stats() const { return wal_->stats(); }
  // Syncs and closes the WAL; appenders committing afterwards fail. Idempotent.
  Status Close();

 private:
  class WalLog;
  Db() = default;
  Status Replay();

  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<WalLog> log_;
  std::unique_ptr<Head> head_;
  OpenStats open_stats_;
};

}  // namespace astrolabe::tsdb
