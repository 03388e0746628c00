#pragma once
// HttpServer: the HTTP/1.1 server every Astrolabe endpoint sits on (OTLP/HTTP, remote write,
// the query API, health, the process' own /metrics). Built on Boost.Beast and Asio; no Beast
// type appears in this header.
//
// Threads: Handle() and Start() are called by the owner before traffic flows; Shutdown(),
// port(), address() and stats() may be called from any thread. Request handlers run on the
// server's I/O threads (HttpServerOptions::io_threads, default 1), one request at a time per
// connection; a handler that blocks holds up every connection served by its thread, so long
// work belongs on the caller's own threads. Handlers of different connections may run
// concurrently when io_threads > 1.
//
// Limits and their defaults (every one is a field of HttpServerOptions):
//   max_header_bytes   16 KiB  request line + fields; over it: 431, connection closed
//   max_body_bytes     20 MiB  (the collector's max_request_body_size); checked against
//                              Content-Length before reading and while reading chunked
//                              bodies; over it: 413, connection closed
//   header_timeout     10 s    from the first byte of a request (or accept) to the end of
//                              its headers: slowloris protection; the connection is closed
//   body_timeout       60 s    reading the body
//   write_timeout      30 s    writing the response (for a streamed one: each Write())
//   idle_timeout       60 s    keep-alive wait for the next request
//   max_connections    1024    further connections get 503 and are closed
// Request bodies are passed to handlers as received: Content-Encoding (gzip, zstd) is NOT
// decoded here. Paths are not percent-decoded.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/http_headers.h"
#include "net/server_tls.h"

namespace astrolabe::net {

using Deadline = std::chrono::steady_clock::time_point;

struct HttpServerOptions {
  // "host:port"; see ParseListenAddress(). ":8888" listens on every interface (IPv6
  // dual-stack where available), port 0 on an ephemeral port.
  std::string listen_address = "localhost:0";
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 20 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  size_t max_connections = 1024;
  int io_threads = 1;
  // Names the server in logs ("extension/health_check").
  std::string log_name = "net/http_server";
  // HTTPS when tls.enabled(): OpenSSL is loaded at Start(), which fails naming the key and
  // file that cannot be used. The files are re-read as server_tls.h says (checked when a
  // connection arrives). Plaintext HTTP sent to a TLS port gets a plaintext 400 and is closed;
  // with a client CA, a client without a certificate it signed fails the handshake.
  ServerTlsOptions tls;
};

// Counters a server keeps from Start() on. Monotonic except active_connections. Read with
// relaxed loads from any thread; meant for the process' own telemetry.
struct HttpServerStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};  // over max_connections (503)
  std::atomic<int64_t> active_connections{0};
  std::atomic<uint64_t> requests{0};            // requests that reached routing (any status)
  std::atomic<uint64_t> bad_requests{0};        // 400: malformed request
  std::atomic<uint64_t> too_large{0};           // 413 and 431
  std::atomic<uint64_t> timeouts{0};            // header, body or write timeout hit
  std::atomic<uint64_t> not_found{0};           // 404
  std::atomic<uint64_t> method_not_allowed{0};  // 405
  std::atomic<uint64_t> handler_errors{0};      // a handler threw; 500 sent
  std::atomic<uint64_t> streamed_responses{0};  // responses sent with ServerResponse::Write
  std::atomic<uint64_t> streams_broken{0};      // of those, ended by the client, a timeout or
                                                // shutdown before the handler finished
  std::atomic<uint64_t> tls_handshake_errors{0};  // TLS: failed handshakes, plaintext requests
  std::atomic<uint64_t> tls_reloads{0};           // TLS: certificate files reloaded
  std::atomic<uint64_t> tls_reload_errors{0};     // TLS: changed files that could not be loaded
};

namespace internal {
struct RawRequest;
}

// A request as a handler sees it. Valid only during the handler call; the views point into
// the connection's buffers.
class ServerRequest {
 public:
  // REQUIRES: raw outlives this object. Built by the server (and the fuzz target).
  ServerRequest(internal::RawRequest* raw, std::string remote_address);

