// Fuzzes the web UI's file server (api/ui_server.h) with whole HTTP requests: arbitrary bytes are
// parsed as pipelined requests with the server's parser, routed to UiServer::Serve as the API
// listener routes `/` (the fallback GET route), and the answers are checked: only 200, 304, 404,
// 405 or 503; a 304 has no body; a gzip body decompresses to exactly the file; an /api/ path is
// never answered with a UI file. Untrusted input: the path, Accept-Encoding (with q values) and
// If-None-Match. Seeds: fuzz/corpus/ui_request/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "api/ui_server.h"
#include "net/http_codec.h"
#include "wire/gzip.h"

namespace {

using astrolabe::api::UiFile;
using astrolabe::api::UiServer;
using astrolabe::net::ServerRequest;
using astrolabe::net::ServerResponse;
using namespace astrolabe::net::internal;

const std::string& Script() {
  static const std::string s = [] {
    std::string out;
    for (int i = 0; i < 64; ++i) out += "export const x" + std::to_string(i) + " = 'astrolabe';\n";
    return out;
  }();
  return s;
}

const UiFile kFiles[] = {
    {"/index.html", "<!doctype html><title>astrolabe</title><div id=app></div>"},
    {"/assets/index-abc.js", Script()},
};

const UiServer& Server() {
  static const UiServer* server = new UiServer(kFiles);
  return *server;
}

const Router& TestRouter() {
  static const Router* router = [] {
    auto* r = new Router();
    r->Add("GET", "/*", [](ServerRequest& req, ServerResponse& res) { Server().Serve(req, res); });
    return r;
  }();
  return *router;
}

void Check(ServerRequest& request, const ServerResponse& response) {
  const int s = response.status;
  if (s != 200 && s != 304 && s != 404 && s != 405 && s != 503) abort();
  if (s == 304 && !response.body.empty()) abort();
  if (request.path().starts_with("/api/") && s == 200) abort();
  if (s == 200 && response.headers.Get("Content-Encoding") == "gzip") {
    auto plain = astrolabe::wire::GzipDecompress(response.body, 1 << 20);
    if (!plain.ok() || *plain != Script()) abort();
  }
}

int Run(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ParserLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 1024;
  for (int i = 0; i < 8 && !bytes.empty(); ++i) {
    BufferParse parse = ParseRequestBuffer(bytes, limits);
    if (parse.consumed > bytes.size()) abort();
    if (parse.status != 0) return 0;
    bool keep_alive = parse.request->message.keep_alive();
    bool head = parse.request->message.method() == boost::beast::http::verb::head;
    unsigned version = parse.request->message.version();
    ServerRequest request(parse.request.get(), "127.0.0.1:1");
    ServerResponse response;
    TestRouter().Route(request, response);
    Check(request, response);
    BeastResponse wire = ToBeastResponse(std::move(response), version, keep_alive, head);
    std::ostringstream out;
    out << wire;
    if (parse.consumed == 0) return 0;
    bytes.remove_prefix(parse.consumed);
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Run(data, size);
  if (UnexpectedBoostAssertions() != 0) abort();
  return 0;
}
