#include "component/testing/test_components.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace astrolabe::component::test {
namespace {

Deadline Soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(5); }

TEST(TestComponents, ReceiverFeedsProcessorFeedsSink) {
  auto ledger = std::make_shared<Ledger>();
  TestHost host;
  TestConfig config;
  SinkExporter sink(ledger, {{"sink", ""}, &host.telemetry()}, config);
  TestProcessor proc(ledger, {{"tag", "a"}, &host.telemetry()}, config, Signal::kMetrics, sink);
  TestReceiver rcv(ledger, {{"rcv", ""}, &host.telemetry()}, config, {&proc, nullptr, nullptr});

  // Not running yet.
  EXPECT_EQ(rcv.EmitMetrics(MetricsBatch()).code(), StatusCode::kUnavailable);
  ASSERT_TRUE(sink.Start(host).ok());
  ASSERT_TRUE(proc.Start(host).ok());
  ASSERT_TRUE(rcv.Start(host).ok());
  MetricsBatch batch;
  const pdata::Metrics* original = &batch.get();
  ASSERT_TRUE(rcv.EmitMetrics(batch).ok());
  EXPECT_EQ(rcv.EmitTraces(TracesBatch()).code(), StatusCode::kFailedPrecondition);
  ASSERT_EQ(sink.metrics().size(), 1u);
  EXPECT_EQ(&sink.metrics()[0].get(), original);  // nobody mutated: the same object

  EXPECT_TRUE(rcv.Shutdown(Soon()).ok());
  EXPECT_EQ(rcv.EmitMetrics(MetricsBatch()).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(proc.Shutdown(Soon()).ok());
  EXPECT_TRUE(sink.Shutdown(Soon()).ok());
  EXPECT_EQ(ledger->events(),
            (std::vector<std::string>{"start exporter sink", "start processor tag/a",
                                      "start receiver rcv", "consume processor tag/a",
                                      "shutdown receiver rcv", "shutdown-done receiver rcv",
                                      "shutdown processor tag/a", "shutdown-done processor tag/a",
                                      "shutdown exporter sink", "shutdown-done exporter sink"}));
  EXPECT_EQ(ledger->Receiver("rcv"), &rcv);
  EXPECT_EQ(ledger->Exporter("sink"), &sink);
  ASSERT_EQ(ledger->Processors("tag/a").size(), 1u);
  EXPECT_EQ(ledger->Created(Kind::kProcessor, "tag/a"), 1);
}

TEST(TestComponents, MutatingSinkClonesSharedData) {
  auto ledger = std::make_shared<Ledger>();
  TestHost host;
  TestConfig config;
  config.mutate = true;
  SinkExporter sink(ledger, {{"sink", ""}, &host.telemetry()}, config);
  MetricsBatch batch;
  ASSERT_TRUE(sink.ConsumeMetrics(batch).ok());
  EXPECT_NE(&sink.metrics()[0].get(), &batch.get());
}

TEST(TestComponents, FailingSinkCountsFailures) {
  auto ledger = std::make_shared<Ledger>();
  TestHost host;
  TestConfig config;
  config.fail = "unavailable";
  SinkExporter sink(ledger, {{"sink", ""}, &host.telemetry()}, config);
  Status s = sink.ConsumeTraces(TracesBatch());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(sink.traces().empty());
  config.fail = "bogus";
  EXPECT_FALSE(config.Validate().ok());
}

TEST(TestComponents, LedgerWaitForTimesOut) {
  Ledger ledger;
  EXPECT_FALSE(ledger.WaitFor("never", std::chrono::milliseconds(10)));
  ledger.Record("now");
  EXPECT_TRUE(ledger.WaitFor("now", std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace astrolabe::component::test
