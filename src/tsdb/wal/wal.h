#pragma once
// Wal: the metrics store's write-ahead log. A directory of numbered segment files
// (format.h: 32 KiB pages, CRC-32C fragments) plus at most one checkpoint directory; the head
// writes its records (records.h) here before applying them, and replays them on start.
//
//   dir/00000007            segments, 8-digit index, at most Options::segment_size each
//   dir/00000008            (the last one is the one being written)
//   dir/checkpoint.00000006 what segments ≤ 6 held that still matters (same segment format)
//
// Durability. Log() is thread-safe and commits in groups: callers that arrive while a write
// is under way queue their records, and the next leader writes every queued record with one
// write() and one fdatasync(). With SyncMode::kAlways (the default) Log returns only once its
// records are on stable storage. With SyncMode::kInterval, Log returns once its records are in
// the kernel (write() done) and a background thread runs fdatasync every `sync_interval`:
// records survive a kill -9 of the process (the page cache is the kernel's), but a power loss
// or a kernel crash loses up to one interval of acknowledged records.
//
// Write errors. A failed write() (a full disk: ENOSPC, EDQUOT, EFBIG → ResourceExhausted)
// fails the Log calls of its group; when the group lay in the active segment alone, the next
// Log cuts the segment back to where the group began and writes again, so logging resumes
// when space returns. A failed fdatasync, or a write error across a segment boundary, fails
// every later Log until the WAL is reopened.
//
// Recovery. Open() scans the last segment and truncates a torn or corrupt tail (a crash in
// the middle of a write) with one warning naming the file and offset, then writes into a new
// segment. Damage anywhere else is found by Replay(), which fails with DataLoss naming the
// file and offset; the caller then either stops, or calls Repair(), which cuts the log at the
// damaged record and deletes everything after it (reporting what was dropped).
//
// Checkpoint(first, last, keep, mint) rewrites segments [first, last] (and the previous
// checkpoint) keeping the series for which keep(ref) holds and the samples at or after mint,
// into checkpoint.<last>, atomically, then deletes those segments and older checkpoints.
// ReplayAll() = the latest checkpoint + the segments after it.
//
// Threads: Log(), Sync(), stats(), segments() from any thread at any time. Replay(),
// ReplayAll(), Checkpoint() and Cut() may run while other threads Log(); a segment this process
// is writing is replayed only up to its completed writes. Checkpoint() deletes what it replaced,
// so it must not overlap a Replay()/ReplayAll() (one Checkpoint at a time is enforced).
// Repair() and Close() REQUIRE that no other call is under way. One process at a time: Open()
// takes an exclusive lock on dir/lock.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"