  std::string_view method() const;  // "GET", as sent (methods are case-sensitive)
  std::string_view target() const;  // "/api/v1/query?query=up"
  std::string_view path() const;    // "/api/v1/query" (not percent-decoded)
  std::string_view query() const;   // "query=up" (no '?'; empty when absent)
  // The first value of the header `name` (any case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // Every value of the header `name`, in order.
  std::vector<std::string_view> headers(std::string_view name) const;
  // Every header field in order, as (name, value).
  std::vector<std::pair<std::string_view, std::string_view>> header_fields() const;
  std::string_view body() const;
  // Moves the body out (the request's body becomes empty). Prefer body(): a large body's
  // buffer left in the request is kept for the next one (no page faults, no malloc).
  std::string TakeBody();
  // "127.0.0.1:53422" or "[::1]:53422".
  const std::string& remote_address() const { return remote_address_; }
  // 10 for HTTP/1.0, 11 for HTTP/1.1.
  unsigned version() const;

 private:
  internal::RawRequest* raw_;
  std::string remote_address_;
};

namespace internal {
class ResponseStream;
}

// What a handler fills in: status, headers (Content-Type, ...) and body. The server owns the
// framing: it sets Content-Length and Connection itself and drops those fields (and
// Transfer-Encoding) if a handler sets them.
//
// Streamed responses (server-sent events, long downloads): instead of filling `body`, a
// handler calls Write() as its data becomes available, from the handler's own thread, before
// it returns. The first Write() sends the status line and the headers as they are at that
// moment, framed with Transfer-Encoding: chunked (HTTP/1.1; an HTTP/1.0 client gets the bytes
// unframed and the connection closes after them); each Write() then sends its bytes as one
// chunk and returns once they are in the socket's send buffer, so nothing is buffered by the
// server (memory stays bounded by the handler's own pieces) and the client sees each piece at
// once. When the handler returns, the server ends the stream (the terminating chunk) and the
// connection stays alive for the next request; `body` is ignored once streaming started. A
// handler that throws after streaming started gets its connection closed mid-stream (no
// terminating chunk), so the client sees the stream as truncated. A HEAD request gets the
// head only. A streaming handler holds its I/O thread for the whole stream.
struct ServerResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // Sets the body and its Content-Type in one call.
  void Set(int status_code, std::string content_type, std::string content);

  // Sends `data` as the next piece of a streamed response (see above). Each call must be
  // fully written within the server's write_timeout. Errors (the stream is then dead, and
  // every later Write() returns the same error; the handler should return):
  //   kUnavailable        the client closed the connection or reset it
  //   kDeadlineExceeded   write_timeout passed with the client not reading
  //   kCancelled          the server's shutdown deadline passed
  //   kFailedPrecondition this response is not attached to a connection (unit tests, fuzz)
  // An empty `data` sends only the head (if not sent yet): a way to flush headers early.
  Status Write(std::string_view data);
  // True once the client has closed or reset the connection, a Write() failed, or the
  // server's shutdown deadline passed. One poll() of the socket; lets a handler that is
  // waiting for data stop early instead of at its next Write().
  bool ClientGone() const;
  // True once the first Write() has sent the head.
  bool streaming() const;

  // Server-internal: the connection Write() sends to; set by the server around the handler.
  void AttachStream(internal::ResponseStream* stream) { stream_ = stream; }

 private:
  internal::ResponseStream* stream_ = nullptr;
};

// Called on an I/O thread for each routed request. Must not throw (a throw is caught,
// logged and answered with 500). `request` is mutable only so the body can be taken.
using HttpHandler = std::function<void(ServerRequest& request, ServerResponse& response)>;

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  // Shuts down immediately if still running.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes requests whose method is `method` ("" = any method) and whose path matches
  // `pattern`: exactly, or, when the pattern ends in '*', by prefix ("/api/v1/label/*"
  // matches "/api/v1/label/job/values"). An exact route beats a prefix route, and a longer
  // prefix beats a shorter one. A path matched only by routes of other methods gets 405
  // with an Allow header; no match gets 404. HEAD is answered by the GET route (body
  // dropped, Content-Length kept) unless a HEAD route exists.
  // REQUIRES: called before Start(); a later route for the same method and pattern replaces
  // the earlier one.
  void Handle(std::string_view method, std::string_view pattern, HttpHandler handler);

  // Binds, listens and starts the I/O threads. Errors name the address:
  // "listen on 127.0.0.1:13133: address already in use". REQUIRES: called at most once.
  Status Start();

  // Stops accepting, lets in-flight requests finish and closes idle keep-alive connections;
  // connections still busy at `deadline` are closed. Joins the I/O threads before returning.
  // Idempotent; valid without Start(). REQUIRES: not called from a handler.
  void Shutdown(Deadline deadline);

  // The bound port (the ephemeral one for port 0); 0 before Start().
  int port() const;
  // The bound address as "host:port" ("127.0.0.1:41234", "[::1]:41234"); empty before Start().
  std::string address() const;

  const HttpServerStats& stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrolabe::net
