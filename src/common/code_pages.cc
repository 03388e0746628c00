#include "common/code_pages.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace astrolabe {
namespace {

struct Released {
  size_t bytes = 0;
  bool main_seen = false;
};

int ReleaseMainProgramCode(dl_phdr_info* info, size_t, void* data) {
  auto* released = static_cast<Released*>(data);
  // The first object dl_iterate_phdr reports is the main program.
  if (released->main_seen) return 1;
  released->main_seen = true;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    // Only code that is never written: a page shared with relocated data would lose it.
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || (ph.p_flags & PF_W)) continue;
    const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    const uintptr_t end = begin + ph.p_filesz;
    const uintptr_t first = (begin + page - 1) & ~(page - 1);  // whole pages only
    const uintptr_t last = end & ~(page - 1);
    if (last <= first) continue;
    if (madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) == 0) {
      released->bytes += last - first;
    }
  }
  return 1;
}

}  // namespace

size_t ReleaseCodePages() {
  Released released;
  dl_iterate_phdr(ReleaseMainProgramCode, &released);
  malloc_trim(0);
  return released.bytes;
}

}  // namespace astrolabe
