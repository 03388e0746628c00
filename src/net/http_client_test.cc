#include "net/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "net/openssl_loader.h"

namespace astrolabe::net {
namespace {

using namespace std::chrono_literals;

std::string Gzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.io_threads = 2;
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("", "/echo", [](ServerRequest& req, ServerResponse& res) {
      res.headers.Add("X-Method", std::string(req.method()));
      res.headers.Add("X-User-Agent", std::string(req.header("user-agent").value_or("")));
      res.headers.Add("X-Custom", std::string(req.header("x-custom").value_or("")));
      res.headers.Add("X-Accept-Encoding",
                      std::string(req.header("accept-encoding").value_or("-")));
      res.Set(200, "text/plain", std::string(req.body()));
    });
    server_->Handle("GET", "/status/*", [](ServerRequest& req, ServerResponse& res) {
      res.Set(std::stoi(std::string(req.path().substr(8))), "text/plain", "status");
    });
    server_->Handle("GET", "/sleep", [](ServerRequest&, ServerResponse& res) {
      std::this_thread::sleep_for(700ms);
      res.body = "late";
    });
    server_->Handle("GET", "/big", [](ServerRequest&, ServerResponse& res) {
      res.body = std::string(100'000, 'b');
    });
    server_->Handle("GET", "/huge", [](ServerRequest&, ServerResponse& res) {
      res.body.resize(3 * 1024 * 1024 + 17);  // over the 1 MiB a body is first sized to
      for (size_t i = 0; i < res.body.size(); ++i) res.body[i] = static_cast<char>('a' + i % 23);
    });
    server_->Handle("GET", "/gzip", [](ServerRequest&, ServerResponse& res) {
      res.headers.Add("Content-Encoding", "gzip");
      res.Set(200, "text/plain", Gzip("metric_a 1\nmetric_b 2\n"));
    });
    server_->Handle("GET", "/redirect", [](ServerRequest&, ServerResponse& res) {
      res.status = 302;
      res.headers.Add("Location", "/echo");
    });
    // /r/<code>[?to=URL]: redirects with <code> to URL (default /echo).
    server_->Handle("", "/r/*", [](ServerRequest& req, ServerResponse& res) {
      res.status = std::stoi(std::string(req.path().substr(3)));
      std::string_view target = req.target();
      size_t to = target.find("?to=");
      res.headers.Add("Location",
                      to == std::string_view::npos ? "/echo" : std::string(target.substr(to + 4)));
      res.body = "moved";
    });
    server_->Handle("GET", "/loop", [](ServerRequest&, ServerResponse& res) {
      res.status = 302;
      res.headers.Add("Location", "loop");
    });
    server_->Handle("GET", "/headers", [](ServerRequest& req, ServerResponse& res) {
      std::string out;
      for (const char* name : {"host", "authorization", "content-type", "accept"}) {
        out += std::string(name) + "=" + std::string(req.header(name).value_or("-")) + "\n";
      }
      res.body = out;
    });
    server_->Handle("GET", "/bomb", [](ServerRequest&, ServerResponse& res) {
      res.headers.Add("Content-Encoding", "gzip");
      res.Set(200, "text/plain", Gzip(std::string(8 << 20, '0')));  // 8 MiB in ~8 KiB
    });
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://" + server_->address();
  }

  void TearDown() override { server_->Shutdown(std::chrono::steady_clock::now() + 2s); }

  HttpRequest Get(std::string path) {
    HttpRequest request;
    request.url = base_ + path;
    return request;
  }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
};

TEST_F(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  HttpClient client;
  Result<HttpResponse> r = client.Send(Get("/echo")).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("x-method"), "GET");
  EXPECT_EQ(r->headers.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(r->headers.Get("X-User-Agent"), DefaultUserAgent());
  EXPECT_TRUE(DefaultUserAgent().starts_with("Astrolabe/"));
  EXPECT_EQ(r->headers.Get("X-Accept-Encoding"), "-");
  EXPECT_EQ(r->body, "");
}

#ifdef ASTROLABE_LAZY_OPENSSL_TEST
bool LibSslMapped() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libssl.so") != std::string::npos) return true;
  }
  return false;
}
#endif

