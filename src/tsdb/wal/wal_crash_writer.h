#pragma once
// The writer half of the WAL crash test; see wal_crash_writer.cc.

#include <cstdint>
#include <string>

#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb::wal::testing {

// Opens the WAL in `dir` and logs records from `threads` threads with ids from `first_id` on,
// writing each acknowledged id (8 bytes, native order) to `fd`, for at most 60 s. Returns the
// process exit code: 0 at the deadline, non-zero after an error (printed on stderr).
int RunCrashWriter(const std::string& dir, int fd, SyncMode mode, int threads, uint64_t first_id);

}  // namespace astrolabe::tsdb::wal::testing
