#include "storage/labels.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace astrolabe::storage {
namespace {

TEST(LabelsTest, SortsDropsEmptyValuesAndKeepsLastRepeat) {
  Labels l = Labels::FromPairs({{"z", "1"}, {"__name__", "up"}, {"a", "x"}, {"e", ""}, {"a", "y"}});
  ASSERT_EQ(l.size(), 3u);
  std::vector<std::pair<std::string, std::string>> got;
  for (Label p : l) got.emplace_back(p.name, p.value);
  std::vector<std::pair<std::string, std::string>> want = {
      {"__name__", "up"}, {"a", "y"}, {"z", "1"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(l.Get("a"), "y");
  EXPECT_EQ(l.Get("e"), "");
  EXPECT_FALSE(l.Has("e"));
  EXPECT_TRUE(l.Has("z"));
  EXPECT_EQ(l.MetricName(), "up");
}

TEST(LabelsTest, EqualSetsHashEqualAndDifferentSetsDiffer) {
  Labels a = Labels::FromPairs({{"job", "nim"}, {"__name__", "x"}});
  Labels b = Labels::FromPairs({{"__name__", "x"}, {"job", "nim"}});
  Labels c = Labels::FromPairs({{"__name__", "x"}, {"job", "nimm"}});
  // Moving a character between name and value must change the identity.
  Labels d = Labels::FromPairs({{"__name__", "x"}, {"jobn", "im"}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a, c);
  EXPECT_NE(a.Hash(), c.Hash());
  EXPECT_NE(a, d);
  EXPECT_NE(a.Hash(), d.Hash());
}

TEST(LabelsTest, HashesSpreadOverManySets) {
  std::unordered_set<uint64_t> hashes;
  for (int i = 0; i < 20000; ++i) {
    hashes.insert(Labels::FromPairs({{"__name__", "m"}, {"i", std::to_string(i)}}).Hash());
  }
  EXPECT_EQ(hashes.size(), 20000u);
}

TEST(LabelsTest, CompareIsPairwiseNameThenValue) {
  Labels a = Labels::FromPairs({{"a", "1"}});
  Labels ab = Labels::FromPairs({{"a", "1"}, {"b", "1"}});
  Labels a2 = Labels::FromPairs({{"a", "2"}});
  Labels b = Labels::FromPairs({{"b", "0"}});
  EXPECT_LT(Labels::Compare(a, ab), 0);  // prefix first
  EXPECT_LT(Labels::Compare(ab, a2), 0);
  EXPECT_LT(Labels::Compare(a2, b), 0);
  EXPECT_EQ(Labels::Compare(ab, ab), 0);
  EXPECT_GT(Labels::Compare(b, a), 0);
  EXPECT_LT(Labels::Compare(Labels(), a), 0);
}

TEST(LabelsTest, ToStringEscapes) {
  Labels l = Labels::FromPairs({{"__name__", "up"}, {"path", "a\"b\\c\nd"}, {"x", "1"}});
  EXPECT_EQ(l.ToString(), "up{path=\"a\\\"b\\\\c\\nd\", x=\"1\"}");
  EXPECT_EQ(Labels().ToString(), "{}");
}

TEST(LabelsTest, LongStringsRoundTrip) {
  std::string big(100000, 'v');
  Labels l = Labels::FromPairs({{"k", big}, {std::string(300, 'n'), "s"}});
  EXPECT_EQ(l.Get("k"), big);
  EXPECT_EQ(l.Get(std::string(300, 'n')), "s");
}

TEST(LabelsBuilderTest, SetDelBuild) {
  LabelsBuilder b(Labels::FromPairs({{"__name__", "m"}, {"a", "1"}, {"b", "2"}}));
  b.Set("a", "9").Del("b").Set("c", "3").Set("d", "");
  EXPECT_EQ(b.Build(), Labels::FromPairs({{"__name__", "m"}, {"a", "9"}, {"c", "3"}}));
  b.Reset();
  EXPECT_TRUE(b.Build().empty());
}

}  // namespace
}  // namespace astrolabe::storage
