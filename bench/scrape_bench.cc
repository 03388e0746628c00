// Throughput of the prometheus receiver's scrape path: a fetched body → pdata::Metrics
// (parse, target-label merge, staleness bookkeeping, MetricsBuilder, push to a consumer that
// drops the batch), without HTTP; and a whole scrape including the loopback HTTP GET.
// Reports MB/s (bytes_per_second), samples/s (items_per_second) and ns/sample. One ScrapeLoop
// is reused across iterations, so every iteration after the first is a steady-state scrape
// (same series as the previous one). Figures and the command: bench/README.md,
// "prometheus receiver: scrape → OTLP".

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>

#include "component/component.h"
#include "expfmt/sample_payloads.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "receiver/prometheus/scrape.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::receiver::prometheus {
namespace {

enum Payload { kNim, kGenerated10k };

std::string MakePayload(Payload p, expfmt::Format f) {
  return p == kNim ? expfmt::testing::NimPayload(f, 1)
                   : expfmt::testing::GeneratedPayload(f, 10000);
}

const char* BodyContentType(expfmt::Format f) {
  return f == expfmt::Format::kText ? "text/plain; version=0.0.4"
                                    : "application/openmetrics-text; version=1.0.0";
}

// Counts points and drops the batch, so the benchmark includes freeing the pdata.
class CountingConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    points += batch.get().DataPointCount();
    return Status::Ok();
  }
  size_t points = 0;
};

// A loop for one static target at `address`, configured as a scrape_configs entry with
// Prometheus' defaults.
std::unique_ptr<ScrapeLoop> MakeLoop(const std::string& address, component::Consumer* next,
                                     net::HttpClient* client) {
  ScrapeConfig config;
  config.job_name = "bench";
  config.scrape_interval = std::chrono::seconds(15);
  config.scrape_timeout = std::chrono::seconds(10);
  config.scrape_protocols = DefaultScrapeProtocols();
  config.fallback_scrape_protocol = "PrometheusText0.0.4";
  config.static_configs.push_back({{address}, {}});
  auto discovered = StaticTargetProvider().Discover(config);
  if (!discovered.ok()) return nullptr;
  auto target = PopulateTarget(config, {}, discovered->at(0));
  if (!target.ok() || !target->has_value()) return nullptr;
  ScrapeLoopOptions o;
  o.config = config;
  o.target = std::move(**target);
  o.client = client;
  o.next = next;
  return std::make_unique<ScrapeLoop>(std::move(o));
}

void Report(benchmark::State& state, size_t body_size, size_t samples) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body_size));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
  state.counters["per_sample"] =
      benchmark::Counter(static_cast<double>(state.iterations() * samples),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["body_bytes"] = static_cast<double>(body_size);
}

// body → pdata::Metrics, no HTTP.
void BM_ScrapeBody(benchmark::State& state) {
  const auto payload = static_cast<Payload>(state.range(0));
  const auto format = state.range(1) == 0 ? expfmt::Format::kText : expfmt::Format::kOpenMetrics;
  net::HttpResponse response;
  response.status = 200;
  response.headers.Set("Content-Type", BodyContentType(format));
  response.body = MakePayload(payload, format);
  CountingConsumer consumer;
  auto loop = MakeLoop("10.0.0.1:8000", &consumer, nullptr);
  if (loop == nullptr) {
    state.SkipWithError("target setup failed");
    return;
  }
  // One scrape before timing, so that every timed one is a steady-state scrape (the scrape
  // cache filled). Through Complete() rather than ScrapeResponse(), so that callgrind's
  // --toggle-collect='*ScrapeLoop::ScrapeResponse*' counts the steady state alone.
  loop->Complete(response, 1'700'000'000'000, std::chrono::steady_clock::now());
  size_t samples = 0;
  for (auto _ : state) {
    ScrapeResult r = loop->ScrapeResponse(response);  // the copy is timed too: ~1 % of the work
    if (!r.status.ok()) {
      state.SkipWithError(r.status.message().c_str());
      break;
    }
    samples = r.samples_scraped;
  }
  Report(state, response.body.size(), samples);
}

// A whole scrape: HTTP GET over loopback (server on its own thread) + body → pdata.
void BM_ScrapeHttp(benchmark::State& state) {
  const auto payload = static_cast<Payload>(state.range(0));
  const auto format = state.range(1) == 0 ? expfmt::Format::kText : expfmt::Format::kOpenMetrics;
  const std::string body = MakePayload(payload, format);
  net::HttpServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  net::HttpServer server(server_options);
  server.Handle("GET", "/*", [&](net::ServerRequest&, net::ServerResponse& res) {
    res.status = 200;
    res.headers.Set("Content-Type", BodyContentType(format));
    res.body = body;
  });
  if (Status st = server.Start(); !st.ok()) {
    state.SkipWithError(st.message().c_str());
    return;
  }
  net::HttpClientOptions client_options;
  client_options.decompress_responses = true;
  net::HttpClient client(client_options);
  CountingConsumer consumer;
  auto loop = MakeLoop("127.0.0.1:" + std::to_string(server.port()), &consumer, &client);
  if (loop == nullptr) {
    state.SkipWithError("target setup failed");
    return;
  }
  size_t samples = 0;
  for (auto _ : state) {
    ScrapeResult r = loop->ScrapeOnce();
    if (!r.status.ok()) {
      state.SkipWithError(r.status.message().c_str());
      break;
    }
    samples = r.samples_scraped;
  }
  Report(state, body.size(), samples);
  client.Shutdown();
  server.Shutdown(std::chrono::steady_clock::now());
}

BENCHMARK(BM_ScrapeBody)
    ->ArgNames({"payload", "om"})
    ->ArgsProduct({{kNim, kGenerated10k}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScrapeHttp)
    ->ArgNames({"payload", "om"})
    ->ArgsProduct({{kNim, kGenerated10k}, {0}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace astrolabe::receiver::prometheus

BENCHMARK_MAIN();
