#include "tsdb/db.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "common/log.h"
#include "storage/merge.h"
#include "tsdb/wal/file_util.h"
#include "tsdb/wal/records.h"

namespace astrolabe::tsdb {
namespace {

wal::MetricType ToWal(storage::MetricType t) {
  switch (t) {
    case storage::MetricType::kUnknown: return wal::MetricType::kUnknown;
    case storage::MetricType::kCounter: return wal::MetricType::kCounter;
    case storage::MetricType::kGauge: return wal::MetricType::kGauge;
    case storage::MetricType::kHistogram: return wal::MetricType::kHistogram;
    case storage::MetricType::kGaugeHistogram: return wal::MetricType::kGaugeHistogram;
    case storage::MetricType::kSummary: return wal::MetricType::kSummary;
    case storage::MetricType::kInfo: return wal::MetricType::kInfo;
    case storage::MetricType::kStateset: return wal::MetricType::kStateSet;
  }
  return wal::MetricType::kUnknown;
}

storage::MetricType FromWal(wal::MetricType t) {
  switch (t) {
    case wal::MetricType::kUnknown: return storage::MetricType::kUnknown;
    case wal::MetricType::kCounter: return storage::MetricType::kCounter;
    case wal::MetricType::kGauge: return storage::MetricType::kGauge;
    case wal::MetricType::kHistogram: return storage::MetricType::kHistogram;
    case wal::MetricType::kGaugeHistogram: return storage::MetricType::kGaugeHistogram;
    case wal::MetricType::kSummary: return storage::MetricType::kSummary;
    case wal::MetricType::kInfo: return storage::MetricType::kInfo;
    case wal::MetricType::kStateSet: return storage::MetricType::kStateset;
  }
  return storage::MetricType::kUnknown;
}

}  // namespace

// The head's CommitLog on the WAL: one commit becomes up to three records (series, samples,
// metadata) logged in one call, so they are durable together (group commit may add other
// commits to the same fsync).
class Db::WalLog final : public CommitLog {
 public:
  explicit WalLog(wal::Wal* wal) : wal_(wal) {}

  Status Log(const CommitBatch& batch) override {
    // Encoding buffers are per thread: appenders commit concurrently.
    thread_local std::string series_record, samples_record, metadata_record;
    thread_local std::vector<wal::SeriesRecord> series;
    thread_local std::vector<std::vector<wal::LabelView>> label_pairs;
    thread_local std::vector<wal::SampleRecord> samples;
    thread_local std::vector<wal::MetadataRecord> metadata;
    std::string_view records[3];
    size_t n = 0;
    if (!batch.series.empty()) {
      series.clear();
      label_pairs.resize(batch.series.size());
      for (size_t i = 0; i < batch.series.size(); ++i) {
        label_pairs[i] = LabelPairs(*batch.series[i].labels);
        series.push_back({batch.series[i].ref, label_pairs[i]});
      }
      wal::EncodeSeries(series, &series_record);
      records[n++] = series_record;
    }
    if (!batch.samples.empty()) {
      samples.clear();
      for (const SampleRecord& s : batch.samples) samples.push_back({s.ref, s.t, s.v});
      wal::EncodeSamples(samples, &samples_record);
      records[n++] = samples_record;
    }
    if (!batch.metadata.empty()) {
      metadata.clear();
      for (const MetadataRecord& m : batch.metadata) {
        metadata.push_back({0, ToWal(m.metadata->type), m.metadata->unit, m.metadata->help, m.family});
      }
      wal::EncodeMetadata(metadata, &metadata_record);
      records[n++] = metadata_record;
    }
    if (n == 0) return Status::Ok();
    return wal_->Log(std::span<const std::string_view>(records, n));
  }

 private:
  wal::Wal* const wal_;
};

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// a - b without overflow, saturating.
int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? storage::kMinTime : storage::kMaxTime;
  return r;
}

}  // namespace

// Commits through the head's appender, then wakes the compactor when the head has grown past
// 1.5 chunk ranges (two atomic loads per commit).
class Db::DbAppender final : public storage::Appender {
 public:
  DbAppender(Db* db, std::unique_ptr<storage::Appender> app) : db_(db), app_(std::move(app)) {}
  Result<storage::SeriesRef> Append(const storage::Labels& l, int64_t t, double v) override {
    return app_->Append(l, t, v);
  }
  Status AppendByRef(storage::SeriesRef ref, int64_t t, double v) override {
    return app_->AppendByRef(ref, t, v);
  }
  Status UpdateMetadata(std::string_view family, const storage::MetricMetadata& md) override {
    return app_->UpdateMetadata(family, md);
  }
  Status Commit() override {
    RETURN_IF_ERROR(app_->Commit());
    db_->MaybeWakeCompactor();
    return Status::Ok();
  }
  void Rollback() override { app_->Rollback(); }

