#include "storage/storage.h"

#include <gtest/gtest.h>

namespace astrolabe::storage {
namespace {

TEST(StorageErrorsTest, KindsRoundTripThroughStatus) {
  Labels l = Labels::FromPairs({{"__name__", "up"}});
  EXPECT_EQ(AppendErrorKindOf(OutOfOrderSampleError(&l, 5, 10)), AppendErrorKind::kOutOfOrder);
  EXPECT_EQ(AppendErrorKindOf(TooOldSampleError(&l, 5, 10)), AppendErrorKind::kTooOld);
  EXPECT_EQ(AppendErrorKindOf(OutOfBoundsError(&l, 5, 10)), AppendErrorKind::kOutOfBounds);
  EXPECT_EQ(AppendErrorKindOf(DuplicateSampleError(&l, 5, 1, 2)), AppendErrorKind::kDuplicate);
  EXPECT_EQ(AppendErrorKindOf(InvalidLabelsError("x")), AppendErrorKind::kInvalidLabels);
  EXPECT_EQ(AppendErrorKindOf(UnknownRefError(7)), AppendErrorKind::kUnknownRef);
  EXPECT_EQ(AppendErrorKindOf(Status::Ok()), AppendErrorKind::kNone);
  EXPECT_EQ(AppendErrorKindOf(Internal("x")), AppendErrorKind::kOther);
  Status dup = DuplicateSampleError(&l, 5, 1, 2.5);
  EXPECT_NE(dup.message().find("up{}"), std::string::npos) << dup.message();
  EXPECT_NE(dup.message().find("2.5"), std::string::npos) << dup.message();
}

TEST(ListSampleIteratorTest, NextAndSeek) {
  auto it = NewListSampleIterator({{10, 1}, {20, 2}, {30, 3}});
  ASSERT_TRUE(it->Seek(15));
  EXPECT_EQ(it->At().t, 20);
  ASSERT_TRUE(it->Seek(5));  // never backwards
  EXPECT_EQ(it->At().t, 20);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 30);
  EXPECT_FALSE(it->Next());
  EXPECT_TRUE(it->Err().ok());
  auto empty = NewListSampleIterator({});
  EXPECT_FALSE(empty->Next());
}

TEST(MetricTypeTest, Strings) {
  EXPECT_EQ(MetricTypeString(MetricType::kCounter), "counter");
  EXPECT_EQ(MetricTypeString(MetricType::kGaugeHistogram), "gaugehistogram");
}

}  // namespace
}  // namespace astrolabe::storage