TEST_F(HttpClientTest, PlaintextNeverLoadsOpenSsl) {
  if (internal::OpenSslLoaded()) GTEST_SKIP() << "an earlier test in this process used https";
  HttpClient client;
  ASSERT_TRUE(client.Send(Get("/echo")).get().ok());
  EXPECT_FALSE(internal::OpenSslLoaded());
#ifdef ASTROLABE_LAZY_OPENSSL_TEST
  EXPECT_FALSE(LibSslMapped());
  ASSERT_TRUE(internal::LoadOpenSsl().ok());
  EXPECT_TRUE(LibSslMapped());
#endif
}

TEST_F(HttpClientTest, PostSendsBodyAndHeaders) {
  HttpClient client;
  HttpRequest request = Get("/echo");
  request.method = "POST";
  request.body = std::string(200'000, 'p');  // large: no Expect: 100-continue stall
  request.headers.Add("X-Custom", "yes");
  request.headers.Add("Content-Type", "application/x-protobuf");
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->headers.Get("X-Method"), "POST");
  EXPECT_EQ(r->headers.Get("X-Custom"), "yes");
  EXPECT_EQ(r->body.size(), 200'000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);  // no Expect: 100-continue stall
}

TEST_F(HttpClientTest, OtherMethodsAndHead) {
  HttpClient client;
  HttpRequest put = Get("/echo");
  put.method = "PUT";
  put.body = "x";
  Result<HttpResponse> r = client.Send(std::move(put)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->headers.Get("X-Method"), "PUT");
  EXPECT_EQ(r->body, "x");
  HttpRequest head = Get("/big");
  head.method = "HEAD";
  r = client.Send(std::move(head)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("Content-Length"), "100000");
  EXPECT_EQ(r->body, "");
}

TEST_F(HttpClientTest, HttpErrorStatusIsAResponse) {
  HttpClient client;
  Result<HttpResponse> r = client.Send(Get("/status/503")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  r = client.Send(Get("/missing")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpClientTest, FollowsRedirects) {
  HttpClient client;
  Result<HttpResponse> r = client.Send(Get("/redirect")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("X-Method"), "GET");
  EXPECT_FALSE(r->headers.Has("Location"));  // headers are the final response's

  HttpClientOptions options;
  options.follow_redirects = false;
  HttpClient no_follow(options);
  r = no_follow.Send(Get("/redirect")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302);
}

TEST_F(HttpClientTest, TimeoutIsDeadlineExceeded) {
  HttpClient client;
  HttpRequest request = Get("/sleep");
  request.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(r.status().message().starts_with("GET " + base_ + "/sleep: "))
      << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 650ms);
}

TEST_F(HttpClientTest, ConnectionRefusedNamesUrlAndReason) {
  HttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:1/metrics";
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_TRUE(r.status().message().starts_with("GET http://127.0.0.1:1/metrics: "))
      << r.status().message();
  EXPECT_NE(r.status().message().find("Couldn't connect to server"), std::string::npos)
      << r.status().message();
}

TEST_F(HttpClientTest, BadUrlIsInvalidArgument) {
  HttpClient client;
  HttpRequest request;
  request.url = "ftp://127.0.0.1/x";
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  HttpRequest injected = Get("/echo");
  injected.headers.Add("X-Evil", "a\r\nX-Injected: b");
  r = client.Send(std::move(injected)).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpClientTest, ResponseOverLimitIsResourceExhausted) {
  HttpClient client;
  HttpRequest request = Get("/big");
  request.max_response_bytes = 10'000;
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("exceeds 10000 bytes"), std::string::npos)
      << r.status().message();
  // Exactly at a sufficient limit it succeeds.
  request = Get("/big");
  request.max_response_bytes = 100'000;
  r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body.size(), 100'000u);
}

// A body with a Content-Length is read in place, grown past its first 1 MiB as it arrives;
// the connection then serves the next request.
TEST_F(HttpClientTest, LargeBodyOfKnownLengthArrivesWhole) {
  HttpClient client;
  for (int round = 0; round < 2; ++round) {
    Result<HttpResponse> r = client.Send(Get("/huge")).get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->body.size(), 3u * 1024 * 1024 + 17);
    for (size_t i = 0; i < r->body.size(); i += 4099) {
      ASSERT_EQ(r->body[i], static_cast<char>('a' + i % 23)) << "byte " << i;
    }
    EXPECT_EQ(r->body.back(), static_cast<char>('a' + (r->body.size() - 1) % 23));
    r = client.Send(Get("/big")).get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->body, std::string(100'000, 'b'));
  }
}

TEST_F(HttpClientTest, DecodesGzipWhenAsked) {
  HttpClientOptions options;
  options.decompress_responses = true;
  HttpClient client(options);
  Result<HttpResponse> r = client.Send(Get("/gzip")).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "metric_a 1\nmetric_b 2\n");
  r = client.Send(Get("/echo")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->headers.Get("X-Accept-Encoding")->find("gzip"), std::string::npos);

  HttpClient raw;  // off by default: the body is returned as sent
  r = raw.Send(Get("/gzip")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, Gzip("metric_a 1\nmetric_b 2\n"));
}