 private:
  Db* db_;
  std::unique_ptr<storage::Appender> app_;
};

// Head + blocks. Each Select reads the head first and takes the block list after: a compaction
// adds its block before it truncates the head, so data moving from head to block in between is
// seen in one place or both (then deduplicated by the merge), never in neither.
class Db::DbQuerier final : public storage::Querier {
 public:
  DbQuerier(const Db* db, const storage::QueryLimits& limits)
      : db_(db), limits_(limits), head_(db->head_->NewQuerier(limits)) {}

  Result<std::unique_ptr<storage::SeriesSet>> Select(std::span<const storage::Matcher> matchers,
                                                     int64_t mint, int64_t maxt,
                                                     const storage::SelectHints& hints) override {
    storage::SelectHints sorted = hints;
    sorted.sort_series = true;
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    ASSIGN_OR_RETURN(auto head_set, head_->Select(matchers, mint, maxt, sorted));
    sets.push_back(std::move(head_set));
    for (storage::Querier* q : BlockQueriers(mint, maxt)) {
      ASSIGN_OR_RETURN(auto set, q->Select(matchers, mint, maxt, sorted));
      sets.push_back(std::move(set));
    }
    if (sets.size() == 1) return std::move(sets.front());
    return storage::NewMergeSeriesSet(std::move(sets), limits_);
  }

