// The server's traces processors per span (figures in bench/README.md, "GenAI processors per
// span"): the spans of span_ingest_bench (src/spanstore/test_util.h: a workflow span and three
// LLM chat spans per trace, ~20 attributes each, messages as JSON) through what
// genai → redaction → genaimetrics do to each span.
//   BM_GenAiNormalize    genai::Normalizer::NormalizeSpan with the built-in prices
//   BM_Redact            RedactionProcessor::ProcessSpan (default config) on normalised spans
//   BM_GenAiMetricsAdd   genaimetrics' Aggregator::Add on normalised spans
//   BM_Pipeline          the three in a row, as the server runs them
// 1000 spans per iteration; copying the input spans is not timed (paused once per 1000). As in
// the server, each span's attribute vector has room for 4 more (the OTLP decoder reserves it)
// and glibc keeps freed memory mapped (src/app/server.cc sets the same mallopt thresholds).

#include <benchmark/benchmark.h>

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#include <memory>
#include <random>
#include <vector>

#include "genai/normalize.h"
#include "genai/prices.h"
#include "processor/genaimetrics/aggregator.h"
#include "processor/redaction/config.h"
#include "processor/redaction/redaction.h"
#include "redaction/detector.h"
#include "spanstore/test_util.h"

namespace {

using namespace astrolabe;

const genai::Normalizer& TheNormalizer();

pdata::Traces Input() {
  TheNormalizer();  // built (the price table parsed) before anything is timed or counted
  std::mt19937_64 rng(42);
  return spanstore::testing::MakeGenAiTraces(rng, 250);  // 1000 spans
}

const genai::Normalizer& TheNormalizer() {
  static const genai::Normalizer n = [] {
    genai::PriceBook book;
    book.Add(std::shared_ptr<const genai::PriceTable>(&genai::PriceTable::BuiltIn(),
                                                      [](const genai::PriceTable*) {}));
    return genai::Normalizer(genai::NormalizerOptions{}, std::move(book));
  }();
  return n;
}

pdata::Traces Normalised() {
  pdata::Traces t = Input();
  for (auto& rs : t.resource_spans) {
    for (auto& ss : rs.scope_spans) {
      for (auto& s : ss.spans) TheNormalizer().NormalizeSpan(s);
    }
  }
  return t;
}

struct Nop : component::Consumer {};

class Redactor {
 public:
  Redactor() {
    processor::redaction::Config config;
    auto d = redaction::Detector::Create(config.DetectorOptions());
    p_ = std::make_unique<processor::redaction::RedactionProcessor>(config, std::move(d).value(),
                                                                    nullptr, next_);
    work_.counts.assign(redaction::kBuiltinKinds + 1, 0);
  }
  void Span(pdata::Span& s) { p_->ProcessSpan(s, work_); }

 private:
  Nop next_;
  std::unique_ptr<processor::redaction::RedactionProcessor> p_;
  processor::redaction::RedactionProcessor::Work work_;
};

size_t SpanCount(const pdata::Traces& t) {
  size_t n = 0;
  for (const auto& rs : t.resource_spans) {
    for (const auto& ss : rs.scope_spans) n += ss.spans.size();
  }
  return n;
}

[[maybe_unused]] const bool kTuned = [] {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  return true;
}();

pdata::Traces Copy(const pdata::Traces& input) {
  pdata::Traces copy = input.Clone();
  for (auto& rs : copy.resource_spans) {
    for (auto& ss : rs.scope_spans) {
      for (auto& s : ss.spans) s.attributes.reserve(s.attributes.size() + 4);
    }
  }
  return copy;
}

// Applies `fn(resource, span)` to every span. Not inlined, so that an instruction count
// can be limited to it: valgrind --tool=callgrind --toggle-collect='*ForEachSpan*' (the
// copying and freeing around it are left out).
template <typename Fn>
[[gnu::noinline]] void ForEachSpan(pdata::Traces& traces, Fn& fn) {
  for (auto& rs : traces.resource_spans) {
    for (auto& ss : rs.scope_spans) {
      for (auto& s : ss.spans) fn(rs.resource, s);
    }
  }
}

// Runs `fn` over a fresh copy of `input` per iteration.
template <typename Fn>
void Run(benchmark::State& state, const pdata::Traces& input, Fn fn) {
  for (auto _ : state) {
    state.PauseTiming();
    pdata::Traces copy = Copy(input);
    state.ResumeTiming();
    ForEachSpan(copy, fn);
    benchmark::DoNotOptimize(copy.resource_spans.data());
    state.PauseTiming();
    copy = pdata::Traces();  // freeing is not timed either
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * SpanCount(input)));
}

void BM_GenAiNormalize(benchmark::State& state) {
  const pdata::Traces input = Input();
  Run(state, input, [](const pdata::Resource&, pdata::Span& s) {
    benchmark::DoNotOptimize(TheNormalizer().NormalizeSpan(s));
  });
}

void BM_Redact(benchmark::State& state) {
  const pdata::Traces input = Normalised();
  Redactor r;
  Run(state, input, [&](const pdata::Resource&, pdata::Span& s) { r.Span(s); });
}

void BM_GenAiMetricsAdd(benchmark::State& state) {
  const pdata::Traces input = Normalised();
  processor::genaimetrics::Aggregator agg;
  Run(state, input, [&](const pdata::Resource& res, pdata::Span& s) {
    benchmark::DoNotOptimize(agg.Add(res, s));
  });
}

void BM_Pipeline(benchmark::State& state) {
  const pdata::Traces input = Input();
  Redactor r;
  processor::genaimetrics::Aggregator agg;
  Run(state, input, [&](const pdata::Resource& res, pdata::Span& s) {
    TheNormalizer().NormalizeSpan(s);
    r.Span(s);
    benchmark::DoNotOptimize(agg.Add(res, s));
  });
}

BENCHMARK(BM_GenAiNormalize);
BENCHMARK(BM_Redact);
BENCHMARK(BM_GenAiMetricsAdd);
BENCHMARK(BM_Pipeline);

}  // namespace

BENCHMARK_MAIN();
