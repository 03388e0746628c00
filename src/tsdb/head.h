#pragma once
// Head: the in-memory part of the metrics store — every active series with its recent samples
// in compressed chunks, the label index, and metric metadata. Implements storage::Storage.
//
// Structure (docs/design/tsdb.md, "Head"):
//   - series live in kStripes lock stripes, found by label hash (collision chain) and by ref;
//   - a series holds its labels as interned symbol-id pairs, completed immutable chunks (their
//     bytes in mmapped chunk_dir files, head_chunks.h, or heap blocks), one head chunk being
//     appended to, and an out-of-order buffer (sorted samples) when needed;
//   - MemPostings maps (name, value) → sorted refs for matcher queries.
//
// Locking, outermost first (a thread never takes an earlier lock while holding a later one):
//   stripe mutex (lookup/creation of a series; released before any other lock is taken)
//   series mutex  (its chunks, head chunk, OOO buffer, newest time)
//   postings shared_mutex, symbol-table mutex, metadata mutex (leaves: nothing taken inside)
// Appenders run concurrently (one per request); queriers run concurrently with them.
//
// Visibility: a sample becomes visible when its series' part of a Commit is applied (per-series
// atomic; a batch spanning many series becomes visible series by series). Completed chunks are
// immutable. Truncate() (after a block took the oldest range) unlinks old chunks and empty
// series at once but frees them only when every appender and querier that existed at that
// moment has ended (epoch-based: each one pins the epoch it started in).
//
// Out-of-order samples: with out_of_order_window_ms > 0, a sample older than its series' newest
// (but not older than the head's newest time minus the window) is kept in the series' OOO buffer
// and merged at read time. Each (series, timestamp) holds one value: a repeat with the same value
// is ignored, with another value it is rejected as a duplicate.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/storage.h"
#include "tsdb/commit_log.h"
#include "tsdb/head_chunks.h"
#include "tsdb/postings.h"
#include "tsdb/symbols.h"

namespace astrolabe::tsdb {

struct HeadOptions {
  // A chunk never spans a multiple of this (the future block boundary).
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // A head chunk is cut at this many samples or this many bytes, whichever comes first.
  uint32_t samples_per_chunk = 120;
  uint32_t max_chunk_bytes = 1024;
  // How far behind the head's newest sample an out-of-order sample may be; 0 rejects every
  // out-of-order sample ("out of order sample").
  int64_t out_of_order_window_ms = 0;
  // Refuse a sample more than this far ahead of the wall clock ("out of bounds: too far in the
  // future"); 0 accepts any time. Checked on append only, never on WAL replay.
  int64_t max_future_ms = 0;
  // Refuse a sample older than the wall clock (or the head's newest sample, when later) minus
  // this ("out of bounds: too old for the retention window"); 0 accepts any time. The store
  // sets it to the retention time: an older sample would be acknowledged and then deleted by
  // the next retention pass. Checked on append only, never on WAL replay.
  int64_t max_age_ms = 0;
  // Refuse to create more series than this (0 = unlimited). Checked per creation: concurrent
  // creations may overshoot by at most the number of appenders creating at that moment.
  size_t max_series = 0;
  // Called in Commit before samples become visible; not owned; may be null (no durability).
  CommitLog* commit_log = nullptr;
  // Completed chunks are written to append-only files here and read through mmap (Db uses
  // <dir>/chunks_head; head_chunks.h). Empty: they stay on the heap.
  std::string chunk_dir;
};

// One chunk of a series snapshot: points at head-owned immutable bytes or at head_chunk below.
struct ChunkView {
  int64_t min_t = 0;
  int64_t max_t = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// What a reader (querier, future block writer) gets of one series: a consistent copy taken
// under the series lock. The chunk views stay valid while the Head lives.
struct SeriesSnapshot {
  storage::SeriesRef ref = 0;
  storage::Labels labels;
  std::vector<ChunkView> chunks;     // in time order, non-overlapping; last may be head
  std::vector<uint8_t> head_chunk;   // copy of the head chunk's bytes
  std::vector<storage::Sample> ooo;  // out-of-order samples in time order
};

struct HeadStats {
  size_t num_series = 0;
  size_t num_symbols = 0;
  size_t num_postings_pairs = 0;
  uint64_t samples_appended = 0;        // committed in-order samples
  uint64_t ooo_samples_appended = 0;    // committed into OOO buffers
  uint64_t dropped_at_commit = 0;       // accepted by Append, refused at Commit (races, repeats)
  uint64_t refused_too_far_future = 0;  // by max_future_ms
  uint64_t refused_too_old = 0;         // by max_age_ms
  uint64_t chunks_cut = 0;
  int64_t min_time = storage::kMaxTime;  // of committed samples; kMaxTime when empty
  int64_t max_time = storage::kMinTime;
};

struct ReplayStats {
  uint64_t samples = 0;
  uint64_t in_chunks = 0;     // already held by a chunk loaded from chunk_dir (skipped)
  uint64_t unknown_refs = 0;  // samples whose series record was never seen
  uint64_t rejected = 0;      // refused by the append rules (as they were at commit time)
};

class MemSeries;
class ChunkArena;
struct AppendBuffers;
class HeadAppender;
class HeadQuerier;

class Head final : public storage::Storage {
 public:
  explicit Head(HeadOptions options = {});
  ~Head() override;
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  std::unique_ptr<storage::Appender> NewAppender() override;
  std::unique_ptr<storage::Querier> NewQuerier(const storage::QueryLimits& limits = {}) override;

