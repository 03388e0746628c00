#include "sim/engine.h"

#include <gtest/gtest.h>

#include <vector>

namespace astrolabe::sim {
namespace {

ModelOptions Busy(double rate) {
  ModelOptions m;
  m.traffic.rate = rate;
  m.abort_probability = 0.05;
  m.error_probability = 0.03;
  return m;
}

uint64_t CumulativeCount(const Histogram& h) {
  uint64_t n = 0;
  for (uint64_t c : h.counts) n += c;
  return n;
}

// The laws every /metrics page relies on.
void ExpectConservation(const EngineStats& s) {
  uint64_t finished = s.FinishedTotal();
  EXPECT_EQ(s.Success() + s.Failure(), finished);
  EXPECT_EQ(s.e2e.count, finished);
  EXPECT_EQ(s.request_prompt_tokens.count, finished);
  EXPECT_EQ(s.request_generation_tokens.count, finished);
  EXPECT_DOUBLE_EQ(s.request_prompt_tokens.sum, static_cast<double>(s.prompt_tokens));
  EXPECT_DOUBLE_EQ(s.request_generation_tokens.sum, static_cast<double>(s.generation_tokens));
  EXPECT_LE(s.ttft.count, finished);
  EXPECT_EQ(s.tpot.count, s.generation_tokens - s.ttft.count);
  for (const Histogram* h : {&s.ttft, &s.tpot, &s.e2e, &s.request_prompt_tokens,
                             &s.request_generation_tokens, &s.queue_time}) {
    EXPECT_EQ(CumulativeCount(*h), h->count);
  }
  EXPECT_GE(s.kv_usage, 0.0);
  EXPECT_LE(s.kv_usage, 1.0);
  EXPECT_LE(s.running, s.max_num_seqs);
}

TEST(Histogram, LeSemantics) {
  Histogram h({1, 2, 5});
  h.Observe(1);    // le=1
  h.Observe(1.5);  // le=2
  h.Observe(7);    // +Inf
  EXPECT_EQ(h.counts, (std::vector<uint64_t>{1, 1, 0, 1}));
  EXPECT_EQ(h.count, 3u);
  EXPECT_DOUBLE_EQ(h.sum, 9.5);
}

TEST(Buckets125, UpToMaxModelLen) {
  EXPECT_EQ(Buckets125(131072), (std::vector<double>{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000,
                                                     5000, 10000, 20000, 50000, 100000}));
  EXPECT_EQ(Buckets125(4096),
            (std::vector<double>{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}));
}

TEST(Engine, ConservationUnderSteadyLoad) {
  Engine e(Busy(4), 42);
  for (int i = 1; i <= 600; ++i) {
    e.AdvanceTo(i * 0.5);
    if (i % 50 == 0) ExpectConservation(e.stats());
  }
  const EngineStats& s = e.stats();
  EXPECT_GT(s.FinishedTotal(), 1000u);  // 300 s at 4/s
  EXPECT_GT(s.finished[static_cast<int>(FinishReason::kStop)], 0u);
  EXPECT_GT(s.finished[static_cast<int>(FinishReason::kLength)], 0u);
  EXPECT_GT(s.finished[static_cast<int>(FinishReason::kAbort)], 0u);
  EXPECT_GT(s.finished[static_cast<int>(FinishReason::kError)], 0u);
  // Realistic shapes: TTFT mostly under a second, inter-token time tens of milliseconds.
  EXPECT_LT(s.ttft.sum / static_cast<double>(s.ttft.count), 1.0);
  double tpot = s.tpot.sum / static_cast<double>(s.tpot.count);
  EXPECT_GT(tpot, 0.01);
  EXPECT_LT(tpot, 0.1);
}

TEST(Engine, SameSeedSameFigures) {
  auto run = [](uint64_t seed) {
    Engine e(Busy(5), seed);
    e.AdvanceTo(120);
    const EngineStats& s = e.stats();
    return std::vector<double>{static_cast<double>(s.FinishedTotal()),
                               static_cast<double>(s.prompt_tokens),
                               static_cast<double>(s.generation_tokens),
                               s.ttft.sum,
                               s.e2e.sum,
                               static_cast<double>(s.running),
                               s.kv_usage};
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Engine, SteppingGranularityDoesNotChangeTheStory) {
  // Advancing in many small steps or one big one runs the same iterations.
  Engine a(Busy(5), 3), b(Busy(5), 3);
  for (int i = 1; i <= 600; ++i) a.AdvanceTo(i * 0.1);
  b.AdvanceTo(60);
  EXPECT_EQ(a.stats().FinishedTotal(), b.stats().FinishedTotal());
  EXPECT_EQ(a.stats().generation_tokens, b.stats().generation_tokens);
}

TEST(Engine, BatchCapAndQueueCap) {
  ModelOptions m;
  m.max_num_seqs = 4;
  m.max_waiting = 3;
  m.traffic.rate = 0;
  Engine e(m, 1);
  RequestSpec spec;
  spec.prompt_tokens = 100;
  spec.max_tokens = 1000;
  spec.natural_tokens = 1000;
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3; ++i) (e.Submit(spec, nullptr) != 0 ? accepted : rejected)++;
  // The queue holds 3; admission happens at the next iteration.
  EXPECT_EQ(e.Submit(spec, nullptr), 0u);
  ++rejected;
  e.AdvanceTo(0.1);
  EXPECT_EQ(e.stats().running, 3);
  for (int i = 0; i < 5; ++i) (e.Submit(spec, nullptr) != 0 ? accepted : rejected)++;
  e.AdvanceTo(0.2);
  EXPECT_EQ(e.stats().running, 4);  // capped at max_num_seqs
  EXPECT_EQ(e.stats().waiting, 2);
  EXPECT_EQ(accepted, 6);
  EXPECT_EQ(rejected, 3);
  EXPECT_EQ(e.stats().rejected, 3u);
}

TEST(Engine, KvCachePressurePreemptsAndStillConserves) {
  ModelOptions m;
  m.kv_cache_tokens = 4000;
  m.max_num_seqs = 32;
  m.traffic.rate = 0;
  Engine e(m, 1);
  std::vector<Completion> done;
  RequestSpec spec;
  spec.prompt_tokens = 600;
  spec.max_tokens = 400;
  spec.natural_tokens = 400;
  for (int i = 0; i < 10; ++i) {
    ASSERT_NE(e.Submit(spec, [&](const Completion& c) { done.push_back(c); }), 0u);
  }
  double max_usage = 0;
  for (int i = 1; i <= 2000 && done.size() < 10; ++i) {
    e.AdvanceTo(i * 0.05);
    max_usage = std::max(max_usage, e.stats().kv_usage);
  }
  ASSERT_EQ(done.size(), 10u);
  EXPECT_GT(e.stats().preemptions, 0u);
  EXPECT_GT(max_usage, 0.8);
  EXPECT_EQ(e.stats().kv_usage, 0.0);
  for (const Completion& c : done) {
    EXPECT_EQ(c.reason, FinishReason::kLength);
    EXPECT_EQ(c.completion_tokens, 400);
  }
  ExpectConservation(e.stats());
}

TEST(Engine, FinishReasonsOfSubmittedRequests) {
  ModelOptions m;
  m.traffic.rate = 0;
  Engine e(m, 1);
  std::vector<Completion> done;
  auto cb = [&](const Completion& c) { done.push_back(c); };
  RequestSpec stop{.prompt_tokens = 50, .max_tokens = 100, .natural_tokens = 20};
  RequestSpec length{.prompt_tokens = 50, .max_tokens = 10, .natural_tokens = 20};
  RequestSpec error{
      .prompt_tokens = 50, .max_tokens = 100, .natural_tokens = 20, .fail_at_token = 0};
  e.Submit(stop, cb);
  e.Submit(length, cb);
  e.Submit(error, cb);
  e.AdvanceTo(10);
  ASSERT_EQ(done.size(), 3u);
  std::sort(done.begin(), done.end(), [](auto& a, auto& b) { return a.id < b.id; });
  EXPECT_EQ(done[0].reason, FinishReason::kStop);
  EXPECT_EQ(done[0].completion_tokens, 20);
  EXPECT_EQ(done[1].reason, FinishReason::kLength);
  EXPECT_EQ(done[1].completion_tokens, 10);
  EXPECT_EQ(done[2].reason, FinishReason::kError);
  EXPECT_EQ(done[2].completion_tokens, 0);
  EXPECT_LT(done[2].Ttft(), 0);
  EXPECT_GT(done[0].Ttft(), 0);
  EXPECT_LT(done[0].Ttft(), done[0].E2e());
  ExpectConservation(e.stats());
}

TEST(Engine, ArrivalPatternsAverageToTheirRates) {
  auto count = [](ArrivalPattern p) {
    ModelOptions m;
    m.traffic.rate = 2;
    m.traffic.pattern = p;
    m.traffic.diurnal_period_seconds = 100;
    m.traffic.burst_seconds = 10;
    m.traffic.burst_period_seconds = 50;
    m.traffic.burst_multiplier = 5;
    m.max_waiting = 1 << 20;
    m.max_num_seqs = 1024;
    m.kv_cache_tokens = 1LL << 40;
    Engine e(m, 11);
    e.AdvanceTo(1000);
    return static_cast<double>(e.stats().FinishedTotal() + e.stats().running + e.stats().waiting);
  };
  EXPECT_NEAR(count(ArrivalPattern::kSteady), 2000, 200);
  EXPECT_NEAR(count(ArrivalPattern::kDiurnal), 2000, 250);
  // 10 s at 10/s and 40 s at 2/s per 50 s: 3.6/s on average.
  EXPECT_NEAR(count(ArrivalPattern::kBursty), 3600, 300);
}

TEST(Engine, IdleEngineJumpsToTheNextArrival) {
  ModelOptions m;
  m.traffic.rate = 0;
  Engine e(m, 1);
  EXPECT_TRUE(std::isinf(e.IdleFor()));
  e.AdvanceTo(1e6);
  EXPECT_DOUBLE_EQ(e.now(), 1e6);
  EXPECT_EQ(e.stats().FinishedTotal(), 0u);
}

TEST(ArrivalPattern, Parse) {
  ArrivalPattern p;
  EXPECT_TRUE(ParseArrivalPattern("bursty", &p));
  EXPECT_EQ(p, ArrivalPattern::kBursty);
  EXPECT_FALSE(ParseArrivalPattern("spiky", &p));
}

}  // namespace
}  // namespace astrolabe::sim
