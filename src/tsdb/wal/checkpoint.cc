// Wal::Checkpoint: compacts the oldest segments into checkpoint.<last> (see wal.h).

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "tsdb/wal/file_util.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb::wal {

using internal::ErrnoStatus;
using internal::JoinPath;

namespace {

// Writes records into numbered segments of a new directory with plain buffered writes; the
// checkpoint becomes visible only by the rename at the end, so no group commit is needed.
class SegmentDirWriter {
 public:
  SegmentDirWriter(std::string dir, uint64_t segment_size)
      : dir_(std::move(dir)), segment_size_(segment_size) {}
  ~SegmentDirWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Add(std::string_view record) {
    if (fd_ < 0) RETURN_IF_ERROR(OpenNext());
    if (size_ > 0 && size_ + FramedSize(record.size(), size_) > segment_size_) {
      RETURN_IF_ERROR(CloseCurrent());
      RETURN_IF_ERROR(OpenNext());
    }
    FrameRecord(record, &size_, &buffer_);
    if (buffer_.size() >= (1u << 20)) return Flush();
    return Status::Ok();
  }

  // Flushes, syncs and closes the last segment, then syncs the directory.
  Status Finish() {
    if (fd_ >= 0) RETURN_IF_ERROR(CloseCurrent());
    return internal::SyncDir(dir_);
  }

  uint64_t bytes() const { return total_; }

 private:
  Status OpenNext() {
    path_ = JoinPath(dir_, SegmentName(next_++));
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoStatus(errno, "creating checkpoint segment", path_);
    size_ = 0;
    flushed_ = 0;
    return Status::Ok();
  }

  Status Flush() {
    RETURN_IF_ERROR(internal::WriteAll(fd_, buffer_.data(), buffer_.size(), flushed_, path_));
    flushed_ += buffer_.size();
    total_ += buffer_.size();
    buffer_.clear();
    return Status::Ok();
  }

  Status CloseCurrent() {
    RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "syncing", path_);
    ::close(fd_);
    fd_ = -1;
    return Status::Ok();
  }

  std::string dir_;
  uint64_t segment_size_;
  uint32_t next_ = 0;
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  uint64_t flushed_ = 0;
  uint64_t total_ = 0;
  std::string buffer_;
};

struct OwnedMetadata {
  uint64_t ref = 0;
  MetricType type = MetricType::kUnknown;
  std::string family;
  std::string unit;
  std::string help;
};

struct MetadataKey {
  uint64_t ref;
  std::string family;
  bool operator==(const MetadataKey&) const = default;
};

struct MetadataKeyHash {
  size_t operator()(const MetadataKey& k) const {
    return std::hash<std::string>()(k.family) ^
           (std::hash<uint64_t>()(k.ref) * 0x9E3779B97F4A7C15ull);
  }
};

}  // namespace

