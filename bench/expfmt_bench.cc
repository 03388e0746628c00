// Throughput of the exposition-format parser (src/expfmt) on NIM-, Kong-shaped and generated
// bodies, in both formats; and of the writer. Reports MB/s (bytes_per_second), samples/s
// (items_per_second) and ns/sample. One Parser is reused across iterations, as a scrape loop
// reuses it across scrapes. Figures and the command: bench/README.md, "expfmt".

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "expfmt/parser.h"
#include "expfmt/sample_payloads.h"
#include "expfmt/writer.h"

namespace astrolabe::expfmt {
namespace {

enum Payload { kNim, kKong, kGenerated10k };

std::string MakePayload(Payload p, Format f) {
  switch (p) {
    case kNim:
      return testing::NimPayload(f, 1);
    case kKong:
      return testing::KongPayload(f, 2);
    case kGenerated10k:
      return testing::GeneratedPayload(f, 10000);
  }
  return {};
}

void BM_Parse(benchmark::State& state) {
  Payload payload = static_cast<Payload>(state.range(0));
  Format format = state.range(1) == 0 ? Format::kText : Format::kOpenMetrics;
  std::string body = MakePayload(payload, format);
  Parser parser;
  size_t samples = 0;
  for (auto _ : state) {
    parser.Reset(body, format);
    size_t n = 0;
    double sum = 0;
    while (parser.Next()) {
      const Sample& s = parser.sample();
      sum += s.value;
      n += s.hash & 1;
      ++samples;
    }
    if (!parser.status().ok()) {
      state.SkipWithError(parser.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  // kIsRate | kInvert turns "samples per second" into seconds per sample ("per_sample=99ns").
  state.counters["per_sample"] = benchmark::Counter(
      static_cast<double>(samples), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void ParseArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"payload", "om"});
  for (int p : {kNim, kKong, kGenerated10k}) {
    for (int om : {0, 1}) b->Args({p, om});
  }
}
BENCHMARK(BM_Parse)->Apply(ParseArgs);

void BM_Write(benchmark::State& state) {
  Format format = state.range(0) == 0 ? Format::kText : Format::kOpenMetrics;
  std::string body = testing::GeneratedPayload(format, 10000);
  struct Row {
    std::string name;
    std::vector<std::string> kv;
    double value;
  };
  std::vector<Row> rows;
  Parser parser;
  parser.Reset(body, format);
  while (parser.Next()) {
    Row r{std::string(parser.sample().name), {}, parser.sample().value};
    for (const Label& l : parser.sample().labels) {
      r.kv.emplace_back(l.name);
      r.kv.emplace_back(l.value);
    }
    rows.push_back(std::move(r));
  }
  std::string out;
  std::vector<Label> labels;
  for (auto _ : state) {
    out.clear();
    Writer w(format, &out);
    w.BeginFamily({"app_generated", MetricType::kGauge, "help", ""});
    for (const Row& r : rows) {
      labels.clear();
      for (size_t i = 0; i + 1 < r.kv.size(); i += 2) labels.push_back({r.kv[i], r.kv[i + 1]});
      w.WriteSample(r.name, labels, r.value);
    }
    w.Finish();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows.size()));
}
BENCHMARK(BM_Write)->ArgName("om")->Arg(0)->Arg(1);

}  // namespace
}  // namespace astrolabe::expfmt

BENCHMARK_MAIN();
