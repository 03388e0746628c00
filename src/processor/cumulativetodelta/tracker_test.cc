#include "processor/cumulativetodelta/tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <unordered_set>

namespace astrolabe::processor::cumulativetodelta {
namespace {

using pdata::MetricType;

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kMinute = 60 * kSecond;
constexpr uint64_t kHour = 60 * kMinute;
// When the processor (and so the tracker) was created.
constexpr uint64_t kNow = 1'700'000'000 * kSecond;
// Upstream's tracker tests put their points an hour after creation.
constexpr uint64_t kT = kNow + kHour;

StreamKey SumKey(uint64_t start = 0, std::string name = "m") {
  StreamKey key;
  key.type = MetricType::kSum;
  key.is_monotonic = true;
  key.name = std::move(name);
  key.start_time_unix_nano = start;
  return key;
}

Tracker MakeTracker(InitialValue initial) {
  return Tracker(TrackerOptions{.initial_value = initial, .created_unix_nano = kNow});
}

// A (start, value) pair of a converted double sum, for compact expectations.
struct Out {
  uint64_t start;
  double value;
  friend bool operator==(const Out&, const Out&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Out& o) {
    return os << "(start=" << o.start << ", " << o.value << ")";
  }
};

std::optional<Out> ConvertSum(Tracker& tracker, const StreamKey& key, uint64_t time, double value) {
  std::optional<DeltaPoint> d = tracker.Convert(key, {time, value});
  if (!d) return std::nullopt;
  return Out{d->start_time_unix_nano, std::get<double>(d->value)};
}

// --- The tracker examples of the reference note (§3.5), one test each. ---

TEST(TrackerExamples, KeepInitialValue) {
  Tracker tracker = MakeTracker(InitialValue::kKeep);
  StreamKey key = SumKey(kT - kMinute);
  EXPECT_EQ(ConvertSum(tracker, key, kT, 100), (Out{0, 100}));
  EXPECT_EQ(ConvertSum(tracker, key, kT + kMinute, 225), (Out{kT, 125}));
}

TEST(TrackerExamples, DropInitialValue) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  StreamKey key = SumKey(kT - kMinute);
  EXPECT_EQ(ConvertSum(tracker, key, kT, 100), std::nullopt);
  EXPECT_EQ(ConvertSum(tracker, key, kT + kMinute, 225), (Out{kT, 125}));
}

TEST(TrackerExamples, AutoInitialValueStartUnset) {
  Tracker tracker = MakeTracker(InitialValue::kAuto);
  StreamKey key = SumKey(0);
  EXPECT_EQ(ConvertSum(tracker, key, kT, 100), std::nullopt);
  EXPECT_EQ(ConvertSum(tracker, key, kT + kMinute, 225), (Out{kT, 125}));
}

TEST(TrackerExamples, AutoInitialValueStartEqualsTime) {
  Tracker tracker = MakeTracker(InitialValue::kAuto);
  EXPECT_EQ(ConvertSum(tracker, SumKey(kT), kT, 100), std::nullopt);
}

TEST(TrackerExamples, AutoInitialValueStartAfterCreationWithReset) {
  Tracker tracker = MakeTracker(InitialValue::kAuto);
  StreamKey key = SumKey(kT);
  EXPECT_EQ(ConvertSum(tracker, key, kT + kMinute, 100), (Out{kT, 100}));
  EXPECT_EQ(ConvertSum(tracker, key, kT + 2 * kMinute, 225), (Out{kT + kMinute, 125}));
  EXPECT_EQ(ConvertSum(tracker, key, kT + 3 * kMinute, 75), std::nullopt);  // reset
  EXPECT_EQ(ConvertSum(tracker, key, kT + 4 * kMinute, 300), (Out{kT + 3 * kMinute, 225}));
  EXPECT_EQ(ConvertSum(tracker, key, kT + 5 * kMinute, 325), (Out{kT + 4 * kMinute, 25}));
}

// --- Further rules. ---

TEST(Tracker, AutoDropsFirstPointWhoseStartPrecedesCreation) {
  Tracker tracker = MakeTracker(InitialValue::kAuto);
  EXPECT_EQ(ConvertSum(tracker, SumKey(kNow - kSecond), kT, 100), std::nullopt);
  // Start exactly at creation qualifies (upstream compares start < created).
  EXPECT_EQ(ConvertSum(tracker, SumKey(kNow, "n"), kT, 100), (Out{kNow, 100}));
}

TEST(Tracker, IntSumsStayInts) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  StreamKey key = SumKey();
  key.is_int = true;
  EXPECT_FALSE(tracker.Convert(key, {kT, int64_t{7}}).has_value());
  std::optional<DeltaPoint> d = tracker.Convert(key, {kT + kSecond, int64_t{10}});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<int64_t>(d->value), 3);
  EXPECT_FALSE(tracker.Convert(key, {kT + 2 * kSecond, int64_t{4}}).has_value());  // reset
  d = tracker.Convert(key, {kT + 3 * kSecond, int64_t{6}});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<int64_t>(d->value), 2);
}

