// Storage benchmarks (bench/README.md, "tsdb"): chunk bytes per sample on the NIM/Kong fleet,
// append throughput, head RAM per active series, Select latency.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <bit>
#include <cmath>
#include <memory>
#include <thread>

#include "genai_series.h"
#include "tsdb/chunk.h"
#include "tsdb/head.h"

namespace astrolabe::bench {
namespace {

using storage::Sample;

// ---- bytes per sample ---------------------------------------------------------------------------

// Bits a Prometheus-style XOR chunk would use for the same samples (the Gorilla layout as
// Prometheus' chunkenc/xor.go applies it: dod classes 14/17/20/64 bits, XOR values with a
// reused or new leading/trailing window). A cost model for comparison only.
struct XorCost {
  uint64_t bits = 16;  // 2-byte sample count
  int n = 0;
  int64_t t = 0, dt = 0;
  uint64_t v = 0;
  int lead = -1, trail = 0;
  static int VarintBits(uint64_t x) {
    int b = 8;
    while (x >= 0x80) {
      x >>= 7;
      b += 8;
    }
    return b;
  }
  void Add(int64_t nt, double nv) {
    uint64_t vb = std::bit_cast<uint64_t>(nv);
    if (n == 0) {
      bits += VarintBits((static_cast<uint64_t>(nt) << 1) ^ static_cast<uint64_t>(nt >> 63)) + 64;
    } else {
      if (n == 1) {
        dt = nt - t;
        bits += VarintBits(static_cast<uint64_t>(dt));
      } else {
        int64_t ndt = nt - t, dod = ndt - dt;
        dt = ndt;
        if (dod == 0)
          bits += 1;
        else if (dod >= -8191 && dod <= 8192)
          bits += 2 + 14;
        else if (dod >= -65535 && dod <= 65536)
          bits += 3 + 17;
        else if (dod >= -524287 && dod <= 524288)
          bits += 4 + 20;
        else
          bits += 4 + 64;
      }
      uint64_t x = vb ^ v;
      if (x == 0) {
        bits += 1;
      } else {
        int lz = std::min(std::countl_zero(x), 31), tz = std::countr_zero(x);
        if (lead >= 0 && lz >= lead && tz >= trail) {
          bits += 2 + (64 - lead - trail);
        } else {
          lead = lz;
          trail = tz;
          bits += 2 + 5 + 6 + (64 - lz - tz);
        }
      }
    }
    t = nt;
    v = vb;
    ++n;
  }
};

// Encodes `hours` of the fleet into chunks cut every `per_chunk` samples; reports bytes/sample
// of our encoding and of the XOR cost model, overall and per series kind.
void BM_ChunkBytesPerSample(benchmark::State& state) {
  const int hours = static_cast<int>(state.range(0));
  const uint32_t per_chunk = static_cast<uint32_t>(state.range(1));
  const int jitter = static_cast<int>(state.range(2));
  for (auto _ : state) {
    GenAiOptions opts;
    opts.jitter_ms = jitter;
    GenAiFleet fleet(opts);
    const size_t n = fleet.series().size();
    std::vector<tsdb::ChunkAppender> app(n);
    std::vector<XorCost> xc(n);
    uint64_t ours = 0, xor_bits = 0, samples = 0;
    uint64_t kind_bytes[3] = {0, 0, 0}, kind_samples[3] = {0, 0, 0};  // bucket, _sum, other
    std::vector<int> kind(n);
    for (size_t i = 0; i < n; ++i) {
      std::string_view name = fleet.series()[i].MetricName();
      kind[i] = name.ends_with("_bucket") ? 0 : name.ends_with("_sum") ? 1 : 2;
    }
    std::vector<Sample> out;
    const int steps = hours * 360;
    for (int s = 0; s < steps; ++s) {
      fleet.Step(out);
      for (size_t i = 0; i < n; ++i) {
        if (app[i].count() >= per_chunk) {
          ours += app[i].size();
          kind_bytes[kind[i]] += app[i].size();
          app[i].Reset(app[i].size() + 16);
          xor_bits += (xc[i].bits + 7) / 8 * 8;
          xc[i] = XorCost();
        }
        app[i].Append(out[i].t, out[i].v);
        xc[i].Add(out[i].t, out[i].v);
        ++kind_samples[kind[i]];
      }
      samples += n;
    }
    for (size_t i = 0; i < n; ++i) {
      ours += app[i].size();
      kind_bytes[kind[i]] += app[i].size();
      xor_bits += (xc[i].bits + 7) / 8 * 8;
    }
    state.counters["series"] = static_cast<double>(n);
    state.counters["samples"] = static_cast<double>(samples);
    state.counters["B_per_sample"] = static_cast<double>(ours) / static_cast<double>(samples);
    state.counters["xor_B_per_sample"] =
        static_cast<double>(xor_bits) / 8.0 / static_cast<double>(samples);
    state.counters["bucket_B"] =
        static_cast<double>(kind_bytes[0]) / static_cast<double>(kind_samples[0]);
    state.counters["sum_B"] =
        static_cast<double>(kind_bytes[1]) / static_cast<double>(kind_samples[1]);
    state.counters["other_B"] =
        static_cast<double>(kind_bytes[2]) / static_cast<double>(kind_samples[2]);
  }
}
BENCHMARK(BM_ChunkBytesPerSample)
    ->ArgNames({"hours", "per_chunk", "jitter_ms"})
    ->Args({24, 120, 0})
    ->Args({24, 240, 0})
    ->Args({24, 120, 5})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// ---- append throughput --------------------------------------------------------------------------

// Pre-generates `steps` scrapes of the fleet so that the timed loop is the head alone.
struct Scrapes {
  std::vector<storage::Labels> labels;
  std::vector<std::vector<Sample>> steps;
  explicit Scrapes(int n, uint64_t seed = 1) {
    GenAiOptions o;
    o.seed = seed;
    GenAiFleet fleet(o);
    labels = fleet.series();
    steps.resize(static_cast<size_t>(n));
    for (auto& s : steps) fleet.Step(s);
  }
};

const Scrapes& SharedScrapes() {
  static const Scrapes s(720);  // 2 h
  return s;
}

// One iteration = one scrape of all 10k series appended by ref and committed.
void BM_AppendByRef(benchmark::State& state) {
  const Scrapes& sc = SharedScrapes();
  auto head = std::make_unique<tsdb::Head>();
  std::vector<storage::SeriesRef> refs(sc.labels.size());
  {
    auto app = head->NewAppender();
    for (size_t i = 0; i < sc.labels.size(); ++i)
      refs[i] = *app->Append(sc.labels[i], sc.steps[0][i].t, sc.steps[0][i].v);
    (void)app->Commit();
  }
  size_t step = 1;
  int64_t shift = 0;
  for (auto _ : state) {
    if (step == sc.steps.size()) {
      step = 0;
      shift += 720 * 10000;  // replay the same 2 h, later
    }
    auto app = head->NewAppender();
    const auto& s = sc.steps[step++];
    for (size_t i = 0; i < s.size(); ++i) (void)app->AppendByRef(refs[i], s[i].t + shift, s[i].v);
    (void)app->Commit();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(sc.labels.size()));
}
BENCHMARK(BM_AppendByRef)->Unit(benchmark::kMillisecond)->MinTime(2);

// The same through Append(labels): hash lookup and label comparison per sample.
void BM_AppendByLabels(benchmark::State& state) {
  const Scrapes& sc = SharedScrapes();
  auto head = std::make_unique<tsdb::Head>();
  size_t step = 0;
  int64_t shift = 0;
  for (auto _ : state) {
    if (step == sc.steps.size()) {
      step = 0;
      shift += 720 * 10000;
    }
    auto app = head->NewAppender();
    const auto& s = sc.steps[step++];
    for (size_t i = 0; i < s.size(); ++i) (void)app->Append(sc.labels[i], s[i].t + shift, s[i].v);
    (void)app->Commit();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(sc.labels.size()));
}
BENCHMARK(BM_AppendByLabels)->Unit(benchmark::kMillisecond)->MinTime(2);

// ---- RAM per active series ----------------------------------------------------------------------

size_t HeapInUse() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

// Heap bytes per series after ingesting `scrapes` scrapes of the fleet (10k series).
void BM_HeadBytesPerSeries(benchmark::State& state) {
  const int scrapes = static_cast<int>(state.range(0));
  for (auto _ : state) {
    GenAiFleet fleet{GenAiOptions{}};
    std::vector<Sample> out;
    std::vector<std::vector<Sample>> steps(static_cast<size_t>(scrapes));
    for (auto& s : steps) fleet.Step(s);
    size_t before = HeapInUse();
    auto head = std::make_unique<tsdb::Head>();
    std::vector<storage::SeriesRef> refs(fleet.series().size());
    for (int k = 0; k < scrapes; ++k) {
      auto app = head->NewAppender();
      const auto& s = steps[static_cast<size_t>(k)];
      for (size_t i = 0; i < s.size(); ++i) {
        if (k == 0) {
          refs[i] = *app->Append(fleet.series()[i], s[i].t, s[i].v);
        } else {
          (void)app->AppendByRef(refs[i], s[i].t, s[i].v);
        }
      }
      (void)app->Commit();
    }
    size_t after = HeapInUse();
    const double n = static_cast<double>(fleet.series().size());
    state.counters["series"] = n;
    state.counters["B_per_series"] = static_cast<double>(after - before) / n;
    state.counters["symbols_B_per_series"] = static_cast<double>(head->symbols().MemoryBytes()) / n;
    state.counters["postings_B_per_series"] =
        static_cast<double>(head->postings().MemoryBytes()) / n;
  }
}
BENCHMARK(BM_HeadBytesPerSeries)
    ->ArgName("scrapes")
    ->Arg(1)
    ->Arg(120)
    ->Arg(720)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// ---- Select latency -----------------------------------------------------------------------------

tsdb::Head& SelectHead() {
  static tsdb::Head* head = [] {
    auto* h = new tsdb::Head();  // lives for the process: the benchmark's fixture
    const Scrapes& sc = SharedScrapes();
    std::vector<storage::SeriesRef> refs(sc.labels.size());
    for (size_t k = 0; k < 360; ++k) {  // 1 h
      auto app = h->NewAppender();
      for (size_t i = 0; i < sc.labels.size(); ++i) {
        if (k == 0)
          refs[i] = *app->Append(sc.labels[i], sc.steps[k][i].t, sc.steps[k][i].v);
        else
          (void)app->AppendByRef(refs[i], sc.steps[k][i].t, sc.steps[k][i].v);
      }
      (void)app->Commit();
    }
    return h;
  }();
  return *head;
}

// Selects and reads every sample of the selection over the whole hour.
void RunSelect(benchmark::State& state, std::vector<storage::Matcher> ms) {
  tsdb::Head& head = SelectHead();
  int64_t series = 0, samples = 0;
  for (auto _ : state) {
    auto q = head.NewQuerier();
    auto set = q->Select(ms, storage::kMinTime, storage::kMaxTime);
    series = samples = 0;
    while ((*set)->Next()) {
      ++series;
      auto it = (*set)->At().Iterator();
      while (it->Next()) ++samples;
    }
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["samples"] = static_cast<double>(samples);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * samples);
}

using storage::Matcher;
using storage::MatchType;

void BM_SelectOneSeries(benchmark::State& state) {
  RunSelect(state, {Matcher::MustMake(MatchType::kEqual, "__name__", "gpu_cache_usage_perc"),
                    Matcher::MustMake(MatchType::kEqual, "pod", "nim-0-1000")});
}
void BM_SelectHistogramOneModel(benchmark::State& state) {
  RunSelect(state,
            {Matcher::MustMake(MatchType::kEqual, "__name__", "time_to_first_token_seconds_bucket"),
             Matcher::MustMake(MatchType::kEqual, "model_name", "meta/llama-3.1-8b-instruct")});
}
void BM_SelectRegexKong(benchmark::State& state) {
  RunSelect(state, {Matcher::MustMake(MatchType::kRegexMatch, "__name__", "kong_ai_llm_.*_total"),
                    Matcher::MustMake(MatchType::kNotEqual, "ai_provider", "openai")});
}
void BM_LabelValuesModel(benchmark::State& state) {
  tsdb::Head& head = SelectHead();
  size_t n = 0;
  for (auto _ : state) {
    auto q = head.NewQuerier();
    std::vector<Matcher> none;
    n = q->LabelValues("model_name", none, storage::kMinTime, storage::kMaxTime)->size();
  }
  state.counters["values"] = static_cast<double>(n);
}
BENCHMARK(BM_SelectOneSeries)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SelectHistogramOneModel)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SelectRegexKong)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LabelValuesModel)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace astrolabe::bench

BENCHMARK_MAIN();
