#include "processor/batch/batch_processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "component/telemetry.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "processor/batch/factory.h"
#include "processor/batch/test_util.h"

namespace astrolabe::processor::batch {
namespace {

using namespace std::chrono_literals;
using test::Points;
using test::Recorder;
using test::Values;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

component::Deadline Soon() { return std::chrono::steady_clock::now() + 5s; }

class BatchProcessorTest : public ::testing::Test {
 protected:
  std::unique_ptr<BatchProcessor> Make(const Config& config,
                                       component::Signal signal = component::Signal::kMetrics) {
    EXPECT_TRUE(config.Validate().ok());
    component::CreateSettings settings;
    settings.id = config::ComponentId{"batch", ""};
    settings.telemetry = &telemetry_;
    auto p = NewBatchProcessor(settings, config, signal, next_);
    EXPECT_TRUE(p->Start(host_).ok());
    return p;
  }
  double CounterValue(const std::string& name) {
    return telemetry_.GetCounter(name, "", {{"processor", "batch"}})->value();
  }
  component::Histogram* SendSize() {
    return telemetry_.GetHistogram("otelcol_processor_batch_batch_send_size", "",
                                   {{"processor", "batch"}}, {});
  }
  // Waits (bounded) until `n` metric batches arrived.
  bool WaitForMetricBatches(size_t n, std::chrono::milliseconds limit = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (next_.metrics().size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
    }
    return next_.metrics().size() >= n;
  }

  component::Telemetry telemetry_;
  component::test::TestHost host_;
  Recorder next_;
};

Config SizeOnly(int64_t size, int64_t max = 0) {
  Config c;
  c.send_batch_size = size;
  c.send_batch_max_size = max;
  c.timeout = std::chrono::hours(1);  // never fires in a test
  return c;
}

TEST_F(BatchProcessorTest, SendsWhenThePendingCountReachesSendBatchSize) {
  auto p = Make(SizeOnly(10));
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(4, 0))).ok());
  EXPECT_TRUE(next_.metrics().empty());
  EXPECT_EQ(p->PendingItems(), 4u);
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(7, 4))).ok());
  // Without a maximum, everything pending leaves in one batch: 11 items.
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(11u));
  EXPECT_EQ(Values(next_.metrics()[0].get()),
            (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(p->PendingItems(), 0u);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_batch_size_trigger_send_total"), 1);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_timeout_trigger_send_total"), 0);
  EXPECT_EQ(SendSize()->count(), 1u);
  EXPECT_EQ(SendSize()->sum(), 11);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
}

TEST_F(BatchProcessorTest, MaxSizeSplitsUntilLessThanSendBatchSizeRemains) {
  auto p = Make(SizeOnly(100, 150));
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(1000))).ok());
  // One metric of 1000 points is spread over batches of at most 150.
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(150u, 150u, 150u, 150u, 150u, 150u, 100u));
  std::vector<double> all;
  for (const auto& b : next_.metrics()) {
    ASSERT_EQ(b->resource_metrics.size(), 1u);
    EXPECT_EQ(b->resource_metrics[0].scope_metrics[0].metrics[0].name, "g");
    for (double v : Values(b.get())) all.push_back(v);
  }
  ASSERT_EQ(all.size(), 1000u);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<double>(i));
  EXPECT_EQ(CounterValue("otelcol_processor_batch_batch_size_trigger_send_total"), 7);

  // 10 below send_batch_size stay pending after 160 arrive: 150 leave, 10 wait.
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(160))).ok());
  EXPECT_EQ(next_.MetricSizes().back(), 150u);
  EXPECT_EQ(p->PendingItems(), 10u);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  EXPECT_EQ(next_.MetricSizes().back(), 10u);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_timeout_trigger_send_total"), 1);
}

TEST_F(BatchProcessorTest, TimeoutSendsWhatIsPending) {
  Config c;
  c.send_batch_size = 1000;
  c.timeout = 50ms;
  auto p = Make(c);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(5))).ok());
  ASSERT_TRUE(WaitForMetricBatches(1));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(5u));
  EXPECT_LE(waited, 2s);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_timeout_trigger_send_total"), 1);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_batch_size_trigger_send_total"), 0);
  // And again for the next data.
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(3))).ok());
  ASSERT_TRUE(WaitForMetricBatches(2));
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(5u, 3u));
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
}