namespace astrolabe::tsdb::wal {

enum class SyncMode {
  kAlways,    // Log returns after fdatasync (config `sync: always`)
  kInterval,  // Log returns after write(); fdatasync every sync_interval (`sync: interval`)
};

// "always" | "interval" (the config values); InvalidArgument otherwise.
Result<SyncMode> ParseSyncMode(std::string_view text);

struct Options {
  // A segment is closed when the next record would take it past this size (a single record
  // larger than this gets a segment of its own). At least 64 KiB.
  uint64_t segment_size = 128ull << 20;
  SyncMode sync = SyncMode::kAlways;
  std::chrono::milliseconds sync_interval{1000};
  // Open() also reads every earlier segment and the checkpoint, failing with DataLoss at the
  // first damage (by default only the last segment is read; Replay finds the rest).
  bool verify_on_open = false;
  // With verify_on_open: damage in an earlier segment is repaired (as Repair()) instead of
  // failing Open. A damaged checkpoint is never repaired.
  bool repair_on_open = false;
};

// Where a record starts.
struct Position {
  uint32_t segment = 0;
  uint64_t offset = 0;
  bool in_checkpoint = false;  // segment/offset are inside the checkpoint directory
};

struct Corruption {
  std::string path;   // the damaged file
  Position position;  // start of the first record that cannot be read
  std::string reason;
};

struct RepairReport {
  Corruption at;
  uint64_t dropped_bytes = 0;
  // Records found after the damage that were dropped: every record of the deleted segments
  // plus those still readable past the damage in the cut segment (a lower bound there).
  uint64_t dropped_records = 0;
  uint32_t deleted_segments = 0;
};

struct CheckpointStats {
  uint32_t index = 0;  // checkpoint.<index>
  uint64_t series_kept = 0, series_dropped = 0;
  uint64_t samples_kept = 0, samples_dropped = 0;
  uint64_t tombstones_kept = 0, tombstones_dropped = 0;
  uint64_t metadata_kept = 0, metadata_dropped = 0;  // only the latest per ref / family stays
  uint64_t unknown_records_dropped = 0;
  uint64_t bytes_written = 0;
  uint32_t segments_deleted = 0;
};

struct Stats {
  uint64_t records = 0;  // records logged
  uint64_t bytes = 0;    // bytes written to segments (framing and padding included)
  uint64_t log_calls = 0;
  uint64_t writes = 0;  // group commits: one write batch each
  uint64_t fsyncs = 0;
  uint64_t fsync_nanos = 0;  // total time in fdatasync
  uint64_t fsync_max_nanos = 0;
  uint64_t segments_created = 0;
  uint64_t corruptions = 0;  // damage found by Open or Replay (torn tails included)
  uint64_t truncations = 0;  // torn tails cut by Open, plus repairs
  uint64_t checkpoints = 0;
  uint64_t replayed_records = 0;
  uint64_t replayed_bytes = 0;  // bytes of segment files read by Replay
};

struct SegmentRange {
  uint32_t first = 0;
  uint32_t last = 0;  // the segment being written
};

class Wal {
 public:
  // Called for each record in order; `record` is valid only during the call. A non-OK
  // status stops the replay and is returned (annotated with the position).
  using RecordCallback = std::function<Status(std::string_view record, const Position& at)>;
  using KeepSeries = std::function<bool(uint64_t ref)>;

  // Opens (creating if absent) the WAL in `dir`; see the header comment for what it repairs.
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir, const Options& options);

  ~Wal();  // Close(), ignoring its status
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends `records` (encoded by records.h, or any bytes) in order, atomically with respect
  // to other Log calls, and returns once they are durable as Options::sync says. After a
  // write or fsync error every later call fails with that error: the log's tail is unknown
  // until the WAL is reopened.
  Status Log(std::span<const std::string_view> records);
  Status Log(std::string_view record) { return Log(std::span<const std::string_view>(&record, 1)); }

  // fdatasync of everything written so far (useful in interval mode).
  Status Sync();

  // Closes the current segment and starts the next one; returns the new segment's index.
  // Checkpoint() needs `last` below the segment being written: call Cut() first.
  Result<uint32_t> Cut();

  SegmentRange segments() const;
  // Index of the latest checkpoint, if any.
  std::optional<uint32_t> checkpoint() const;

  // Reads the segments from `from_segment` (clamped to the first one present) to the last.
  Status Replay(uint32_t from_segment, const RecordCallback& callback);
  // Reads the latest checkpoint, then every segment after it.
  Status ReplayAll(const RecordCallback& callback);

  // The damage the last failed Replay (or verifying Open) found.
  std::optional<Corruption> last_corruption() const;
  // Cuts the log at last_corruption(): truncates that segment at the damaged record, deletes
  // the segments after it and continues writing in a new segment. FailedPrecondition when no
  // corruption was found or it is in the checkpoint.
  Result<RepairReport> Repair();

  // See the header comment. REQUIRES: first <= last < segments().last.
  Result<CheckpointStats> Checkpoint(uint32_t first, uint32_t last, const KeepSeries& keep,
                                     int64_t min_time_ms);

  // Stops the sync thread, syncs and closes. Log() fails afterwards.
  Status Close();

  Stats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Segment;
  struct Chunk;
  Wal(std::string dir, Options options);

