#include "processor/memory_limiter/memory_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "common/log.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "processor/memory_limiter/factory.h"

namespace astrolabe::processor::memory_limiter {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1024 * 1024;

// Memory as the test says it is.
class FakeProbe : public MemoryProbe {
 public:
  uint64_t ReadRss() override { return rss.load(); }
  Result<uint64_t> TotalMemory() override {
    if (total == 0) return Unavailable("no /proc here");
    return total;
  }
  void Trim() override {
    ++trims;
    if (rss_after_trim != 0) rss = rss_after_trim.load();
  }

  std::atomic<uint64_t> rss{10 * kMiB};
  std::atomic<uint64_t> rss_after_trim{0};  // 0: trimming frees nothing
  uint64_t total = 0;
  std::atomic<int> trims{0};
};

// Counts what reaches it.
class CountingNext : public component::Consumer {
 public:
  Status ConsumeMetrics(component::MetricsBatch b) override {
    points += b->DataPointCount();
    return Status::Ok();
  }
  Status ConsumeTraces(component::TracesBatch b) override {
    spans += b->SpanCount();
    return Status::Ok();
  }
  Status ConsumeLogs(component::LogsBatch b) override {
    records += b->LogRecordCount();
    return Status::Ok();
  }
  std::atomic<size_t> points{0}, spans{0}, records{0};
};

pdata::Metrics Points(int n) {
  pdata::Metric m;
  m.name = "g";
  pdata::Gauge g;
  g.data_points.resize(static_cast<size_t>(n));
  m.data = std::move(g);
  pdata::Metrics md;
  md.resource_metrics.emplace_back();
  md.resource_metrics[0].scope_metrics.emplace_back();
  md.resource_metrics[0].scope_metrics[0].metrics.push_back(std::move(m));
  return md;
}

Config Limits(int64_t limit_mib, int64_t spike_mib = 0) {
  Config c;
  c.check_interval = 1s;
  c.limit_mib = limit_mib;
  c.spike_limit_mib = spike_mib;
  return c;
}

class MemoryLimiterTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryLimiter> Limiter(const Config& c) {
    EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
    auto l = MemoryLimiter::Create(c, probe_, clock_, GetLogger("processor/memory_limiter"));
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : nullptr;
  }
  double Counter(const std::string& name) {
    return telemetry_.GetCounter(name, "", {{"processor", "memory_limiter"}})->value();
  }

  std::shared_ptr<FakeProbe> probe_ = std::make_shared<FakeProbe>();
  FakeClock clock_;
  component::Telemetry telemetry_;
  CountingNext next_;
};

TEST_F(MemoryLimiterTest, RefusesAtTheSoftLimitAndResumesBelowIt) {
  auto limiter = Limiter(Limits(100, 20));
  EXPECT_EQ(limiter->hard_limit_bytes(), 100 * kMiB);
  EXPECT_EQ(limiter->soft_limit_bytes(), 80 * kMiB);
  component::CreateSettings settings;
  settings.id = config::ComponentId{"memory_limiter", ""};
  settings.telemetry = &telemetry_;
  MemoryLimiterProcessor p(settings, limiter, component::Signal::kMetrics, next_);

  probe_->rss = 79 * kMiB;
  limiter->CheckMemLimits();
  EXPECT_FALSE(limiter->MustRefuse());
  EXPECT_TRUE(p.ConsumeMetrics(pdata::MetricsBatch(Points(3))).ok());
  EXPECT_EQ(next_.points, 3u);

  probe_->rss = 80 * kMiB;  // the soft limit itself refuses (>=, as upstream)
  limiter->CheckMemLimits();
  EXPECT_TRUE(limiter->MustRefuse());
  Status s = p.ConsumeMetrics(pdata::MetricsBatch(Points(5)));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.IsRetryable());
  EXPECT_EQ(s.message(), "data refused due to high memory usage");
  EXPECT_EQ(next_.points, 3u);  // not passed on
  EXPECT_EQ(Counter("otelcol_processor_memory_limiter_refused_metric_points_total"), 5);
  EXPECT_EQ(Counter("otelcol_processor_memory_limiter_accepted_metric_points_total"), 3);
  // Below the hard limit and within min_gc_interval_when_soft_limited (10 s) of creation:
  // no trim yet.
  EXPECT_EQ(probe_->trims, 0);

  probe_->rss = 60 * kMiB;
  limiter->CheckMemLimits();
  EXPECT_FALSE(limiter->MustRefuse());
  EXPECT_TRUE(p.ConsumeMetrics(pdata::MetricsBatch(Points(2))).ok());
  EXPECT_EQ(next_.points, 5u);
}

