#include "exporter/otlp_http/retry.h"

#include <gtest/gtest.h>

namespace astrolabe::exporter::otlp_http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kNanos = 1'000'000'000;
// Wed, 21 Oct 2015 07:28:00 GMT
constexpr int64_t kOct21 = int64_t{1445412480} * kNanos;

TEST(Backoff, WithoutJitterGrowsByMultiplierUpToMax) {
  RetryConfig c;
  c.initial_interval = seconds(5);
  c.max_interval = seconds(30);
  c.max_elapsed_time = Duration(0);
  c.multiplier = 1.5;
  c.randomization_factor = 0;
  Backoff b(c, 1);
  std::vector<Duration> got;
  for (int i = 0; i < 7; ++i) got.push_back(*b.Next(Duration(0)));
  EXPECT_EQ(got,
            (std::vector<Duration>{
                milliseconds(5000), milliseconds(7500), milliseconds(11250), milliseconds(16875),
                milliseconds(25312) + std::chrono::microseconds(500), seconds(30), seconds(30)}));
}

TEST(Backoff, JitterStaysWithinTheRandomizationFactor) {
  RetryConfig c;  // 5s, 1.5, 0.5
  c.max_elapsed_time = Duration(0);
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Backoff b(c, seed);
    Duration first = *b.Next(Duration(0));
    EXPECT_GE(first, milliseconds(2500));
    EXPECT_LE(first, milliseconds(7500));
    Duration second = *b.Next(Duration(0));
    EXPECT_GE(second, milliseconds(3750));
    EXPECT_LE(second, milliseconds(11250));
  }
}

TEST(Backoff, JitterVaries) {
  RetryConfig c;
  c.max_elapsed_time = Duration(0);
  Backoff a(c, 1), b(c, 2);
  EXPECT_NE(*a.Next(Duration(0)), *b.Next(Duration(0)));
}

TEST(Backoff, StopsWhenTheNextAttemptWouldPassMaxElapsedTime) {
  RetryConfig c;
  c.initial_interval = seconds(1);
  c.max_interval = seconds(1);
  c.max_elapsed_time = seconds(10);
  c.randomization_factor = 0;
  Backoff b(c, 1);
  EXPECT_EQ(b.Next(seconds(8)), seconds(1));
  EXPECT_EQ(b.Next(seconds(9)), seconds(1));  // exactly at the limit is allowed
  EXPECT_EQ(b.Next(seconds(9) + milliseconds(1)), std::nullopt);
}

TEST(Backoff, ZeroMaxElapsedTimeRetriesForever) {
  RetryConfig c;
  c.max_elapsed_time = Duration(0);
  Backoff b(c, 1);
  EXPECT_TRUE(b.Next(std::chrono::hours(1000)).has_value());
}

TEST(ParseRetryAfter, Seconds) {
  EXPECT_EQ(ParseRetryAfter("120", 0), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), seconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999", 0), seconds(86400));  // capped at a day
}

TEST(ParseRetryAfter, HttpDate) {
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kOct21 - 30 * kNanos), seconds(30));
  // In the past: no extra wait.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kOct21 + kNanos), Duration(0));
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 1970 00:01:40 GMT", 0), seconds(100));
}

TEST(ParseRetryAfter, GarbageFallsBackToBackoff) {
  for (const char* v : {"", "soon", "-5", "1.5", "12abc", "Wed, 21 Oct 2015 07:28:00 UTC",
                        "Wed, 21 Foo 2015 07:28:00 GMT", "Wed, 32 Oct 2015 07:28:00 GMT",
                        "Wednesday, 21-Oct-15 07:28:00 GMT"}) {
    EXPECT_EQ(ParseRetryAfter(v, 0), std::nullopt) << v;
  }
}

}  // namespace
}  // namespace astrolabe::exporter::otlp_http
