// Throughput of the batch processor (src/processor/batch): items (data points) per second
// through BatchProcessor::ConsumeMetrics into a consumer that counts and frees what it gets.
// Each iteration consumes one scrape-sized request: one resource, one scope, 10 metrics of 10
// points (100 points), cloned from a template (the clone is part of the timed loop; BM_Clone
// measures it alone so it can be subtracted). Arguments: send_batch_size,
// send_batch_max_size (0 = none). With a maximum equal to the size, every send splits a metric
// (100-point requests do not divide 8192 or 1000 evenly). BM_SplitMetrics times splitting
// alone: 100,000 points in 1,000 metrics cut into pieces of N.
// Figures and the command: bench/README.md, "batch processor".

#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "processor/batch/batch_processor.h"
#include "processor/batch/split.h"

namespace astrolabe::processor::batch {
namespace {

class CountingConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    points += batch->DataPointCount();
    ++batches;
    return Status::Ok();
  }
  size_t points = 0;
  size_t batches = 0;
};

pdata::Metrics Request(int metrics, int points) {
  pdata::ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "nim"},
                            {"service.instance.id", "10.0.0.1:8000"},
                            {"server.port", "8000"},
                            {"url.scheme", "http"}};
  pdata::ScopeMetrics& sm = rm.scope_metrics.emplace_back();
  sm.scope.name = "github.com/astrolabe/receiver/prometheus";
  for (int m = 0; m < metrics; ++m) {
    pdata::Metric metric;
    metric.name = "metric_" + std::to_string(m) + "_total";
    pdata::Sum sum;
    sum.aggregation_temporality = pdata::AggregationTemporality::kDelta;
    sum.is_monotonic = true;
    for (int p = 0; p < points; ++p) {
      pdata::NumberDataPoint dp;
      dp.attributes = {{"model_name", "meta/llama3-8b-instruct"}, {"i", p}};
      dp.time_unix_nano = 1'700'000'000'000'000'000ULL;
      dp.value = static_cast<double>(p);
      sum.data_points.push_back(std::move(dp));
    }
    metric.data = std::move(sum);
    sm.metrics.push_back(std::move(metric));
  }
  pdata::Metrics md;
  md.resource_metrics.push_back(std::move(rm));
  return md;
}

void BM_Clone(benchmark::State& state) {
  const pdata::Metrics tmpl = Request(10, 10);
  for (auto _ : state) {
    pdata::Metrics copy = tmpl.Clone();
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_Clone);

void BM_BatchConsume(benchmark::State& state) {
  Config config;
  config.send_batch_size = state.range(0);
  config.send_batch_max_size = state.range(1);
  config.timeout = std::chrono::hours(1);  // only the size trigger, no timer sends
  CountingConsumer next;
  component::Telemetry telemetry;
  component::CreateSettings settings;
  settings.id = config::ComponentId{"batch", ""};
  settings.telemetry = &telemetry;
  auto processor = NewBatchProcessor(settings, config, component::Signal::kMetrics, next);
  const pdata::Metrics tmpl = Request(10, 10);
  for (auto _ : state) {
    Status s = processor->ConsumeMetrics(pdata::MetricsBatch(tmpl.Clone()));
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  (void)processor->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["batches"] = static_cast<double>(next.batches);
}
BENCHMARK(BM_BatchConsume)
    ->ArgNames({"size", "max"})
    ->Args({8192, 0})
    ->Args({8192, 8192})
    ->Args({1000, 1000});

void BM_SplitMetrics(benchmark::State& state) {
  const pdata::Metrics tmpl = Request(1000, 100);
  const size_t piece = static_cast<size_t>(state.range(0));
  std::vector<pdata::Metrics> pieces;
  for (auto _ : state) {
    state.PauseTiming();
    pdata::Metrics src = tmpl.Clone();
    pieces.clear();  // freeing is not splitting
    pieces.reserve(100'000 / piece + 1);
    state.ResumeTiming();
    while (!src.empty()) pieces.push_back(SplitMetrics(piece, src));
    benchmark::DoNotOptimize(pieces);
  }
  state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_SplitMetrics)->ArgName("piece")->Arg(8192)->Arg(1000);

}  // namespace
}  // namespace astrolabe::processor::batch

BENCHMARK_MAIN();
