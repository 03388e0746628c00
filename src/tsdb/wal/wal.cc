#include "tsdb/wal/wal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "common/log.h"
#include "tsdb/wal/file_util.h"
#include "tsdb/wal/format.h"

namespace astrolabe::tsdb::wal {

using internal::ErrnoStatus;
using internal::JoinPath;

// One segment file open for writing. `complete` is how many bytes have been written (the
// leader advances it after each write); `sealed_size` is the final size once the segment is
// no longer the active one (written under mu_).
struct Wal::Segment {
  uint32_t index = 0;
  int fd = -1;
  std::string path;
  std::atomic<uint64_t> complete{0};
  uint64_t sealed_size = UINT64_MAX;

  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
};

// Framed bytes queued for one segment, starting at `offset`.
struct Wal::Chunk {
  std::shared_ptr<Segment> segment;
  uint64_t offset = 0;
  std::string bytes;
};

namespace {

constexpr uint64_t kMinSegmentSize = 64 * 1024;

std::shared_ptr<spdlog::logger> Logger() { return GetLogger("tsdb/wal"); }

void AtomicMax(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

Result<SyncMode> ParseSyncMode(std::string_view text) {
  if (text == "always") return SyncMode::kAlways;
  if (text == "interval") return SyncMode::kInterval;
  return InvalidArgument(fmt::format("sync mode \"{}\": want always or interval", text));
}

Wal::Wal(std::string dir, Options options) : dir_(std::move(dir)), options_(options) {}

Wal::~Wal() {
  (void)Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // Open failed before a Close could run
}

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, const Options& options) {
  if (options.segment_size < kMinSegmentSize) {
    return InvalidArgument(fmt::format("WAL segment_size {} is below the minimum {}",
                                       options.segment_size, kMinSegmentSize));
  }
  if (options.sync == SyncMode::kInterval && options.sync_interval.count() <= 0) {
    return InvalidArgument("WAL sync_interval must be positive with sync: interval");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal(fmt::format("creating WAL directory {}: {}", dir, ec.message()));

  std::unique_ptr<Wal> wal(new Wal(dir, options));
  std::string lock_path = JoinPath(dir, "lock");
  wal->lock_fd_ = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (wal->lock_fd_ < 0) return ErrnoStatus(errno, "opening", lock_path);
  if (::flock(wal->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition(
        fmt::format("WAL {} is in use by another process (lock on {})", dir, lock_path));
  }
  RETURN_IF_ERROR(wal->OpenLocked());
  if (options.sync == SyncMode::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

Status Wal::OpenLocked() {
  std::lock_guard lock(mu_);
  std::error_code ec;

  // Checkpoints: a .tmp directory is an interrupted Checkpoint(); older ones are leftovers of
  // an interrupted cleanup. Only the latest complete one counts.
  std::vector<std::string> temps;
  ASSIGN_OR_RETURN(auto checkpoints, internal::ListCheckpoints(dir_, &temps));
  for (const auto& t : temps) {
    Logger()->info("WAL: removing interrupted checkpoint {}", JoinPath(dir_, t));
    std::filesystem::remove_all(JoinPath(dir_, t), ec);
  }
  if (!checkpoints.empty()) {
    checkpoint_ = checkpoints.back();
    for (size_t i = 0; i + 1 < checkpoints.size(); ++i) {
      std::filesystem::remove_all(JoinPath(dir_, internal::CheckpointName(checkpoints[i])), ec);
    }
  }

  ASSIGN_OR_RETURN(auto segments, internal::ListSegments(dir_));
  if (checkpoint_) {
    // Segments the checkpoint already holds: a cleanup interrupted by a crash.
    auto keep_from = std::upper_bound(segments.begin(), segments.end(), *checkpoint_);
    for (auto it = segments.begin(); it != keep_from; ++it) {
      std::filesystem::remove(JoinPath(dir_, SegmentName(*it)), ec);
    }
    segments.erase(segments.begin(), keep_from);
    if (!segments.empty() && segments.front() != *checkpoint_ + 1) {
      return DataLoss(
          fmt::format("WAL {}: segments {} to {} between checkpoint.{} and segment {} are missing",
                      dir_, SegmentName(*checkpoint_ + 1), SegmentName(segments.front() - 1),
                      SegmentName(*checkpoint_), SegmentName(segments.front())));
    }
  }
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      return DataLoss(
          fmt::format("WAL {}: segment {} is followed by {}; the ones between are missing", dir_,
                      SegmentName(segments[i - 1]), SegmentName(segments[i])));
    }
  }

  if (options_.verify_on_open) {
    std::vector<std::pair<std::string, uint32_t>> files;  // (dir, segment) in replay order
    if (checkpoint_) {
      std::string cp_dir = JoinPath(dir_, internal::CheckpointName(*checkpoint_));
      ASSIGN_OR_RETURN(auto cp_segments, internal::ListSegments(cp_dir));
      for (uint32_t s : cp_segments) files.emplace_back(cp_dir, s);
    }
    for (size_t i = 0; i + 1 < segments.size(); ++i) files.emplace_back(dir_, segments[i]);
    for (const auto& [d, s] : files) {
      std::string path = JoinPath(d, SegmentName(s));
      ASSIGN_OR_RETURN(auto file, internal::MappedFile::Open(path));
      RecordReader reader(file.data());
      std::string_view rec;
      while (reader.Next(&rec)) {
      }
      if (reader.ok()) continue;
      Corruption c{path, Position{s, reader.error_offset(), d != dir_}, reader.error()};
      counters_.corruptions.fetch_add(1, std::memory_order_relaxed);
      corruption_ = c;
      if (!options_.repair_on_open || c.position.in_checkpoint) {
        return DataLoss(fmt::format("WAL {} offset {}: {}", path, c.position.offset, c.reason));
      }
      RepairReport report;
      RETURN_IF_ERROR(RepairAt(c, &report));
      segments.erase(std::upper_bound(segments.begin(), segments.end(), s), segments.end());
      break;
    }
  }

  uint32_t next = checkpoint_ ? *checkpoint_ + 1 : 0;
  bool reuse_last = false;
  if (!segments.empty()) {
    uint32_t last = segments.back();
    std::string path = JoinPath(dir_, SegmentName(last));
    uint64_t size = 0;
    bool damaged = false;
    {
      ASSIGN_OR_RETURN(auto file, internal::MappedFile::Open(path));
      RecordReader reader(file.data());
      std::string_view rec;
      while (reader.Next(&rec)) {
      }
      size = file.data().size();
      if (!reader.ok()) {
        uint64_t at = reader.error_offset();
        Logger()->warn("WAL: truncating damaged tail of {} at offset {} ({} bytes dropped): {}",
                       path, at, size - at, reader.error());
        counters_.corruptions.fetch_add(1, std::memory_order_relaxed);
        counters_.truncations.fetch_add(1, std::memory_order_relaxed);
        size = at;
        damaged = true;
      }
    }
    if (damaged) RETURN_IF_ERROR(internal::TruncateFile(path, size));
    // An empty last segment is written into; otherwise writing continues in a fresh segment,
    // so no write ever lands after bytes a crash may have left half-written.
    reuse_last = size == 0;
    next = reuse_last ? last : last + 1;
  }
  first_segment_ = segments.empty() ? next : segments.front();
  return CreateSegmentLocked(next, /*exclusive=*/!reuse_last);
}

Status Wal::CreateSegmentLocked(uint32_t index, bool exclusive) {
  auto seg = std::make_shared<Segment>();
  seg->index = index;
  seg->path = JoinPath(dir_, SegmentName(index));
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : 0);
  seg->fd = ::open(seg->path.c_str(), flags, 0644);
  if (seg->fd < 0) return ErrnoStatus(errno, "creating WAL segment", seg->path);
  // The new name must be durable before any record acknowledged in it is.
  RETURN_IF_ERROR(internal::SyncDir(dir_));
  if (active_) {
    active_->sealed_size = active_size_;
    unsynced_.push_back(active_);
  }
  for (auto it = live_.begin(); it != live_.end();) {
    it = it->second.expired() ? live_.erase(it) : std::next(it);
  }
  live_[index] = seg;
  active_ = std::move(seg);
  active_size_ = 0;
  counters_.segments_created.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status Wal::Log(std::span<const std::string_view> records) {
  std::unique_lock lock(mu_);
  if (closed_) return FailedPrecondition(fmt::format("WAL {} is closed", dir_));
  if (!failed_.ok()) {
    if (!recoverable_ || writing_) return failed_;
    RETURN_IF_ERROR(RecoverFromWriteErrorLocked());
  }
  if (!active_) return FailedPrecondition(fmt::format("WAL {} has no segment to write", dir_));
  for (std::string_view rec : records) {
    uint64_t need = FramedSize(rec.size(), active_size_);
    if (active_size_ > 0 && active_size_ + need > options_.segment_size) {
      Status st = CreateSegmentLocked(active_->index + 1, /*exclusive=*/true);
      if (!st.ok()) {
        failed_ = st.Annotate("rolling over to a new WAL segment");
        cv_.notify_all();
        return failed_;
      }
    }
    if (pending_.empty() || pending_.back().segment != active_) {
      pending_.push_back(Chunk{active_, active_size_, {}});
    }
    FrameRecord(rec, &active_size_, &pending_.back().bytes);
  }
  counters_.records.fetch_add(records.size(), std::memory_order_relaxed);
  counters_.log_calls.fetch_add(1, std::memory_order_relaxed);
  const uint64_t ticket = ++next_ticket_;
  // Group commit: whoever finds no write under way writes everything queued so far, for
  // itself and for every caller queued behind it; the others wait for a batch holding theirs.
  while (done_ticket_ < ticket) {
    if (ticket <= failed_upto_) return last_write_failure_;
    if (!failed_.ok()) return failed_;
    if (writing_) {
      cv_.wait(lock);
      continue;
    }
    writing_ = true;
    std::vector<Chunk> chunks;
    chunks.swap(pending_);
    std::vector<std::shared_ptr<Segment>> to_sync;
    to_sync.swap(unsynced_);
    const uint64_t upto = next_ticket_;
    const bool sync_all = options_.sync == SyncMode::kAlways;
    lock.unlock();
    bool write_error = false;
    Status st = WriteBatch(chunks, to_sync, sync_all, &write_error);
    lock.lock();
    writing_ = false;
    if (st.ok()) {
      done_ticket_ = upto;
      if (!sync_all) dirty_ = true;
    } else {
      failed_ = st;
      // Recoverable when the whole batch lay in the active segment: cutting it back to where
      // the batch began removes every byte of the failed tickets (and only those).
      recoverable_ = write_error && to_sync.empty() && !chunks.empty() &&
                     std::all_of(chunks.begin(), chunks.end(),
                                 [&](const Chunk& c) { return c.segment == active_; });
      if (recoverable_) {
        rollback_segment_ = active_;
        rollback_offset_ = chunks.front().offset;
        failed_upto_ = next_ticket_;
        last_write_failure_ = st;
      }
    }
    chunks.clear();
    to_sync.clear();
    cv_.notify_all();
  }
  return Status::Ok();
}

Status Wal::RecoverFromWriteErrorLocked() {
  // Nothing makes another segment active while failed_ is set (Log and Cut refuse); checked.
  if (rollback_segment_ != active_) return failed_;
  if (::ftruncate(active_->fd, static_cast<off_t>(rollback_offset_)) != 0) {
    Logger()->error("WAL: cannot cut {} back to {} after a failed write: {}", active_->path,
                    rollback_offset_, std::strerror(errno));
    return failed_;
  }
  Logger()->warn("WAL: writing into {} again after a failed write ({}); cut back to {} bytes",
                 active_->path, failed_.message(), rollback_offset_);
  active_size_ = rollback_offset_;
  // Readers go up to `complete`: earlier chunks of the failed group may have moved it past the cut.
  if (active_->complete.load() > rollback_offset_) active_->complete.store(rollback_offset_);
  pending_.clear();  // queued by tickets <= failed_upto_: all failed
  recoverable_ = false;
  rollback_segment_.reset();
  failed_ = Status::Ok();
  return Status::Ok();
}

Status Wal::WriteBatch(std::vector<Chunk>& chunks, std::vector<std::shared_ptr<Segment>>& to_sync,
                       bool sync_all, bool* write_error) {
  // A segment is made durable before anything is written to the next one, in both modes: after
  // a power loss only the last segment can then have a torn tail, which Open repairs.
  auto has_chunk = [&chunks](const Segment* seg) {
    return std::any_of(chunks.begin(), chunks.end(),
                       [seg](const Chunk& c) { return c.segment.get() == seg; });
  };
  // Closed segments with bytes in this batch are synced once those bytes are written.
  for (const auto& seg : to_sync) {
    if (!has_chunk(seg.get())) RETURN_IF_ERROR(SyncSegment(*seg));
  }
  uint64_t bytes = 0;
  const Segment* prev = nullptr;
  for (const Chunk& c : chunks) {
    if (prev != nullptr && prev != c.segment.get()) RETURN_IF_ERROR(SyncSegment(*prev));
    prev = c.segment.get();
    if (Status st = internal::WriteAll(c.segment->fd, c.bytes.data(), c.bytes.size(), c.offset,
                                       c.segment->path);
        !st.ok()) {
      *write_error = true;
      return st;
    }
    c.segment->complete.store(c.offset + c.bytes.size(), std::memory_order_release);
    bytes += c.bytes.size();
  }
  counters_.bytes.fetch_add(bytes, std::memory_order_relaxed);
  counters_.writes.fetch_add(1, std::memory_order_relaxed);
  if (prev != nullptr) {
    bool closed = std::any_of(to_sync.begin(), to_sync.end(),
                              [prev](const auto& seg) { return seg.get() == prev; });
    if (sync_all || closed) RETURN_IF_ERROR(SyncSegment(*prev));
  }
  return Status::Ok();
}

Status Wal::SyncSegment(const Segment& segment) {
  auto start = std::chrono::steady_clock::now();
  int rc = ::fdatasync(segment.fd);
  int err = errno;
  auto nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  counters_.fsync_nanos.fetch_add(nanos, std::memory_order_relaxed);
  AtomicMax(counters_.fsync_max_nanos, nanos);
  if (rc != 0) return ErrnoStatus(err, "syncing WAL segment", segment.path);
  return Status::Ok();
}

Status Wal::SyncNow(bool only_if_dirty) {
  std::shared_ptr<Segment> active;
  std::vector<std::shared_ptr<Segment>> to_sync;
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) return failed_;
    if (only_if_dirty && !dirty_ && unsynced_.empty()) return Status::Ok();
    dirty_ = false;
    active = active_;
    to_sync.swap(unsynced_);
  }
  Status st;
  for (const auto& seg : to_sync) {
    if (st.ok()) st = SyncSegment(*seg);
  }
  if (st.ok() && active) st = SyncSegment(*active);
  if (!st.ok()) {
    std::lock_guard lock(mu_);
    if (failed_.ok()) failed_ = st;
    cv_.notify_all();
  }
  return st;
}

Status Wal::Sync() { return SyncNow(/*only_if_dirty=*/false); }

void Wal::SyncLoop() {
  while (true) {
    {
      std::unique_lock lock(sync_mu_);
      if (sync_cv_.wait_for(lock, options_.sync_interval, [this] { return stop_sync_; })) return;
    }
    Status st = SyncNow(/*only_if_dirty=*/true);
    if (!st.ok()) {
      Logger()->error("WAL: background sync failed, the log now refuses writes: {}", st.message());
      return;
    }
  }
}

uint32_t Wal::active_index_locked() const { return active_->index; }

Status Wal::WaitWrittenLocked(uint32_t last, std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [&] {
    if (!failed_.ok()) return true;
    for (const auto& [index, weak] : live_) {
      if (index > last) break;
      auto seg = weak.lock();
      if (seg && seg->complete.load(std::memory_order_acquire) < seg->sealed_size) return false;
    }
    return true;
  });
  return failed_;
}

Result<uint32_t> Wal::Cut() {
  std::lock_guard lock(mu_);
  if (closed_) return FailedPrecondition(fmt::format("WAL {} is closed", dir_));
  if (!failed_.ok()) return failed_;
  if (!active_) return FailedPrecondition(fmt::format("WAL {} has no segment to write", dir_));
  if (active_size_ == 0) return active_->index;
  RETURN_IF_ERROR(CreateSegmentLocked(active_->index + 1, /*exclusive=*/true));
  return active_->index;
}

SegmentRange Wal::segments() const {
  std::lock_guard lock(mu_);
  return SegmentRange{first_segment_, active_ ? active_->index : first_segment_};
}

std::optional<uint32_t> Wal::checkpoint() const {
  std::lock_guard lock(mu_);
  return checkpoint_;
}

std::optional<Corruption> Wal::last_corruption() const {
  std::lock_guard lock(mu_);
  return corruption_;
}

Status Wal::ReplaySegments(const std::string& dir, uint32_t first, uint32_t last, bool checkpoint,
                           const RecordCallback& callback) {
  for (uint32_t s = first; s <= last; ++s) {
    std::string path = JoinPath(dir, SegmentName(s));
    uint64_t limit = UINT64_MAX;
    if (!checkpoint) {
      // A segment this process writes is read only as far as its writes have completed.
      std::lock_guard lock(mu_);
      auto it = live_.find(s);
      if (it != live_.end()) {
        if (auto seg = it->second.lock()) limit = seg->complete.load(std::memory_order_acquire);
      }
    }
    auto file = internal::MappedFile::Open(path);
    if (!file.ok()) {
      if (file.status().code() == StatusCode::kNotFound) {
        return DataLoss(fmt::format("WAL segment {} is missing", path));
      }
      return file.status();
    }
    std::string_view data = file->data().substr(0, std::min<uint64_t>(limit, file->data().size()));
    RecordReader reader(data);
    std::string_view rec;
    uint64_t count = 0;
    while (reader.Next(&rec)) {
      ++count;
      Status st = callback(rec, Position{s, reader.record_offset(), checkpoint});
      if (!st.ok()) {
        counters_.replayed_records.fetch_add(count, std::memory_order_relaxed);
        return st.Annotate(
            fmt::format("replaying WAL record at {} offset {}", path, reader.record_offset()));
      }
    }
    counters_.replayed_records.fetch_add(count, std::memory_order_relaxed);
    counters_.replayed_bytes.fetch_add(data.size(), std::memory_order_relaxed);
    if (!reader.ok()) {
      Corruption c{path, Position{s, reader.error_offset(), checkpoint}, reader.error()};
      counters_.corruptions.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(mu_);
        corruption_ = c;
      }
      return DataLoss(fmt::format("WAL {} offset {}: {}", path, c.position.offset, c.reason));
    }
  }
  return Status::Ok();
}