TEST_F(HttpClientTest, ManyConcurrentRequestsReuseConnections) {
  HttpClient client;
  std::vector<std::future<Result<HttpResponse>>> futures;
  for (int i = 0; i < 40; ++i) {
    HttpRequest request = Get("/echo");
    request.method = "POST";
    request.body = std::to_string(i);
    futures.push_back(client.Send(std::move(request)));
  }
  for (int i = 0; i < 40; ++i) {
    Result<HttpResponse> r = futures[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, std::to_string(i));
  }
  // Sequential requests afterwards ride the pooled connections.
  uint64_t before = server_->stats().connections_accepted.load();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.Send(Get("/echo")).get().ok());
  EXPECT_EQ(server_->stats().connections_accepted.load(), before);
}

TEST_F(HttpClientTest, CallbackRunsOnce) {
  HttpClient client;
  std::promise<int> got;
  client.Send(Get("/status/204"),
              [&](Result<HttpResponse> r) { got.set_value(r.ok() ? r->status : -1); });
  EXPECT_EQ(got.get_future().get(), 204);
}

TEST_F(HttpClientTest, ShutdownCancelsOutstandingTransfers) {
  HttpClient client;
  auto pending = client.Send(Get("/sleep"));
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  client.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  Result<HttpResponse> r = pending.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  r = client.Send(Get("/echo")).get();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  client.Shutdown();  // idempotent
}

TEST_F(HttpClientTest, ProxyFromEnvironmentIsHonoured) {
  // A proxy that refuses connections: the request fails even though the target is up,
  // which shows the client consulted http_proxy. NO_PROXY then exempts the target.
  setenv("http_proxy", "http://127.0.0.1:1", 1);
  {
    HttpClient client;
    Result<HttpResponse> r = client.Send(Get("/echo")).get();
    EXPECT_FALSE(r.ok());
    setenv("NO_PROXY", "127.0.0.1", 1);
    r = client.Send(Get("/echo")).get();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  unsetenv("http_proxy");
  unsetenv("NO_PROXY");
}

TEST_F(HttpClientTest, RedirectCodesAndMethods) {
  HttpClient client;
  struct Case {
    int code;
    std::string method;
    std::string want_method;
    bool want_body;
  };
  // 303 turns anything but HEAD into GET; 301/302 turn POST into GET (as browsers and curl
  // do) and keep other methods; 307/308 keep method and body.
  for (const Case& c : {Case{301, "POST", "GET", false}, Case{302, "POST", "GET", false},
                        Case{303, "POST", "GET", false}, Case{303, "PUT", "GET", false},
                        Case{307, "POST", "POST", true}, Case{308, "PUT", "PUT", true},
                        Case{302, "PUT", "PUT", true}, Case{301, "GET", "GET", false}}) {
    HttpRequest request = Get("/r/" + std::to_string(c.code));
    request.method = c.method;
    if (c.method != "GET") request.body = "payload";
    Result<HttpResponse> r = client.Send(std::move(request)).get();
    ASSERT_TRUE(r.ok()) << c.code << " " << r.status().ToString();
    EXPECT_EQ(r->status, 200) << c.code << " " << c.method;
    EXPECT_EQ(r->headers.Get("X-Method"), c.want_method) << c.code << " " << c.method;
    EXPECT_EQ(r->body, c.want_body ? "payload" : "") << c.code << " " << c.method;
  }
  // Absolute and relative Location values.
  Result<HttpResponse> r = client.Send(Get("/r/302?to=" + base_ + "/status/201")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  r = client.Send(Get("/r/301?to=../status/202")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  // A 3xx without Location is a response.
  r = client.Send(Get("/status/302")).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302);
}

TEST_F(HttpClientTest, RedirectLimitsAndSchemes) {
  HttpClient client;
  Result<HttpResponse> r = client.Send(Get("/loop")).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("Maximum (10) redirects followed"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(r.status().message().starts_with("GET " + base_ + "/loop: "));
  r = client.Send(Get("/r/302?to=ftp://127.0.0.1/x")).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
}

TEST_F(HttpClientTest, CrossOriginRedirectDropsCredentials) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  HttpServer other(options);
  other.Handle("GET", "/headers", [](ServerRequest& req, ServerResponse& res) {
    res.body = "authorization=" + std::string(req.header("authorization").value_or("-"));
  });
  ASSERT_TRUE(other.Start().ok());
  HttpClient client;
  HttpRequest request = Get("/r/302?to=http://" + other.address() + "/headers");
  request.headers.Add("Authorization", "Bearer secret");
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "authorization=-");
  // Same origin keeps it.
  request = Get("/r/302?to=/headers");
  request.headers.Add("Authorization", "Bearer secret");
  r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("authorization=Bearer secret"), std::string::npos) << r->body;
  other.Shutdown(std::chrono::steady_clock::now() + 2s);
}