TEST_F(MemoryLimiterTest, EverySignalIsLimitedAndCountedUnderItsOwnName) {
  auto limiter = Limiter(Limits(100));
  component::CreateSettings settings;
  settings.id = config::ComponentId{"memory_limiter", ""};
  settings.telemetry = &telemetry_;
  MemoryLimiterProcessor traces(settings, limiter, component::Signal::kTraces, next_);
  MemoryLimiterProcessor logs(settings, limiter, component::Signal::kLogs, next_);
  probe_->rss = 90 * kMiB;
  limiter->CheckMemLimits();
  pdata::Traces td;
  td.resource_spans.emplace_back().scope_spans.emplace_back().spans.resize(4);
  pdata::Logs ld;
  ld.resource_logs.emplace_back().scope_logs.emplace_back().log_records.resize(2);
  EXPECT_TRUE(traces.ConsumeTraces(pdata::TracesBatch(std::move(td))).IsRetryable());
  EXPECT_TRUE(logs.ConsumeLogs(pdata::LogsBatch(std::move(ld))).IsRetryable());
  EXPECT_EQ(Counter("otelcol_processor_memory_limiter_refused_spans_total"), 4);
  EXPECT_EQ(Counter("otelcol_processor_memory_limiter_refused_log_records_total"), 2);
  EXPECT_EQ(next_.spans, 0u);
  EXPECT_EQ(next_.records, 0u);
}

TEST_F(MemoryLimiterTest, SpikeDefaultsToAFifthOfTheLimit) {
  auto limiter = Limiter(Limits(100));
  EXPECT_EQ(limiter->soft_limit_bytes(), 80 * kMiB);
}

TEST_F(MemoryLimiterTest, PercentagesApplyToTotalMemory) {
  probe_->total = 1000 * kMiB;
  Config c;
  c.check_interval = 1s;
  c.limit_percentage = 80;
  c.spike_limit_percentage = 15;
  auto limiter = Limiter(c);
  EXPECT_EQ(limiter->hard_limit_bytes(), 800 * kMiB);
  EXPECT_EQ(limiter->soft_limit_bytes(), 650 * kMiB);

  c.spike_limit_percentage = 0;  // 20% of the limit
  EXPECT_EQ(Limiter(c)->soft_limit_bytes(), 640 * kMiB);

  c.limit_mib = 100;  // wins over the percentage
  EXPECT_EQ(Limiter(c)->hard_limit_bytes(), 100 * kMiB);
}

TEST_F(MemoryLimiterTest, PercentageWithoutTotalMemoryIsAnError) {
  probe_->total = 0;
  Config c;
  c.check_interval = 1s;
  c.limit_percentage = 50;
  auto l = MemoryLimiter::Create(c, probe_, clock_, GetLogger("processor/memory_limiter"));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message(),
            "failed to get total memory, use fixed memory settings (limit_mib): no /proc here");
}

TEST_F(MemoryLimiterTest, AboveTheHardLimitTrimsAndRecoversWhenTrimmingHelps) {
  auto limiter = Limiter(Limits(100, 20));
  probe_->rss = 120 * kMiB;
  probe_->rss_after_trim = 50 * kMiB;
  clock_.Advance(1ms);  // min_gc_interval_when_hard_limited is 0: any time since the last
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, 1);
  EXPECT_FALSE(limiter->MustRefuse()) << "the trim brought memory under the soft limit";
}

TEST_F(MemoryLimiterTest, AboveTheSoftLimitTrimsOnlyAfterMinInterval) {
  auto limiter = Limiter(Limits(100, 20));
  probe_->rss = 90 * kMiB;
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, 0);  // within 10 s of creation
  EXPECT_TRUE(limiter->MustRefuse());
  clock_.Advance(11s);
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, 1);
  EXPECT_TRUE(limiter->MustRefuse()) << "trimming freed nothing";
}

TEST_F(MemoryLimiterTest, IneffectiveTrimsBackOffExponentiallyUpToTheCap) {
  Config c = Limits(100, 20);  // check_interval 1s, max_gc_interval_when_hard_limited 30s
  auto limiter = Limiter(c);
  probe_->rss = 120 * kMiB;  // trims free nothing
  clock_.Advance(1ms);
  limiter->CheckMemLimits();
  ASSERT_EQ(probe_->trims, 1);
  // The pause is now max(0, 95% of 1s) * 2 = 1.9 s.
  clock_.Advance(1800ms);
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, 1);
  clock_.Advance(200ms);  // 2.0 s since the trim
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, 2);
  // Then 3.8 s, 7.6 s, 15.2 s, 30 s (capped).
  int before = probe_->trims;
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(31s);
    limiter->CheckMemLimits();
  }
  EXPECT_EQ(probe_->trims, before + 10) << "never more than the 30 s cap apart";
  clock_.Advance(29s);
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, before + 10) << "the cap holds";

  // Memory falling on its own resets the back-off.
  probe_->rss = 50 * kMiB;
  limiter->CheckMemLimits();
  EXPECT_FALSE(limiter->MustRefuse());
  probe_->rss = 120 * kMiB;
  clock_.Advance(1ms);
  limiter->CheckMemLimits();
  EXPECT_EQ(probe_->trims, before + 11);
}

