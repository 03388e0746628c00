#include "net/http_client.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <thread>
#include <vector>

#include "net/http_server.h"

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
    server_->Handle("GET", "/gzip", [](ServerRequest&, ServerResponse& res) {
      res.headers.Add("Content-Encoding", "gzip");
      res.Set(200, "text/plain", Gzip("metric_a 1\nmetric_b 2\n"));
    });
    server_->Handle("GET", "/redirect", [](ServerRequest&, ServerResponse& res) {
      res.status = 302;
      res.headers.Add("Location", "/echo");
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

TEST_F(HttpClientTest, PostSendsBodyAndHeaders) {
  HttpClient client;
  HttpRequest request = Get("/echo");
  request.method = "POST";
  request.body = std::string(200'000, 'p');  // large enough that curl would use Expect
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
  // which shows curl consulted http_proxy. NO_PROXY then exempts the target.
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

}  // namespace
}  // namespace astrolabe::net