  Status OpenLocked();
  // Opens segment `index` for writing (creating it; `exclusive`: it must not exist) and
  // makes it the active one. REQUIRES: mu_ held.
  Status CreateSegmentLocked(uint32_t index, bool exclusive);
  // `*write_error`: the failure was a write() (a full disk, a file size limit), not a sync.
  Status WriteBatch(std::vector<Chunk>& chunks, std::vector<std::shared_ptr<Segment>>& to_sync,
                    bool sync_all, bool* write_error);
  // After a failed write() into the active segment: cuts it back to where the failed batch
  // began, so the next Log can try again. REQUIRES: mu_ held, failed_ set, not writing_.
  Status RecoverFromWriteErrorLocked();
  Status SyncSegment(const Segment& segment);
  Status SyncNow(bool only_if_dirty);
  Status ReplaySegments(const std::string& dir, uint32_t first, uint32_t last, bool checkpoint,
                        const RecordCallback& callback);
  Status RepairAt(const Corruption& c, RepairReport* report);
  void SyncLoop();
  // Waits until every record queued for segments <= last is written. REQUIRES: lock holds mu_.
  Status WaitWrittenLocked(uint32_t last, std::unique_lock<std::mutex>& lock);
  bool has_active_locked() const { return active_ != nullptr; }
  uint32_t active_index_locked() const;  // REQUIRES: mu_ held, has_active_locked()

  const std::string dir_;
  const Options options_;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Segment> active_;                  // GUARDED_BY(mu_)
  uint64_t active_size_ = 0;                         // GUARDED_BY(mu_): framed, queued included
  uint64_t active_written_ = 0;                      // GUARDED_BY(mu_): handed to write()
  uint32_t first_segment_ = 0;                       // GUARDED_BY(mu_)
  std::optional<uint32_t> checkpoint_;               // GUARDED_BY(mu_)
  std::vector<Chunk> pending_;                       // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<Segment>> unsynced_;   // GUARDED_BY(mu_): closed, not yet synced
  std::map<uint32_t, std::weak_ptr<Segment>> live_;  // GUARDED_BY(mu_): segments with an fd
  uint64_t next_ticket_ = 0;                         // GUARDED_BY(mu_)
  uint64_t done_ticket_ = 0;                         // GUARDED_BY(mu_)
  bool writing_ = false;                             // GUARDED_BY(mu_)
  bool dirty_ = false;                               // GUARDED_BY(mu_): written since last sync
  bool closed_ = false;                              // GUARDED_BY(mu_)
  Status failed_;                                    // GUARDED_BY(mu_)
  // A failed write() of a batch that lay in the active segment alone is recoverable: every
  // ticket up to failed_upto_ fails with last_write_failure_, the segment is cut back to
  // rollback_offset_ at the next Log. A failed sync is not (the kernel may have dropped the pages).
  bool recoverable_ = false;                   // GUARDED_BY(mu_)
  uint64_t failed_upto_ = 0;                   // GUARDED_BY(mu_)
  std::shared_ptr<Segment> rollback_segment_;  // GUARDED_BY(mu_)
  uint64_t rollback_offset_ = 0;               // GUARDED_BY(mu_)
  Status last_write_failure_;                  // GUARDED_BY(mu_)
  std::optional<Corruption> corruption_;       // GUARDED_BY(mu_)

  std::mutex checkpoint_mu_;  // one Checkpoint at a time
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stop_sync_ = false;  // GUARDED_BY(sync_mu_)
  std::thread sync_thread_;

  struct Counters {
    std::atomic<uint64_t> records{0}, bytes{0}, log_calls{0}, writes{0}, fsyncs{0}, fsync_nanos{0},
        fsync_max_nanos{0}, segments_created{0}, corruptions{0}, truncations{0}, checkpoints{0},
        replayed_records{0}, replayed_bytes{0};
  };
  mutable Counters counters_;
};

}  // namespace astrolabe::tsdb::wal
