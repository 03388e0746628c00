// Slow and oversized requests (issue 12): while attackers hold connections to `astrolabe
// server`'s OTLP/remote-write listener and its API listener — slowloris (a header byte every
// 500 ms), a 1 MiB header, a body announced as 10 GB and trickled, an endless chunked body —
// a well-behaved client keeps remote-writing, sending OTLP and querying, and its latency stays
// bounded. The attackers are answered (431, 413) or cut off (the header timeout), and counted.
//
// Short form: 40 slowloris connections per listener for ~15 s; long form: 400 per listener for
// ~60 s (the server's default header_timeout is 10 s, so each is cut and comes back).

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "drill.h"
#include "pdata/metrics.h"
#include "wire/otlp_proto.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// A raw TCP connection to 127.0.0.1:port.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  bool ok() const { return fd_ >= 0; }
  // False once the peer closed or reset the connection. A server that stops reading for
  // `stall` leaves the rest unsent and sets stalled() (the caller must not send more: the
  // stream would be cut in the middle of a piece).
  bool Send(std::string_view data, std::chrono::milliseconds stall = 3s) {
    const auto give_up = Steady::now() + stall;
    while (!data.empty() && fd_ >= 0) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (Steady::now() > give_up) {
          stalled_ = true;
          return true;
        }
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return fd_ >= 0;
  }
  bool stalled() const { return stalled_; }
  // Reads what is there within `wait`; sets *closed when the peer closed.
  std::string Read(std::chrono::milliseconds wait, bool* closed) {
    std::string out;
    *closed = false;
    const auto end = Steady::now() + wait;
    while (Steady::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      const int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(end - Steady::now()).count());
      if (::poll(&p, 1, std::max(ms, 1)) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        *closed = true;
        break;
      }
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool stalled_ = false;
};

std::string RemoteWrite(int64_t t, int batch) {
  wire::prw::WriteRequest rw;
  wire::prw::TimeSeries ts;
  ts.labels = {{"__name__", "slow_drill_good_client"}};
  ts.samples = {{double(batch), t}};
  rw.timeseries.push_back(std::move(ts));
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  return body;
}

std::string OtlpGauge(int64_t t_ms, int batch) {
  pdata::Metric m;
  m.name = "slow_drill_otlp";
  pdata::Gauge g;
  pdata::NumberDataPoint p;
  p.time_unix_nano = uint64_t(t_ms) * 1'000'000;
  p.value = batch;
  g.data_points.push_back(std::move(p));
  m.data = std::move(g);
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics metrics;
  metrics.resource_metrics.push_back(std::move(rm));
  return wire::EncodeMetricsRequest(metrics);
}