Status Wal::Replay(uint32_t from_segment, const RecordCallback& callback) {
  SegmentRange r = segments();
  return ReplaySegments(dir_, std::max(from_segment, r.first), r.last, /*checkpoint=*/false,
                        callback);
}

Status Wal::ReplayAll(const RecordCallback& callback) {
  std::optional<uint32_t> cp = checkpoint();
  if (cp) {
    std::string cp_dir = JoinPath(dir_, internal::CheckpointName(*cp));
    ASSIGN_OR_RETURN(auto cp_segments, internal::ListSegments(cp_dir));
    if (!cp_segments.empty()) {
      if (cp_segments.front() != 0 || cp_segments.back() + 1 != cp_segments.size()) {
        return DataLoss(fmt::format("WAL checkpoint {}: segments are not numbered 0..n", cp_dir));
      }
      RETURN_IF_ERROR(ReplaySegments(cp_dir, 0, cp_segments.back(), /*checkpoint=*/true, callback));
    }
  }
  return Replay(cp ? *cp + 1 : 0, callback);
}

namespace {

// Counts the records a repair drops from `data`: with `from_start`, every record a reader
// finds; otherwise the damaged record plus every record found after the damage.
uint64_t CountDropped(std::string_view data, bool from_start) {
  RecordReader reader(data);
  std::string_view rec;
  uint64_t n = 0;
  while (reader.Next(&rec)) ++n;
  if (!from_start) n = reader.ok() ? 0 : 1;
  while (reader.Resync()) {
    while (reader.Next(&rec)) ++n;
  }
  return n;
}

}  // namespace

