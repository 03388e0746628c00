#include "tsdb/postings.h"

#include <gtest/gtest.h>

namespace astrolabe::tsdb {
namespace {

TEST(PostingsTest, SetAlgebra) {
  Postings a = {1, 3, 5, 7, 9};
  Postings b = {3, 4, 5, 10};
  EXPECT_EQ(Intersect(a, b), (Postings{3, 5}));
  EXPECT_EQ(Difference(a, b), (Postings{1, 7, 9}));
  EXPECT_EQ(Union({a, b}), (Postings{1, 3, 4, 5, 7, 9, 10}));
  EXPECT_EQ(Union({a, b, {0, 11}, {}}), (Postings{0, 1, 3, 4, 5, 7, 9, 10, 11}));
  EXPECT_EQ(Union({}), Postings{});
  EXPECT_EQ(Intersect(a, {}), Postings{});
  // Galloping path: one list much shorter.
  Postings big;
  for (uint64_t i = 0; i < 10000; i += 2) big.push_back(i);
  EXPECT_EQ(Intersect({3, 4, 9998, 20000}, big), (Postings{4, 9998}));
}

TEST(MemPostingsTest, AddGetAllAndOutOfOrderInsert) {
  MemPostings p;
  uint32_t pairs1[] = {0, 1, 2, 3};  // name0=value1, name2=value3
  uint32_t pairs2[] = {0, 1, 2, 4};
  p.Add(5, pairs1);
  p.Add(9, pairs2);
  p.Add(7, pairs1);  // a concurrently created series arriving late
  EXPECT_EQ(p.Get(0, 1), (Postings{5, 7, 9}));
  EXPECT_EQ(p.Get(2, 3), (Postings{5, 7}));
  EXPECT_EQ(p.Get(2, 4), (Postings{9}));
  EXPECT_EQ(p.Get(2, 99), Postings{});
  EXPECT_EQ(p.All(), (Postings{5, 7, 9}));
  EXPECT_EQ(p.UnionWhere(2, [](uint32_t v) { return v == 4 || v == 3; }), (Postings{5, 7, 9}));
  EXPECT_EQ(p.num_pairs(), 3u);
  auto names = p.Names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<uint32_t>{0, 2}));
  EXPECT_GT(p.MemoryBytes(), 0u);
}

}  // namespace
}  // namespace astrolabe::tsdb
