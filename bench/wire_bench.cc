// OTLP protobuf and JSON codec throughput (src/wire/otlp_proto.h, otlp_json.h) on a NIM-shaped
// metrics request (the collector's scrape → delta → OTLP/HTTP export path) and on a batch of
// GenAI-style spans. Reports bytes/s (wire bytes) and items/s (data points or spans). Figures:
// bench/README.md.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DASTROLABE_BENCH=ON
//   ninja -C build-bench wire_bench && build-bench/bench/wire_bench

#include <benchmark/benchmark.h>

#include <string>

#include "pdata/metrics.h"
#include "pdata/spares.h"
#include "pdata/traces.h"
#include "spanstore/test_util.h"
#include "wire/gzip.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"
#include "wire/snappy.h"
#include "wire/zstd.h"

namespace astrolabe::wire {
namespace {

void BM_DecodeNimMetrics(benchmark::State& state) {
  pdata::Metrics metrics = testdata::NimMetrics(static_cast<size_t>(state.range(0)));
  const std::string bytes = EncodeMetricsRequest(metrics);
  const auto points = static_cast<int64_t>(metrics.DataPointCount());
  for (auto _ : state) {
    auto decoded = DecodeMetricsRequest(bytes);
    benchmark::DoNotOptimize(decoded);
    if (!decoded.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["request_bytes"] = static_cast<double>(bytes.size());
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_DecodeNimMetrics)->Arg(1000)->Arg(5000);

void BM_EncodeNimMetrics(benchmark::State& state) {
  pdata::Metrics metrics = testdata::NimMetrics(static_cast<size_t>(state.range(0)));
  const auto points = static_cast<int64_t>(metrics.DataPointCount());
  std::string out;
  for (auto _ : state) {
    out.clear();  // keeps capacity, as an exporter reusing its buffer would
    AppendMetricsRequest(metrics, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations() * points);
}
BENCHMARK(BM_EncodeNimMetrics)->Arg(1000)->Arg(5000);

pdata::Traces SpanBatch(size_t n) {
  pdata::Traces rich = testdata::RichTraces();
  const pdata::Span& child = rich.resource_spans[0].scope_spans[0].spans[1];
  pdata::Traces out = rich.Clone();
  auto& spans = out.resource_spans[0].scope_spans[0].spans;
  spans.clear();
  for (size_t i = 0; i < n; ++i) {
    pdata::Span s = child;
    s.span_id.bytes[0] = static_cast<uint8_t>(i);
    s.span_id.bytes[1] = static_cast<uint8_t>(i >> 8);
    s.attributes.push_back({"gen_ai.request.model", pdata::AnyValue("llama-3.1-8b-instruct")});
    s.attributes.push_back({"gen_ai.usage.output_tokens", pdata::AnyValue(int64_t{256})});
    spans.push_back(std::move(s));
  }
  return out;
}

void BM_DecodeSpans(benchmark::State& state) {
  pdata::Traces traces = SpanBatch(static_cast<size_t>(state.range(0)));
  const std::string bytes = EncodeTracesRequest(traces);
  for (auto _ : state) {
    auto decoded = DecodeTracesRequest(bytes);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.SpanCount()));
}
BENCHMARK(BM_DecodeSpans)->Arg(1000);

// The span-ingest benchmark's requests (spanstore/test_util.h: GenAI spans, ~20 attributes
// each, messages included), decoded as the otlp receiver did before reusing pdata: a new
// Traces per request, destroyed after it (the destruction is part of the loop).
void BM_DecodeGenAiSpans(benchmark::State& state) {
  std::mt19937_64 rng(42);
  const std::string bytes =
      EncodeTracesRequest(spanstore::testing::MakeGenAiTraces(rng, int(state.range(0)) / 4));
  for (auto _ : state) {
    auto decoded = DecodeTracesRequest(bytes);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeGenAiSpans)->Arg(1000);

// The same, as the otlp receiver does now: the previous request is harvested into spares and
// the next one decoded from them (pdata/spares.h). Two different requests alternate, so that
// the spares do not meet the exact shape they came from.
void BM_DecodeGenAiSpansIntoSpares(benchmark::State& state) {
  std::mt19937_64 rng(42);
  const std::string bytes[2] = {
      EncodeTracesRequest(spanstore::testing::MakeGenAiTraces(rng, int(state.range(0)) / 4)),
      EncodeTracesRequest(spanstore::testing::MakeGenAiTraces(rng, int(state.range(0)) / 4))};
  pdata::Traces traces;
  pdata::TracesSpares spares;
  size_t i = 0;
  for (auto _ : state) {
    spares.Harvest(traces);
    Status s = DecodeTracesRequest(bytes[i++ % 2], &traces, &spares);
    benchmark::DoNotOptimize(traces);
    if (!s.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes[0].size()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeGenAiSpansIntoSpares)->Arg(1000);

void BM_EncodeSpans(benchmark::State& state) {
  pdata::Traces traces = SpanBatch(static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendTracesRequest(traces, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.SpanCount()));
}
BENCHMARK(BM_EncodeSpans)->Arg(1000);

// ---- OTLP/JSON (bytes are JSON bytes, several times the protobuf size)

void BM_DecodeNimMetricsJson(benchmark::State& state) {
  pdata::Metrics metrics = testdata::NimMetrics(static_cast<size_t>(state.range(0)));
  const std::string json = EncodeMetricsJson(metrics);
  const auto points = static_cast<int64_t>(metrics.DataPointCount());
  for (auto _ : state) {
    auto decoded = DecodeMetricsJson(json);
    benchmark::DoNotOptimize(decoded);
    if (!decoded.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["request_bytes"] = static_cast<double>(json.size());
}
BENCHMARK(BM_DecodeNimMetricsJson)->Arg(1000)->Arg(5000);

void BM_EncodeNimMetricsJson(benchmark::State& state) {
  pdata::Metrics metrics = testdata::NimMetrics(static_cast<size_t>(state.range(0)));
  const auto points = static_cast<int64_t>(metrics.DataPointCount());
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendMetricsJson(metrics, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations() * points);
}
BENCHMARK(BM_EncodeNimMetricsJson)->Arg(1000)->Arg(5000);

void BM_DecodeSpansJson(benchmark::State& state) {
  pdata::Traces traces = SpanBatch(static_cast<size_t>(state.range(0)));
  const std::string json = EncodeTracesJson(traces);
  for (auto _ : state) {
    auto decoded = DecodeTracesJson(json);
    benchmark::DoNotOptimize(decoded);
    if (!decoded.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.SpanCount()));
}
BENCHMARK(BM_DecodeSpansJson)->Arg(1000);

void BM_EncodeSpansJson(benchmark::State& state) {
  pdata::Traces traces = SpanBatch(static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendTracesJson(traces, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.SpanCount()));
}
BENCHMARK(BM_EncodeSpansJson)->Arg(1000);

// ---- compression of the 5,005-point protobuf request (bytes are uncompressed bytes).
// Arg: 0 gzip (level 6, zlib's default, as Go's), 1 zstd (level 3), 2 snappy block,
// 3 snappy framed.

void BM_Compress(benchmark::State& state) {
  const std::string raw = EncodeMetricsRequest(testdata::NimMetrics(5000));
  std::string out;
  for (auto _ : state) {
    out.clear();
    switch (state.range(0)) {
      case 0:
        (void)GzipCompress(raw, &out);
        break;
      case 1:
        (void)ZstdCompress(raw, &out);
        break;
      case 2:
        SnappyCompress(raw, &out);
        break;
      default:
        SnappyFramedCompress(raw, &out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
  state.counters["ratio"] = static_cast<double>(raw.size()) / static_cast<double>(out.size());
}
BENCHMARK(BM_Compress)->DenseRange(0, 3);

void BM_Decompress(benchmark::State& state) {
  const std::string raw = EncodeMetricsRequest(testdata::NimMetrics(5000));
  std::string z;
  switch (state.range(0)) {
    case 0:
      (void)GzipCompress(raw, &z);
      break;
    case 1:
      (void)ZstdCompress(raw, &z);
      break;
    case 2:
      SnappyCompress(raw, &z);
      break;
    default:
      SnappyFramedCompress(raw, &z);
  }
  for (auto _ : state) {
    Result<std::string> r = state.range(0) == 0   ? GzipDecompress(z, 64 << 20)
                            : state.range(0) == 1 ? ZstdDecompress(z, 64 << 20)
                            : state.range(0) == 2 ? SnappyDecompress(z, 64 << 20)
                                                  : SnappyFramedDecompress(z, 64 << 20);
    benchmark::DoNotOptimize(r);
    if (!r.ok()) state.SkipWithError("decompress failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_Decompress)->DenseRange(0, 3);

}  // namespace
}  // namespace astrolabe::wire
