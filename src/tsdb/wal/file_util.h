#pragma once
// POSIX file helpers for the WAL (internal). Every error names the path and the system error.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::tsdb::wal::internal {

// A read-only mapping of a whole file (empty files map to an empty view). Move-only.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

Status ErrnoStatus(int err, std::string_view what, const std::string& path);
Status SyncDir(const std::string& dir);
Status WriteAll(int fd, const char* data, size_t size, uint64_t offset, const std::string& path);
Status TruncateFile(const std::string& path, uint64_t size);  // ftruncate + fdatasync
Result<uint64_t> FileSize(const std::string& path);

// Segment indexes in `dir` (8-digit file names), ascending.
Result<std::vector<uint32_t>> ListSegments(const std::string& dir);
// checkpoint.NNNNNNNN directories in `dir`, ascending; `.tmp` leftovers are in *temps.
Result<std::vector<uint32_t>> ListCheckpoints(const std::string& dir,
                                              std::vector<std::string>* temps);
std::string CheckpointName(uint32_t index);
std::string JoinPath(const std::string& dir, std::string_view name);

}  // namespace astrolabe::tsdb::wal::internal
