// PromQL engine throughput on dashboard-shaped range queries (figures in bench/README.md,
// "PromQL"). Data: a tsdb::Head with 10 models x 100 pods of a counter and of a 12-bucket
// latency histogram (13,000 series), one sample every 30 s for 24 h (37 M samples). Queries run
// over the whole 24 h at a 60 s step (1,441 steps), as a dashboard panel asks for them.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "query/engine.h"
#include "tsdb/head.h"

namespace {

using astrolabe::query::Engine;
using astrolabe::storage::Labels;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kEnd = 24 * kHour;
constexpr int64_t kScrape = 30 * 1000;

astrolabe::tsdb::Head& Data() {
  static astrolabe::tsdb::Head* head = [] {
    auto* h = new astrolabe::tsdb::Head();
    const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                         "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
    std::vector<Labels> series;
    for (int m = 0; m < 10; ++m) {
      for (int p = 0; p < 100; ++p) {
        const std::string model = "model-" + std::to_string(m);
        const std::string pod = "pod-" + std::to_string(p);
        series.push_back(
            Labels::FromPairs({{"__name__", "requests_total"}, {"model", model}, {"pod", pod}}));
        for (const char* le : les) {
          series.push_back(Labels::FromPairs(
              {{"__name__", "ttft_seconds_bucket"}, {"model", model}, {"pod", pod}, {"le", le}}));
        }
      }
    }
    std::vector<double> values(series.size(), 0);
    for (int64_t t = 0; t <= kEnd; t += kScrape) {
      auto app = h->NewAppender();
      for (size_t i = 0; i < series.size(); ++i) {
        // Counters: bucket k of a pod grows with k (cumulative buckets stay monotonic).
        values[i] += 1 + static_cast<double>((i * 7 + static_cast<size_t>(t / kScrape)) % 5) *
                             static_cast<double>(i % 13 + 1);
        (void)app->Append(series[i], t, values[i]);
      }
      (void)app->Commit();
    }
    return h;
  }();
  return *head;
}

// Runs `query` over the whole 24 h; `streaming` 0 turns the engine's streaming shortcuts off
// (EngineOptions::streaming), the evaluator as it was before them, for a before/after.
void RunRange(benchmark::State& state, const char* query) {
  auto& head = Data();
  astrolabe::query::EngineOptions options;
  options.streaming = state.range(0) != 0;
  Engine engine(options);
  size_t points = 0;
  for (auto _ : state) {
    auto r = engine.RangeQuery(head, query, 0, kEnd, 60 * 1000);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    points = 0;
    for (const auto& s : r->matrix) points += s.points.size();
    benchmark::DoNotOptimize(points);
  }
  state.counters["result_points"] = static_cast<double>(points);
}

void BM_SumRateByModel(benchmark::State& state) {
  RunRange(state, "sum by (model) (rate(requests_total[5m]))");
}
void BM_HistogramQuantileByModel(benchmark::State& state) {
  RunRange(state, "histogram_quantile(0.99, sum by (le, model) (rate(ttft_seconds_bucket[5m])))");
}
void BM_RatioOfSums(benchmark::State& state) {
  RunRange(state,
           "sum by (model) (rate(ttft_seconds_bucket{le=\"0.5\"}[5m])) / "
           "sum by (model) (rate(requests_total[5m]))");
}
void BM_TopkIncrease(benchmark::State& state) {
  RunRange(state, "topk(5, increase(requests_total[1h]))");
}
void BM_SumIncreaseByModel(benchmark::State& state) {
  RunRange(state, "sum by (model) (increase(requests_total[1h]))");
}
void BM_AvgByModel(benchmark::State& state) { RunRange(state, "avg by (model) (requests_total)"); }

// Argument: streaming (1) or plain (0).
BENCHMARK(BM_SumRateByModel)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_HistogramQuantileByModel)
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_RatioOfSums)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TopkIncrease)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_SumIncreaseByModel)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_AvgByModel)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