  // ---- WAL replay (single-threaded, before the head serves traffic) ----
  // Loads the completed chunks left in options().chunk_dir by an earlier run (damage is cut
  // off with one log line; see head_chunks.h); they are attached to their series when
  // ReplaySeries names them, and ReplaySamples skips the WAL samples they already hold.
  // Chunks ending before min_valid_time() are dropped. REQUIRES: before any replay or append.
  Result<ArenaLoadStats> LoadChunks();
  // Ends replay: forgets loaded chunks no series record claimed and the replay-only maps.
  void FinishReplay();
  // Recreates series `ref`. A repeated record for the same labels maps `ref` onto the existing
  // series. Fails on invalid labels.
  Status ReplaySeries(uint64_t ref, const storage::Labels& labels);
  // Applies samples with the commit rules.
  ReplayStats ReplaySamples(std::span<const SampleRecord> samples);
  void ReplayMetadata(std::string_view family, const storage::MetricMetadata& metadata);
  // Attaches the commit log once replay is done (replayed records must not be logged again).
  // REQUIRES: no commit is under way.
  void set_commit_log(CommitLog* log) { commit_log_.store(log, std::memory_order_release); }

  // ---- readers ----
  // Refs of series matching all matchers (no time filtering), ascending.
  Result<Postings> PostingsForMatchers(std::span<const storage::Matcher> matchers) const;
  // Every series ref ordered by labels — the order a block writer emits series in.
  std::vector<storage::SeriesRef> SeriesRefsInLabelOrder() const;
  // A snapshot of the chunks overlapping [mint, maxt] (all chunks when unbounded) and of the
  // OOO samples in it; false when `ref` is unknown.
  bool Snapshot(storage::SeriesRef ref, int64_t mint, int64_t maxt, SeriesSnapshot* out) const;
  // True when series `ref` has a committed sample in [mint, maxt].
  bool HasSampleIn(storage::SeriesRef ref, int64_t mint, int64_t maxt) const;
  // The labels of series `ref` (empty when unknown).
  storage::Labels LabelsOf(storage::SeriesRef ref) const;
  bool HasSeries(storage::SeriesRef ref) const;
  // The oldest sample the head holds (a scan of every series); kMaxTime when none. min_time()
  // may be lower: Truncate sets it to the truncation point even when the data start later.
  int64_t OldestSampleTime() const;

  // ---- truncation (the range below `mint` now lives in a block) ----
  // Appends older than this fail with "out of bounds"; never lowered.
  void SetMinValidTime(int64_t t);
  int64_t min_valid_time() const { return min_valid_time_.load(std::memory_order_acquire); }
  struct TruncateStats {
    uint64_t chunks_dropped = 0;
    uint64_t ooo_dropped = 0;
    uint64_t series_removed = 0;
  };
  // Raises the minimum valid time to `mint`, drops every chunk and OOO sample older than it,
  // and removes series left without samples (unless an appender holds them in a batch).
  // Memory is freed once no appender or querier older than the call remains.
  // REQUIRES: one Truncate at a time (Db serialises compactions); `mint` on a chunk range
  // boundary, so no chunk straddles it.
  TruncateStats Truncate(int64_t mint);