TEST_F(HttpClientTest, DefaultHeadersAndUserinfo) {
  HttpClient client;
  HttpRequest request;
  request.url = "http://user:pa%3Ass@" + server_->address() + "/headers";
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("host=" + server_->address() + "\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("authorization=Basic dXNlcjpwYTpzcw==\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("accept=*/*\n"), std::string::npos) << r->body;
}

TEST_F(HttpClientTest, GzipBombOverTheLimitIsResourceExhausted) {
  HttpClientOptions options;
  options.decompress_responses = true;
  options.max_response_bytes = 1 << 20;
  HttpClient client(options);
  Result<HttpResponse> r = client.Send(Get("/bomb")).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("exceeds 1048576 bytes"), std::string::npos);
  HttpRequest request = Get("/bomb");
  request.max_response_bytes = 8 << 20;  // exactly enough
  r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.size(), 8u << 20);
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  HttpClient client;
  uint64_t before = server_->stats().connections_accepted.load();
  for (int i = 0; i < 6; ++i) {
    HttpRequest request = Get(i % 2 == 0 ? "/echo" : "/big");
    Result<HttpResponse> r = client.Send(std::move(request)).get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(server_->stats().connections_accepted.load(), before + 1);
  // A second client has its own pool.
  HttpClient other;
  ASSERT_TRUE(other.Send(Get("/echo")).get().ok());
  EXPECT_EQ(server_->stats().connections_accepted.load(), before + 2);
}

TEST(HttpClientPoolTest, ServerClosedIdleConnectionIsReplaced) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.idle_timeout = 100ms;
  HttpServer server(options);
  server.Handle("GET", "/", [](ServerRequest&, ServerResponse& res) { res.body = "ok"; });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client;
  HttpRequest request;
  request.url = "http://" + server.address() + "/";
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = client.Send(request).get();
    ASSERT_TRUE(r.ok()) << i << " " << r.status().ToString();
    EXPECT_EQ(r->body, "ok");
    std::this_thread::sleep_for(300ms);  // the server closes the idle connection
  }
  EXPECT_EQ(server.stats().connections_accepted.load(), 3u);
  server.Shutdown(std::chrono::steady_clock::now() + 2s);
}

TEST_F(HttpClientTest, Ipv6Loopback) {
  HttpServerOptions options;
  options.listen_address = "[::1]:0";
  HttpServer server(options);
  server.Handle("GET", "/host", [](ServerRequest& req, ServerResponse& res) {
    res.body = std::string(req.header("host").value_or("-"));
  });
  Status status = server.Start();
  if (!status.ok()) GTEST_SKIP() << "IPv6 loopback unavailable here: " << status.message();
  HttpClient client;
  HttpRequest request;
  request.url = "http://[::1]:" + std::to_string(server.port()) + "/host";
  Result<HttpResponse> r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "[::1]:" + std::to_string(server.port()));
  server.Shutdown(std::chrono::steady_clock::now() + 2s);
}

