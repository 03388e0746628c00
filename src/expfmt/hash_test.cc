#include "expfmt/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace astrolabe::expfmt {
namespace {

TEST(HashTest, OrderIndependentAndDiscriminating) {
  Label ab[] = {{"a", "1"}, {"b", "2"}};
  Label ba[] = {{"b", "2"}, {"a", "1"}};
  Label swapped[] = {{"a", "2"}, {"b", "1"}};
  Label joined[] = {{"a", "1b"}, {"b", ""}};
  EXPECT_EQ(SeriesHash("m", ab), SeriesHash("m", ba));
  EXPECT_NE(SeriesHash("m", ab), SeriesHash("n", ab));
  EXPECT_NE(SeriesHash("m", ab), SeriesHash("m", swapped));
  EXPECT_NE(SeriesHash("m", ab), SeriesHash("m", joined));
  EXPECT_NE(SeriesHash("m", {}), SeriesHash("", {}));
  EXPECT_NE(HashBytes("abc", 3, 0), HashBytes("abd", 3, 0));
  std::string long_a(100, 'x'), long_b(100, 'x');
  long_b[57] = 'y';
  EXPECT_NE(HashBytes(long_a.data(), 100, 0), HashBytes(long_b.data(), 100, 0));
}

}  // namespace
}  // namespace astrolabe::expfmt
