// The NVIDIA NIM and Kong AI Gateway pages' collector configs, as published, shipping to an OTLP/HTTP platform:
// the test fills in only the page's placeholders (the NIM address, DT_ENDPOINT and
// DT_API_TOKEN), shortens the 10 s interval to 1 s to keep the test quick, and moves the
// health and telemetry ports to free ones with a second --config merged over the first.
// A loopback sink plays the platform and checks what upstream's collector would send:
// deltas, gzip protobuf, the Api-Token header, at <DT_ENDPOINT>/v1/metrics.

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_server.h"
#include "pdata/metrics.h"
#include "process.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

struct Export {
  std::string authorization, content_type, content_encoding;
  pdata::Metrics metrics;
};

struct Seed {
  std::string file;         // under deploy/examples/
  std::string placeholder;  // the target address the page leaves for the user to fill in
  std::string slip;         // a warning the page's config must produce
};

class SeedPipeline : public ::testing::TestWithParam<Seed> {};

TEST_P(SeedPipeline, ConfigAsPublishedShipsDeltasToThePlatform) {
  const Seed& param = GetParam();
  // The NIM target: a counter that grows by 30 per scrape, and a gauge.
  std::atomic<int> scrapes{0};
  net::HttpServerOptions target_options;
  target_options.listen_address = "127.0.0.1:0";
  net::HttpServer target(target_options);
  target.Handle("GET", "/metrics", [&](net::ServerRequest&, net::ServerResponse& r) {
    int n = scrapes++;
    r.Set(200, "text/plain; version=0.0.4",
          "# TYPE prompt_tokens_total counter\n"
          "prompt_tokens_total{model_name=\"meta/llama3-8b-instruct\"} " +
              std::to_string(100 + 30 * n) +
              "\n# TYPE num_requests_running gauge\n"
              "num_requests_running{model_name=\"meta/llama3-8b-instruct\"} 3\n");
  });
  ASSERT_TRUE(target.Start().ok());

  // The platform.
  std::mutex mu;
  std::vector<Export> exports;
  std::vector<std::string> errors;
  net::HttpServerOptions sink_options;
  sink_options.listen_address = "127.0.0.1:0";
  net::HttpServer sink(sink_options);
  sink.Handle("POST", "/api/v2/otlp/v1/metrics", [&](net::ServerRequest& req,
                                                     net::ServerResponse& r) {
    Export e;
    e.authorization = std::string(req.header("Authorization").value_or(""));
    e.content_type = std::string(req.header("Content-Type").value_or(""));
    e.content_encoding = std::string(req.header("Content-Encoding").value_or(""));
    auto body = wire::GzipDecompress(req.body(), 64 << 20);
    auto metrics = body.ok() ? wire::DecodeMetricsRequest(*body)
                             : Result<pdata::Metrics>(body.status());
    std::lock_guard lock(mu);
    if (!metrics.ok()) {
      errors.push_back(metrics.status().ToString());
    } else {
      e.metrics = std::move(*metrics);
      exports.push_back(std::move(e));
    }
    r.Set(200, "application/x-protobuf", "");
  });
  ASSERT_TRUE(sink.Start().ok());

  std::string seed = ReadAll("../deploy/examples/" + param.file);
  ASSERT_THAT(seed, HasSubstr(param.placeholder));
  ReplaceAll(seed, param.placeholder, "127.0.0.1:" + std::to_string(target.port()));
  ReplaceAll(seed, "scrape_interval: 10s", "scrape_interval: 1s");
  std::string config = WriteTempFile("nim.yaml", seed);
  std::string ports = WriteTempFile(
      "ports.yaml", "extensions:\n  health_check:\n    endpoint: 127.0.0.1:" +
                        std::to_string(FreePort()) +
                        "\nservice:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:" +
                        std::to_string(FreePort()) + "\n");

  Subprocess collector;
  ASSERT_TRUE(collector.Start(
      {AstrolabeBinary(), "collector", "--config", config, "--config", ports},
      {"DT_ENDPOINT=http://127.0.0.1:" + std::to_string(sink.port()) + "/api/v2/otlp",
       "DT_API_TOKEN=dt0c01.e2e-token"}));

  // Wait for an export that carries the counter as a delta (the second scrape onwards).
  auto has_delta = [&] {
    std::lock_guard lock(mu);
    for (const auto& e : exports) {
      for (const auto& rm : e.metrics.resource_metrics)
        for (const auto& sm : rm.scope_metrics)
          for (const auto& m : sm.metrics)
            if (m.name == "prompt_tokens_total") return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!has_delta() && std::chrono::steady_clock::now() < deadline && collector.running()) {
    std::this_thread::sleep_for(50ms);
  }
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  target.Shutdown(std::chrono::steady_clock::now() + 2s);
  sink.Shutdown(std::chrono::steady_clock::now() + 2s);

  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();
  std::lock_guard lock(mu);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_FALSE(exports.empty()) << collector.Stderr();
  int deltas = 0;
  for (const auto& e : exports) {
    EXPECT_EQ(e.authorization, "Api-Token dt0c01.e2e-token");
    EXPECT_EQ(e.content_type, "application/x-protobuf");
    EXPECT_EQ(e.content_encoding, "gzip");
    for (const auto& rm : e.metrics.resource_metrics) {
      for (const auto& sm : rm.scope_metrics) {
        for (const auto& m : sm.metrics) {
          if (m.name != "prompt_tokens_total") continue;
          const auto* sum = std::get_if<pdata::Sum>(&m.data);
          ASSERT_NE(sum, nullptr);
          EXPECT_EQ(sum->aggregation_temporality, pdata::AggregationTemporality::kDelta);
          EXPECT_TRUE(sum->is_monotonic);
          for (const auto& p : sum->data_points) {
            EXPECT_EQ(p.AsDouble(), 30) << "each delta is the growth between two scrapes";
            // The delta covers one scrape interval: it starts at the previous point's time.
            ASSERT_GT(p.start_time_unix_nano, 0u);
            uint64_t span = p.time_unix_nano - p.start_time_unix_nano;
            EXPECT_GE(span, 500'000'000u);
            EXPECT_LE(span, 3'000'000'000u);
            ++deltas;
          }
        }
      }
    }
  }
  EXPECT_GE(deltas, 1);
  // The first scrape of the counter is never exported (initial_value: auto, no start time).
  EXPECT_LT(deltas, scrapes.load());
  EXPECT_THAT(collector.Stderr(), HasSubstr(param.slip));
}

INSTANTIATE_TEST_SUITE_P(
    IntegrationPages, SeedPipeline,
    ::testing::Values(Seed{"nim.yaml", "<NIM-endpoint>:8000", "no-break spaces"},
                      Seed{"kong.yaml", "kong-metrics.kong:8100", "without pipelines:"}),
    [](const ::testing::TestParamInfo<Seed>& info) {
      return info.param.file.substr(0, info.param.file.find('.'));
    });

}  // namespace
}  // namespace astrolabe::e2e
