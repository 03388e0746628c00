#include "processor/memory_limiter/memory.h"

#include <gtest/gtest.h>

namespace astrolabe::processor::memory_limiter {
namespace {

TEST(ParseCgroupLimit, NumbersMaxAndV1Unlimited) {
  EXPECT_EQ(*ParseCgroupLimit("536870912\n"), 536870912u);
  EXPECT_EQ(*ParseCgroupLimit("max\n"), 0u);
  EXPECT_EQ(*ParseCgroupLimit("9223372036854771712\n"), 0u);
  EXPECT_FALSE(ParseCgroupLimit("lots\n").ok());
  EXPECT_FALSE(ParseCgroupLimit("").ok());
  EXPECT_FALSE(ParseCgroupLimit("99999999999999999999999").ok());
}

TEST(ParseMemTotal, ReadsKibibytes) {
  EXPECT_EQ(*ParseMemTotal("MemFree: 10 kB\nMemTotal:       16318432 kB\n"), 16318432ull * 1024);
  EXPECT_FALSE(ParseMemTotal("MemFree: 10 kB\n").ok());
  EXPECT_FALSE(ParseMemTotal("MemTotal: x kB\n").ok());
}

TEST(ParseProcCgroup, PrefersTheUnifiedHierarchy) {
  auto v2 = ParseProcCgroup("0::/system.slice/astrolabe.service\n");
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->v2);
  EXPECT_EQ(v2->path, "/system.slice/astrolabe.service");

  auto v1 = ParseProcCgroup("12:cpu,cpuacct:/x\n4:memory:/docker/abc\n1:name=systemd:/y\n");
  ASSERT_TRUE(v1.ok());
  EXPECT_FALSE(v1->v2);
  EXPECT_EQ(v1->path, "/docker/abc");

  EXPECT_FALSE(ParseProcCgroup("garbage\n3:cpu:/\n").ok());
}

TEST(ProcMemoryProbe, ReadsThisProcess) {
  auto probe = NewProcMemoryProbe();
  EXPECT_GT(probe->ReadRss(), 1024u * 1024);
  Result<uint64_t> total = probe->TotalMemory();
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_GT(*total, probe->ReadRss());
  probe->Trim();  // must not crash
}

}  // namespace
}  // namespace astrolabe::processor::memory_limiter
