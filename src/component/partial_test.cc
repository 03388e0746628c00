#include "component/partial.h"

#include <gtest/gtest.h>

namespace astrolabe::component {
namespace {

TEST(PartialRejection, CountsAndReasonSurviveAnnotation) {
  Status s = PartialRejection(3, 120, "metric \"x\": delta is not newer");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "partially rejected: 3 of 120 data points: metric \"x\": delta is not newer");
  auto counts = RejectedPoints(s.Annotate("exporter store"));
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->rejected, 3u);
  EXPECT_EQ(counts->total, 120u);
  EXPECT_EQ(counts->reason, "metric \"x\": delta is not newer");
}

TEST(PartialRejection, NamesSpansAndLogRecords) {
  Status spans = PartialRejection(1, 3, "row too large", "spans");
  EXPECT_EQ(spans.message(), "partially rejected: 1 of 3 spans: row too large");
  ASSERT_TRUE(RejectedPoints(spans).has_value());
  EXPECT_EQ(RejectedPoints(spans)->rejected, 1u);
  Status logs = PartialRejection(2, 2, "", "log records");
  ASSERT_TRUE(RejectedPoints(logs).has_value());
  EXPECT_EQ(RejectedPoints(logs)->total, 2u);
  EXPECT_EQ(RejectedPoints(logs)->reason, "");
}

TEST(PartialRejection, OtherStatusesAreNotPartial) {
  EXPECT_FALSE(RejectedPoints(InvalidArgument("bad data")).has_value());
  EXPECT_FALSE(RejectedPoints(Unavailable("partially rejected: 1 of 2 spans")).has_value());
  EXPECT_FALSE(RejectedPoints(InvalidArgument("partially rejected: 1 of 2 widgets")).has_value());
  EXPECT_FALSE(RejectedPoints(InvalidArgument("partially rejected: x of 2 spans")).has_value());
}

}  // namespace
}  // namespace astrolabe::component
