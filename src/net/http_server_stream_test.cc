// Streamed responses (ServerResponse::Write): chunk framing, pieces reaching the client before
// the handler finishes, client disconnects, write timeouts, shutdown, HTTP/1.0 and HEAD; and
// HttpClient's streamed read (on_head / on_body) against them.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "net/http_codec.h"
#include "net/http_server.h"
#include "net/test_socket.h"

namespace astrolabe::net {
namespace {

using namespace std::chrono_literals;
using testing::TestSocket;

Deadline In(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// A handler that sends "first", waits for the test's go-ahead, sends "second" and returns;
// what happened is recorded for the test.
struct TwoPieces {
  std::promise<void> go;
  std::shared_future<void> go_future = go.get_future().share();
  std::atomic<bool> finished{false};
  std::atomic<bool> streaming_after_first{false};
  Status second_write = Status::Ok();

  HttpHandler Handler() {
    return [this](ServerRequest&, ServerResponse& res) {
      res.status = 200;
      res.headers.Set("Content-Type", "text/event-stream");
      res.headers.Set("Content-Length", "999");        // framing is the server's: dropped
      res.headers.Set("X-Bad", "a\r\nInjected: yes");  // would split the header: dropped
      if (!res.Write("first").ok()) return;
      streaming_after_first = res.streaming();
      if (go_future.wait_for(5s) != std::future_status::ready) return;
      second_write = res.Write("second");
      finished = true;
    };
  }
};

class StreamTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.listen_address = "127.0.0.1:0";
    options.io_threads = 2;
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("GET", "/two", two_.Handler());
    server_->Handle("GET", "/hello", [](ServerRequest&, ServerResponse& res) {
      res.Set(200, "text/plain", "hello");
    });
    // Writes a piece every 10 ms until a write fails (at most 10 s), then reports the error.
    server_->Handle("GET", "/forever", [this](ServerRequest&, ServerResponse& res) {
      Status s = Status::Ok();
      for (int i = 0; i < 1000 && s.ok(); ++i) {
        s = res.Write("data: tick\n\n");
        std::this_thread::sleep_for(10ms);
      }
      forever_result_.set_value(s);
    });
    // Sends its head, then waits (at most 10 s) for the client to go away without writing.
    server_->Handle("GET", "/idle", [this](ServerRequest&, ServerResponse& res) {
      if (!res.Write("").ok()) return;
      bool gone = false;
      for (int i = 0; i < 1000 && !gone; ++i) {
        gone = res.ClientGone();
        if (!gone) std::this_thread::sleep_for(10ms);
      }
      idle_result_.set_value(gone);
    });
    // 256 KiB pieces until a write fails (at most 64 MiB): a client that does not read.
    server_->Handle("GET", "/flood", [this](ServerRequest&, ServerResponse& res) {
      std::string piece(256 * 1024, 'x');
      Status s = Status::Ok();
      for (int i = 0; i < 256 && s.ok(); ++i) s = res.Write(piece);
      flood_result_.set_value(s);
    });
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }

