#include "common/code_pages.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>
#include <string>

namespace astrolabe {
namespace {

// KiB of this executable's code (r-xp mappings of /proc/self/exe) resident now.
long ResidentCodeKiB() {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return -1;
  const std::string path(exe, static_cast<size_t>(n));
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_code = false;
  long kib = 0;
  while (std::getline(smaps, line)) {
    std::istringstream fields(line);
    std::string first, second;
    fields >> first >> second;
    if (first.find('-') != std::string::npos && first.back() != ':') {
      in_code = second.find('x') != std::string::npos && line.ends_with(path);
    } else if (in_code && first == "Rss:") {
      kib += std::stol(second);
    }
  }
  return kib;
}

TEST(CodePagesTest, UnmapsResidentCodeAndTheCodeStillRuns) {
  const long before = ResidentCodeKiB();
  ASSERT_GT(before, 0) << "no resident code found for /proc/self/exe";
  const size_t released = ReleaseCodePages();
  EXPECT_GT(released, 0u);
  const long after = ResidentCodeKiB();  // this code faults back what it needs
  EXPECT_LT(after, before) << "before " << before << " KiB, after " << after << " KiB";
  // Everything still runs: gtest itself, and a second call.
  EXPECT_GT(ReleaseCodePages(), 0u);
}

}  // namespace
}  // namespace astrolabe
