#pragma once
// Helpers shared by the WAL tests: a temporary directory and record collection.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb::wal::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at destruction.
using astrolabe::test::TempDir;

struct Replayed {
  std::vector<std::string> records;
  std::vector<Position> positions;
};

inline Status ReplayInto(Wal& wal, Replayed* out, bool all = true) {
  auto cb = [out](std::string_view rec, const Position& at) {
    out->records.emplace_back(rec);
    out->positions.push_back(at);
    return Status::Ok();
  };
  return all ? wal.ReplayAll(cb) : wal.Replay(0, cb);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace astrolabe::tsdb::wal::testing
