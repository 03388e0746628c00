#pragma once
// MemoryProbe: how the memory limiter sees the process's memory. The real one reads Linux
// /proc and cgroup files; tests inject their own.
//
// Upstream measures the Go heap (runtime.MemStats.Alloc: live objects, before the runtime
// returns pages to the OS). Here the measure is the resident set size (RSS) of the whole
// process: heap in use, heap freed but still held by malloc, thread stacks, code and
// mapped libraries. RSS is what the kernel's OOM killer and container limits count, so a
// limit means the same thing as the container's; it also means the baseline (~10 MB for
// the collector binary) counts against limit_mib, where upstream's does not (its README
// warns that the process uses "about 50MiB" more than limit_mib).
//
// Thread-safe: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace astrolabe::processor::memory_limiter {

class MemoryProbe {
 public:
  virtual ~MemoryProbe() = default;
  // The process's resident set size in bytes.
  virtual uint64_t ReadRss() = 0;
  // Memory available to the process in bytes, for limit_percentage: the cgroup limit when
  // one is set, else the machine's total (as upstream's iruntime.TotalMemory).
  virtual Result<uint64_t> TotalMemory() = 0;
  // Gives freed heap memory back to the OS (the counterpart of upstream's forced GC).
  virtual void Trim() = 0;
};

// /proc/self/statm for RSS; cgroup v2 memory.max or v1 memory.limit_in_bytes of the
// process's cgroup under /sys/fs/cgroup, else /proc/meminfo MemTotal; malloc_trim(0).
std::shared_ptr<MemoryProbe> NewProcMemoryProbe();

// Parsing helpers, exposed for tests. Each returns nullopt-like errors as Status.
// The limit in a cgroup v2 memory.max or v1 memory.limit_in_bytes file; 0 = unlimited
// ("max", or v1's "unlimited" value 9223372036854771712 and above).
Result<uint64_t> ParseCgroupLimit(const std::string& text);
// MemTotal of a /proc/meminfo text, in bytes.
Result<uint64_t> ParseMemTotal(const std::string& text);
// The cgroup path of the memory controller from a /proc/self/cgroup text, and whether it
// is a v2 (unified) entry. Prefers v2's "0::<path>".
struct CgroupEntry {
  bool v2 = false;
  std::string path;
};
Result<CgroupEntry> ParseProcCgroup(const std::string& text);

}  // namespace astrolabe::processor::memory_limiter