TEST(Tracker, ExtremeIntValuesDoNotOverflow) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  StreamKey key = SumKey();
  key.is_int = true;
  tracker.Convert(key, {kT, std::numeric_limits<int64_t>::min()});
  std::optional<DeltaPoint> d =
      tracker.Convert(key, {kT + kSecond, std::numeric_limits<int64_t>::max()});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<int64_t>(d->value), -1);  // wrapped, as Go's int64 arithmetic
}

TEST(Tracker, ExponentialHistogramExtremeScalesAreHandled) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  StreamKey key = SumKey();
  key.type = MetricType::kExponentialHistogram;
  ExponentialHistogramValue first;
  first.count = 1;
  first.scale = std::numeric_limits<int32_t>::max();
  first.positive.offset = std::numeric_limits<int32_t>::max();
  first.positive.bucket_counts = {1};
  tracker.Convert(key, {kT, first});
  ExponentialHistogramValue second;
  second.count = 2;
  second.scale = std::numeric_limits<int32_t>::min();
  second.positive.offset = 0;
  second.positive.bucket_counts = {2};
  std::optional<DeltaPoint> d = tracker.Convert(key, {kT + kSecond, second});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value).positive.bucket_counts,
            (std::vector<uint64_t>{1}));
  // A wider zero bucket at the lowest scale: every bucket's bound is +Inf, none merges.
  ExponentialHistogramValue third = second;
  third.count = 3;
  third.zero_threshold = 1;
  third.positive.bucket_counts = {3};
  d = tracker.Convert(key, {kT + 2 * kSecond, third});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value).positive.bucket_counts,
            (std::vector<uint64_t>{1}));
}

TEST(Tracker, EveryKeyFieldSeparatesStreams) {
  std::vector<StreamKey> keys(10, SumKey());
  keys[1].type = MetricType::kHistogram;
  keys[2].is_int = true;
  keys[3].resource_hash = 1;
  keys[4].scope_name = "s";
  keys[5].scope_version = "1";
  keys[6].is_monotonic = false;
  keys[7].name = "other";
  keys[8].unit = "s";
  keys[9].attributes_hash = 1;
  StreamKey with_start = SumKey(kT);
  keys.push_back(with_start);
  std::unordered_set<StreamKey, StreamKeyHash> distinct(keys.begin(), keys.end());
  EXPECT_EQ(distinct.size(), keys.size());

  Tracker tracker = MakeTracker(InitialValue::kDrop);
  for (const StreamKey& key : keys) {
    PointValue v = key.type == MetricType::kHistogram ? PointValue(HistogramValue{})
                   : key.is_int                       ? PointValue(int64_t{1})
                                                      : PointValue(1.0);
    EXPECT_FALSE(tracker.Convert(key, {kT, v}).has_value());
  }
  EXPECT_EQ(tracker.StreamCount(), keys.size());
}

