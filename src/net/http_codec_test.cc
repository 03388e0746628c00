#include "net/http_codec.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace astrolabe::net::internal {
namespace {

ParserLimits SmallLimits() {
  ParserLimits limits;
  limits.max_header_bytes = 256;
  limits.max_body_bytes = 16;
  return limits;
}

TEST(ParseRequestBufferTest, ParsesCompleteRequest) {
  std::string bytes =
      "POST /v1/metrics?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET";
  BufferParse parse = ParseRequestBuffer(bytes, SmallLimits());
  ASSERT_EQ(parse.status, 0);
  EXPECT_EQ(parse.consumed, bytes.size() - 3);
  ServerRequest request(parse.request.get(), "1.2.3.4:5");
  EXPECT_EQ(request.method(), "POST");
  EXPECT_EQ(request.path(), "/v1/metrics");
  EXPECT_EQ(request.query(), "x=1");
  EXPECT_EQ(request.header("HOST"), "a");
  EXPECT_EQ(request.header("content-length"), "5");
  EXPECT_FALSE(request.header("missing").has_value());
  EXPECT_EQ(request.body(), "hello");
  EXPECT_EQ(request.TakeBody(), "hello");
  EXPECT_EQ(request.body(), "");
}

TEST(ParseRequestBufferTest, ParsesChunkedBody) {
  BufferParse parse = ParseRequestBuffer(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      SmallLimits());
  ASSERT_EQ(parse.status, 0);
  EXPECT_EQ(parse.request->message.body(), "abcde");
}

TEST(ParseRequestBufferTest, ReportsIncomplete) {
  EXPECT_EQ(ParseRequestBuffer("GET / HTTP/1.1\r\nHost: a\r\n", SmallLimits()).status, -1);
  EXPECT_EQ(
      ParseRequestBuffer("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", SmallLimits()).status,
      -1);
  EXPECT_EQ(ParseRequestBuffer("", SmallLimits()).status, -1);
  // Found by fuzzing: a partial chunk header after a complete request header.
  EXPECT_EQ(ParseRequestBuffer("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nP",
                               SmallLimits())
                .status,
            -1);
}

TEST(ParseRequestBufferTest, ClassifiesErrors) {
  EXPECT_EQ(ParseRequestBuffer("GARBAGE\r\n\r\n", SmallLimits()).status, 400);
  EXPECT_EQ(ParseRequestBuffer("GET / HTTP/1.1\r\nBad Header\r\n\r\n", SmallLimits()).status, 400);
  EXPECT_EQ(ParseRequestBuffer("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", SmallLimits()).status,
            400);
  EXPECT_EQ(ParseRequestBuffer("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n",
                               SmallLimits())
                .status,
            431);
  EXPECT_EQ(
      ParseRequestBuffer("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", SmallLimits()).status,
      413);
  EXPECT_EQ(ParseRequestBuffer("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n",
                               SmallLimits())
                .status,
            413);
}

TEST(ParseRequestBufferTest, HeaderLimitCountsRequestLine) {
  // Beast alone would accept this (it applies header_limit to the fields only when the header
  // arrives at once); the limit covers request line, fields and the final CRLF.
  std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  std::string fields = "X: " + std::string(256 - line.size() - 4 - 3, 'b') + "\r\n\r\n";
  ASSERT_EQ(line.size() + fields.size(), 256u);
  EXPECT_EQ(ParseRequestBuffer(line + fields, SmallLimits()).status, 0);
  EXPECT_EQ(ParseRequestBuffer(line + "Y: 1\r\n" + fields, SmallLimits()).status, 431);
  EXPECT_EQ(ParseRequestIncrementally(line + fields, 7, SmallLimits()).status, 0);
  EXPECT_EQ(ParseRequestIncrementally(line + "Y: 1\r\n" + fields, 7, SmallLimits()).status, 431);
}

TEST(ParseRequestIncrementallyTest, AgreesWithWholeBufferAtEverySplit) {
  for (std::string bytes :
       {std::string("POST /a?b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
        std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n"
                    "2\r\nde\r\n0\r\nT: v\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nP")}) {
    BufferParse whole = ParseRequestBuffer(bytes, SmallLimits());
    for (size_t step = 1; step <= bytes.size(); ++step) {
      BufferParse split = ParseRequestIncrementally(bytes, step, SmallLimits());
      ASSERT_EQ(split.status, whole.status) << "step " << step << " of " << bytes;
      if (whole.status == 0) {
        EXPECT_EQ(split.request->message.body(), whole.request->message.body());
        EXPECT_EQ(split.consumed, whole.consumed);
      }
    }
  }
}

ServerResponse Route(const Router& router, std::string_view method, std::string_view target) {
  BufferParse parse = ParseRequestBuffer(
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n", {});
  EXPECT_EQ(parse.status, 0);
  ServerRequest request(parse.request.get(), "");
  ServerResponse response;
  router.Route(request, response);
  return response;
}

// Empties the process-wide kept body buffers, so that a test starts from a known state.
void DrainKeptBodies() {
  while (KeptBodyBuffers().first > 0) TakeBodyBuffer(1);
}

TEST(KeptBodyBuffersTest, LargeBuffersComeBackNewestFirst) {
  DrainKeptBodies();
  std::string a = TakeBodyBuffer(100 * 1024);
  EXPECT_EQ(a.size(), 100u * 1024);  // sized for the body, to be read over
  EXPECT_GE(a.capacity(), 100u * 1024);
  std::string b = TakeBodyBuffer(200 * 1024);
  a.assign(1000, 'a');
  const char* a_data = a.data();
  const char* b_data = b.data();
  const size_t a_capacity = a.capacity();
  KeepBodyBuffer(std::move(a));
  KeepBodyBuffer(std::move(b));
  EXPECT_EQ(KeptBodyBuffers().first, 2u);
  // The newest large enough one: b for a small request, a only when b is taken.
  std::string c = TakeBodyBuffer(80 * 1024);
  EXPECT_EQ(c.data(), b_data);
  std::string d = TakeBodyBuffer(80 * 1024);
  EXPECT_EQ(d.data(), a_data);
  EXPECT_EQ(d.size(), 80u * 1024);  // sized for the new body (its bytes are the reader's to fill)
  EXPECT_EQ(d.capacity(), a_capacity);
  EXPECT_EQ(c.size(), 80u * 1024);
  EXPECT_EQ(KeptBodyBuffers(), std::make_pair(size_t{0}, size_t{0}));
}

TEST(KeptBodyBuffersTest, SkipsTooSmallOnesForALargerRequest) {
  DrainKeptBodies();
  std::string large = TakeBodyBuffer(300 * 1024);
  std::string small = TakeBodyBuffer(70 * 1024);
  KeepBodyBuffer(std::move(large));
  KeepBodyBuffer(std::move(small));
  std::string big = TakeBodyBuffer(250 * 1024);  // the older, larger one
  EXPECT_GE(big.capacity(), 250u * 1024);
  EXPECT_EQ(KeptBodyBuffers().first, 1u);
  std::string bigger = TakeBodyBuffer(1 << 20);  // none fits: a new buffer
  EXPECT_GE(bigger.capacity(), 1u << 20);
  EXPECT_EQ(KeptBodyBuffers().first, 1u);
}

TEST(KeptBodyBuffersTest, BoundedInCountAndBytes) {
  DrainKeptBodies();
  std::string small;
  small.reserve(kMinKeptBodyBytes - 100);
  KeepBodyBuffer(std::move(small));  // too small to be worth keeping
  EXPECT_EQ(KeptBodyBuffers().first, 0u);
  std::string huge;
  huge.reserve(kMaxKeptBodyBytes + 1);
  KeepBodyBuffer(std::move(huge));  // over the whole budget alone
  EXPECT_EQ(KeptBodyBuffers().first, 0u);

  for (size_t i = 0; i < kMaxKeptBodies + 5; ++i) KeepBodyBuffer(TakeBodyBuffer(100 * 1024));
  EXPECT_EQ(KeptBodyBuffers().first, 1u);  // each Keep gave back the one just taken
  std::vector<std::string> held;
  for (size_t i = 0; i < kMaxKeptBodies + 5; ++i) held.push_back(TakeBodyBuffer(100 * 1024));
  for (std::string& s : held) KeepBodyBuffer(std::move(s));
  EXPECT_EQ(KeptBodyBuffers().first, kMaxKeptBodies);

  // Bytes: eight buffers of 10 MiB do not fit in 64 MiB; the oldest make room.
  DrainKeptBodies();
  held.clear();
  for (int i = 0; i < 8; ++i) held.push_back(TakeBodyBuffer(10 << 20));
  for (std::string& s : held) KeepBodyBuffer(std::move(s));
  auto [count, bytes] = KeptBodyBuffers();
  EXPECT_LE(bytes, kMaxKeptBodyBytes);
  EXPECT_EQ(count, kMaxKeptBodyBytes / (10 << 20));
  DrainKeptBodies();
}

TEST(RouterTest, PicksExactThenLongestPrefix) {
  Router router;
  auto reply = [](std::string text) {
    return [text](ServerRequest&, ServerResponse& r) { r.body = text; };
  };
  router.Add("GET", "/api/*", reply("api"));
  router.Add("GET", "/api/v1/*", reply("v1"));
  router.Add("GET", "/api/v1/query", reply("query"));
  router.Add("", "/any", reply("any"));
  router.Add("POST", "/write", reply("write"));
  EXPECT_EQ(Route(router, "GET", "/api/v1/query").body, "query");
  EXPECT_EQ(Route(router, "GET", "/api/v1/query?x=1").body, "query");
  EXPECT_EQ(Route(router, "GET", "/api/v1/labels").body, "v1");
  EXPECT_EQ(Route(router, "GET", "/api/v2").body, "api");
  EXPECT_EQ(Route(router, "DELETE", "/any").body, "any");
  EXPECT_EQ(Route(router, "GET", "/nothing").status, 404);
  ServerResponse not_allowed = Route(router, "GET", "/write");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.headers.Get("allow"), "POST");
  EXPECT_EQ(Route(router, "HEAD", "/api/v1/query").body, "query");
}

TEST(RouterTest, HandlerExceptionBecomes500) {
  Router router;
  router.Add("GET", "/boom",
             [](ServerRequest&, ServerResponse&) { throw std::runtime_error("x"); });
  EXPECT_EQ(Route(router, "GET", "/boom").status, 500);
}

TEST(ToBeastResponseTest, FramesHeadAndConnection) {
  ServerResponse response;
  response.Set(200, "text/plain", "hello");
  response.headers.Add("Content-Length", "999");  // ignored: framing is the server's
  BeastResponse head = ToBeastResponse(std::move(response), 11, /*keep_alive=*/false, true);
  EXPECT_EQ(head.body(), "");
  EXPECT_EQ(head[boost::beast::http::field::content_length], "5");
  EXPECT_FALSE(head.keep_alive());
}

}  // namespace
}  // namespace astrolabe::net::internal
