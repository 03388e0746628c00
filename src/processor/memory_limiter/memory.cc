#include "processor/memory_limiter/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string_view>

#include "common/strings.h"

namespace astrolabe::processor::memory_limiter {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

Result<uint64_t> ParseUint(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return InvalidArgument("empty number");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgument("not a number: \"" + std::string(s) + "\"");
    if (v > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) {
      return InvalidArgument("number out of range: " + std::string(s));
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

class ProcMemoryProbe : public MemoryProbe {
 public:
  uint64_t ReadRss() override {
    std::ifstream in("/proc/self/statm");
    uint64_t pages_total = 0, pages_rss = 0;
    in >> pages_total >> pages_rss;
    return pages_rss * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }

  Result<uint64_t> TotalMemory() override {
    if (std::optional<std::string> cgroup = ReadFile("/proc/self/cgroup")) {
      Result<CgroupEntry> entry = ParseProcCgroup(*cgroup);
      if (entry.ok()) {
        // The usual mount points; a cgroup path that is not visible here (another mount
        // namespace) falls back to the root's file, then to the machine's memory.
        std::vector<std::string> candidates;
        if (entry->v2) {
          candidates = {"/sys/fs/cgroup" + entry->path + "/memory.max",
                        "/sys/fs/cgroup/memory.max"};
        } else {
          candidates = {"/sys/fs/cgroup/memory" + entry->path + "/memory.limit_in_bytes",
                        "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
        }
        for (const std::string& path : candidates) {
          std::optional<std::string> text = ReadFile(path);
          if (!text) continue;
          Result<uint64_t> limit = ParseCgroupLimit(*text);
          if (!limit.ok()) return limit.status().Annotate(path);
          if (*limit > 0) return *limit;
          break;  // unlimited: the machine's memory
        }
      }
    }
    std::optional<std::string> meminfo = ReadFile("/proc/meminfo");
    if (!meminfo) return Unavailable("cannot read /proc/meminfo");
    return ParseMemTotal(*meminfo);
  }

  void Trim() override { malloc_trim(0); }
};

}  // namespace

std::shared_ptr<MemoryProbe> NewProcMemoryProbe() { return std::make_shared<ProcMemoryProbe>(); }

Result<uint64_t> ParseCgroupLimit(const std::string& text) {
  std::string_view t = Trim(text);
  if (t == "max") return uint64_t{0};
  Result<uint64_t> v = ParseUint(t);
  if (!v.ok()) return v.status();
  // cgroup v1 reports "no limit" as the largest page-aligned int64.
  if (*v >= 9223372036854771712ULL) return uint64_t{0};
  return *v;
}

Result<uint64_t> ParseMemTotal(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::string_view rest = std::string_view(line).substr(9);
    rest = Trim(rest);
    if (rest.size() > 2 && rest.substr(rest.size() - 2) == "kB") {
      rest.remove_suffix(2);
    }
    Result<uint64_t> kib = ParseUint(rest);
    if (!kib.ok()) return kib.status().Annotate("MemTotal");
    return *kib * 1024;
  }
  return NotFound("no MemTotal line in /proc/meminfo");
}

Result<CgroupEntry> ParseProcCgroup(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::optional<CgroupEntry> v1;
  while (std::getline(in, line)) {
    // hierarchy-ID:controller-list:cgroup-path
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string_view id = std::string_view(line).substr(0, a);
    std::string_view controllers = std::string_view(line).substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (id == "0" && controllers.empty()) return CgroupEntry{true, path};
    for (std::string_view c : Split(controllers, ',')) {
      if (c == "memory" && !v1) v1 = CgroupEntry{false, path};
    }
  }
  if (v1) return *v1;
  return NotFound("no memory cgroup in /proc/self/cgroup");
}

}  // namespace astrolabe::processor::memory_limiter