TEST_F(BatchProcessorTest, ZeroTimeoutSendsAtOnceSplitByMaxSize) {
  Config c;
  c.timeout = Duration::zero();
  c.send_batch_size = 3;
  c.send_batch_max_size = 3;
  auto p = Make(c);
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(7))).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(3u, 3u, 1u));
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(1))).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(3u, 3u, 1u, 1u));
  EXPECT_EQ(p->PendingItems(), 0u);
  EXPECT_EQ(CounterValue("otelcol_processor_batch_batch_size_trigger_send_total"), 4);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
}

TEST_F(BatchProcessorTest, ZeroSendBatchSizeSendsAtOnce) {
  Config c;
  c.send_batch_size = 0;
  c.send_batch_max_size = 4;
  c.timeout = std::chrono::hours(1);
  auto p = Make(c);
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(9))).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(4u, 4u, 1u));
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
}

TEST_F(BatchProcessorTest, ShutdownFlushesThenPassesThrough) {
  auto p = Make(SizeOnly(1000, 1000));
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(5))).ok());
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(6))).ok());
  EXPECT_TRUE(next_.metrics().empty());
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(11u));
  EXPECT_TRUE(p->Shutdown(Soon()).ok());  // idempotent
  // Late data is not lost: it goes straight on, still split by the maximum.
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(2500))).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(11u, 1000u, 1000u, 500u));
}

TEST_F(BatchProcessorTest, BatchesWithoutItemsAreDropped) {
  auto p = Make(SizeOnly(1));
  pdata::Metrics empty;
  empty.resource_metrics.emplace_back();  // a resource, no points
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(std::move(empty))).ok());
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  EXPECT_TRUE(next_.metrics().empty());
}

TEST_F(BatchProcessorTest, NextConsumerErrorsAreLoggedNotReturned) {
  next_.set_status(Unavailable("backend down"));
  auto p = Make(SizeOnly(2));
  EXPECT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(3))).ok());
  EXPECT_EQ(next_.metrics().size(), 1u);  // tried
  EXPECT_EQ(p->PendingItems(), 0u);       // and dropped, as upstream
  EXPECT_EQ(CounterValue("otelcol_processor_batch_batch_size_trigger_send_total"), 0);
  EXPECT_EQ(SendSize()->count(), 0u);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
}

std::shared_ptr<pdata::ClientMetadata> Tenant(const std::string& value) {
  auto md = std::make_shared<pdata::ClientMetadata>();
  md->Add("X-Tenant", value);
  md->Add("other", "dropped");
  return md;
}