  Result<std::vector<std::string>> LabelNames(std::span<const storage::Matcher> matchers,
                                              int64_t mint, int64_t maxt) override {
    ASSIGN_OR_RETURN(auto out, head_->LabelNames(matchers, mint, maxt));
    std::set<std::string> all(out.begin(), out.end());
    for (storage::Querier* q : BlockQueriers(mint, maxt)) {
      ASSIGN_OR_RETURN(auto names, q->LabelNames(matchers, mint, maxt));
      all.insert(names.begin(), names.end());
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const storage::Matcher> matchers,
                                               int64_t mint, int64_t maxt) override {
    ASSIGN_OR_RETURN(auto out, head_->LabelValues(name, matchers, mint, maxt));
    std::set<std::string> all(out.begin(), out.end());
    for (storage::Querier* q : BlockQueriers(mint, maxt)) {
      ASSIGN_OR_RETURN(auto values, q->LabelValues(name, matchers, mint, maxt));
      all.insert(values.begin(), values.end());
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

  // Metadata lives in the head (the WAL checkpoint keeps the latest per family).
  std::vector<storage::FamilyMetadata> Metadata(std::string_view family) override {
    return head_->Metadata(family);
  }

 private:
  // Queriers of the blocks overlapping [mint, maxt], kept for the life of this querier.
  std::vector<storage::Querier*> BlockQueriers(int64_t mint, int64_t maxt) {
    std::vector<storage::Querier*> out;
    for (const auto& b : db_->BlockList()) {
      if (b->meta().max_time <= mint || b->meta().min_time > maxt) continue;
      block_queriers_.push_back(b->NewQuerier(limits_));
      out.push_back(block_queriers_.back().get());
    }
    return out;
  }

  const Db* db_;
  storage::QueryLimits limits_;
  std::unique_ptr<storage::Querier> head_;
  std::vector<std::unique_ptr<storage::Querier>> block_queriers_;
};

Result<std::unique_ptr<Db>> Db::Open(const std::string& dir, DbOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "wal", ec);
  if (ec) return Unavailable("tsdb: create " + dir + "/wal: " + ec.message());
  if (options.head.chunk_range_ms <= 0) {
    return InvalidArgument("tsdb: chunk_range_ms must be positive");
  }
  std::unique_ptr<Db> db(new Db());
  db->dir_ = dir;
  db->options_ = options;
  ASSIGN_OR_RETURN(db->wal_, wal::Wal::Open(dir + "/wal", options.wal));
  options.head.commit_log = nullptr;  // replayed records are not logged again
  if (options.head_chunks_on_disk && options.head.chunk_dir.empty()) {
    options.head.chunk_dir = dir + "/chunks_head";
  }
  db->head_ = std::make_unique<Head>(options.head);
  RETURN_IF_ERROR(db->LoadBlocks());
  // After the blocks (they set the head's minimum valid time: older chunks are dropped),
  // before the WAL (its series records claim the chunks, its samples they hold are skipped).
  ASSIGN_OR_RETURN(ArenaLoadStats chunks, db->head_->LoadChunks());
  db->open_stats_.head_chunks = chunks.chunks;
  db->open_stats_.head_chunk_files = chunks.files;
  db->open_stats_.head_chunk_files_damaged = chunks.damaged;
  RETURN_IF_ERROR(db->Replay());
  db->head_->FinishReplay();
  db->log_ = std::make_unique<WalLog>(db->wal_.get());
  db->head_->set_commit_log(db->log_.get());
  const OpenStats& st = db->open_stats_;
  GetLogger("tsdb")->info("opened {}: {} blocks; {} head chunks loaded from {} files; replayed {} "
                          "WAL records ({} series, {} samples, {} already in head chunks, {} "
                          "refused again, {} for unknown series)",
                          dir, st.blocks, st.head_chunks, st.head_chunk_files, st.records,
                          st.series, st.samples, st.samples_in_head_chunks, st.samples_rejected,
                          st.unknown_refs);
  if (options.background_compaction) {
    db->bg_ = std::thread([d = db.get()] { d->BackgroundLoop(); });
  }
  return db;
}

Status Db::LoadBlocks() {
  namespace fs = std::filesystem;
  auto log = GetLogger("tsdb");
  std::vector<std::shared_ptr<Block>> loaded;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".tmp") || name.ends_with(".deleted")) {
      // An interrupted write or deletion: never visible, so no fsync is needed.
      fs::remove_all(e.path(), ec);
      continue;
    }
    if (!IsBlockId(name) || !e.is_directory()) continue;
    Result<std::shared_ptr<Block>> b = Block::Open(e.path().string());
    if (b.ok()) {
      loaded.push_back(std::move(*b));
      continue;
    }
    fs::create_directories(fs::path(dir_) / "corrupt", ec);
    fs::path target = fs::path(dir_) / "corrupt" / name;
    for (int i = 1; fs::exists(target); ++i) {
      target = fs::path(dir_) / "corrupt" / (name + "." + std::to_string(i));
    }
    fs::rename(e.path(), target, ec);
    log->error("tsdb: block {} is unreadable and was moved to {}: {}", name, target.string(),
               b.status().ToString());
    if (ec) return Internal("tsdb: moving corrupt block " + name + " aside: " + ec.message());
    ++open_stats_.corrupt_blocks;
  }
  if (ec) return Internal("tsdb: listing " + dir_ + ": " + ec.message());
  if (open_stats_.corrupt_blocks > 0) RETURN_IF_ERROR(wal::internal::SyncDir(dir_));
  // A compaction that was interrupted after its block appeared but before the blocks it
  // replaced were deleted: those are named as parents by the new one.
  std::set<std::string> replaced;
  for (const auto& b : loaded) replaced.insert(b->meta().parents.begin(), b->meta().parents.end());
  std::vector<std::string> drop;
  for (const auto& b : loaded) {
    if (replaced.count(b->meta().id)) drop.push_back(b->meta().id);
  }
  std::sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) {
    return a->meta().min_time < b->meta().min_time;
  });
  {
    std::unique_lock lock(blocks_mu_);
    blocks_ = std::move(loaded);
  }
  RETURN_IF_ERROR(DeleteBlocks(drop));
  open_stats_.replaced_blocks = drop.size();
  int64_t max_end = storage::kMinTime;
  for (const auto& b : BlockList()) max_end = std::max(max_end, b->meta().max_time);
  open_stats_.blocks = BlockList().size();
  // The WAL's samples below the newest block's end are in blocks already.
  if (max_end != storage::kMinTime) head_->SetMinValidTime(max_end);
  return Status::Ok();
}