Status Wal::RepairAt(const Corruption& c, RepairReport* report) {
  report->at = c;
  uint32_t s = c.position.segment;
  std::string path = JoinPath(dir_, SegmentName(s));
  {
    ASSIGN_OR_RETURN(auto file, internal::MappedFile::Open(path));
    std::string_view data = file.data();
    if (c.position.offset > data.size()) {
      return FailedPrecondition(
          fmt::format("WAL repair: offset {} is past the end of {}", c.position.offset, path));
    }
    report->dropped_bytes += data.size() - c.position.offset;
    report->dropped_records += CountDropped(data, /*from_start=*/false);
  }
  ASSIGN_OR_RETURN(auto segments, internal::ListSegments(dir_));
  for (auto it = segments.rbegin(); it != segments.rend() && *it > s; ++it) {
    std::string later = JoinPath(dir_, SegmentName(*it));
    {
      ASSIGN_OR_RETURN(auto file, internal::MappedFile::Open(later));
      report->dropped_bytes += file.data().size();
      report->dropped_records += CountDropped(file.data(), /*from_start=*/true);
    }
    if (::unlink(later.c_str()) != 0) return ErrnoStatus(errno, "deleting", later);
    ++report->deleted_segments;
  }
  RETURN_IF_ERROR(internal::TruncateFile(path, c.position.offset));
  RETURN_IF_ERROR(internal::SyncDir(dir_));
  counters_.truncations.fetch_add(1, std::memory_order_relaxed);
  Logger()->warn(
      "WAL: repaired {}: cut at offset {} ({}), deleted {} later segments, dropped {} records "
      "({} bytes)",
      path, c.position.offset, c.reason, report->deleted_segments, report->dropped_records,
      report->dropped_bytes);
  return Status::Ok();
}

