#pragma once
// Db: the metrics store as ingest and query see it — the in-memory head made durable by the
// write-ahead log, plus immutable on-disk blocks. Open() loads the blocks and replays the WAL
// (checkpoint + segments) into a fresh head, then every Commit is logged before it becomes
// visible, so a write acknowledged after Commit returned OK survives kill -9 (and, with
// `sync: always`, power loss).
//
//   dir/wal/        the WAL's segments and checkpoints (src/tsdb/wal, docs/design/tsdb-wal.md)
//   dir/chunks_head/  the head's completed chunks, mapped (tsdb/head_chunks.h); never fsynced:
//                   Open loads what is intact and the WAL replays the rest
//   dir/<id>/       blocks (tsdb/block.h); dir/<id>.tmp and dir/<id>.deleted are leftovers of an
//                   interrupted write or deletion, removed by Open
//   dir/corrupt/    blocks Open could not read, moved aside (one log line each)
//
// Compaction (docs/design/tsdb.md, "Compaction and retention"): when the head spans more than
// 1.5 × chunk_range, its oldest chunk range is written as a block; then the head drops
// everything older than the block's end and the WAL is checkpointed below it, so neither
// grows without bound. Blocks whose level-n window is complete are merged into one block
// (2 h → 6 h → 24 h with the defaults), and retention deletes whole blocks by age and total
// size. A background thread does all of it; Compact() runs it synchronously.
//
// Crash safety: a block becomes visible by rename (after fsync of its files and directory)
// before anything it replaces is deleted; Open removes blocks another block names as a
// parent, and sets the head's minimum valid time to the newest block's end so the WAL's
// samples already in blocks are not replayed twice.
//
// Damage found on open: a torn tail of the last segment is truncated by the WAL with one log
// line; damage in an earlier segment fails Open with DataLoss naming the file and offset,
// unless DbOptions::wal.repair_on_open is set (then the records after the damage are dropped
// and counted, and the store opens).
//
// Samples older than the newest block's end are refused ("out of bounds"), as in Prometheus:
// the out-of-order window reaches back at most to the last compaction.
//
// Threads: as Head: appenders and queriers from any number of threads; one compaction at a
// time (the background thread or Compact()).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "storage/storage.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb {

struct DbOptions {
  HeadOptions head;  // head.commit_log is set by Open(); head.chunk_range_ms is the block range
  // Completed head chunks in <dir>/chunks_head, read through mmap (head.chunk_dir is set by
  // Open); false keeps them on the heap.
  bool head_chunks_on_disk = true;
  wal::Options wal;
  BlockWriteOptions block;
  // Cut blocks from the head, merge blocks and apply retention in a background thread.
  // When false, only Compact() does it.
  bool background_compaction = true;
  // How often the background thread looks even when no commit woke it.
  int64_t compaction_interval_ms = 60'000;
  // Merged block spans, as multiples of chunk_range_ms, ascending: level 2 spans 3 ranges,
  // level 3 spans 12 (6 h and 24 h with 2 h chunk ranges). Empty: never merge blocks.
  std::vector<int64_t> compaction_ranges = {3, 12};
  // Delete blocks whose end is older than the newest sample minus this; 0 keeps them.
  int64_t retention_time_ms = 15LL * 24 * 3600 * 1000;
  // Delete the oldest blocks while all blocks together are larger than this; 0 = unlimited.
  uint64_t retention_size_bytes = 0;
};

struct CompactionStats {
  uint64_t head_compactions = 0;  // blocks cut from the head (empty ranges included)
  uint64_t block_compactions = 0;
  uint64_t blocks_deleted_retention = 0;
  uint64_t failures = 0;
  uint64_t checkpoints = 0;
  uint64_t series_removed = 0;  // by head truncation
};

struct OpenStats {
  uint64_t records = 0;
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t samples_rejected = 0;        // refused again by the append rules, as at commit time
  uint64_t samples_in_head_chunks = 0;  // WAL samples already in a loaded head chunk
  uint64_t head_chunks = 0;             // loaded from chunks_head/
  uint64_t head_chunk_files = 0;
  uint64_t head_chunk_files_damaged = 0;  // cut at the damage (their rest rebuilt from the WAL)
  uint64_t unknown_refs = 0;              // samples whose series record is missing
  uint64_t metadata = 0;
  uint64_t blocks = 0;
  uint64_t corrupt_blocks = 0;   // moved to dir/corrupt/
  uint64_t replaced_blocks = 0;  // left behind by an interrupted compaction, deleted
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
  CompactionStats compaction_stats() const;
  // The blocks currently served, oldest first.
  std::vector<BlockMeta> blocks() const;
  // Newest sample time in the store (head or blocks); kMinTime when empty.
  int64_t max_time() const;

  // Cuts blocks from the head while it spans more than 1.5 chunk ranges, truncates the head and
  // checkpoints the WAL, merges blocks and applies retention. Returns the first error (the
  // next run retries). Safe to call while appenders and queriers run.
  Status Compact();

  // Stops the background thread, syncs and closes the WAL; appenders committing afterwards
  // fail. Idempotent.
  Status Close();

 private:
  class WalLog;
  class DbAppender;
  class DbQuerier;
  Db() = default;
  Status Replay();
  Status LoadBlocks();
  Status CompactHead();
  Status CompactBlocks();
  Status ApplyRetention();
  Status DeleteBlocks(const std::vector<std::string>& ids);
  std::vector<std::shared_ptr<Block>> BlockList() const;
  void BackgroundLoop();
  void MaybeWakeCompactor();

  std::string dir_;
  DbOptions options_;
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<WalLog> log_;
  std::unique_ptr<Head> head_;
  OpenStats open_stats_;

  mutable std::shared_mutex blocks_mu_;
  std::vector<std::shared_ptr<Block>> blocks_;  // GUARDED_BY(blocks_mu_), by min_time

  std::mutex compact_mu_;  // one compaction at a time
  mutable std::mutex stats_mu_;
  CompactionStats stats_;  // GUARDED_BY(stats_mu_)

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;  // GUARDED_BY(bg_mu_)
  bool bg_wake_ = false;  // GUARDED_BY(bg_mu_)
  std::atomic<bool> wake_pending_{false};
  std::thread bg_;
  bool closed_ = false;
};

}  // namespace astrolabe::tsdb