Status Db::Replay() {
  std::vector<wal::SeriesRecord> series;
  std::vector<wal::LabelView> labels;
  std::vector<wal::SampleRecord> samples;
  std::vector<SampleRecord> head_samples;
  std::vector<wal::MetadataRecord> metadata;
  auto on_record = [&](std::string_view record, const wal::Position& at) -> Status {
    ++open_stats_.records;
    ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
    switch (type) {
      case wal::RecordType::kSeries: {
        RETURN_IF_ERROR(wal::DecodeSeries(record, &series, &labels));
        for (const wal::SeriesRecord& s : series) {
          std::vector<std::pair<std::string_view, std::string_view>> pairs(s.labels.begin(),
                                                                           s.labels.end());
          Status st = head_->ReplaySeries(s.ref, storage::Labels::FromPairs(std::move(pairs)));
          if (!st.ok()) {
            return st.Annotate("tsdb: WAL series record in segment " + std::to_string(at.segment) +
                               " at offset " + std::to_string(at.offset));
          }
          ++open_stats_.series;
        }
        return Status::Ok();
      }
      case wal::RecordType::kSamples: {
        RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
        head_samples.clear();
        for (const wal::SampleRecord& s : samples) head_samples.push_back({s.ref, s.t_ms, s.v});
        ReplayStats st = head_->ReplaySamples(head_samples);
        open_stats_.samples += st.samples;
        open_stats_.samples_in_head_chunks += st.in_chunks;
        open_stats_.samples_rejected += st.rejected;
        open_stats_.unknown_refs += st.unknown_refs;
        return Status::Ok();
      }
      case wal::RecordType::kMetadata: {
        RETURN_IF_ERROR(wal::DecodeMetadata(record, &metadata));
        for (const wal::MetadataRecord& m : metadata) {
          head_->ReplayMetadata(m.family, {FromWal(m.type), std::string(m.unit), std::string(m.help)});
          ++open_stats_.metadata;
        }
        return Status::Ok();
      }
      case wal::RecordType::kTombstones:
        return Status::Ok();  // no deletion API yet: nothing writes them
    }
    return Status::Ok();
  };
  return wal_->ReplayAll(on_record);
}

Db::~Db() { (void)Close(); }

std::unique_ptr<storage::Appender> Db::NewAppender() {
  return std::make_unique<DbAppender>(this, head_->NewAppender());
}

std::unique_ptr<storage::Querier> Db::NewQuerier(const storage::QueryLimits& limits) {
  return std::make_unique<DbQuerier>(this, limits);
}

std::vector<std::shared_ptr<Block>> Db::BlockList() const {
  std::shared_lock lock(blocks_mu_);
  return blocks_;
}

std::vector<BlockMeta> Db::blocks() const {
  std::vector<BlockMeta> out;
  for (const auto& b : BlockList()) out.push_back(b->meta());
  return out;
}

int64_t Db::max_time() const {
  int64_t t = head_->max_time();
  for (const auto& b : BlockList()) t = std::max(t, b->meta().max_time - 1);
  return t;
}

CompactionStats Db::compaction_stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void Db::MaybeWakeCompactor() {
  if (!bg_.joinable()) return;
  int64_t lo = head_->min_time(), hi = head_->max_time();
  if (lo > hi) return;
  int64_t range = options_.head.chunk_range_ms;
  if (SatSub(hi, lo) <= range + range / 2) return;
  if (wake_pending_.exchange(true)) return;
  std::lock_guard lock(bg_mu_);
  bg_wake_ = true;
  bg_cv_.notify_one();
}

void Db::BackgroundLoop() {
  auto log = GetLogger("tsdb");
  std::unique_lock lock(bg_mu_);
  bg_wake_ = true;  // look once at start: the replayed head may be due
  while (!bg_stop_) {
    bg_cv_.wait_for(lock, std::chrono::milliseconds(options_.compaction_interval_ms),
                    [&] { return bg_stop_ || bg_wake_; });
    if (bg_stop_) break;
    bg_wake_ = false;
    lock.unlock();
    wake_pending_.store(false);
    Status st = Compact();
    if (!st.ok()) log->error("tsdb: compaction of {} failed (retried later): {}", dir_, st.ToString());
    lock.lock();
  }
}

Status Db::Compact() {
  std::lock_guard lock(compact_mu_);
  if (closed_) return FailedPrecondition("tsdb: compaction after Close");
  Status st = CompactHead();
  if (st.ok()) st = CompactBlocks();
  if (st.ok()) st = ApplyRetention();
  if (!st.ok()) {
    std::lock_guard s(stats_mu_);
    ++stats_.failures;
  }
  return st;
}

