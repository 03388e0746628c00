// Bad-target drills: one receiver scrapes eight misbehaving targets at once — connection
// refused, a hanging server, HTTP 500, a JSON body, binary garbage, an endless body, a
// 1 GB body and a series explosion (plus a label explosion). Each must end as up=0 with
// the right failure reason, one warning per target (not one per scrape), a counter per
// failed scrape, and the process' memory must stay bounded.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "common/log.h"
#include "component/testing/test_components.h"
#include "process.h"
#include "receiver/prometheus/prometheus_receiver.h"
#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::prometheus {
namespace {

using test::FakeTarget;
using test::RecordingConsumer;

// A loopback server that answers every request with a body it streams without holding it:
// either `total` bytes as fast as the socket takes them (with Content-Length), or, when
// `total` is 0, an endless body without a length, `chunk` bytes every `pause`. Counts the
// bytes it managed to send. Stops (and joins its threads) in the destructor.
class StreamingServer {
 public:
  StreamingServer(uint64_t total, size_t chunk, std::chrono::milliseconds pause)
      : total_(total), chunk_(chunk), pause_(pause) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // One metric line repeated: valid text, so only the size can fail the scrape.
    std::string line = "filler_total{pad=\"0123456789012345678901234567890123456789\"} 1\n";
    while (block_.size() + line.size() <= 64 * 1024) block_ += line;
    accept_ = std::thread([this] { AcceptLoop(); });
  }
  ~StreamingServer() {
    stop_ = true;
    if (accept_.joinable()) accept_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t bytes_sent() const { return sent_; }
  int requests() const { return requests_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    // Read the request head (enough for a GET).
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && !stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    ++requests_;
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n";
    resp += total_ > 0 ? "Content-Length: " + std::to_string(total_) + "\r\n"
                       : std::string("Connection: close\r\n");
    resp += "\r\n";
    bool ok = ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL) > 0;
    uint64_t left = total_;
    while (ok && !stop_ && (total_ == 0 || left > 0)) {
      size_t n =
          total_ == 0 ? chunk_ : static_cast<size_t>(std::min<uint64_t>(left, block_.size()));
      n = std::min(n, block_.size());
      ssize_t w = ::send(c, block_.data(), n, MSG_NOSIGNAL);
      if (w <= 0) break;
      sent_ += static_cast<uint64_t>(w);
      left -= std::min<uint64_t>(left, static_cast<uint64_t>(w));
      if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
    }
    ::close(c);
  }

