#pragma once
// LogStore: the file_storage extension's key-value store. One file per client, an
// append-only log of records; each record is one atomic batch of Set/Delete operations,
// guarded by a CRC-32. An in-memory index maps every live key to where its value sits
// in the file; values are read back with pread. Compaction rewrites the live keys into a
// fresh file and renames it over the old one. Format: docs/design/file_storage.md.
//
// Opening replays the log. A record that is cut short (the process died in the middle
// of a write) or fails its CRC ends the log: it and everything after it are truncated
// away, and one warning line says how many bytes went and why. Every record before it
// is kept. A file that does not start with our magic is refused, never overwritten.
//
// Durability: a write returns after write(2) handed the whole record to the kernel, so
// it survives kill -9. With `fsync` it also returns only after fdatasync(2), so it
// survives a power loss.
//
// Thread-safe: every public method takes the store's mutex.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/storage.h"

namespace spdlog {
class logger;
}

namespace astrolabe::extension::file_storage {

// Fixed parts of the format (docs/design/file_storage.md).
inline constexpr std::string_view kMagic = "ASTROKV\n";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderBytes = 16;         // magic, version, reserved
inline constexpr size_t kRecordHeaderBytes = 8;        // crc32, length
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;  // payload limit: 1 GiB
inline constexpr uint8_t kRecordBatch = 1;
inline constexpr uint8_t kOpSet = 1;
inline constexpr uint8_t kOpDelete = 2;

// Where a live value is: its bytes start at `offset` in the file.
struct ValueRef {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Random access to the bytes of a log (a file, or memory in tests and the fuzzer).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `n` bytes at `offset` into `out`. REQUIRES: offset + n <= size().
  virtual Status ReadAt(uint64_t offset, size_t n, char* out) const = 0;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Status ReadAt(uint64_t offset, size_t n, char* out) const override;

 private:
  std::string_view bytes_;
};

// What replaying a log found.
struct ReplayResult {
  std::unordered_map<std::string, ValueRef> index;  // live keys
  uint64_t valid_end = 0;   // offset just past the last good record (or the header)
  uint64_t live_bytes = 0;  // sum over live keys of key, value and per-entry overhead
  uint64_t records = 0;     // good records replayed
  bool empty_file = false;  // no header yet (a new or torn-at-creation file)
  // Empty when the log ended cleanly; otherwise why the tail from valid_end was dropped
  // ("record at offset 123 is cut short: 40 of 4096 bytes").
  std::string tail_problem;
};

// Replays the log in `source`. Errors only when the bytes are not ours (bad magic or an
// unknown version); torn or corrupt records are reported in tail_problem.
Result<ReplayResult> Replay(const ByteSource& source);

// Encodes one record holding the Set and Delete operations of `ops` (Gets are skipped);
// appends it to `out`. Sets *value_offsets[i] to the offset of op i's value relative to
// the start of the record (Set ops only). Error when the payload would pass
// kMaxRecordBytes.
Status EncodeRecord(std::span<const component::StorageOperation> ops, std::string* out,
                    std::vector<uint64_t>* value_offsets);

// The 16-byte file header.
std::string FileHeader();

// Bytes a live key is charged in live_bytes: key + value + kEntryOverhead.
inline constexpr uint64_t kEntryOverhead = 16;

struct LogStoreOptions {
  bool fsync = false;
  // How long Open waits for another process's lock on the file.
  Duration lock_timeout = std::chrono::seconds(1);
  // Automatic compaction: after a write, when the file is larger than
  // `auto_compact_min_bytes` and more than `auto_compact_ratio` times the live bytes.
  uint64_t auto_compact_min_bytes = uint64_t{4} << 20;
  double auto_compact_ratio = 2.0;
};

class LogStore {
 public:
  // Opens (replaying) or prepares `path`. The file is created by the first write, so a
  // store that is never written leaves nothing on disk. Takes an exclusive flock on an
  // existing file, waiting up to options.lock_timeout.
  static Result<std::unique_ptr<LogStore>> Open(std::string path, LogStoreOptions options,
                                                std::shared_ptr<spdlog::logger> logger);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  Result<std::optional<std::string>> Get(std::string_view key);
  // Applies `ops` in order as one atomic record (see component/storage.h).
  Status Apply(std::span<component::StorageOperation> ops);
  // Rewrites the live keys into a new file. No-op on a store with no file.
  Status Compact();
  // Releases the file. Idempotent; later calls fail with kFailedPrecondition.
  Status Close();

  const std::string& path() const { return path_; }
  uint64_t file_bytes() const;
  uint64_t live_bytes() const;
  size_t key_count() const;

 private:
  LogStore(std::string path, LogStoreOptions options, std::shared_ptr<spdlog::logger> logger);
  Status OpenExisting();
  Status CreateFile();
  Status WriteAll(int fd, std::string_view bytes);
  Status CompactLocked();
  Result<std::string> ReadValue(const ValueRef& ref) const;

  const std::string path_;
  const LogStoreOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mu_;
  int fd_ = -1;                                      // GUARDED_BY(mu_); -1: no file yet
  bool closed_ = false;                              // GUARDED_BY(mu_)
  uint64_t end_ = 0;                                 // GUARDED_BY(mu_): file length
  uint64_t live_bytes_ = 0;                          // GUARDED_BY(mu_)
  std::unordered_map<std::string, ValueRef> index_;  // GUARDED_BY(mu_)
};

}  // namespace astrolabe::extension::file_storage
