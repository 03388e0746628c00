#include "net/shared_http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "net/test_socket.h"

namespace astrolabe::net {
namespace {

using namespace std::chrono_literals;
using testing::TestSocket;

Deadline In(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// A loopback port free right now (bound by a throwaway server, then released).
int FreeLoopbackPort() {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:0";
  HttpServer s(o);
  EXPECT_TRUE(s.Start().ok());
  int port = s.port();
  s.Shutdown(In(1s));
  return port;
}

SharedRoute Reply(std::string method, std::string pattern, std::string body) {
  return {std::move(method), std::move(pattern),
          [body](ServerRequest&, ServerResponse& res) { res.Set(200, "text/plain", body); }};
}

std::string Request(int port, std::string_view method, std::string_view path) {
  TestSocket s(port);
  EXPECT_TRUE(s.connected());
  s.Send(std::string(method) + " " + std::string(path) +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  return s.ReadResponse();
}

TEST(SharedHttpServerTest, TwoOwnersOnePortDisjointPaths) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto a = ListenShared(o, "receiver/otlp", {Reply("POST", "/v1/metrics", "otlp")});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b =
      ListenShared(o, "receiver/prometheus_remote_write", {Reply("POST", "/api/v1/write", "rw")});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*a)->port(), (*b)->port());
  EXPECT_EQ((*a)->owners(), 2);
  int port = (*a)->port();

  EXPECT_TRUE(Request(port, "POST", "/v1/metrics").ends_with("\r\n\r\notlp"));
  EXPECT_TRUE(Request(port, "POST", "/api/v1/write").ends_with("\r\n\r\nrw"));
  EXPECT_TRUE(Request(port, "POST", "/nope").starts_with("HTTP/1.1 404"));
  std::string r405 = Request(port, "GET", "/api/v1/write");
  EXPECT_TRUE(r405.starts_with("HTTP/1.1 405")) << r405;
  EXPECT_NE(r405.find("Allow: POST"), std::string::npos) << r405;

  // The first owner leaves: its paths go, the server stays for the other.
  (*a)->Release(In(1s));
  EXPECT_EQ((*b)->owners(), 1);
  EXPECT_TRUE(Request(port, "POST", "/v1/metrics").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Request(port, "POST", "/api/v1/write").ends_with("\r\n\r\nrw"));

  // The last one leaves: the port is closed, and free for a new server.
  (*b)->Release(In(1s));
  TestSocket closed(port);
  EXPECT_FALSE(closed.connected());
  auto c = ListenShared(o, "receiver/otlp", {Reply("POST", "/v1/metrics", "again")});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(Request(port, "POST", "/v1/metrics").ends_with("\r\n\r\nagain"));
}

TEST(SharedHttpServerTest, ConflictingPathIsAnErrorAtStart) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto a = ListenShared(o, "receiver/otlp", {Reply("POST", "/api/v1/write", "a")});
  ASSERT_TRUE(a.ok());
  auto b = ListenShared(o, "receiver/prometheus_remote_write",
                        {Reply("POST", "/x", "x"), Reply("", "/api/v1/write", "b")});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(b.status().message(),
            "listen on " + o.listen_address +
                ": receiver/prometheus_remote_write wants * /api/v1/write, already served by "
                "receiver/otlp");
  // Nothing of the refused owner was added.
  EXPECT_EQ((*a)->owners(), 1);
  EXPECT_TRUE(Request((*a)->port(), "POST", "/x").starts_with("HTTP/1.1 404"));
  // The same owner twice is refused too.
  auto again = ListenShared(o, "receiver/otlp", {Reply("POST", "/y", "y")});
  EXPECT_FALSE(again.ok());
}

TEST(SharedHttpServerTest, DifferentLimitsAreAnError) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto a = ListenShared(o, "receiver/otlp", {Reply("POST", "/a", "a")});
  ASSERT_TRUE(a.ok());
  HttpServerOptions other = o;
  other.max_body_bytes = 1024;
  auto b = ListenShared(other, "receiver/prometheus_remote_write", {Reply("POST", "/b", "b")});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("max_body_bytes 1024 differs from receiver/otlp's 20971520"),
            std::string::npos)
      << b.status().message();
}

TEST(SharedHttpServerTest, PortZeroIsNeverShared) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:0";
  auto a = ListenShared(o, "x", {Reply("POST", "/p", "a")});
  auto b = ListenShared(o, "y", {Reply("POST", "/p", "b")});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->port(), (*b)->port());
  EXPECT_EQ((*a)->owners(), 1);
}

TEST(SharedHttpServerTest, BindErrorNamesTheAddress) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:0";
  HttpServer holder(o);
  ASSERT_TRUE(holder.Start().ok());
  HttpServerOptions taken;
  taken.listen_address = holder.address();
  auto r = ListenShared(taken, "x", {Reply("POST", "/p", "a")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("address already in use"), std::string::npos)
      << r.status().message();
  holder.Shutdown(In(1s));
}

TEST(SharedHttpServerTest, ReleaseWaitsForTheOwnersRunningHandler) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  std::promise<void> started;
  std::atomic<bool> finished{false};
  auto slow = ListenShared(o, "slow", {{"POST", "/slow", [&](ServerRequest&, ServerResponse& r) {
                                          started.set_value();
                                          std::this_thread::sleep_for(300ms);
                                          finished = true;
                                          r.Set(200, "text/plain", "done");
                                        }}});
  ASSERT_TRUE(slow.ok());
  auto other = ListenShared(o, "other", {Reply("POST", "/o", "o")});
  ASSERT_TRUE(other.ok());
  std::thread client([&] { Request((*slow)->port(), "POST", "/slow"); });
  started.get_future().wait();
  (*slow)->Release(In(2s));
  EXPECT_TRUE(finished.load());  // Release returned only after the handler did
  client.join();
}

}  // namespace
}  // namespace astrolabe::net
