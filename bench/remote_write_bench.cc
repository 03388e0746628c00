// Remote-write ingest cost per sample inside the receiver: snappy decompression, 1.0 / 2.0
// protobuf decoding (src/wire/remote_write.h) and translation to pdata
// (src/receiver/prometheus_remote_write/translate.h), on a vmagent-shaped request: N series of
// node_exporter-like labels (job, instance and 2 more), one sample each, as vmagent sends
// them. Reports samples/s (items) and wire bytes/s. Figures: bench/README.md, "remote write".
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DASTROLABE_BENCH=ON
//   -DASTROLABE_TESTS=OFF ninja -C build-bench remote_write_bench &&
//   build-bench/bench/remote_write_bench

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "receiver/prometheus_remote_write/translate.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe {
namespace {

namespace prw = wire::prw;

// Owns the strings the request's views point to.
struct Request {
  std::vector<std::string> strings;
  prw::WriteRequest request;
};

Request Make(size_t series) {
  Request r;
  r.strings.reserve(series * 3);
  for (size_t i = 0; i < series; ++i) {
    r.strings.push_back("node_metric_" + std::to_string(i % 200) + "_bytes");
    r.strings.push_back(std::to_string(i / 200));
    r.strings.push_back("10.0." + std::to_string(i % 50) + ".7:9100");
  }
  for (size_t i = 0; i < series; ++i) {
    prw::TimeSeries ts;
    ts.labels = {{"__name__", r.strings[3 * i]},
                 {"device", r.strings[3 * i + 1]},
                 {"instance", r.strings[3 * i + 2]},
                 {"job", "node"},
                 {"mode", "idle"}};
    ts.samples = {{1234.5 + double(i), 1700000000000 + int64_t(i)}};
    r.request.timeseries.push_back(std::move(ts));
  }
  return r;
}

std::string Body(const prw::WriteRequest& r, bool v2) {
  std::string raw, z;
  if (v2) {
    prw::AppendWriteRequestV2(r, &raw);
  } else {
    prw::AppendWriteRequest(r, &raw);
  }
  wire::SnappyCompress(raw, &z);
  return z;
}

// snappy → decode, the wire part of a request.
void BM_Decode(benchmark::State& state) {
  const bool v2 = state.range(1) != 0;
  Request r = Make(size_t(state.range(0)));
  const std::string body = Body(r.request, v2);
  for (auto _ : state) {
    auto raw = wire::SnappyDecompress(body, 64 << 20);
    auto decoded = prw::Decode(v2 ? prw::Version::k2 : prw::Version::k1, *raw);
    benchmark::DoNotOptimize(decoded);
    if (!decoded.ok()) state.SkipWithError("decode failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * int64_t(body.size()));
}
BENCHMARK(BM_Decode)->ArgsProduct({{1000, 10000}, {0, 1}})->ArgNames({"series", "v2"});

// snappy → decode → pdata: everything the receiver does before the pipeline.
void BM_DecodeAndTranslate(benchmark::State& state) {
  const bool v2 = state.range(1) != 0;
  Request r = Make(size_t(state.range(0)));
  const std::string body = Body(r.request, v2);
  receiver::prometheus_remote_write::MetadataCache cache;
  for (auto _ : state) {
    auto raw = wire::SnappyDecompress(body, 64 << 20);
    auto decoded = prw::Decode(v2 ? prw::Version::k2 : prw::Version::k1, *raw);
    auto result = receiver::prometheus_remote_write::Translate(*decoded, &cache, {});
    benchmark::DoNotOptimize(result.metrics);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeAndTranslate)->ArgsProduct({{1000, 10000}, {0, 1}})->ArgNames({"series", "v2"});

}  // namespace
}  // namespace astrolabe

BENCHMARK_MAIN();