  uint64_t total_;
  size_t chunk_;
  std::chrono::milliseconds pause_;
  int fd_ = -1;
  int port_ = 0;
  std::string block_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<int> requests_{0};
  std::thread accept_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

using e2e::FreePort;  // tests/process.h

#if defined(__SANITIZE_ADDRESS__)
#define DRILLS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRILLS_ASAN 1
#endif
#endif

#ifdef DRILLS_ASAN
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

// Memory this process holds, in bytes: the resident set size, or under AddressSanitizer
// the live heap (its quarantine keeps up to 256 MB of freed blocks resident, which would
// measure the sanitizer, not us).
uint64_t MemoryInUse() {
#ifdef DRILLS_ASAN
  return __sanitizer_get_current_allocated_bytes();
#else
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
#endif
}

TEST(BadTargetDrills, EachEndsAsUpZeroWithOneLogLineAndACounter) {
  FakeTarget http500, json, garbage, hang, explosion, labels;
  ASSERT_TRUE(http500.ok() && json.ok() && garbage.ok() && hang.ok() && explosion.ok() &&
              labels.ok());
  http500.Serve("x 1\n", "text/plain; version=0.0.4", 500);
  json.Serve(R"({"status":"success","data":{"resultType":"vector","result":[]}})",
             "application/json");
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes += static_cast<char>((i * 7919 + 13) % 256);
  garbage.Serve(bytes, "application/octet-stream");
  hang.Serve("x 1\n");
  hang.SetDelay(std::chrono::milliseconds(1200));
  std::string many;
  for (int i = 0; i < 100'000; ++i) many += "series_" + std::to_string(i) + " 1\n";
  explosion.Serve(many);
  std::string wide = "wide{";
  for (int i = 0; i < 200; ++i) wide += "l" + std::to_string(i) + "=\"v\",";
  labels.Serve(wide + "} 1\n");
  StreamingServer endless(0, 4096, std::chrono::milliseconds(5));            // ~0.8 MB/s forever
  StreamingServer huge(uint64_t{1} << 30, 0, std::chrono::milliseconds(0));  // 1 GiB, flat out
  const int refused_port = FreePort();

  Config cfg;
  auto job = [&](const std::string& name, const std::string& address) {
    ScrapeConfig sc;
    sc.job_name = name;
    sc.scrape_interval = std::chrono::milliseconds(500);
    sc.scrape_timeout = std::chrono::milliseconds(400);
    sc.body_size_limit = 4 << 20;
    sc.static_configs.push_back({{address}, {}});
    return sc;
  };
  cfg.prom.scrape_configs = {
      job("refused", "127.0.0.1:" + std::to_string(refused_port)),
      job("timeout", hang.address()),
      job("http500", http500.address()),
      job("json", json.address()),
      job("garbage", garbage.address()),
      job("endless", endless.address()),
      job("huge", huge.address()),
      job("explosion", explosion.address()),
      job("labels", labels.address()),
  };
  cfg.prom.scrape_configs[6].body_size_limit = 1 << 20;  // reached well within the timeout
  cfg.prom.scrape_configs[7].body_size_limit = 0;        // 1.7 MB of series: only sample_limit
  cfg.prom.scrape_configs[7].scrape_interval = std::chrono::seconds(1);
  cfg.prom.scrape_configs[7].scrape_timeout = std::chrono::seconds(1);
  cfg.prom.scrape_configs[7].sample_limit = 1000;
  cfg.prom.scrape_configs[8].label_limit = 30;
  ASSERT_TRUE(cfg.Validate().ok());
  const std::map<std::string, std::string> want_reason = {
      {"refused", "connection"},   {"timeout", "timeout"},        {"http500", "http_status"},
      {"json", "parse"},           {"garbage", "parse"},          {"endless", "timeout"},
      {"huge", "body_size_limit"}, {"explosion", "sample_limit"}, {"labels", "label_limit"}};

  std::ostringstream log_text;
  auto logger = GetLogger("receiver/prometheus/drills");
  auto sink_log = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
  logger->sinks().push_back(sink_log);

  RecordingConsumer sink;
  component::test::TestHost host;
  PrometheusReceiver r({config::ComponentId{"prometheus", "drills"}, nullptr}, cfg, &sink);
  const uint64_t rss_before = MemoryInUse();
  std::atomic<uint64_t> rss_peak{rss_before};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      rss_peak = std::max<uint64_t>(rss_peak, MemoryInUse());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.Start(host).ok());

  // Every job fails at least three times.
  auto failures = [&](const std::string& reason) {
    std::string text = host.telemetry().RenderText();
    std::smatch m;
    std::regex re(
        "astrolabe_receiver_prometheus_scrapes_failed_total\\{receiver=\"prometheus/"
        "drills\",reason=\"" +
        reason + "\"\\} ([0-9]+)");
    return std::regex_search(text, m, re) ? std::stoi(m[1]) : 0;
  };
  std::map<std::string, int> down;
  auto deadline = started + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    down.clear();
    for (const auto& batch : sink.batches()) {
      const auto& rm = batch.get().resource_metrics.at(0);
      std::string name =
          pdata::FindAttribute(rm.resource.attributes, "service.name")->string_value();
      double up = test::GaugeValue(batch.get(), "up");
      if (up == 0) ++down[name];
      EXPECT_NE(up, 1) << name << " was up";
    }
    bool all = down.size() == want_reason.size();
    for (const auto& [name, n] : down) all = all && n >= 3;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(r.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  sampling = false;
  sampler.join();
  logger->flush();
  logger->sinks().pop_back();

  for (const auto& [name, reason] : want_reason) {
    EXPECT_GE(down[name], 3) << name;
  }
  // Counters: every failed scrape, by reason (a loaded machine may add timeouts).
  int total_down = 0, total_failures = 0;
  for (const auto& [name, n] : down) total_down += n;
  std::set<std::string> reasons;
  for (const auto& [name, reason] : want_reason) reasons.insert(reason);
  for (const std::string& reason : reasons) {
    EXPECT_GE(failures(reason), 1) << reason;
    total_failures += failures(reason);
  }
  EXPECT_GE(total_failures, total_down);
  // One warning per target: its state changed once (unknown → down for that reason).
  std::string logs = log_text.str();
  for (const auto& [name, reason] : want_reason) {
    size_t lines = 0;
    std::string needle = "is down (" + reason + ")";
    std::istringstream in(logs);
    for (std::string line; std::getline(in, line);) {
      if (line.find(needle) == std::string::npos) continue;
      bool mine = false;
      for (const auto& sc : cfg.prom.scrape_configs) {
        if (sc.job_name == name) {
          mine = line.find("//" + sc.static_configs[0].targets[0] + "/") != std::string::npos;
        }
      }
      lines += mine;
    }
    EXPECT_EQ(lines, 1u) << name << " (" << reason << "):\n" << logs;
  }
  // The 1 GiB body was cut off near the limit, not read to its end.
  EXPECT_LT(huge.bytes_sent(), uint64_t{256} << 20) << huge.bytes_sent();
  EXPECT_GE(huge.requests(), 3);
  EXPECT_GE(endless.requests(), 3);
  // Memory: bounded, loosely (bodies are capped at 4 MiB, a series explosion holds at most
  // sample_limit samples).
  EXPECT_LT(rss_peak - rss_before, uint64_t{100} << 20)
      << "memory grew by " << ((rss_peak - rss_before) >> 20) << " MiB";
  std::cerr << "memory growth during the drills: " << ((rss_peak - rss_before) >> 20) << " MiB\n";
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