TEST_F(BatchProcessorTest, MetadataKeysGroupBatchesAndLimitCardinality) {
  Config c = SizeOnly(3);
  c.metadata_keys = {"x-TENANT"};
  c.metadata_cardinality_limit = 3;
  auto p = Make(c);
  auto send = [&](int n, std::shared_ptr<pdata::ClientMetadata> md) {
    pdata::MetricsBatch b(Points(n));
    b.set_client_metadata(std::move(md));
    return p->ConsumeMetrics(std::move(b));
  };
  ASSERT_TRUE(send(2, Tenant("a")).ok());
  ASSERT_TRUE(send(2, Tenant("b")).ok());
  EXPECT_TRUE(next_.metrics().empty());  // 2 + 2 but in different groups
  ASSERT_TRUE(send(1, Tenant("a")).ok());
  ASSERT_EQ(next_.metrics().size(), 1u);
  const pdata::ClientMetadata* md = next_.metrics()[0].client_metadata();
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->Get("x-tenant"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(md->Get("other").empty()) << "only the listed keys travel on";

  // "" and absent are different groups.
  ASSERT_TRUE(send(1, Tenant("")).ok());
  EXPECT_EQ(p->MetadataCardinality(), 3u);
  Status refused = send(1, nullptr);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(refused.IsRetryable());
  EXPECT_EQ(refused.message(), "too many batcher metadata-value combinations");
  EXPECT_EQ(
      telemetry_
          .GetGauge("otelcol_processor_batch_metadata_cardinality", "", {{"processor", "batch"}})
          ->value(),
      3);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  EXPECT_EQ(next_.metrics().size(), 3u);  // b and "" flushed
  p.reset();
  EXPECT_EQ(
      telemetry_
          .GetGauge("otelcol_processor_batch_metadata_cardinality", "", {{"processor", "batch"}})
          ->value(),
      0);
}

TEST_F(BatchProcessorTest, TracesAndLogsCountSpansAndRecords) {
  auto traces = Make(SizeOnly(4, 4), component::Signal::kTraces);
  ASSERT_TRUE(traces->ConsumeTraces(pdata::TracesBatch(test::Spans(3))).ok());
  ASSERT_TRUE(traces->ConsumeTraces(pdata::TracesBatch(test::Spans(6))).ok());
  ASSERT_EQ(next_.traces().size(), 2u);
  EXPECT_EQ(next_.traces()[0]->SpanCount(), 4u);
  EXPECT_EQ(next_.traces()[1]->SpanCount(), 4u);
  EXPECT_EQ(traces->PendingItems(), 1u);
  EXPECT_TRUE(traces->Shutdown(Soon()).ok());
  EXPECT_EQ(next_.traces().size(), 3u);

  auto logs = Make(SizeOnly(2), component::Signal::kLogs);
  ASSERT_TRUE(logs->ConsumeLogs(pdata::LogsBatch(test::Records(5))).ok());
  ASSERT_EQ(next_.logs().size(), 1u);
  EXPECT_EQ(next_.logs()[0]->LogRecordCount(), 5u);
  EXPECT_TRUE(logs->Shutdown(Soon()).ok());
}

TEST_F(BatchProcessorTest, SharedInputIsClonedNotStolen) {
  auto p = Make(SizeOnly(1000));
  pdata::MetricsBatch original(Points(3));
  pdata::MetricsBatch copy = original;  // another pipeline still holds it
  ASSERT_TRUE(p->ConsumeMetrics(copy).ok());
  EXPECT_EQ(original->DataPointCount(), 3u);
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  EXPECT_THAT(next_.MetricSizes(), ElementsAre(3u));
}

TEST_F(BatchProcessorTest, ConcurrentProducersLoseNothing) {
  Config c;
  c.send_batch_size = 100;
  c.send_batch_max_size = 128;
  c.timeout = 5ms;
  auto p = Make(c);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(3))).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  size_t total = 0;
  for (size_t n : next_.MetricSizes()) {
    EXPECT_LE(n, 128u);
    total += n;
  }
  EXPECT_EQ(total, 6000u);
}

TEST_F(BatchProcessorTest, TelemetryUsesUpstreamNames) {
  auto p = Make(SizeOnly(2));
  ASSERT_TRUE(p->ConsumeMetrics(pdata::MetricsBatch(Points(2))).ok());
  EXPECT_TRUE(p->Shutdown(Soon()).ok());
  std::string text = telemetry_.RenderText();
  EXPECT_THAT(text, HasSubstr("otelcol_processor_batch_batch_send_size_bucket{processor=\"batch\","
                              "le=\"10\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("otelcol_processor_batch_batch_size_trigger_send_total{processor=\"batch\"} 1"));
  EXPECT_THAT(text, HasSubstr("otelcol_processor_batch_timeout_trigger_send_total"));
  EXPECT_THAT(text,
              HasSubstr("otelcol_processor_batch_metadata_cardinality{processor=\"batch\"} 1"));
}

TEST(BatchProcessorFactory, Lifecycle) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "batch");
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_TRUE(factory->Supports(component::Signal::kTraces));
  EXPECT_TRUE(factory->Supports(component::Signal::kLogs));
  component::test::RunLifecycleTests(*factory);
}

TEST(BatchProcessorFactory, RejectsAnInvalidConfig) {
  auto factory = NewFactory();
  Config c;
  c.send_batch_max_size = 10;  // below the default send_batch_size
  component::CreateSettings settings;
  settings.id = config::ComponentId{"batch", ""};
  component::test::NopConsumer next;
  auto p = factory->CreateProcessor(settings, c, component::Signal::kMetrics, next);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "send_batch_max_size must be greater or equal to send_batch_size");
}

}  // namespace
}  // namespace astrolabe::processor::batch
