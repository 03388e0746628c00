// `astrolabe collector` end to end, as a user runs it: a real process scraping a real
// loopback target into the debug exporter, with health_check and own telemetry; SIGHUP
// reloads (good and bad configs) and SIGTERM drains and exits.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_server.h"
#include "process.h"

namespace astrolabe::e2e {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr char kNimMetrics[] =
    "# HELP num_requests_running Number of requests currently running on GPU.\n"
    "# TYPE num_requests_running gauge\n"
    "num_requests_running{model_name=\"meta/llama3-8b-instruct\"} 3\n"
    "# HELP prompt_tokens_total Number of prefill tokens processed.\n"
    "# TYPE prompt_tokens_total counter\n"
    "prompt_tokens_total{model_name=\"meta/llama3-8b-instruct\"} 1234\n";

std::string Config(int target, int health, int telemetry, const std::string& job) {
  return "receivers:\n"
         "  prometheus:\n"
         "    config:\n"
         "      scrape_configs:\n"
         "        - job_name: " + job + "\n"
         "          scrape_interval: 1s\n"
         "          static_configs:\n"
         "            - targets: [\"127.0.0.1:" + std::to_string(target) + "\"]\n"
         "exporters:\n"
         "  debug:\n"
         "    verbosity: basic\n"
         "extensions:\n"
         "  health_check:\n"
         "    endpoint: 127.0.0.1:" + std::to_string(health) + "\n"
         "service:\n"
         "  extensions: [health_check]\n"
         "  telemetry:\n"
         "    metrics:\n"
         "      address: 127.0.0.1:" + std::to_string(telemetry) + "\n"
         "  pipelines:\n"
         "    metrics:\n"
         "      receivers: [prometheus]\n"
         "      exporters: [debug]\n";
}

double CounterValue(const std::string& text, const std::string& series_prefix) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series_prefix, 0) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

class CollectorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    net::HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    target_ = std::make_unique<net::HttpServer>(options);
    target_->Handle("GET", "/metrics", [](net::ServerRequest&, net::ServerResponse& r) {
      r.Set(200, "text/plain; version=0.0.4", kNimMetrics);
    });
    ASSERT_TRUE(target_->Start().ok());
    health_ = FreePort();
    telemetry_ = FreePort();
    config_path_ = WriteTempFile("collector.yaml", Config(target_->port(), health_, telemetry_,
                                                          "nim-metrics"));
  }
  void TearDown() override {
    target_->Shutdown(std::chrono::steady_clock::now() + 2s);
  }

  std::unique_ptr<net::HttpServer> target_;
  int health_ = 0;
  int telemetry_ = 0;
  std::string config_path_;
};

TEST_F(CollectorE2E, ScrapesReportsHealthAndCountersReloadsAndDrains) {
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config_path_}));

  ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }))
      << collector.Stderr();
  HttpResult health = HttpGet(health_, "/");
  EXPECT_THAT(health.body, HasSubstr("\"status\":\"Server available\""));

  const std::string accepted =
      "otelcol_receiver_accepted_metric_points_total{receiver=\"prometheus\"";
  const std::string sent = "otelcol_exporter_sent_metric_points_total{exporter=\"debug\"}";
  ASSERT_TRUE(Eventually([&] {
    std::string text = HttpGet(telemetry_, "/metrics").body;
    return CounterValue(text, accepted) > 0 && CounterValue(text, sent) > 0;
  })) << HttpGet(telemetry_, "/metrics").body;
  std::string text = HttpGet(telemetry_, "/metrics").body;
  EXPECT_THAT(text, HasSubstr("otelcol_process_memory_rss_bytes"));
  EXPECT_THAT(collector.Stderr(), HasSubstr("data points"));

  // A bad config on SIGHUP keeps the running pipelines.
  std::ofstream(config_path_, std::ios::trunc) << "receivers:\n  prometheus:\n    confg: {}\n";
  collector.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return collector.Stderr().find("reload failed") != std::string::npos; }))
      << collector.Stderr();
  EXPECT_TRUE(collector.running());
  EXPECT_EQ(HttpGet(health_, "/").status, 200);

  // A good one is swapped in.
  std::ofstream(config_path_, std::ios::trunc)
      << Config(target_->port(), health_, telemetry_, "nim-reloaded");
  collector.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return collector.Stderr().find("configuration generation 2") != std::string::npos;
  })) << collector.Stderr();
  EXPECT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }));

  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();
  EXPECT_THAT(collector.Stderr(), HasSubstr("Shutdown complete."));
}

TEST_F(CollectorE2E, InvalidConfigExitsOneAndStartsNothing) {
  std::string bad = WriteTempFile("bad.yaml",
                                  "receivers:\n  prometheus:\n    confg: {}\n"
                                  "exporters:\n  debug:\n"
                                  "service:\n  pipelines:\n    metrics:\n"
                                  "      receivers: [prometheus]\n      exporters: [debug]\n");
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", bad}));
  std::optional<int> code = collector.Wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(collector.Stderr(),
              HasSubstr("bad.yaml:3:5: receivers.prometheus.confg: unknown key (did you mean config?)"));
  EXPECT_THAT(collector.Stderr(), HasSubstr("nothing started"));
}

}  // namespace
}  // namespace astrolabe::e2e
