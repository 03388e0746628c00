#include "common/status.h"

#include <gtest/gtest.h>

namespace astrolabe {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(StatusTest, AnnotatePrefixesContextAndKeepsCode) {
  Status s = InvalidArgument("bad CRC").Annotate("replaying WAL segment 12");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "replaying WAL segment 12: bad CRC");
  EXPECT_EQ(s.ToString(), "InvalidArgument: replaying WAL segment 12: bad CRC");
  EXPECT_TRUE(Status::Ok().Annotate("x").ok());
}

TEST(StatusTest, RetryableCodes) {
  EXPECT_TRUE(Unavailable("x").IsRetryable());
  EXPECT_TRUE(ResourceExhausted("x").IsRetryable());
  EXPECT_FALSE(InvalidArgument("x").IsRetryable());
  EXPECT_FALSE(Status::Ok().IsRetryable());
}

TEST(ResultTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternal) {
  Result<int> r(Status::Ok());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace astrolabe
