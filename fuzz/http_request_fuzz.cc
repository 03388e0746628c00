// Fuzzes the HTTP request path of net::HttpServer without sockets: arbitrary bytes are parsed
// as one or more pipelined requests with the server's parser configuration
// (internal::ConfigureParser and its limits), errors are classified as the server classifies
// them, and every parsed request is routed and its response framed and serialised exactly as
// a connection would. Seeds: fuzz/corpus/http_request/.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     -DBOOST_ENABLE_ASSERT_HANDLER fuzz/http_request_fuzz.cc src/net/http_codec.cc
//     src/net/http_headers.cc src/net/boost_assert.cc src/common/status.cc -o http_request_fuzz
// (one command; BOOST_ENABLE_ASSERT_HANDLER comes with astrolabe_net's CMake target, see
// boost_assert.cc)
//   ./http_request_fuzz fuzz/corpus/http_request

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "net/http_codec.h"

namespace {

using astrolabe::net::ServerRequest;
using astrolabe::net::ServerResponse;
using namespace astrolabe::net::internal;

const Router& TestRouter() {
  static const Router* router = [] {
    auto* r = new Router();
    r->Add("GET", "/metrics", [](ServerRequest& req, ServerResponse& res) {
      res.Set(200, "text/plain; version=0.0.4", "up 1\n");
    });
    r->Add("POST", "/v1/*", [](ServerRequest& req, ServerResponse& res) {
      res.headers.Add("X-Encoding", std::string(req.header("content-encoding").value_or("")));
      res.Set(200, "application/x-protobuf", req.TakeBody());
    });
    r->Add("", "/api/v1/*", [](ServerRequest& req, ServerResponse& res) {
      std::string echo(req.query());
      for (auto [name, value] : req.header_fields()) {
        echo += name;
        echo += value;
      }
      for (std::string_view v : req.headers("x-repeat")) echo += v;
      res.Set(202, "text/plain", echo);
    });
    r->Add("GET", "/health", [](ServerRequest&, ServerResponse& res) { res.status = 204; });
    return r;
  }();
  return *router;
}

}  // namespace

namespace {

int Run(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Small limits so that the 413 and 431 paths are reachable with short inputs.
  ParserLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  // The first byte picks how the bytes arrive (1..64 at a time). Accepted or rejected must
  // not depend on it. Which rejection may (an oversized header with a bad field is 400 when
  // read at once, 431 when it trickles in), and so may when an incomplete request's error is
  // found (Beast checks a start line eagerly in one buffer, only later when split).
  // (Found by this check: Beast's own header_limit depends on the split; see FinishHeader.)
  if (bytes.empty()) return 0;
  size_t step = static_cast<uint8_t>(bytes[0]) % 64 + 1;
  bytes.remove_prefix(1);
  {
    BufferParse whole = ParseRequestBuffer(bytes, limits);
    BufferParse split = ParseRequestIncrementally(bytes, step, limits);
    if (whole.status != -1 && split.status != -1 && (whole.status == 0) != (split.status == 0)) {
      abort();
    }
    if (whole.status == 0 && split.status == 0 &&
        (whole.request->message.body() != split.request->message.body() ||
         whole.consumed != split.consumed)) {
      abort();
    }
  }
  for (int i = 0; i < 8 && !bytes.empty(); ++i) {
    BufferParse parse = ParseRequestBuffer(bytes, limits);
    if (parse.consumed > bytes.size()) abort();
    if (parse.status != 0) {
      if (parse.status != -1 && parse.status != 400 && parse.status != 413 && parse.status != 431) {
        abort();
      }
      if (parse.status > 0) {
        BeastResponse error =
            ToBeastResponse(ErrorResponse(parse.status, "rejected"), 11, false, false);
        std::ostringstream out;
        out << error;
      }
      return 0;
    }
    if (parse.request->message.body().size() > limits.max_body_bytes) abort();
    bool keep_alive = parse.request->message.keep_alive();
    bool head = parse.request->message.method() == boost::beast::http::verb::head;
    unsigned version = parse.request->message.version();
    ServerRequest request(parse.request.get(), "127.0.0.1:1");
    if (request.path().size() + request.query().size() > request.target().size()) abort();
    ServerResponse response;
    TestRouter().Route(request, response);
    BeastResponse wire = ToBeastResponse(std::move(response), version, keep_alive, head);
    std::ostringstream out;
    out << wire;
    if (parse.consumed == 0) return 0;  // no progress: stop
    bytes.remove_prefix(parse.consumed);
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Run(data, size);
  // Failed Boost assertions are logged and survived in production (boost_assert.cc); any
  // but the known Beast one is a finding.
  if (UnexpectedBoostAssertions() != 0) abort();
  return 0;
}