TEST(SlowRequestsDrill, OthersAreServedWhileAttackersHoldConnections) {
  DrillServer server;
  server.data = TempDir() + "/data";
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  const int per_listener = DrillSize(40, 400);
  const auto duration = DrillSize(15s, 60s);
  const int listeners[] = {server.otlp, server.http};
  std::atomic<bool> stop{false};
  std::atomic<int> slowloris_cut{0}, slowloris_opened{0};

  // Slowloris: a header byte every 500 ms; reconnects when cut off.
  std::vector<std::thread> attackers;
  for (int port : listeners) {
    attackers.emplace_back([&, port] {
      std::vector<std::unique_ptr<RawConn>> conns;
      std::vector<size_t> sent;
      const std::string request =
          "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4000, 's');
      while (!stop.load()) {
        while (conns.size() < size_t(per_listener)) {
          conns.push_back(std::make_unique<RawConn>(port));
          sent.push_back(0);
          slowloris_opened++;
        }
        for (size_t i = 0; i < conns.size(); ++i) {
          if (!conns[i]->ok() || !conns[i]->Send(request.substr(sent[i] % request.size(), 1))) {
            slowloris_cut++;
            conns[i] = std::make_unique<RawConn>(port);
            sent[i] = 0;
            slowloris_opened++;
            continue;
          }
          ++sent[i];
        }
        for (int i = 0; i < 5 && !stop.load(); ++i) std::this_thread::sleep_for(100ms);
      }
    });
  }

  // Oversized requests, one after the other, per listener; each must be answered or cut.
  std::atomic<int> oversized_answered{0}, oversized_tried{0};
  std::atomic<int> most_chunked_pieces{0};  // the most an endless body got in before its end
  std::vector<std::string> oversized_failures;
  std::mutex failures_mu;
  std::thread oversized([&] {
    while (!stop.load()) {
      for (int port : listeners) {
        // A body is sent piece by piece until the server answers or cuts the connection,
        // for at most `pieces` pieces and, unless `until_cut`, at most 8 s.
        struct Case {
          std::string name, head, body_piece;
          int pieces;
          std::string want;
          bool until_cut = false;
        };
        const Case cases[] = {
            {"1 MiB header",
             "GET /api/v1/query HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'h') +
                 "\r\n\r\n",
             "", 0, " 431 "},
            {"10 GB body announced",
             "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n",
             std::string(64 << 10, 'b'), 400, " 413 "},
            // The 413 can only come once max_request_body_size (20 MiB, both listeners) is
            // in, however long that takes on this machine: so no time limit, a byte limit
            // instead. 128 MiB is the limit plus more than loopback's socket buffers can
            // hold (tcp_wmem + tcp_rmem maxima: 4 + 32 MiB here; Linux defaults 4 + 6), so
            // the answer or the cut must come before the last piece, or the server read
            // far past its limit.
            {"endless chunked body",
             "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
             "Transfer-Encoding: chunked\r\n\r\n",
             "10000\r\n" + std::string(0x10000, 'c') + "\r\n", 2048, " 413 ", true},
        };
        for (const Case& c : cases) {
          if (stop.load()) break;
          oversized_tried++;
          RawConn conn(port);
          const auto start = Steady::now();
          bool closed = false;
          std::string answer;
          int sent_pieces = 0;
          if (conn.Send(c.head)) {
            for (; sent_pieces < c.pieces && !closed && answer.empty() &&
                   (c.until_cut || Steady::now() - start < 8s);
                 ++sent_pieces) {
              // A server that stops reading a body it has not answered for 60 s (its
              // body_timeout) is hanging; the stall ends the case, which then fails.
              if (!conn.Send(c.body_piece, c.until_cut ? 60s : 3s)) closed = true;
              if (conn.stalled()) break;
              if (sent_pieces % 16 == 0) answer += conn.Read(1ms, &closed);
            }
          }
          // An answer the server gave before the last piece is already here; the wait only
          // bounds a server that never answers.
          answer += conn.Read(c.until_cut ? 30s : 5s, &closed);
          const auto took = Steady::now() - start;
          if (c.until_cut) {
            most_chunked_pieces = std::max(most_chunked_pieces.load(), sent_pieces);
          }
          // Answered with the status, or (for a body) cut off; never served, never hanging.
          const bool good = (answer.find(c.want) != std::string::npos ||
                             (answer.empty() && closed && c.pieces > 0)) &&
                            (!c.until_cut || sent_pieces < c.pieces);
          if (good && (c.until_cut || took < 15s)) {
            oversized_answered++;
          } else {
            std::lock_guard l(failures_mu);
            oversized_failures.push_back(
                c.name + " on port " + std::to_string(port) + ": " + answer.substr(0, 200) +
                (closed ? " (closed)" : "") + " after " + std::to_string(sent_pieces) + "/" +
                std::to_string(c.pieces) + " pieces in " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(took).count()) +
                " s");
          }
        }
      }
    }
  });

  // The well-behaved client: remote write, OTLP and a query, timed.
  net::HttpClient client;
  std::vector<double> latencies_ms;
  int failures = 0, batch = 0;
  std::string first_failure;
  const auto end = Steady::now() + duration;
  while (Steady::now() < end) {
    const int64_t t = WallMs();
    auto start = Steady::now();
    auto r1 = Post(client, server.otlp, "/api/v1/write", RemoteWrite(t, batch), true, 10s);
    auto r2 = Post(client, server.otlp, "/v1/metrics", OtlpGauge(t, batch), false, 10s);
    HttpResult q = HttpGet(server.http, "/api/v1/query?query=slow_drill_good_client");
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    latencies_ms.push_back(ms);
    if (r1.status != 204 || r2.status != 200 || q.status != 200) {
      if (failures++ == 0) {
        first_failure = std::to_string(r1.status) + " " + r1.body + " / " +
                        std::to_string(r2.status) + " " + r2.body + " / " +
                        std::to_string(q.status) + " " + q.body.substr(0, 200);
      }
    }
    ++batch;
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  for (auto& t : attackers) t.join();
  oversized.join();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  ASSERT_FALSE(latencies_ms.empty());
  const double p50 = latencies_ms[latencies_ms.size() / 2];
  const double p99 = latencies_ms[latencies_ms.size() * 99 / 100];
  const double worst = latencies_ms.back();
  std::printf(
      "slow requests drill: %zu rounds of remote write + OTLP + query by the good client: "
      "p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d slowloris connections opened, %d cut off; "
      "%d/%d oversized requests answered or cut, endless chunked bodies within %d MiB "
      "(ASan build, shared machine)\n",
      latencies_ms.size(), p50, p99, worst, slowloris_opened.load(), slowloris_cut.load(),
      oversized_answered.load(), oversized_tried.load(), most_chunked_pieces.load() / 16);
  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_GE(latencies_ms.size(), 10u);
  // Bounded: a round is three requests; 2 s at the 99th percentile on a loaded shared VM
  // under ASan (unloaded: a few ms). A server that queues behind slow clients would take
  // the header timeout (10 s) or never answer.
  EXPECT_LT(p99, 2000);
  EXPECT_LT(worst, 5000);
  // The slowloris connections were cut by the header timeout (10 s) and came back.
  if (duration > 12s) {
    EXPECT_GT(slowloris_cut.load(), 0);
  }
  {
    std::lock_guard l(failures_mu);
    for (const auto& f : oversized_failures) ADD_FAILURE() << "oversized: " << f;
  }
  EXPECT_GT(oversized_answered.load(), 0);

  const HttpResult metrics = HttpGet(server.http, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  server.process.Signal(SIGTERM);
  EXPECT_EQ(server.process.Wait(60s), 0) << server.process.Stderr();
}

}  // namespace
}  // namespace astrolabe::e2e