Status Db::CompactHead() {
  const int64_t range = options_.head.chunk_range_ms;
  for (;;) {
    int64_t lo = head_->min_time(), hi = head_->max_time();
    if (lo > hi || SatSub(hi, lo) <= range + range / 2) return Status::Ok();
    // After a truncation min_time() is the truncation point; the data may start much later
    // (a gap in ingestion). The block then spans from the truncation point to the end of the
    // range holding the oldest sample: one block for the gap instead of one empty pass per
    // range, and nothing committed in the gap meanwhile can fall between two blocks.
    const int64_t oldest = std::max(lo, head_->OldestSampleTime());
    if (oldest > hi || SatSub(hi, oldest) <= range + range / 2) return Status::Ok();
    const int64_t mint = FloorDiv(lo, range) * range;
    int64_t maxt;
    if (__builtin_add_overflow(FloorDiv(oldest, range) * range, range, &maxt)) {
      return Status::Ok();
    }
    // From here on the head refuses samples below maxt, so the snapshot below is final.
    head_->SetMinValidTime(maxt);
    BlockMeta written;
    {
      auto q = head_->NewQuerier();
      ASSIGN_OR_RETURN(auto set, q->Select({}, mint, maxt - 1));
      BlockMeta meta;
      meta.level = 1;
      ASSIGN_OR_RETURN(written, WriteBlock(dir_, *set, mint, maxt, meta, options_.block));
    }
    const std::string block_dir = dir_ + "/" + written.id;
    if (written.stats.num_series == 0) {
      std::error_code ec;
      std::filesystem::remove_all(block_dir, ec);  // an empty range: nothing to keep
    } else {
      ASSIGN_OR_RETURN(auto block, Block::Open(block_dir));
      std::unique_lock lock(blocks_mu_);
      auto pos = std::upper_bound(blocks_.begin(), blocks_.end(), block,
                                  [](const auto& a, const auto& b) {
                                    return a->meta().min_time < b->meta().min_time;
                                  });
      blocks_.insert(pos, std::move(block));
    }
    Head::TruncateStats ts = head_->Truncate(maxt);
    GetLogger("tsdb")->info(
        "tsdb: head [{}, {}) written as block {} ({} series, {} samples); head truncated: {} "
        "chunks, {} series removed",
        mint, maxt, written.id, written.stats.num_series, written.stats.num_samples,
        ts.chunks_dropped, ts.series_removed);
    {
      std::lock_guard s(stats_mu_);
      ++stats_.head_compactions;
      stats_.series_removed += ts.series_removed;
    }
    // The WAL: everything but the segment being written goes into a checkpoint that keeps
    // the head's series and the samples at or after maxt.
    ASSIGN_OR_RETURN(uint32_t next, wal_->Cut());
    wal::SegmentRange segs = wal_->segments();
    if (next > segs.first) {
      ASSIGN_OR_RETURN(auto cp, wal_->Checkpoint(segs.first, next - 1,
                                                 [&](uint64_t ref) { return head_->HasSeries(ref); },
                                                 maxt));
      (void)cp;
      std::lock_guard s(stats_mu_);
      ++stats_.checkpoints;
    }
  }
}