TEST(Tracker, SweepForgetsStreamsLastSeenBeforeTheCutoff) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  ConvertSum(tracker, SumKey(0, "old"), kT, 1);
  ConvertSum(tracker, SumKey(0, "new"), kT + kMinute, 1);
  tracker.Sweep(kT);  // strictly before: "old" at kT stays
  EXPECT_EQ(tracker.StreamCount(), 2u);
  tracker.Sweep(kT + 1);
  EXPECT_EQ(tracker.StreamCount(), 1u);
  // "old" comes back as a new stream: its first point is dropped again.
  EXPECT_EQ(ConvertSum(tracker, SumKey(0, "old"), kT + 2 * kMinute, 5), std::nullopt);
  EXPECT_EQ(ConvertSum(tracker, SumKey(0, "new"), kT + 2 * kMinute, 5), (Out{kT + kMinute, 4}));
}

StreamKey HistogramKey() {
  StreamKey key = SumKey();
  key.type = MetricType::kHistogram;
  key.is_monotonic = false;
  return key;
}

HistogramValue H(uint64_t count, double sum, std::vector<uint64_t> buckets,
                 std::vector<double> bounds = {1, 2}) {
  return HistogramValue{count, sum, std::move(buckets), std::move(bounds)};
}

TEST(Tracker, HistogramDeltaSubtractsCountSumAndBuckets) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  EXPECT_FALSE(tracker.Convert(HistogramKey(), {kT, H(10, 5, {2, 3, 5})}).has_value());
  auto d = tracker.Convert(HistogramKey(), {kT + kSecond, H(14, 7.5, {3, 4, 7})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->start_time_unix_nano, kT);
  EXPECT_EQ(std::get<HistogramValue>(d->value), H(4, 2.5, {1, 1, 2}));
}

TEST(Tracker, HistogramResetEmitsTheCumulativeValue) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  tracker.Convert(HistogramKey(), {kT, H(10, 5, {2, 3, 5})});
  auto d = tracker.Convert(HistogramKey(), {kT + kSecond, H(2, 1, {1, 1, 0})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->start_time_unix_nano, kT);
  EXPECT_EQ(std::get<HistogramValue>(d->value), H(2, 1, {1, 1, 0}));
  // The post-reset point is the new reference.
  d = tracker.Convert(HistogramKey(), {kT + 2 * kSecond, H(3, 2, {1, 1, 1})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<HistogramValue>(d->value), H(1, 1, {0, 0, 1}));
}

TEST(Tracker, HistogramLayoutChangeDropsThePointAndBecomesTheReference) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  tracker.Convert(HistogramKey(), {kT, H(10, 5, {2, 3, 5})});
  // Another bucket count.
  EXPECT_FALSE(tracker.Convert(HistogramKey(), {kT + kSecond, H(12, 6, {2, 3, 5, 2}, {1, 2, 3})})
                   .has_value());
  // Same count, other bounds.
  EXPECT_FALSE(
      tracker.Convert(HistogramKey(), {kT + 2 * kSecond, H(13, 6, {2, 3, 6, 2}, {1, 2, 4})})
          .has_value());
  auto d = tracker.Convert(HistogramKey(), {kT + 3 * kSecond, H(15, 8, {2, 4, 7, 2}, {1, 2, 4})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<HistogramValue>(d->value), H(2, 2, {0, 1, 1, 0}, {1, 2, 4}));
}

TEST(Tracker, HistogramNanSumKeepsThePreviousSumAsReference) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  tracker.Convert(HistogramKey(), {kT, H(1, 100, {1, 0, 0})});
  auto d = tracker.Convert(HistogramKey(), {kT + kSecond, H(2, NAN, {2, 0, 0})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<HistogramValue>(d->value).count, 1u);
  d = tracker.Convert(HistogramKey(), {kT + 2 * kSecond, H(3, 500, {3, 0, 0})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<HistogramValue>(d->value).sum, 400);
}

// --- Exponential histograms. ---

StreamKey ExpKey() {
  StreamKey key = HistogramKey();
  key.type = MetricType::kExponentialHistogram;
  return key;
}

ExponentialHistogramValue E(uint64_t count, double sum, int32_t scale, uint64_t zero,
                            int32_t offset, std::vector<uint64_t> positive,
                            double zero_threshold = 0) {
  ExponentialHistogramValue v;
  v.count = count;
  v.sum = sum;
  v.scale = scale;
  v.zero_count = zero;
  v.zero_threshold = zero_threshold;
  v.positive.offset = offset;
  v.positive.bucket_counts = std::move(positive);
  return v;
}

TEST(Tracker, ExponentialHistogramSameLayoutSubtractsBucketwise) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  tracker.Convert(ExpKey(), {kT, E(6, 10, 2, 1, 3, {2, 3})});
  auto d = tracker.Convert(ExpKey(), {kT + kSecond, E(10, 18, 2, 2, 2, {1, 3, 4})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->start_time_unix_nano, kT);
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value), E(4, 8, 2, 1, 2, {1, 1, 1}));
}