// A loopback TCP server whose connections are handled by a function on their own thread;
// counts connections. Stops (closing every socket) in the destructor.
class RawServer {
 public:
  explicit RawServer(std::function<void(int fd)> handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 64), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        std::lock_guard lock(mu_);
        if (stopping_) {
          ::close(fd);
          return;
        }
        ++connections_;
        fds_.push_back(fd);
        workers_.emplace_back([this, fd] { handler_(fd); });
      }
    });
  }

  ~RawServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    for (auto& w : workers_) w.join();
    for (int fd : fds_) ::close(fd);
  }

  int port() const { return port_; }
  int connections() {
    std::lock_guard lock(mu_);
    return connections_;
  }

 private:
  std::function<void(int)> handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  bool stopping_ = false;
  int connections_ = 0;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

// Reads up to the end of a request head (bounded); "" on EOF or error.
std::string ReadHead(int fd) {
  std::string head;
  char c;
  while (head.size() < 65536 && !head.ends_with("\r\n\r\n")) {
    if (::recv(fd, &c, 1, 0) != 1) return "";
    head.push_back(c);
  }
  return head;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

TEST(HttpClientRawTest, ChunkedResponsesAndGzipOverChunked) {
  RawServer server([](int fd) {
    for (;;) {
      std::string head = ReadHead(fd);
      if (head.empty()) return;
      if (head.starts_with("GET /gzip ")) {
        std::string body = Gzip(std::string(3 << 20, 'z'));
        std::string out =
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (size_t i = 0; i < body.size(); i += 1000) {
          std::string piece = body.substr(i, 1000);
          char size[16];
          snprintf(size, sizeof size, "%zx\r\n", piece.size());
          out += size + piece + "\r\n";
        }
        SendAll(fd, out + "0\r\n\r\n");
      } else {
        SendAll(fd,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n");
      }
    }
  });
  HttpClientOptions options;
  options.decompress_responses = true;
  HttpClient client(options);
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/chunked";
  for (int i = 0; i < 2; ++i) {
    Result<HttpResponse> r = client.Send(request).get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "hello world");
  }
  EXPECT_EQ(server.connections(), 1);  // chunked framing keeps the connection reusable
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/gzip";
  request.max_response_bytes = 1 << 20;
  Result<HttpResponse> r = client.Send(request).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  request.max_response_bytes = 3 << 20;
  r = client.Send(request).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.size(), 3u << 20);
}

// A body of known length is read from the socket into the response, whatever part of it came
// with the header: split across sends, empty, or whole in the header's packet; bytes after it
// on the connection are not taken as the next response (the connection is not reused).
TEST(HttpClientRawTest, BodyOfKnownLengthInPiecesAndWithTheHeader) {
  RawServer server([](int fd) {
    for (;;) {
      std::string head = ReadHead(fd);
      if (head.empty()) return;
      if (head.starts_with("GET /split ")) {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nabcde");
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        SendAll(fd, "fghijklm");
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        SendAll(fd, "nopqrstuvwxyz");
      } else if (head.starts_with("GET /empty ")) {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      } else if (head.starts_with("GET /extra ")) {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcGARBAGE");
      } else {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwhole");
      }
    }
  });
  HttpClient client;
  auto get = [&](const std::string& path, std::string buffer = {}) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
    request.response_buffer = std::move(buffer);
    return client.Send(std::move(request)).get();
  };
  Result<HttpResponse> r = get("/split");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "abcdefghijklmnopqrstuvwxyz");
  r = get("/whole", std::string(4096, 'Z'));  // a larger buffer: no 'Z' left behind
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "whole");
  r = get("/empty", std::string(64, 'Z'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "");
  r = get("/split", "xy");  // a smaller one: grown
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(server.connections(), 1);  // all of them on one kept-alive connection
  r = get("/extra");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "abc");
  r = get("/whole");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "whole");
  EXPECT_EQ(server.connections(), 2);  // the one with bytes after the body was closed
}

TEST(HttpClientRawTest, TruncatedAndEmptyRepliesAreUnavailable) {
  RawServer server([](int fd) {
    std::string head = ReadHead(fd);
    if (head.starts_with("GET /short ")) {
      SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this");
    }
    ::shutdown(fd, SHUT_RDWR);
  });
  HttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/short";
  Result<HttpResponse> r = client.Send(request).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/empty";
  r = client.Send(request).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("Empty reply from server"), std::string::npos)
      << r.status().message();
}