Status Db::CompactBlocks() {
  const int64_t range = options_.head.chunk_range_ms;
  for (;;) {
    auto blocks = BlockList();
    if (blocks.size() < 2) return Status::Ok();
    int64_t newest_end = storage::kMinTime;
    for (const auto& b : blocks) newest_end = std::max(newest_end, b->meta().max_time);
    std::vector<std::shared_ptr<Block>> plan;
    for (int64_t mult : options_.compaction_ranges) {
      int64_t span;
      if (mult < 2 || __builtin_mul_overflow(range, mult, &span)) continue;
      // Group blocks by the span-aligned window holding them entirely.
      std::map<int64_t, std::vector<std::shared_ptr<Block>>> windows;
      for (const auto& b : blocks) {
        int64_t w = FloorDiv(b->meta().min_time, span);
        int64_t lo = w * span;
        if (b->meta().max_time - lo > span) continue;  // bigger than the window already
        windows[w].push_back(b);
      }
      for (auto& [w, members] : windows) {
        // A window is complete once the store has moved past its end.
        int64_t hi = w * span + span;
        if (members.size() < 2 || hi > newest_end) continue;
        plan = members;
        break;
      }
      if (!plan.empty()) break;
    }
    if (plan.empty()) return Status::Ok();
    BlockMeta meta;
    int64_t mint = storage::kMaxTime, maxt = storage::kMinTime;
    std::set<std::string> sources;
    std::vector<std::unique_ptr<storage::Querier>> queriers;
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (const auto& b : plan) {
      meta.level = std::max(meta.level, b->meta().level + 1);
      meta.parents.push_back(b->meta().id);
      sources.insert(b->meta().sources.begin(), b->meta().sources.end());
      mint = std::min(mint, b->meta().min_time);
      maxt = std::max(maxt, b->meta().max_time);
      queriers.push_back(b->NewQuerier());
    }
    meta.sources.assign(sources.begin(), sources.end());
    for (auto& q : queriers) {
      ASSIGN_OR_RETURN(auto set, q->Select({}, mint, maxt - 1));
      sets.push_back(std::move(set));
    }
    auto merged = storage::NewMergeSeriesSet(std::move(sets));
    ASSIGN_OR_RETURN(BlockMeta written, WriteBlock(dir_, *merged, mint, maxt, meta, options_.block));
    ASSIGN_OR_RETURN(auto block, Block::Open(dir_ + "/" + written.id));
    {
      std::unique_lock lock(blocks_mu_);
      auto pos = std::upper_bound(blocks_.begin(), blocks_.end(), block,
                                  [](const auto& a, const auto& b) {
                                    return a->meta().min_time < b->meta().min_time;
                                  });
      blocks_.insert(pos, std::move(block));
    }
    RETURN_IF_ERROR(DeleteBlocks(meta.parents));
    std::lock_guard s(stats_mu_);
    ++stats_.block_compactions;
  }
}

Status Db::ApplyRetention() {
  auto blocks = BlockList();
  if (blocks.empty()) return Status::Ok();
  std::vector<std::string> drop;
  std::set<std::string> dropped;
  if (options_.retention_time_ms > 0) {
    int64_t newest = max_time();
    int64_t cutoff = SatSub(newest, options_.retention_time_ms);
    for (const auto& b : blocks) {
      if (b->meta().max_time <= cutoff) {
        drop.push_back(b->meta().id);
        dropped.insert(b->meta().id);
      }
    }
  }
  if (options_.retention_size_bytes > 0) {
    uint64_t total = 0;
    for (const auto& b : blocks) {
      if (!dropped.count(b->meta().id)) total += b->size_bytes();
    }
    for (const auto& b : blocks) {  // oldest first
      if (total <= options_.retention_size_bytes) break;
      if (dropped.count(b->meta().id)) continue;
      total -= b->size_bytes();
      drop.push_back(b->meta().id);
      dropped.insert(b->meta().id);
    }
  }
  if (drop.empty()) return Status::Ok();
  RETURN_IF_ERROR(DeleteBlocks(drop));
  GetLogger("tsdb")->info("tsdb: retention deleted {} blocks of {}", drop.size(), dir_);
  std::lock_guard s(stats_mu_);
  stats_.blocks_deleted_retention += drop.size();
  return Status::Ok();
}

// Unlists the blocks (queriers holding them keep reading their mapped files), renames each
// directory to <id>.deleted (atomic; Open finishes an interrupted removal), then removes it.
Status Db::DeleteBlocks(const std::vector<std::string>& ids) {
  if (ids.empty()) return Status::Ok();
  std::set<std::string> set(ids.begin(), ids.end());
  {
    std::unique_lock lock(blocks_mu_);
    std::erase_if(blocks_, [&](const auto& b) { return set.count(b->meta().id) > 0; });
  }
  for (const std::string& id : ids) {
    std::string from = dir_ + "/" + id, to = from + ".deleted";
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return wal::internal::ErrnoStatus(errno, "renaming deleted block", from);
    }
  }
  RETURN_IF_ERROR(wal::internal::SyncDir(dir_));
  for (const std::string& id : ids) {
    std::error_code ec;
    std::filesystem::remove_all(dir_ + "/" + id + ".deleted", ec);
  }
  return Status::Ok();
}

Status Db::Close() {
  {
    std::lock_guard lock(bg_mu_);
    bg_stop_ = true;
    bg_cv_.notify_all();
  }
  if (bg_.joinable()) bg_.join();
  {
    std::lock_guard lock(compact_mu_);
    closed_ = true;
  }
  if (!wal_) return Status::Ok();
  Status s = wal_->Close();
  return s;
}

}  // namespace astrolabe::tsdb
