// The GenAI API's span-side aggregations over 100k GenAI spans (bench/README.md, "GenAI API"):
//   BM_ScanGenAi           SpanStore::ScanGenAi over every span (index only, no block read)
//   BM_ScanGenAiFiltered   the same with a model filter (what /calls?model= does)
//   BM_Route/<route>       a whole GET /api/v1/genai/<route> over loopback HTTP (span store
//                          only): models, cost (with the forecast's month scan), calls by cost,
//                          calls by duration, finish_reasons
// 33,334 traces of one workflow span and 3 LLM calls (spanstore/test_util.h): 100,002 GenAI
// spans plus 33,334 spans without GenAI fields, over 6 hours.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>

#include "api/genai_api.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "spanstore/span_store.h"
#include "spanstore/test_util.h"

using namespace astrolabe;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSixHours = 6ull * 3600 * 1'000'000'000ull;

struct Fixture {
  std::string dir;
  std::unique_ptr<spanstore::SpanStore> store;
  std::unique_ptr<api::GenAiApi> api;
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<net::HttpClient> client;

  Fixture() {
    dir = (fs::temp_directory_path() / ("genai_api_bench_" + std::to_string(getpid()))).string();
    fs::remove_all(dir);
    spanstore::Options o;
    o.sync = spanstore::SyncMode::kInterval;
    o.index_hook = [](const pdata::Resource& r, const pdata::InstrumentationScope& sc,
                      const pdata::Span& span, spanstore::GenAiFields* f) {
      spanstore::DefaultSpanIndexHook(r, sc, span, f);
      if (f->input_tokens >= 0 && f->output_tokens >= 0) {
        f->cost = (2.5 * double(f->input_tokens) + 10.0 * double(f->output_tokens)) / 1e6;
      }
    };
    auto opened = spanstore::SpanStore::Open(dir, std::move(o));
    if (!opened.ok()) std::abort();
    store = std::move(opened).value();
    std::mt19937_64 rng(3);
    spanstore::testing::GenAiTraceShape shape;
    shape.time_spread = kSixHours;
    for (int i = 0; i < 134; ++i) {
      if (!store->Append(spanstore::testing::MakeGenAiTraces(rng, 250, shape)).ok()) std::abort();
    }
    api::GenAiApiOptions a;
    a.spans = store.get();
    const auto base = static_cast<int64_t>(spanstore::testing::GenAiTraceShape{}.base_time);
    a.now = [base] { return base + static_cast<int64_t>(kSixHours); };
    api = std::make_unique<api::GenAiApi>(a);
    net::HttpServerOptions h;
    h.listen_address = "127.0.0.1:0";
    server = std::make_unique<net::HttpServer>(h);
    api->Mount(*server, nullptr);
    if (!server->Start().ok()) std::abort();
    client = std::make_unique<net::HttpClient>();
  }
  ~Fixture() {
    server->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    store.reset();
    fs::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void BM_ScanGenAi(benchmark::State& state) {
  Fixture& f = Shared();
  uint64_t rows = 0;
  for (auto _ : state) {
    double cost = 0;
    rows = 0;
    auto n = f.store->ScanGenAi({}, [&](const spanstore::GenAiRow& r) {
      cost += r.cost;
      ++rows;
    });
    benchmark::DoNotOptimize(cost);
    if (!n.ok()) state.SkipWithError("scan failed");
  }
  state.counters["spans"] = double(rows);
  state.counters["spans/s"] =
      benchmark::Counter(double(rows) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanGenAi)->Unit(benchmark::kMillisecond);

void BM_ScanGenAiFiltered(benchmark::State& state) {
  Fixture& f = Shared();
  spanstore::SpanQuery q;
  q.model = "gpt-4o-mini";
  for (auto _ : state) {
    uint64_t rows = 0;
    auto n = f.store->ScanGenAi(q, [&](const spanstore::GenAiRow&) { ++rows; });
    benchmark::DoNotOptimize(rows);
    if (!n.ok()) state.SkipWithError("scan failed");
  }
}
BENCHMARK(BM_ScanGenAiFiltered)->Unit(benchmark::kMillisecond);

void Route(benchmark::State& state, const std::string& path) {
  Fixture& f = Shared();
  const auto base = spanstore::testing::GenAiTraceShape{}.base_time;
  const std::string target = "http://" + f.server->address() + path +
                             (path.find('?') == std::string::npos ? "?" : "&") +
                             "start=" + std::to_string(base / 1'000'000'000ull) +
                             "&end=" + std::to_string((base + kSixHours) / 1'000'000'000ull);
  size_t bytes = 0;
  for (auto _ : state) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = target;
    auto r = f.client->Send(std::move(request)).get();
    if (!r.ok() || r->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
    bytes = r->body.size();
  }
  state.counters["response_bytes"] = double(bytes);
}
BENCHMARK_CAPTURE(Route, models, std::string("/api/v1/genai/models"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Route, cost, std::string("/api/v1/genai/cost?by=model"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Route, calls_by_cost, std::string("/api/v1/genai/calls?limit=50"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Route, calls_by_duration,
                  std::string("/api/v1/genai/calls?sort=duration&limit=50"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Route, finish_reasons, std::string("/api/v1/genai/finish_reasons"))
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