TEST(Tracker, ExponentialHistogramPreviousIsDownscaledToTheNewScale) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  // Scale 1, buckets at indexes -1, 0, 1, 2: at scale 0 they fall into -1, 0, 0, 1.
  tracker.Convert(ExpKey(), {kT, E(4, 4, 1, 0, -1, {1, 1, 1, 1})});
  auto d = tracker.Convert(ExpKey(), {kT + kSecond, E(7, 9, 0, 0, -1, {2, 3, 2})});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value), E(3, 5, 0, 0, -1, {1, 1, 1}));
}

TEST(Tracker, ExponentialHistogramWiderZeroBucketAbsorbsPreviousBuckets) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  // Scale 0: bucket 0 is (1, 2], bucket 1 is (2, 4]. A zero threshold of 2 swallows
  // bucket 0 (and everything below it).
  tracker.Convert(ExpKey(), {kT, E(3, 6, 0, 0, 0, {2, 1}, 0)});
  auto d = tracker.Convert(ExpKey(), {kT + kSecond, E(5, 10, 0, 3, 1, {2}, 2)});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value), E(2, 4, 0, 1, 1, {1}, 2));
}

TEST(Tracker, ExponentialHistogramResetsAreDroppedAndKeepTheReference) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  tracker.Convert(ExpKey(), {kT, E(6, 10, 2, 1, 0, {5}, 1)});
  // Count went down.
  EXPECT_FALSE(tracker.Convert(ExpKey(), {kT + 1, E(1, 1, 2, 0, 0, {1}, 1)}).has_value());
  // Zero threshold went down.
  EXPECT_FALSE(tracker.Convert(ExpKey(), {kT + 2, E(7, 11, 2, 1, 0, {6}, 0.5)}).has_value());
  // Scale went up.
  EXPECT_FALSE(tracker.Convert(ExpKey(), {kT + 3, E(7, 11, 3, 1, 0, {6}, 1)}).has_value());
  // A previous bucket with no room in the new point.
  EXPECT_FALSE(tracker.Convert(ExpKey(), {kT + 4, E(7, 11, 2, 1, 5, {6}, 1)}).has_value());
  // The reference is still the first point.
  auto d = tracker.Convert(ExpKey(), {kT + 5, E(8, 12, 2, 2, 0, {6}, 1)});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->start_time_unix_nano, kT);
  EXPECT_EQ(std::get<ExponentialHistogramValue>(d->value), E(2, 2, 2, 1, 0, {1}, 1));
}

TEST(Tracker, ExponentialHistogramNegativeBucketsToo) {
  Tracker tracker = MakeTracker(InitialValue::kDrop);
  ExponentialHistogramValue first = E(2, -3, 0, 0, 0, {});
  first.negative.offset = 0;
  first.negative.bucket_counts = {1, 1};
  tracker.Convert(ExpKey(), {kT, first});
  ExponentialHistogramValue second = first;
  second.count = 5;
  second.sum = -9;
  second.negative.bucket_counts = {2, 3};
  auto d = tracker.Convert(ExpKey(), {kT + kSecond, second});
  ASSERT_TRUE(d.has_value());
  const auto& v = std::get<ExponentialHistogramValue>(d->value);
  EXPECT_EQ(v.count, 3u);
  EXPECT_EQ(v.sum, -6);
  EXPECT_EQ(v.negative.bucket_counts, (std::vector<uint64_t>{1, 2}));
}

}  // namespace
}  // namespace astrolabe::processor::cumulativetodelta