TEST(HttpClientRawTest, ConnectTimeoutCoversTheTlsHandshake) {
  // Accepts and never answers the ClientHello: the connect phase cannot finish.
  RawServer server([](int fd) {
    char buf[4096];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
  });
  HttpClientOptions options;
  options.connect_timeout = 300ms;
  options.timeout = 10s;
  HttpClient client(options);
  HttpRequest request;
  request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = client.Send(request).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_NE(r.status().message().find("Connection timed out after"), std::string::npos)
      << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpClientRawTest, WholeRequestTimeoutWhileBodyTrickles) {
  RawServer server([](int fd) {
    if (ReadHead(fd).empty()) return;
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 40; ++i) {  // 25 bytes every 50 ms: 2 s in all
      SendAll(fd, std::string(25, 'x'));
      std::this_thread::sleep_for(50ms);
    }
  });
  HttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  request.timeout = 400ms;
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = client.Send(request).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("Operation timed out after"), std::string::npos)
      << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

// A loopback HTTP proxy: CONNECT tunnels to 127.0.0.1, absolute-form requests are answered by
// the proxy itself with the request line and Proxy-Authorization it saw.
class TestProxy {
 public:
  TestProxy() : server_([this](int fd) { Serve(fd); }) {}

  int port() const { return server_.port(); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  void Serve(int fd) {
    std::string head = ReadHead(fd);
    if (head.empty()) return;
    std::string line = head.substr(0, head.find("\r\n"));
    {
      std::lock_guard lock(mu_);
      lines_.push_back(line);
    }
    if (!line.starts_with("CONNECT ")) {
      std::string auth = "-";
      size_t a = head.find("Proxy-Authorization: ");
      if (a != std::string::npos) auth = head.substr(a + 21, head.find("\r\n", a) - a - 21);
      std::string body = line + "\n" + auth;
      SendAll(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
      return;
    }
    int port = std::stoi(line.substr(line.rfind(':') + 1));
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      SendAll(fd, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      ::close(up);
      return;
    }
    SendAll(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
    pollfd fds[2] = {{fd, POLLIN, 0}, {up, POLLIN, 0}};
    char buf[16384];
    for (;;) {
      if (::poll(fds, 2, 5000) <= 0) break;
      int from = (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 0 : 1;
      ssize_t n = ::recv(fds[from].fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      SendAll(fds[1 - from].fd, std::string_view(buf, static_cast<size_t>(n)));
    }
    ::close(up);
  }

  std::mutex mu_;
  std::vector<std::string> lines_;
  RawServer server_;  // last: its threads use the members above
};

TEST_F(HttpClientTest, ExplicitProxyUsesAbsoluteForm) {
  TestProxy proxy;
  HttpClientOptions options;
  options.proxy_url = "http://alice:secret@127.0.0.1:" + std::to_string(proxy.port());
  HttpClient client(options);
  Result<HttpResponse> r = client.Send(Get("/echo?x=1")).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "GET " + base_ + "/echo?x=1 HTTP/1.1\nBasic YWxpY2U6c2VjcmV0");
}

TEST_F(HttpClientTest, ProxyFromEnvironmentIsUsedAndNoProxyExempts) {
  TestProxy proxy;
  setenv("http_proxy", ("127.0.0.1:" + std::to_string(proxy.port())).c_str(), 1);
  {
    HttpClient client;
    Result<HttpResponse> r = client.Send(Get("/echo")).get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->body.starts_with("GET " + base_ + "/echo HTTP/1.1")) << r->body;
    setenv("no_proxy", "localhost,127.0.0.0/8", 1);
    r = client.Send(Get("/echo")).get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->headers.Get("X-Method"), "GET");  // answered by the server itself
  }
  unsetenv("http_proxy");
  unsetenv("no_proxy");
  EXPECT_EQ(proxy.lines().size(), 1u);
}

// `openssl s_server -www` on 127.0.0.1 with a certificate made at test time.
class TlsServer {
 public:
  // `san`: the certificate's subjectAltName; `client_ca`: require a client certificate
  // signed by this PEM when not empty.
  TlsServer(const std::string& dir, const std::string& name, const std::string& san,
            const std::string& client_ca = "") {
    cert_ = dir + "/" + name + ".pem";
    key_ = dir + "/" + name + ".key";
    ok_ = MakeCert(cert_, key_, san);
    if (!ok_) return;
    port_ = PickPort();
    std::vector<std::string> args = {
        "openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port_),
        "-cert",   cert_,      "-key",   key_};
    if (!client_ca.empty()) {
      for (const char* a : {"-Verify", "1", "-CAfile"}) args.push_back(a);
      args.push_back(client_ca);
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    // Ready when it accepts (bounded).
    for (int i = 0; i < 200 && !ready_; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      ready_ = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (!ready_) std::this_thread::sleep_for(25ms);
    }
  }

  ~TlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  static bool MakeCert(const std::string& cert, const std::string& key, const std::string& san) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 1 -subj /CN=astrolabe-test -addext subjectAltName=" +
        san + " -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  static int PickPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  bool ready() const { return ok_ && ready_; }
  int port() const { return port_; }
  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }
  std::string Url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }

 private:
  std::string cert_, key_;
  bool ok_ = false;
  bool ready_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
};

class HttpClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/astrolabe-tls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static Result<HttpResponse> Fetch(HttpClientOptions options, const std::string& url) {
    HttpClient client(std::move(options));
    HttpRequest request;
    request.url = url;
    return client.Send(std::move(request)).get();
  }

