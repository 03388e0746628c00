#include "processor/genaimetrics/genaimetrics.h"

#include <gtest/gtest.h>

#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "processor/genaimetrics/factory.h"

namespace astrolabe::processor::genaimetrics {
namespace {

class Capture : public component::Consumer {
 public:
  Status ConsumeTraces(component::TracesBatch b) override {
    std::lock_guard lock(mu);
    traces.push_back(std::move(b));
    return Status::Ok();
  }
  Status ConsumeMetrics(component::MetricsBatch b) override {
    std::lock_guard lock(mu);
    metrics.push_back(std::move(b));
    return refuse ? InvalidArgument("no metrics here") : Status::Ok();
  }
  std::mutex mu;
  bool refuse = false;
  std::vector<component::TracesBatch> traces;
  std::vector<component::MetricsBatch> metrics;
};

pdata::Traces Spans(int n) {
  pdata::Traces t;
  t.resource_spans.emplace_back();
  t.resource_spans[0].resource.attributes = {{"service.name", "bot"}};
  t.resource_spans[0].scope_spans.emplace_back();
  for (int i = 0; i < n; ++i) {
    pdata::Span s;
    s.start_time_unix_nano = 1;
    s.end_time_unix_nano = 1'000'000'001;
    s.attributes = {{"gen_ai.operation.name", "chat"}, {"gen_ai.usage.input_tokens", 10}};
    t.resource_spans[0].scope_spans[0].spans.push_back(s);
  }
  return t;
}

TEST(GenAiMetrics, SpansPassUnchangedAndMetricsFollowOnFlush) {
  FakeClock clock;
  Capture next;
  component::Telemetry telemetry;
  GenAiMetricsProcessor p(Config{}, clock, &telemetry, next);
  component::TracesBatch in(Spans(3));
  const pdata::Traces* data = &in.get();
  ASSERT_TRUE(p.ConsumeTraces(in).ok());
  ASSERT_EQ(next.traces.size(), 1u);
  EXPECT_EQ(&next.traces[0].get(), data);
  EXPECT_TRUE(next.metrics.empty());

  const int64_t t0 = clock.NowUnixNanos();
  clock.Advance(std::chrono::seconds(15));
  ASSERT_TRUE(p.Flush().ok());
  ASSERT_EQ(next.metrics.size(), 1u);
  const auto& rm = next.metrics[0]->resource_metrics.at(0);
  const auto& requests = rm.scope_metrics[0].metrics.back();
  EXPECT_EQ(requests.name, "astrolabe.genai.requests");
  const auto& point = std::get<pdata::Sum>(requests.data).data_points.at(0);
  EXPECT_EQ(point.AsDouble(), 3);
  EXPECT_EQ(point.start_time_unix_nano, static_cast<uint64_t>(t0));
  EXPECT_EQ(point.time_unix_nano, static_cast<uint64_t>(t0 + 15'000'000'000));
  EXPECT_EQ(telemetry.GetCounter("astrolabe_genaimetrics_spans_total", "", {})->value(), 3);

  // Nothing new: nothing sent.
  ASSERT_TRUE(p.Flush().ok());
  EXPECT_EQ(next.metrics.size(), 1u);
  // A flush in the same millisecond still moves time forward.
  ASSERT_TRUE(p.ConsumeTraces(component::TracesBatch(Spans(1))).ok());
  ASSERT_TRUE(p.Flush().ok());
  ASSERT_EQ(next.metrics.size(), 2u);
  const auto& p2 = std::get<pdata::Sum>(
                       next.metrics[1]->resource_metrics[0].scope_metrics[0].metrics.back().data)
                       .data_points[0];
  EXPECT_EQ(p2.start_time_unix_nano, point.time_unix_nano);
  EXPECT_EQ(p2.time_unix_nano, point.time_unix_nano + 1'000'000);
}

TEST(GenAiMetrics, RefusedFlushIsCountedNotFatal) {
  FakeClock clock;
  Capture next;
  next.refuse = true;
  component::Telemetry telemetry;
  GenAiMetricsProcessor p(Config{}, clock, &telemetry, next);
  ASSERT_TRUE(p.ConsumeTraces(component::TracesBatch(Spans(1))).ok());
  EXPECT_FALSE(p.Flush().ok());
  EXPECT_EQ(telemetry.GetCounter("astrolabe_genaimetrics_send_failed_total", "", {})->value(), 1);
}

TEST(GenAiMetrics, ShutdownFlushesWhatIsLeft) {
  Capture next;
  Config c;
  c.metrics_flush_interval = std::chrono::hours(1);
  GenAiMetricsProcessor p(c, Clock::Real(), nullptr, next);
  component::test::TestHost host;
  ASSERT_TRUE(p.Start(host).ok());
  ASSERT_TRUE(p.ConsumeTraces(component::TracesBatch(Spans(2))).ok());
  ASSERT_TRUE(p.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  EXPECT_EQ(next.metrics.size(), 1u);
}

TEST(GenAiMetrics, FlushThreadSendsOnTheInterval) {
  Capture next;
  Config c;
  c.metrics_flush_interval = std::chrono::milliseconds(100);
  GenAiMetricsProcessor p(c, Clock::Real(), nullptr, next);
  component::test::TestHost host;
  ASSERT_TRUE(p.Start(host).ok());
  ASSERT_TRUE(p.ConsumeTraces(component::TracesBatch(Spans(1))).ok());
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(next.mu);
      if (!next.metrics.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  {
    std::lock_guard lock(next.mu);
    EXPECT_EQ(next.metrics.size(), 1u);
  }
  ASSERT_TRUE(p.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

TEST(GenAiMetricsConfig, DecodesAndValidates) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_full.yaml", "processors", "genaimetrics", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.metrics_flush_interval, std::chrono::seconds(2));
  config::Diagnostics diag2;
  Config typo;
  component::test::DecodeTestdata("config_typo.yaml", "processors", "genaimetrics", &typo, diag2);
  EXPECT_TRUE(diag2.has_errors());
  Config small;
  small.metrics_flush_interval = std::chrono::milliseconds(1);
  EXPECT_EQ(small.Validate().message(), "metrics_flush_interval must be at least 100ms");
}

TEST(GenAiMetricsFactory, Lifecycle) { component::test::RunLifecycleTests(*NewFactory()); }

}  // namespace
}  // namespace astrolabe::processor::genaimetrics
