// The streaming shortcuts (EngineOptions::streaming: aggregations folding streamed series,
// histogram_quantile grouping once per query, rate/increase skipping the reset scan) against
// the plain evaluator, on random data: every query must give bit-identical values (any NaN
// being NaN), the same series in the same order, the same annotations and the same errors.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "query/engine.h"
#include "tsdb/head.h"

namespace astrolabe::query {
namespace {

using storage::Labels;

// Every detail of a result: series order, labels, times, value bits, annotations.
std::string Dump(const Result<QueryResult>& r) {
  if (!r.ok()) return "error: " + r.status().ToString();
  std::string out = "type " + std::to_string(static_cast<int>(r->type)) + "\n";
  char buf[64];
  auto value = [&](double v) {
    // A NaN's sign and payload depend on operand order the compiler may choose; the API
    // prints every NaN as "NaN".
    if (std::isnan(v)) return std::string("NaN");
    std::snprintf(buf, sizeof(buf), "%016llx",
                  static_cast<unsigned long long>(std::bit_cast<uint64_t>(v)));
    return std::string(buf);
  };
  if (r->type == ValueType::kScalar) out += "scalar " + value(r->scalar) + "\n";
  for (const Sample& s : r->vector) {
    out += s.metric.ToString() + " " + std::to_string(s.t) + " " + value(s.v) + "\n";
  }
  for (const Series& s : r->matrix) {
    out += s.metric.ToString() + ":";
    for (const Point& p : s.points) out += " " + std::to_string(p.t) + "=" + value(p.v);
    out += "\n";
  }
  for (const auto& w : r->warnings) out += "warning " + w + "\n";
  for (const auto& i : r->infos) out += "info " + i + "\n";
  return out;
}

// Counters with resets, gaps and stale markers; gauges with NaN, infinities and values large
// enough to overflow a sum; classic histograms with a malformed, a duplicate and a missing
// +Inf bound, and buckets that are not monotonic.
void Fill(tsdb::Head& head, uint32_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };
  const char* jobs[] = {"a", "b", "c"};
  const double specials[] = {NAN, INFINITY, -INFINITY, 1e308, -1e308, 0.0, -0.0, 1e-300};
  for (const char* job : jobs) {
    for (int inst = 0; inst < 4; ++inst) {
      const std::string i = std::to_string(inst);
      const int64_t scrape = 10'000 + static_cast<int64_t>(rng() % 4) * 5'000;
      const int64_t phase = static_cast<int64_t>(rng() % 9'000);
      const Labels counter =
          Labels::FromPairs({{"__name__", "c_total"}, {"job", job}, {"inst", i}});
      const Labels gauge = Labels::FromPairs({{"__name__", "g"}, {"job", job}, {"inst", i}});
      std::vector<std::string> les = {"0.1", "0.5", "1", "1.0", "5", "+Inf"};
      if (inst == 1) les.pop_back();      // no +Inf bucket
      if (inst == 2) les.push_back("x");  // malformed bound
      std::vector<Labels> buckets;
      for (const std::string& le : les) {
        buckets.push_back(
            Labels::FromPairs({{"__name__", "h_bucket"}, {"job", job}, {"inst", i}, {"le", le}}));
      }
      double c = uniform(0, 100);
      std::vector<double> b(les.size(), 0);
      auto app = head.NewAppender();
      for (int64_t t = phase; t < 3'600'000; t += scrape + static_cast<int64_t>(rng() % 3'000)) {
        if (chance(0.03)) continue;  // a missed scrape
        if (chance(0.01)) {
          ASSERT_TRUE(app->Append(counter, t, StaleNaN()).ok());
          continue;
        }
        c = chance(0.02) ? uniform(0, 5) : c + uniform(0, 10) * (chance(0.2) ? 0 : 1);
        ASSERT_TRUE(app->Append(counter, t, c).ok());
        double g = uniform(-50, 50);
        if (chance(0.05)) g = specials[rng() % std::size(specials)];
        ASSERT_TRUE(app->Append(gauge, t, g).ok());
        double acc = 0;
        for (size_t k = 0; k < b.size(); ++k) {
          acc += uniform(0, 3);
          b[k] += acc;
          // Instance 3's buckets decrease now and then (histogram_quantile fixes them).
          const double v = inst == 3 && k == 2 && chance(0.3) ? b[k] * 0.5 : b[k];
          ASSERT_TRUE(app->Append(buckets[k], t, v).ok());
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }
}

const char* const kQueries[] = {
    "sum(c_total)",
    "sum by (job) (rate(c_total[1m]))",
    "sum without (inst) (increase(c_total[5m]))",
    "sum by (job) (delta(g[2m]))",
    "avg by (inst) (g)",
    "avg(g)",
    "min by (job) (g)",
    "max(g)",
    "count by (job) (c_total)",
    "group by (inst) (rate(c_total[1m]))",
    "stddev by (job) (g)",
    "stdvar(g)",
    "sum(irate(c_total[1m]))",
    "avg by (job) (idelta(g[1m]))",
    "sum(sum_over_time(g[1m]))",
    "avg(avg_over_time(g[2m]))",
    "max by (job) (max_over_time(g[1m]))",
    "min(min_over_time(g[90s]))",
    "count(count_over_time(c_total[1m]))",
    "stddev(stddev_over_time(g[3m]))",
    "sum by (__name__) (last_over_time(g[1m]))",
    "sum by (__name__) (rate({__name__=~\"c_total|h_bucket\"}[1m]))",
    "sum(changes(g[2m])) + sum(resets(c_total[2m]))",
    "sum(rate(c_total[2m] offset 1m))",
    "sum by (job) (rate(c_total[2m] @ 1800))",
    "sum(g @ end())",
    "sum(rate(c_total[1m:15s]))",
    "sum by (job) (rate((c_total)[5m]))",
    "sum((c_total))",
    "sum(absent_over_time(nothing[1m]))",
    "sum(quantile_over_time(0.5, g[1m]))",
    "sum by (job) (rate(c_total[1m])) / sum by (job) (rate(c_total[5m]))",
    "topk(2, sum by (inst) (rate(c_total[1m])))",
    "histogram_quantile(0.9, sum by (le, job) (rate(h_bucket[1m])))",
    "histogram_quantile(0.5, rate(h_bucket[2m]))",
    "histogram_quantile(1.5, sum by (le) (rate(h_bucket[5m])))",
    "histogram_quantile(-1, sum by (le, inst) (h_bucket))",
    "histogram_quantile(scalar(g{job=\"a\",inst=\"0\"}) / 50, sum by (le, inst) (h_bucket))",
    "histogram_quantile(0.99, h_bucket)",
    "histogram_quantiles(sum by (le) (rate(h_bucket[1m])), \"q\", 0.5, 0.9)",
    "histogram_fraction(0, 1, sum by (le) (rate(h_bucket[1m])))",
};

class StreamingTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(StreamingTest, SameAnswersAsThePlainEvaluator) {
  tsdb::Head head;
  Fill(head, GetParam());
  EngineOptions plain_options;
  plain_options.streaming = false;
  const Engine fast, plain(plain_options);
  std::mt19937 rng(GetParam());
  int compared = 0;
  for (const char* q : kQueries) {
    for (int round = 0; round < 2; ++round) {
      const int64_t start = static_cast<int64_t>(rng() % 1'800'000);
      const int64_t end = start + static_cast<int64_t>(rng() % 1'800'000);
      const int64_t step = 1'000 + static_cast<int64_t>(rng() % 90'000);
      const std::string a = Dump(fast.RangeQuery(head, q, start, end, step));
      const std::string b = Dump(plain.RangeQuery(head, q, start, end, step));
      ASSERT_EQ(a, b) << q << " over " << start << ".." << end << " step " << step;
      const std::string c = Dump(fast.InstantQuery(head, q, end));
      const std::string d = Dump(plain.InstantQuery(head, q, end));
      ASSERT_EQ(c, d) << q << " at " << end;
      // The query did something: not every answer may be empty or an error.
      if (a.find(':') != std::string::npos) ++compared;
    }
  }
  EXPECT_GT(compared, static_cast<int>(std::size(kQueries)));
}

INSTANTIATE_TEST_SUITE_P(Seeds, StreamingTest, ::testing::Range(1u, 5u));

TEST(StreamingLimitsTest, SampleLimitFailsTheSameWay) {
  tsdb::Head head;
  Fill(head, 42);
  for (size_t limit : {50u, 2'000u, 20'000u}) {
    EngineOptions fast_options, plain_options;
    fast_options.max_samples = plain_options.max_samples = limit;
    plain_options.streaming = false;
    const Engine fast(fast_options), plain(plain_options);
    for (const char* q : {"sum by (job) (rate(c_total[5m]))", "avg(g)",
                          "histogram_quantile(0.9, sum by (le) (rate(h_bucket[1m])))"}) {
      EXPECT_EQ(Dump(fast.RangeQuery(head, q, 0, 3'600'000, 15'000)),
                Dump(plain.RangeQuery(head, q, 0, 3'600'000, 15'000)))
          << q << " limit " << limit;
    }
  }
  // The smallest limit does fail.
  EngineOptions tiny;
  tiny.max_samples = 50;
  EXPECT_FALSE(Engine(tiny).RangeQuery(head, "avg(g)", 0, 3'600'000, 15'000).ok());
}

}  // namespace
}  // namespace astrolabe::query