  static inline std::string dir_;
};

TEST_F(HttpClientTlsTest, VerifiesPeerAndNameAgainstCaFile) {
  TlsServer server(dir_, "good", "DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(server.ready()) << "openssl s_server did not start";
  HttpClientOptions options;
  options.tls.ca_file = server.cert();
  for (const char* host : {"127.0.0.1", "localhost"}) {
    Result<HttpResponse> r = Fetch(options, server.Url(host));
    ASSERT_TRUE(r.ok()) << host << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("s_server"), std::string::npos);
  }
}

TEST_F(HttpClientTlsTest, SelfSignedFailsAgainstTheSystemStore) {
  TlsServer server(dir_, "selfsigned", "IP:127.0.0.1");
  ASSERT_TRUE(server.ready());
  Result<HttpResponse> r = Fetch({}, server.Url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(
      r.status().message().starts_with("GET " + server.Url() + ": SSL certificate problem: "))
      << r.status().message();
  EXPECT_NE(r.status().message().find("self-signed"), std::string::npos) << r.status().message();
  // insecure_skip_verify accepts it.
  HttpClientOptions insecure;
  insecure.tls.insecure_skip_verify = true;
  r = Fetch(insecure, server.Url());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTlsTest, NameMismatchFails) {
  TlsServer server(dir_, "other", "DNS:other.example");
  ASSERT_TRUE(server.ready());
  HttpClientOptions options;
  options.tls.ca_file = server.cert();
  Result<HttpResponse> r = Fetch(options, server.Url());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SSL certificate problem"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("mismatch"), std::string::npos) << r.status().message();
  options.tls.ca_file = dir_ + "/missing.pem";
  r = Fetch(options, server.Url());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot load ca_file"), std::string::npos)
      << r.status().message();
}

TEST_F(HttpClientTlsTest, ClientCertificate) {
  std::string client_cert = dir_ + "/client.pem", client_key = dir_ + "/client.key";
  ASSERT_TRUE(TlsServer::MakeCert(client_cert, client_key, "DNS:client"));
  TlsServer server(dir_, "mtls", "IP:127.0.0.1", client_cert);
  ASSERT_TRUE(server.ready());
  HttpClientOptions options;
  options.tls.ca_file = server.cert();
  Result<HttpResponse> r = Fetch(options, server.Url());
  EXPECT_FALSE(r.ok());  // no client certificate
  options.tls.cert_file = client_cert;
  options.tls.key_file = client_key;
  r = Fetch(options, server.Url());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTlsTest, HttpsThroughAConnectTunnel) {
  TlsServer server(dir_, "tunnel", "IP:127.0.0.1");
  ASSERT_TRUE(server.ready());
  TestProxy proxy;
  HttpClientOptions options;
  options.tls.ca_file = server.cert();
  options.proxy_url = "127.0.0.1:" + std::to_string(proxy.port());
  Result<HttpResponse> r = Fetch(options, server.Url());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(proxy.lines().size(), 1u);
  EXPECT_EQ(proxy.lines()[0], "CONNECT 127.0.0.1:" + std::to_string(server.port()) + " HTTP/1.1");
}

}  // namespace
}  // namespace astrolabe::net
