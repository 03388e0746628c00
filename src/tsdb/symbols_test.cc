#include "tsdb/symbols.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace astrolabe::tsdb {
namespace {

TEST(SymbolTableTest, InternIsIdempotentAndLookupRoundTrips) {
  SymbolTable t;
  uint32_t a = t.Intern("model_name");
  uint32_t b = t.Intern("gpt-4o");
  EXPECT_NE(a, b);
  EXPECT_EQ(t.Intern(std::string("model_name")), a);
  EXPECT_EQ(t.Lookup(a), "model_name");
  EXPECT_EQ(t.Lookup(b), "gpt-4o");
  EXPECT_EQ(t.Find("gpt-4o"), b);
  EXPECT_FALSE(t.Find("nope").has_value());
  uint32_t e = t.Intern("");
  EXPECT_EQ(t.Lookup(e), "");
}

TEST(SymbolTableTest, ManySymbolsAcrossSegmentsAndBlocks) {
  SymbolTable t;
  std::vector<uint32_t> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(t.Intern("value-" + std::to_string(i)));
  std::string big(40000, 'x');  // own block
  uint32_t big_id = t.Intern(big);
  for (int i = 0; i < 100000; i += 997) EXPECT_EQ(t.Lookup(ids[i]), "value-" + std::to_string(i));
  EXPECT_EQ(t.Lookup(big_id), big);
  EXPECT_EQ(t.size(), 100001u);
  EXPECT_GT(t.MemoryBytes(), 100000u * 10);
}

TEST(SymbolTableTest, ConcurrentInternAgrees) {
  SymbolTable t;
  std::vector<std::vector<uint32_t>> got(4);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 5000; ++i) got[th].push_back(t.Intern("s" + std::to_string(i)));
    });
  }
  for (auto& th : threads) th.join();
  for (int th = 1; th < 4; ++th) EXPECT_EQ(got[th], got[0]);
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(t.Lookup(got[0][i]), "s" + std::to_string(i));
}

}  // namespace
}  // namespace astrolabe::tsdb
