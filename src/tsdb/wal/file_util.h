#pragma once
// POSIX file helpers for the WAL (internal). Every error names the path and the system error.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_util.h"
#include "common/status.h"

namespace astrolabe::tsdb::wal::internal {

// The generic helpers live in common/file_util.h.
using astrolabe::ErrnoStatus;
using astrolabe::FileSize;
using astrolabe::MappedFile;
using astrolabe::SyncDir;
using astrolabe::TruncateFile;
using astrolabe::WriteAll;

// Segment indexes in `dir` (8-digit file names), ascending.
Result<std::vector<uint32_t>> ListSegments(const std::string& dir);
// checkpoint.NNNNNNNN directories in `dir`, ascending; `.tmp` leftovers are in *temps.
Result<std::vector<uint32_t>> ListCheckpoints(const std::string& dir,
                                              std::vector<std::string>* temps);
std::string CheckpointName(uint32_t index);
std::string JoinPath(const std::string& dir, std::string_view name);

}  // namespace astrolabe::tsdb::wal::internal