Result<CheckpointStats> Wal::Checkpoint(uint32_t first, uint32_t last, const KeepSeries& keep,
                                        int64_t min_time_ms) {
  std::lock_guard checkpoint_lock(checkpoint_mu_);
  std::optional<uint32_t> previous;
  uint32_t from = 0;
  {
    std::unique_lock lock(mu_);
    if (!has_active_locked()) return FailedPrecondition(fmt::format("WAL {} is closed", dir_));
    if (first > last) {
      return InvalidArgument(fmt::format("WAL checkpoint of segments {} to {}", first, last));
    }
    if (last >= active_index_locked()) {
      return FailedPrecondition(fmt::format(
          "WAL checkpoint up to segment {} must stop below the segment being written ({}); call "
          "Cut() first",
          last, active_index_locked()));
    }
    previous = checkpoint_;
    from = first_segment_;
    if (first > from) {
      return FailedPrecondition(fmt::format(
          "WAL checkpoint from segment {} would drop segments {} to {}, which no checkpoint holds",
          first, from, first - 1));
    }
    if (last < from) {
      return FailedPrecondition(
          fmt::format("WAL segment {} is already in checkpoint.{}", last, SegmentName(from - 1)));
    }
    // Records queued for these segments before they were closed must be on disk before the
    // checkpoint reads them, or they would be deleted unread.
    RETURN_IF_ERROR(WaitWrittenLocked(last, lock));
  }

  CheckpointStats stats;
  stats.index = last;
  const std::string final_dir = JoinPath(dir_, internal::CheckpointName(last));
  const std::string tmp_dir = final_dir + ".tmp";
  std::error_code ec;
  std::filesystem::remove_all(tmp_dir, ec);
  if (!std::filesystem::create_directory(tmp_dir, ec) || ec) {
    return Internal(fmt::format("creating checkpoint directory {}: {}", tmp_dir, ec.message()));
  }
  Status status = [&]() -> Status {
    SegmentDirWriter writer(tmp_dir, options_.segment_size);
    std::vector<SeriesRecord> series;
    std::vector<LabelView> labels;
    std::vector<SampleRecord> samples;
    std::vector<TombstoneRecord> tombstones;
    std::vector<MetadataRecord> metadata;
    // Latest metadata per key, written in first-seen order (deterministic output).
    std::unordered_map<MetadataKey, size_t, MetadataKeyHash> latest_metadata;
    std::vector<OwnedMetadata> metadata_order;
    std::string out;
    auto filter = [&](std::string_view rec, const Position&) -> Status {
      auto type = PeekRecordType(rec);
      if (!type.ok()) {
        ++stats.unknown_records_dropped;
        return Status::Ok();
      }
      switch (*type) {
        case RecordType::kSeries: {
          RETURN_IF_ERROR(DecodeSeries(rec, &series, &labels));
          size_t kept = 0;
          for (const auto& s : series) {
            if (keep(s.ref)) series[kept++] = s;
          }
          stats.series_kept += kept;
          stats.series_dropped += series.size() - kept;
          if (kept == 0) return Status::Ok();
          EncodeSeries(std::span(series.data(), kept), &out);
          return writer.Add(out);
        }
        case RecordType::kSamples: {
          RETURN_IF_ERROR(DecodeSamples(rec, &samples));
          size_t kept = 0;
          for (const auto& s : samples) {
            if (s.t_ms >= min_time_ms) samples[kept++] = s;
          }
          stats.samples_kept += kept;
          stats.samples_dropped += samples.size() - kept;
          if (kept == 0) return Status::Ok();
          EncodeSamples(std::span(samples.data(), kept), &out);
          return writer.Add(out);
        }
        case RecordType::kTombstones: {
          RETURN_IF_ERROR(DecodeTombstones(rec, &tombstones));
          size_t kept = 0;
          for (const auto& t : tombstones) {
            if (t.maxt >= min_time_ms && keep(t.ref)) tombstones[kept++] = t;
          }
          stats.tombstones_kept += kept;
          stats.tombstones_dropped += tombstones.size() - kept;
          if (kept == 0) return Status::Ok();
          EncodeTombstones(std::span(tombstones.data(), kept), &out);
          return writer.Add(out);
        }
        case RecordType::kMetadata: {
          RETURN_IF_ERROR(DecodeMetadata(rec, &metadata));
          for (const auto& m : metadata) {
            // Family metadata is kept whatever the series; per-series metadata follows keep().
            if (m.family.empty() && !keep(m.ref)) {
              ++stats.metadata_dropped;
              continue;
            }
            auto [it, inserted] = latest_metadata.try_emplace(
                MetadataKey{m.ref, std::string(m.family)}, metadata_order.size());
            if (inserted) {
              metadata_order.push_back({});
            } else {
              ++stats.metadata_dropped;  // superseded
            }
            metadata_order[it->second] = OwnedMetadata{m.ref, m.type, std::string(m.family),
                                                       std::string(m.unit), std::string(m.help)};
          }
          return Status::Ok();
        }
      }
      return Status::Ok();
    };
    if (previous) {
      std::string cp_dir = JoinPath(dir_, internal::CheckpointName(*previous));
      ASSIGN_OR_RETURN(auto cp_segments, internal::ListSegments(cp_dir));
      if (!cp_segments.empty()) {
        RETURN_IF_ERROR(ReplaySegments(cp_dir, cp_segments.front(), cp_segments.back(),
                                       /*checkpoint=*/true, filter));
      }
    }
    RETURN_IF_ERROR(ReplaySegments(dir_, from, last, /*checkpoint=*/false, filter));
    // The latest metadata of every kept series, in batches of bounded size.
    std::vector<MetadataRecord> batch;
    for (const auto& m : metadata_order) {
      batch.push_back(MetadataRecord{m.ref, m.type, m.unit, m.help, m.family});
      if (batch.size() == 1024) {
        EncodeMetadata(batch, &out);
        RETURN_IF_ERROR(writer.Add(out));
        batch.clear();
      }
    }
    if (!batch.empty()) {
      EncodeMetadata(batch, &out);
      RETURN_IF_ERROR(writer.Add(out));
    }
    stats.metadata_kept = latest_metadata.size();
    RETURN_IF_ERROR(writer.Finish());
    stats.bytes_written = writer.bytes();
    return Status::Ok();
  }();
  if (!status.ok()) {
    std::filesystem::remove_all(tmp_dir, ec);
    return status.Annotate(fmt::format("writing WAL checkpoint {}", final_dir));
  }

  // The rename publishes the checkpoint; the directory sync makes the rename durable before
  // anything it replaces is deleted.
  std::filesystem::remove_all(final_dir, ec);
  if (::rename(tmp_dir.c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    std::filesystem::remove_all(tmp_dir, ec);
    return ErrnoStatus(err, fmt::format("renaming {} to", tmp_dir), final_dir);
  }
  RETURN_IF_ERROR(internal::SyncDir(dir_));
  {
    std::lock_guard lock(mu_);
    checkpoint_ = last;
    first_segment_ = last + 1;
  }
  for (uint32_t s = from; s <= last; ++s) {
    std::string path = JoinPath(dir_, SegmentName(s));
    if (::unlink(path.c_str()) == 0) ++stats.segments_deleted;
  }
  if (previous) {
    std::filesystem::remove_all(JoinPath(dir_, internal::CheckpointName(*previous)), ec);
  }
  RETURN_IF_ERROR(internal::SyncDir(dir_));
  counters_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  GetLogger("tsdb/wal")
      ->info(
          "WAL: checkpoint.{} written from segments {} to {}: {} series, {} samples kept, "
          "{} series, {} samples dropped, {} bytes",
          SegmentName(last), SegmentName(from), SegmentName(last), stats.series_kept,
          stats.samples_kept, stats.series_dropped, stats.samples_dropped, stats.bytes_written);
  return stats;
}

}  // namespace astrolabe::tsdb::wal
