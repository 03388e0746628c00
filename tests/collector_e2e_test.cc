// `astrolabe collector` end to end, as a user runs it: a real process scraping a real
// loopback target into the debug exporter, with health_check and own telemetry; SIGHUP
// reloads (good and bad configs) and SIGTERM drains and exits, promptly even while many
// scrapes of slow targets are in flight.

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>
#include <vector>

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

// A loopback listener that never answers a scrape. kSilent accepts and never writes;
// kTrickle accepts, sends a chunked head and then a comment line every 200 ms; kBacklog
// never accepts (a backlog of 1: further connects hang, their SYNs dropped).
class SlowListener {
 public:
  enum Mode { kSilent, kTrickle, kBacklog };
  explicit SlowListener(Mode mode) : mode_(mode) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(fd_, mode == kBacklog ? 1 : 1024) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    if (mode != kBacklog) thread_ = std::thread([this] { Run(); });
  }
  ~SlowListener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Run() {
    auto next_line = std::chrono::steady_clock::now();
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) {
          conns_.push_back(c);
          ++accepted_;
          if (mode_ == kTrickle) {
            const std::string head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                "Transfer-Encoding: chunked\r\n\r\n";
            (void)::send(c, head.data(), head.size(), MSG_NOSIGNAL);
          }
        }
      }
      if (mode_ == kTrickle && std::chrono::steady_clock::now() >= next_line) {
        next_line += 200ms;
        for (int c : conns_) (void)::send(c, "7\r\n# slow\n\r\n", 12, MSG_NOSIGNAL);
      }
    }
  }

  const Mode mode_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> conns_;  // the listener thread's
  std::thread thread_;
};

// SIGTERM while hundreds of scrapes hang (scrape_timeout 30 s) on silent, trickling and
// unreachable targets: the scrapes are cancelled, not waited for, and the collector exits
// within a few seconds with every component shut down in time (issue #12: the 10,000-target
// drill took over 60 s to exit).
TEST_F(CollectorE2E, SigtermCancelsScrapesOfSlowTargets) {
  SlowListener silent(SlowListener::kSilent), trickle(SlowListener::kTrickle),
      backlog(SlowListener::kBacklog);
  ASSERT_NE(silent.port(), 0);
  ASSERT_NE(trickle.port(), 0);
  ASSERT_NE(backlog.port(), 0);
  const int ports[] = {silent.port(), trickle.port(), backlog.port()};
  constexpr int kTargets = 300;
  std::string groups = "[";
  for (int i = 0; i < kTargets; ++i) {
    groups += std::string(i ? "," : "") + "{\"targets\":[\"127.0.0.1:" +
              std::to_string(ports[i % 3]) + "\"],\"labels\":{\"__metrics_path__\":\"/t/" +
              std::to_string(i) + "\"}}";
  }
  groups += "]";
  const std::string sd = WriteTempFile("slow_targets.json", groups);
  // Scrapes start spread over the 30 s interval (each target's phase) and each would hang
  // for the whole 30 s timeout.
  const std::string config = WriteTempFile(
      "slow.yaml",
      "receivers:\n"
      "  prometheus:\n"
      "    config:\n"
      "      scrape_configs:\n"
      "        - job_name: slow\n"
      "          scrape_interval: 30s\n"
      "          scrape_timeout: 30s\n"
      "          file_sd_configs:\n"
      "            - files: [" + sd + "]\n"
      "exporters:\n"
      "  debug:\n"
      "service:\n"
      "  telemetry:\n"
      "    metrics:\n"
      "      address: 127.0.0.1:" + std::to_string(telemetry_) + "\n"
      "  pipelines:\n"
      "    metrics:\n"
      "      receivers: [prometheus]\n"
      "      exporters: [debug]\n");
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  // Until a good share of the targets has a scrape hanging (a third of the interval: ~100).
  ASSERT_TRUE(Eventually([&] { return silent.accepted() >= 30 && trickle.accepted() >= 30; },
                         60s))
      << silent.accepted() << " silent, " << trickle.accepted() << " trickling\n"
      << collector.Stderr();
  const auto start = std::chrono::steady_clock::now();
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(60s);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value()) << collector.Stderr();
  EXPECT_EQ(*code, 0) << collector.Stderr();
  EXPECT_THAT(collector.Stderr(), HasSubstr("Shutdown complete."));
  // Waiting for the scrapes would take their timeout (up to 30 s); the service would skip
  // a receiver still stopping after its share of the 30 s shutdown budget and say so.
  EXPECT_THAT(collector.Stderr(), ::testing::Not(HasSubstr("did not shut down by its deadline")));
  // A few seconds: the ASan build frees its memory and checks for leaks on the way out.
  EXPECT_LT(took, 8s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms\n"
                      << collector.Stderr();
  std::printf("SIGTERM with %d + %d scrapes hanging (and connects to an unaccepting port): exit "
              "after %lld ms (ASan build, shared machine)\n",
              silent.accepted(), trickle.accepted(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
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
