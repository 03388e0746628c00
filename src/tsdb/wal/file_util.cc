#include "tsdb/wal/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tsdb/wal/format.h"

namespace astrolabe::tsdb::wal::internal {
namespace {

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus(errno, "listing", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  return names;
}

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

}  // namespace

Result<std::vector<uint32_t>> ListSegments(const std::string& dir) {
  ASSIGN_OR_RETURN(auto names, ListDir(dir));
  std::vector<uint32_t> out;
  for (const auto& n : names) {
    if (auto i = ParseSegmentName(n)) out.push_back(*i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<uint32_t>> ListCheckpoints(const std::string& dir,
                                              std::vector<std::string>* temps) {
  ASSIGN_OR_RETURN(auto names, ListDir(dir));
  std::vector<uint32_t> out;
  for (const auto& n : names) {
    std::string_view v(n);
    if (!v.starts_with(kCheckpointPrefix)) continue;
    v.remove_prefix(kCheckpointPrefix.size());
    if (v.ends_with(".tmp")) {
      if (temps != nullptr) temps->push_back(n);
      continue;
    }
    if (auto i = ParseSegmentName(v)) out.push_back(*i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string CheckpointName(uint32_t index) {
  return std::string(kCheckpointPrefix) + SegmentName(index);
}

std::string JoinPath(const std::string& dir, std::string_view name) {
  std::string p = dir;
  if (!p.empty() && p.back() != '/') p.push_back('/');
  p.append(name);
  return p;
}

}  // namespace astrolabe::tsdb::wal::internal
