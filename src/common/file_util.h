#pragma once
// POSIX file helpers shared by the stores (tsdb WAL and blocks, span store). Every error
// names the path and the system error: ENOSPC/EDQUOT are kResourceExhausted, ENOENT
// kNotFound, the rest kInternal.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe {

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

// "<what> <path>: <strerror(err)>" with the code above.
Status ErrnoStatus(int err, std::string_view what, const std::string& path);
// fsync of a directory (after creating, renaming or removing entries in it).
Status SyncDir(const std::string& dir);
// pwrite of all `size` bytes at `offset`, retrying short writes and EINTR.
Status WriteAll(int fd, const char* data, size_t size, uint64_t offset, const std::string& path);
Status TruncateFile(const std::string& path, uint64_t size);  // ftruncate + fdatasync
Result<uint64_t> FileSize(const std::string& path);

}  // namespace astrolabe
