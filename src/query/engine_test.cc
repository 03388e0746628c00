#include "query/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tsdb/head.h"

namespace astrolabe::query {
namespace {

using storage::Labels;

class EngineTest : public ::testing::Test {
 protected:
  void Add(const Labels& l, int64_t t, double v) {
    auto app = head_.NewAppender();
    ASSERT_TRUE(app->Append(l, t, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  // One sample per `step_ms` from 0: values[i] at i*step_ms.
  void Series(const Labels& l, int64_t step_ms, const std::vector<double>& values) {
    auto app = head_.NewAppender();
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_TRUE(app->Append(l, static_cast<int64_t>(i) * step_ms, values[i]).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  // The instant result as "labels=value" lines, sorted.
  std::string Instant(std::string_view q, int64_t t) {
    auto r = engine_.InstantQuery(head_, q, t);
    if (!r.ok()) return "error: " + r.status().message();
    if (r->type == ValueType::kScalar) return "scalar " + FormatFloat(r->scalar);
    std::vector<std::string> lines;
    for (const Sample& s : r->vector) lines.push_back(s.metric.ToString() + "=" + FormatFloat(s.v));
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : " ") + l;
    return out;
  }

  tsdb::Head head_;
  Engine engine_;
};

TEST_F(EngineTest, LookbackIsLeftOpenFiveMinutes) {
  Add(Labels::FromPairs({{"__name__", "m"}}), 0, 1);
  EXPECT_EQ(Instant("m", 0), "m{}=1");
  EXPECT_EQ(Instant("m", 299'999), "m{}=1");
  EXPECT_EQ(Instant("m", 300'000), "");  // (t-5m, t]
  EXPECT_EQ(Instant("m", -1), "");
}

TEST_F(EngineTest, StaleMarkerEndsTheSeries) {
  const Labels l = Labels::FromPairs({{"__name__", "m"}});
  Add(l, 0, 1);
  Add(l, 10'000, StaleNaN());
  Add(l, 20'000, 2);
  EXPECT_EQ(Instant("m", 5'000), "m{}=1");
  EXPECT_EQ(Instant("m", 10'000), "");
  EXPECT_EQ(Instant("m", 15'000), "");
  EXPECT_EQ(Instant("m", 20'000), "m{}=2");
  // Range vectors drop stale markers.
  EXPECT_EQ(Instant("count_over_time(m[1m])", 20'000), "{}=2");
  EXPECT_TRUE(IsStaleNaN(StaleNaN()));
  EXPECT_FALSE(IsStaleNaN(NAN));
}

TEST_F(EngineTest, RateExtrapolatesLikePrometheus) {
  // A counter scraped every 15 s from 0 to 300 s, +15 per scrape, reset to 0 at 150 s.
  const Labels l = Labels::FromPairs({{"__name__", "c_total"}, {"job", "a"}});
  std::vector<double> v;
  for (int i = 0; i <= 20; ++i) v.push_back(i < 10 ? 15.0 * i : 15.0 * (i - 10));
  Series(l, 15'000, v);
  // Window (0, 300s]: samples at 15..300 s (20 samples, 15 s apart). Raw increase: 135 - 15
  // before the reset + 150 after = 270 over the 285 s the samples span. The first sample is
  // 15 s from the window start (< 1.1 x 15 s), so the rate extrapolates to the start; the zero
  // point (285 s x 15/270 = 15.8 s before the first sample) is further, so it does not cap.
  // The last sample sits on the window end. Result: 270 x 300/285.
  auto r = engine_.InstantQuery(head_, "increase(c_total[5m])", 300'000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->vector.size(), 1u);
  EXPECT_NEAR(r->vector[0].v, 270.0 * 300 / 285, 1e-9);
  EXPECT_EQ(r->vector[0].metric.ToString(), "{job=\"a\"}");
  auto rate = engine_.InstantQuery(head_, "rate(c_total[5m])", 300'000);
  ASSERT_TRUE(rate.ok());
  EXPECT_NEAR(rate->vector[0].v, 270.0 / 285, 1e-9);
}

TEST_F(EngineTest, RangeQueryEqualsInstantQueryAtEveryStep) {
  // Gaps, a stale marker, a reset and two label sets: every query, evaluated as a range query,
  // must give at each step what the instant query gives at that time.
  for (int s = 0; s < 3; ++s) {
    const Labels l = Labels::FromPairs(
        {{"__name__", "x_total"}, {"pod", std::to_string(s)}, {"job", s < 2 ? "a" : "b"}});
    auto app = head_.NewAppender();
    double v = 0;
    for (int64_t t = 0; t <= 40 * 60'000; t += 20'000) {
      if ((t / 60'000) % 7 == 3 + s) continue;  // a gap
      v += s + 1 + (t % 100'000 == 0 ? 3 : 0);
      if (t == 20 * 60'000 && s == 1) v = 0;  // a reset
      double value = (t == 30 * 60'000 && s == 0) ? StaleNaN() : v;
      ASSERT_TRUE(app->Append(l, t, value).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  const char* queries[] = {
      "x_total",
      "rate(x_total[5m])",
      "sum by (job) (irate(x_total[2m]))",
      "max_over_time(x_total[3m] offset 1m)",
      "deriv(x_total[10m]) > bool 0",
      "x_total / on(pod) group_left(job) (x_total * 2)",
      "topk(1, x_total) or vector(1)",
      "avg_over_time(rate(x_total[2m])[6m:1m])",
      "count_values(\"v\", round(x_total / 10))",
      "predict_linear(x_total[10m], 60)",
      "x_total @ 600 - x_total offset 2m",
      "quantile by (job) (0.3, changes(x_total[5m]))",
      "absent_over_time(x_total{pod=\"0\"}[1m])",
      "histogram_quantile(0.5, label_replace(x_total, \"le\", \"$1\", \"pod\", \"(.*)\"))",
  };
  for (const char* q : queries) {
    auto range = engine_.RangeQuery(head_, q, 0, 40 * 60'000, 60'000);
    ASSERT_TRUE(range.ok()) << q << ": " << range.status().message();
    for (int64_t t = 0; t <= 40 * 60'000; t += 60'000) {
      auto inst = engine_.InstantQuery(head_, q, t);
      ASSERT_TRUE(inst.ok()) << q << ": " << inst.status().message();
      std::map<std::string, double> want, got;
      if (inst->type == ValueType::kScalar) {
        want["{}"] = inst->scalar;
      } else {
        for (const Sample& s : inst->vector) want[s.metric.ToString()] = s.v;
      }
      for (const auto& s : range->matrix) {
        for (const Point& p : s.points) {
          if (p.t == t) got[s.metric.ToString()] = p.v;
        }
      }
      ASSERT_EQ(want.size(), got.size()) << q << " at " << t;
      for (const auto& [k, v] : want) {
        ASSERT_TRUE(got.count(k)) << q << " at " << t << ": " << k;
        if (std::isnan(v)) {
          EXPECT_TRUE(std::isnan(got[k])) << q << " at " << t;
        } else {
          EXPECT_DOUBLE_EQ(v, got[k]) << q << " at " << t << ": " << k;
        }
      }
    }
  }
}

TEST_F(EngineTest, ErrorsCarryPrometheusTypes) {
  Add(Labels::FromPairs({{"__name__", "a"}, {"x", "1"}}), 0, 1);
  Add(Labels::FromPairs({{"__name__", "b"}, {"x", "1"}}), 0, 2);
  auto parse = engine_.InstantQuery(head_, "sum(", 0);
  EXPECT_EQ(parse.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parse.status().message(), "1:5: parse error: unexpected end of input");
  auto range_type = engine_.RangeQuery(head_, "a[5m]", 0, 10, 1);
  EXPECT_EQ(range_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      range_type.status().message(),
      "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
  auto dup = engine_.InstantQuery(head_, "{x=\"1\"} * 2", 0);
  EXPECT_EQ(dup.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(dup.status().message(), "vector cannot contain metrics with the same labelset");
  auto many = engine_.InstantQuery(head_, "a + on() {x=\"1\"}", 0);
  EXPECT_EQ(many.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, MaxSamplesAndTimeout) {
  std::vector<double> v(100, 1.0);
  Series(Labels::FromPairs({{"__name__", "m"}}), 1'000, v);
  EngineOptions small;
  small.max_samples = 50;
  Engine limited(small);
  auto r = limited.InstantQuery(head_, "sum_over_time(m[2m])", 100'000);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "query processing would load too many samples into memory in query execution");
  EXPECT_TRUE(limited.InstantQuery(head_, "sum_over_time(m[30s])", 100'000).ok());

  EngineOptions expired;
  expired.timeout = std::chrono::milliseconds(-1);
  Engine late(expired);
  auto t = late.RangeQuery(head_, "m", 0, 100'000, 1'000);
  EXPECT_EQ(t.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(t.status().message(), "query timed out in query execution");
}

TEST_F(EngineTest, ResultShapes) {
  Add(Labels::FromPairs({{"__name__", "m"}}), 0, 3);
  auto s = engine_.InstantQuery(head_, "\"text\"", 1000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, ValueType::kString);
  EXPECT_EQ(s->str, "text");
  EXPECT_EQ(Instant("scalar(m) * 2", 0), "scalar 6");
  auto mat = engine_.InstantQuery(head_, "m[1m]", 0);
  ASSERT_TRUE(mat.ok());
  ASSERT_EQ(mat->type, ValueType::kMatrix);
  ASSERT_EQ(mat->matrix.size(), 1u);
  EXPECT_EQ(mat->matrix[0].points.size(), 1u);
  auto range = engine_.RangeQuery(head_, "time()", 0, 120'000, 60'000);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->matrix.size(), 1u);
  EXPECT_EQ(range->matrix[0].points.size(), 3u);
}

}  // namespace
}  // namespace astrolabe::query
