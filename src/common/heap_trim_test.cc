#include "common/heap_trim.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace astrolabe {
namespace {

using std::chrono::milliseconds;

bool WaitForTrims(const HeapTrimmer& t, uint64_t n, milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (t.trims() >= n) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return t.trims() >= n;
}

TEST(HeapTrimmerTest, TrimsOnceAfterABurstHasBeenQuiet) {
  HeapTrimmer trimmer(milliseconds(100));
  EXPECT_EQ(trimmer.trims(), 0u);
  for (int i = 0; i < 10; ++i) {  // a burst: each note pushes the trim back
    trimmer.NoteRelease();
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(trimmer.trims(), 0u) << "trimmed during the burst";
  ASSERT_TRUE(WaitForTrims(trimmer, 1, milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(trimmer.trims(), 1u) << "one burst, one trim";
  trimmer.NoteRelease();
  EXPECT_TRUE(WaitForTrims(trimmer, 2, milliseconds(5000)));
}

TEST(HeapTrimmerTest, StopsPromptlyWithATrimPending) {
  const auto start = std::chrono::steady_clock::now();
  {
    HeapTrimmer trimmer(std::chrono::hours(1));
    trimmer.NoteRelease();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace astrolabe