Result<RepairReport> Wal::Repair() {
  std::lock_guard lock(mu_);
  if (!corruption_) return FailedPrecondition(fmt::format("WAL {}: no corruption to repair", dir_));
  Corruption c = *corruption_;
  if (c.position.in_checkpoint) {
    return FailedPrecondition(
        fmt::format("WAL damage at {} offset {} is in a checkpoint, which cannot be repaired",
                    c.path, c.position.offset));
  }
  if (writing_ || !pending_.empty()) {
    return FailedPrecondition("WAL repair while records are being logged");
  }
  // The active segment may be among the deleted ones: close it first, reopen after.
  active_.reset();
  unsynced_.clear();
  live_.clear();
  RepairReport report;
  RETURN_IF_ERROR(RepairAt(c, &report));
  corruption_.reset();
  failed_ = Status::Ok();
  RETURN_IF_ERROR(CreateSegmentLocked(c.position.segment + 1, /*exclusive=*/true));
  return report;
}

Status Wal::Close() {
  if (sync_thread_.joinable()) {
    {
      std::lock_guard lock(sync_mu_);
      stop_sync_ = true;
    }
    sync_cv_.notify_all();
    sync_thread_.join();
  }
  {
    std::unique_lock lock(mu_);
    if (closed_) return Status::Ok();
    // Callers already queued become leaders in turn and drain the queue.
    cv_.wait(lock, [this] { return !writing_ && (pending_.empty() || !failed_.ok()); });
    closed_ = true;
  }
  Status st;
  std::shared_ptr<Segment> active;
  std::vector<std::shared_ptr<Segment>> to_sync;
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) st = failed_;
    active = std::move(active_);
    to_sync.swap(unsynced_);
    live_.clear();
  }
  if (st.ok()) {
    for (const auto& seg : to_sync) {
      if (st.ok()) st = SyncSegment(*seg);
    }
    if (st.ok() && active) st = SyncSegment(*active);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock: the directory may be opened again
    lock_fd_ = -1;
  }
  return st;
}

Stats Wal::stats() const {
  Stats s;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.records = get(counters_.records);
  s.bytes = get(counters_.bytes);
  s.log_calls = get(counters_.log_calls);
  s.writes = get(counters_.writes);
  s.fsyncs = get(counters_.fsyncs);
  s.fsync_nanos = get(counters_.fsync_nanos);
  s.fsync_max_nanos = get(counters_.fsync_max_nanos);
  s.segments_created = get(counters_.segments_created);
  s.corruptions = get(counters_.corruptions);
  s.truncations = get(counters_.truncations);
  s.checkpoints = get(counters_.checkpoints);
  s.replayed_records = get(counters_.replayed_records);
  s.replayed_bytes = get(counters_.replayed_bytes);
  return s;
}

}  // namespace astrolabe::tsdb::wal