  void TearDown() override {
    two_.go.set_value();
    if (server_) server_->Shutdown(In(2s));
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  TwoPieces two_;
  std::promise<Status> forever_result_;
  std::promise<bool> idle_result_;
  std::promise<Status> flood_result_;
};

TEST_F(StreamTest, FirstChunkArrivesBeforeTheHandlerFinishes) {
  Start();
  TestSocket s(port_);
  s.Send("GET /two HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(s.ReadUntil("5\r\nfirst\r\n")) << s.pending();
  EXPECT_FALSE(two_.finished.load());
  const std::string head = s.pending().substr(0, s.pending().find("\r\n\r\n") + 4);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_EQ(head.find("Injected"), std::string::npos) << head;
  EXPECT_EQ(head.find("X-Bad"), std::string::npos) << head;
  two_.go.set_value();
  ASSERT_TRUE(s.ReadUntil("6\r\nsecond\r\n0\r\n\r\n")) << s.pending();
  EXPECT_TRUE(two_.second_write.ok());
  EXPECT_TRUE(two_.finished.load());
  EXPECT_TRUE(two_.streaming_after_first.load());
  // The connection stays alive for the next request.
  std::string rest = s.pending();
  EXPECT_TRUE(rest.ends_with("0\r\n\r\n")) << rest;
  TestSocket& again = s;
  again.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(again.ReadUntil("\r\n\r\nhello")) << again.pending();
  EXPECT_EQ(server_->stats().streamed_responses.load(), 1u);
  EXPECT_EQ(server_->stats().streams_broken.load(), 0u);
  two_.go = std::promise<void>();  // TearDown sets it again
}

TEST_F(StreamTest, ClientDisconnectEndsTheHandler) {
  Start();
  auto result = forever_result_.get_future();
  {
    TestSocket s(port_);
    s.Send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(s.ReadUntil("data: tick\n\n\r\n")) << s.pending();
    EXPECT_EQ(result.wait_for(0ms), std::future_status::timeout);
  }  // closed here
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready) << "handler still running";
  Status s = result.get();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(server_->stats().streams_broken.load(), 1u);
}

TEST_F(StreamTest, ClientGoneSeesACloseWithoutWriting) {
  Start();
  auto result = idle_result_.get_future();
  {
    TestSocket s(port_);
    s.Send("GET /idle HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(s.ReadUntil("\r\n\r\n")) << s.pending();
    EXPECT_EQ(result.wait_for(50ms), std::future_status::timeout);
  }
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready);
  EXPECT_TRUE(result.get());
}

TEST_F(StreamTest, ClientNotReadingHitsTheWriteTimeout) {
  HttpServerOptions o;
  o.write_timeout = 300ms;
  Start(o);
  auto result = flood_result_.get_future();
  TestSocket s(port_);
  s.SetReceiveBuffer(4096);
  s.Send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready) << "no timeout";
  Status st = result.get();
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_GE(server_->stats().timeouts.load(), 1u);
  EXPECT_EQ(server_->stats().streams_broken.load(), 1u);
  // The server closed the connection (the client would read what the kernel still holds,
  // slowly through its 4 KiB window, then the end).
  for (int i = 0; i < 300 && server_->stats().active_connections.load() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->stats().active_connections.load(), 0);
}

TEST_F(StreamTest, ShutdownDeadlineEndsAStream) {
  Start();
  auto result = forever_result_.get_future();
  TestSocket s(port_);
  s.Send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(s.ReadUntil("data: tick")) << s.pending();
  auto t0 = std::chrono::steady_clock::now();
  server_->Shutdown(In(200ms));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_EQ(result.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(result.get().code(), StatusCode::kCancelled);
  EXPECT_TRUE(s.WaitClosed(2s));
  // The connection ended without the terminating chunk.
  EXPECT_EQ(s.pending().find("0\r\n\r\n"), std::string::npos);
}

TEST_F(StreamTest, Http10GetsAnUnframedBodyAndAClose) {
  Start();
  TestSocket s(port_);
  s.Send("GET /two HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(s.ReadUntil("first")) << s.pending();
  two_.go.set_value();
  EXPECT_TRUE(s.WaitClosed(3s));
  const std::string& got = s.pending();
  EXPECT_TRUE(got.starts_with("HTTP/1.0 200 OK\r\n")) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nfirstsecond")) << got;
  two_.go = std::promise<void>();
}

TEST_F(StreamTest, HeadGetsOnlyTheHead) {
  Start();
  TestSocket s(port_);
  s.Send("HEAD /two HTTP/1.1\r\nHost: t\r\n\r\n");
  two_.go.set_value();
  std::string head = s.ReadHead();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  s.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string next = s.ReadResponse();
  // No body bytes (not even the terminating chunk) between the head and the next response.
  EXPECT_TRUE(next.starts_with("HTTP/1.1 200 OK\r\n")) << next;
  EXPECT_TRUE(next.ends_with("hello")) << next;
  two_.go = std::promise<void>();
}

TEST(StreamUnattached, WriteWithoutAConnectionFails) {
  ServerResponse res;
  EXPECT_EQ(res.Write("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(res.ClientGone());
  EXPECT_FALSE(res.streaming());
}

TEST(StreamHead, FramingIsTheServers) {
  ServerResponse res;
  res.status = 201;
  res.headers.Add("Content-Type", "text/event-stream");
  res.headers.Add("Transfer-Encoding", "gzip");
  res.headers.Add("Connection", "upgrade");
  res.headers.Add("X-Nul", std::string("a\0b", 3));
  EXPECT_EQ(internal::StreamHead(res, 11, true, true),
            "HTTP/1.1 201 Created\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(internal::StreamHead(res, 10, false, false),
            "HTTP/1.0 201 Created\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
}

// HttpClient's streamed read sees the first piece while the handler still waits, and abandons
// a transfer when on_body says so (the server's handler then ends).
TEST_F(StreamTest, ClientStreamedReadGetsPiecesAsTheyArrive) {
  Start();
  HttpClient client;
  std::mutex mu;
  std::string got;
  int head_status = 0;
  std::string head_type;
  std::promise<void> first_piece;
  bool first_set = false;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port_) + "/two";
  req.on_head = [&](const HttpResponse& h) {
    std::lock_guard lock(mu);
    head_status = h.status;
    head_type = std::string(h.headers.Get("Content-Type").value_or(""));
  };
  req.on_body = [&](std::string_view piece) {
    std::lock_guard lock(mu);
    got += piece;
    if (!first_set) {
      first_set = true;
      first_piece.set_value();
    }
    return true;
  };
  auto done = client.Send(std::move(req));
  ASSERT_EQ(first_piece.get_future().wait_for(5s), std::future_status::ready);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(got, "first");
    EXPECT_EQ(head_status, 200);
    EXPECT_EQ(head_type, "text/event-stream");
  }
  EXPECT_FALSE(two_.finished.load());
  two_.go.set_value();
  Result<HttpResponse> r = done.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(got, "firstsecond");
  two_.go = std::promise<void>();

  // Abandoning: the client stops after the third piece; the server's handler ends.
  auto result = forever_result_.get_future();
  HttpRequest abandon;
  abandon.url = "http://127.0.0.1:" + std::to_string(port_) + "/forever";
  int pieces = 0;
  abandon.on_body = [&](std::string_view) { return ++pieces < 3; };
  Result<HttpResponse> a = client.Send(std::move(abandon)).get();
  EXPECT_EQ(a.status().code(), StatusCode::kCancelled) << a.status().ToString();
  EXPECT_EQ(pieces, 3);
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(result.get().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace astrolabe::net