TEST_F(MemoryLimiterTest, ItsThreadChecksEveryInterval) {
  Config c = Limits(100);
  c.check_interval = 5ms;
  auto limiter = Limiter(c);
  limiter->Start();
  probe_->rss = 95 * kMiB;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!limiter->MustRefuse() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(limiter->MustRefuse());
  probe_->rss = 10 * kMiB;
  deadline = std::chrono::steady_clock::now() + 5s;
  while (limiter->MustRefuse() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(limiter->MustRefuse());
  limiter->Shutdown();
  limiter->Shutdown();  // extra Shutdowns are ignored
}

TEST_F(MemoryLimiterTest, ProcessorsOfOneConfigShareOneLimiter) {
  auto factory = NewFactory(probe_, clock_);
  Config c = Limits(100);
  c.check_interval = 5ms;
  component::CreateSettings settings;
  settings.id = config::ComponentId{"memory_limiter", ""};
  settings.telemetry = &telemetry_;
  auto a = factory->CreateProcessor(settings, c, component::Signal::kMetrics, next_);
  auto b = factory->CreateProcessor(settings, c, component::Signal::kLogs, next_);
  ASSERT_TRUE(a.ok() && b.ok());
  component::test::TestHost host;
  ASSERT_TRUE((*a)->Start(host).ok());
  ASSERT_TRUE((*b)->Start(host).ok());
  // Stopping one pipeline's processor leaves the shared checker running for the other.
  ASSERT_TRUE((*a)->Shutdown(std::chrono::steady_clock::now() + 1s).ok());
  probe_->rss = 95 * kMiB;
  pdata::Logs ld;
  ld.resource_logs.emplace_back().scope_logs.emplace_back().log_records.resize(1);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  Status s;
  while (std::chrono::steady_clock::now() < deadline) {
    pdata::Logs copy = ld.Clone();
    s = (*b)->ConsumeLogs(pdata::LogsBatch(std::move(copy)));
    if (!s.ok()) break;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE((*b)->Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(MemoryLimiterFactory, Lifecycle) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "memory_limiter");
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_TRUE(factory->Supports(component::Signal::kTraces));
  EXPECT_TRUE(factory->Supports(component::Signal::kLogs));
  // Step 1 of the shared lifecycle test requires the default config to validate. Ours, like
  // upstream's, has neither check_interval nor a limit, so exactly that failure is
  // expected; steps 2-4 run with both set and must pass.
  EXPECT_NONFATAL_FAILURE(component::test::RunLifecycleTests(*factory,
                                                             [](component::ComponentConfig& c) {
                                                               auto& cfg = static_cast<Config&>(c);
                                                               cfg.check_interval =
                                                                   std::chrono::milliseconds(5);
                                                               cfg.limit_mib = 4000;
                                                             }),
                          "'check_interval' must be greater than zero");
}

// The real thing, in a child process so the test's own memory is not disturbed: the
// limiter, reading this process's RSS from /proc, accepts data, then refuses it once the
// child has touched 64 MiB more than the soft limit allows.
TEST(MemoryLimiterRealMemory, RefusesWhenTheProcessReallyGrows) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto probe = NewProcMemoryProbe();
    uint64_t base = probe->ReadRss();
    if (base == 0) _exit(2);
    Config c;
    c.check_interval = 1s;
    c.limit_mib = static_cast<int64_t>(base / kMiB) + 48;
    c.spike_limit_mib = 16;  // soft limit: base + 32 MiB (plus rounding)
    auto limiter = MemoryLimiter::Create(c, probe, Clock::Real(), GetLogger("child"));
    if (!limiter.ok()) _exit(3);
    (*limiter)->CheckMemLimits();
    if ((*limiter)->MustRefuse()) _exit(4);
    std::vector<char> ballast(64 * kMiB);
    std::memset(ballast.data(), 1, ballast.size());  // make every page resident
    (*limiter)->CheckMemLimits();
    if (!(*limiter)->MustRefuse()) _exit(5);
    if (ballast[ballast.size() / 2] != 1) _exit(6);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: no RSS, 3: create failed, 4: refused before growing, 5: accepted after growing";
}

}  // namespace
}  // namespace astrolabe::processor::memory_limiter
