#pragma once
// Internal to src/net: the parts of request handling that do not need a socket, shared by
// HttpServer's connections and by fuzz/http_request_fuzz.cc so that the fuzzer exercises the
// same parser configuration, error classification, routing and response framing the server
// uses. Not for use outside src/net and fuzz/.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include "net/http_server.h"

namespace astrolabe::net {
namespace internal {

// Buffers for request bodies of kMinKeptBodyBytes or more, kept between requests
// (process-wide, at most kMaxKeptBodies of them and kMaxKeptBodyBytes together). A fresh
// ~1 MB buffer per OTLP request page-faulted in on every request (glibc unmaps a thread
// arena's heap once a freed body leaves it empty): ~5 % of the server's span ingest CPU.
inline constexpr size_t kMinKeptBodyBytes = 64 * 1024;
inline constexpr size_t kMaxKeptBodies = 16;
inline constexpr size_t kMaxKeptBodyBytes = 64 * 1024 * 1024;
// A string of `length` bytes to read a body into: the most recently kept buffer that is
// large enough (its pages are the likeliest to be mapped and cached), else a new one. Its
// bytes are unspecified (an earlier body's, zeros past it): the caller overwrites every one
// before anything reads them. A kept buffer keeps its size, so that taking it again for a
// body of about the same length zero-fills nothing (a ~1 MB memset per request before).
std::string TakeBodyBuffer(size_t length);
// Keeps `body`'s buffer, as it is, for TakeBodyBuffer when it is large enough and the bounds
// allow; frees it otherwise.
void KeepBodyBuffer(std::string&& body);
// How many buffers and bytes are kept now (for tests).
std::pair<size_t, size_t> KeptBodyBuffers();

// A request body read into a std::string, as Beast's string_body, but appended piece by
// piece as it arrives into the capacity reserved from Content-Length. string_body's reader
// resizes first (zero-filling) and then copies over the zeros: for a 1 MB OTLP request that
// was 5 % of the server's span ingest instructions. Limits stay the parser's (body_limit).
// The server reads bodies of kMinKeptBodyBytes or more past the parser, into a kept buffer
// (Session::ReadLargeBody); this reader gets the smaller and the chunked ones.
struct RequestBody {
  using value_type = std::string;
  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (length) {
        if (*length > body_.max_size()) {
          ec = boost::beast::http::error::buffer_overflow;
          return;
        }
        body_.reserve(static_cast<size_t>(*length));
      }
    }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      size_t n = 0;
      for (const auto& b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using BeastRequest = boost::beast::http::request<RequestBody>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<RequestBody>;

struct RawRequest {
  BeastRequest message;
};

struct ParserLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 20 * 1024 * 1024;
};

// Applies the header and body limits to a fresh parser, in non-eager mode so that a put()
// or async_read_header() that completes the header stops there and reports exactly the
// header's size. Beast rejects a Content-Length above the body limit as soon as the header
// is parsed, and a chunked body as soon as the limit is crossed.
void ConfigureParser(RequestParser& parser, const ParserLimits& limits);

// Call once the header is parsed, with its size in bytes (request line, fields, final CRLF).
// Returns 431 when it exceeds max_header_bytes, else 0 and switches the parser to eager body
// parsing. Needed because Beast 1.81 applies header_limit to the fields only when the whole
// header arrives in one piece (letting the request line come on top), but to everything when
// it trickles in; this makes the limit exact and independent of how bytes arrive.
int FinishHeader(RequestParser& parser, size_t header_bytes, const ParserLimits& limits);

// The HTTP status a parse error is answered with: 431 (header_limit), 413 (body_limit) or
// 400 (anything else malformed). REQUIRES: ec is a parse error, not an I/O error.
int StatusForParseError(const boost::beast::error_code& ec);

// Parses one request from `bytes` with the server's parser configuration.
struct BufferParse {
  // 0 when a request was parsed; -1 when `bytes` end before the request does; else the
  // error status (400, 413, 431).
  int status = -1;
  std::unique_ptr<RawRequest> request;  // set when status == 0
  size_t consumed = 0;                  // bytes of `bytes` the request used
};
BufferParse ParseRequestBuffer(std::string_view bytes, const ParserLimits& limits);

// As ParseRequestBuffer, but the bytes arrive `step` at a time (step >= 1), the way a socket
// delivers them: unconsumed bytes are kept and presented again with the next arrival, as
// Beast's own read loop does. Exercises the parser's resumption across arbitrary splits.
BufferParse ParseRequestIncrementally(std::string_view bytes, size_t step,
                                      const ParserLimits& limits);

// How many failed Boost assertions (see boost_assert.cc) were not the known Beast 1.81
// chunk-header one. The fuzz target treats any as a crash.
uint64_t UnexpectedBoostAssertions();

// The route table. Built before the server starts, read-only afterwards, so it is read
// concurrently by every I/O thread without a lock.
class Router {
 public:
  enum class Outcome { kHandled, kNotFound, kMethodNotAllowed, kHandlerError };

  void Add(std::string_view method, std::string_view pattern, HttpHandler handler);

  // Runs the best route's handler (see HttpServer::Handle for the rules) or fills a 404 /
  // 405 response. A handler that throws yields 500 and kHandlerError.
  Outcome Route(ServerRequest& request, ServerResponse& response) const;

 private:
  struct Entry {
    std::string method;  // "" = any
    std::string path;    // without the trailing '*' for prefix routes
    bool prefix = false;
    HttpHandler handler;
  };
  std::vector<Entry> entries_;
};

// The connection side of ServerResponse::Write(): implemented by HttpServer's connections
// for the duration of one handler call.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual Status Write(const ServerResponse& response, std::string_view data) = 0;
  virtual bool ClientGone() = 0;
  virtual bool started() const = 0;
};

// The status line and header block of a streamed response, ending with the blank line:
// the handler's fields minus Content-Length, Transfer-Encoding and Connection, and minus any
// field whose name or value holds CR, LF or NUL (they would split the header); then
// "Transfer-Encoding: chunked" when `chunked`, and "Connection: close" when !keep_alive.
std::string StreamHead(const ServerResponse& response, unsigned version, bool chunked,
                       bool keep_alive);

// A short plain-text response such as a 404 or 413.
ServerResponse ErrorResponse(int status, std::string_view message);

// Frames `response` for the wire: sets Content-Length (kept for HEAD, whose body is
// dropped), Connection: close when !keep_alive, and the request's HTTP version.
BeastResponse ToBeastResponse(ServerResponse&& response, unsigned version, bool keep_alive,
                              bool head_request);

}  // namespace internal
}  // namespace astrolabe::net