  // Appenders and queriers pin the epoch they start in; see the class comment.
  uint64_t Pin() const;
  void Unpin(uint64_t epoch) const;

  HeadStats stats() const;
  const HeadOptions& options() const { return options_; }
  const SymbolTable& symbols() const { return symbols_; }
  const MemPostings& postings() const { return postings_; }
  int64_t min_time() const { return min_time_.load(std::memory_order_acquire); }
  int64_t max_time() const { return max_time_.load(std::memory_order_acquire); }

 private:
  friend class HeadAppender;
  friend class HeadQuerier;

  static constexpr size_t kStripes = 512;
  struct Stripe;

  // Finds or creates the series for `labels`. `created` tells which.
  Result<MemSeries*> GetOrCreate(const storage::Labels& labels, bool* created,
                                 uint64_t forced_ref = 0);
  MemSeries* GetByRef(uint64_t ref) const;
  storage::Labels LabelsOf(const MemSeries& s) const;
  bool LabelsEqual(const MemSeries& s, const storage::Labels& labels) const;

  // Append-time check of (t, v) against the committed state of `s` and this appender's pending
  // newest sample of `s` (pending_t == kMinTime when none). Sets *ignore for an exact repeat.
  // REQUIRES: s.mu held.
  Status CheckAppendable(const MemSeries& s, int64_t t, double v, int64_t pending_t,
                         double pending_v, bool* ignore) const;
  // Applies one sample with the commit rules; returns false when it is refused.
  // REQUIRES: s.mu held.
  bool ApplyLocked(MemSeries& s, int64_t t, double v);
  void NoteCommitted(int64_t t);

  const HeadOptions options_;
  // options_.commit_log until set_commit_log(); read by every commit.
  std::atomic<CommitLog*> commit_log_;
  std::unique_ptr<Stripe[]> stripes_;
  SymbolTable symbols_;
  MemPostings postings_;
  std::atomic<uint64_t> next_ref_{1};
  std::atomic<size_t> num_series_{0};
  std::atomic<int64_t> min_time_{storage::kMaxTime};
  std::atomic<int64_t> max_time_{storage::kMinTime};
  // Samples older than this are out of bounds (raised by block truncation, a later step).
  std::atomic<int64_t> min_valid_time_{storage::kMinTime};

  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> ooo_appended_{0};
  std::atomic<uint64_t> dropped_at_commit_{0};
  mutable std::atomic<uint64_t> refused_future_{0};
  mutable std::atomic<uint64_t> refused_too_old_{0};
  std::atomic<uint64_t> chunks_cut_{0};

  mutable std::mutex meta_mu_;
  std::map<std::string, storage::MetricMetadata, std::less<>> metadata_;  // GUARDED_BY(meta_mu_)

  std::unordered_map<uint64_t, MemSeries*> replay_aliases_;  // replay only
  // Replay only: chunks loaded from chunk_dir by series ref, until ReplaySeries claims them,
  // and for each series that got some, a cursor over them to recognise WAL samples they hold.
  struct LoadedChunks;  // head.cc
  std::unique_ptr<LoadedChunks> loaded_;
  void AttachLoadedChunks(MemSeries* s);
  bool HeldByLoadedChunk(MemSeries* s, int64_t t, double v);

  std::unique_ptr<ChunkArena> chunk_arena_;  // completed chunks' bytes

  struct Reclaimer;  // pins and garbage (head.cc)
  std::unique_ptr<Reclaimer> reclaimer_;

  // Appenders' working memory between appenders (a few sets; see AppendBuffers).
  std::unique_ptr<AppendBuffers> TakeAppendBuffers();
  void ReturnAppendBuffers(std::unique_ptr<AppendBuffers> buffers);
  std::mutex buffers_mu_;
  std::vector<std::unique_ptr<AppendBuffers>> spare_buffers_;  // GUARDED_BY(buffers_mu_)
};

}  // namespace astrolabe::tsdb
