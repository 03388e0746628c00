#pragma once
// HttpClient: the HTTP/1.1 client behind scraping and exporting, on Boost.Beast/Asio.
// One HttpClient owns one io_context and one background thread that drives every transfer;
// connections are kept alive and reused per (scheme, host, port[, proxy]), idle ones are
// closed after 55 s. OpenSSL is loaded on the first https request (net/openssl_loader.h).
//
// Threads: Send() and Shutdown() may be called from any thread. Callbacks passed to Send()
// run on the client's thread and must be quick and must not call Shutdown(); the future
// form needs no such care. The destructor calls Shutdown().
//
// Errors are Status values whose message names the method, URL and the reason:
//   "GET http://127.0.0.1:1/metrics: Couldn't connect to server: failed to connect to
//    127.0.0.1 port 1 after 0 ms: Connection refused"
// Codes: kUnavailable for connection/transport/TLS failures (retryable), kDeadlineExceeded
// for timeouts, kResourceExhausted for a response over max_response_bytes, kInvalidArgument
// for a malformed URL, unsupported scheme or forbidden header, kCancelled after Shutdown().
// An HTTP error status (404, 503) is not an error here: it comes back as a response.
//
// Proxies: unless HttpClientOptions::proxy_url is set, the environment decides the way curl
// reads it: http_proxy (lowercase only) for http, https_proxy/HTTPS_PROXY for https,
// all_proxy/ALL_PROXY for both, no_proxy/NO_PROXY exempting hosts (also from proxy_url).
// http requests go to the proxy in absolute form; https ones through a CONNECT tunnel.

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/http_headers.h"

namespace astrolabe::net {

struct HttpClientTlsOptions {
  std::string ca_file;                // PEM bundle; empty: the system store
  bool insecure_skip_verify = false;  // disables peer and host name verification
  std::string cert_file;              // client certificate (PEM), for mTLS
  std::string key_file;               // its private key (PEM)
};

struct HttpClientOptions {
  // Defaults for requests that leave their own fields at zero.
  // Name lookup, TCP connect, proxy CONNECT and TLS handshake of a new connection.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // whole transfer
  // Counted after decoding when decompress_responses is on, so it also bounds gzip bombs.
  size_t max_response_bytes = 64 * 1024 * 1024;
  // Sends Accept-Encoding for gzip and deflate and decodes such responses (off: bodies are
  // returned as sent, and no Accept-Encoding is added).
  bool decompress_responses = false;
  // Up to 10, http and https only. 303 turns any method but HEAD into GET, 301/302 turn POST
  // into GET; 307/308 keep method and body. Authorization and Cookie headers are dropped when
  // the redirect leaves the origin.
  bool follow_redirects = true;
  std::string user_agent;  // empty: "Astrolabe/<version>"
  std::string proxy_url;   // http://[user:pass@]host[:port]; empty: the environment
  HttpClientTlsOptions tls;
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, DELETE, ...
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: HttpClientOptions::timeout
  size_t max_response_bytes = 0;         // 0: HttpClientOptions::max_response_bytes
  // Storage the response body may be read into (a previous body handed back): a body of
  // known length, not decoded, is read over its bytes, so that up to its size nothing is
  // allocated or zero-filled first. Its content is never read; the response keeps none of it.
  std::string response_buffer;

  // Streamed read (server-sent events, proxies). When on_body is set, the final response's
  // body is not collected: on_head gets its status and headers as soon as they arrive, then
  // on_body each piece of the (decoded) body as it arrives; the completion then carries an
  // empty body. Both run on the client's thread and must be quick. on_body returning false
  // abandons the transfer: the connection is closed (the server sees the client go away)
  // and the completion gets kCancelled. max_response_bytes still bounds the total, and
  // `timeout` the whole transfer.
  std::function<void(const struct HttpResponse& head)> on_head;
  std::function<bool(std::string_view piece)> on_body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // of the final response (after redirects), case-insensitive lookup
  std::string body;     // decoded when decompress_responses is on; empty for streamed reads
};

// The client's version of "Astrolabe/<version>".
std::string DefaultUserAgent();

class HttpClient {
 public:
  using Callback = std::function<void(Result<HttpResponse>)>;

  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts `request` and returns at once. The future resolves with the response or an error.
  std::future<Result<HttpResponse>> Send(HttpRequest request);

  // Starts `request`; `done` is called exactly once, on the client's thread (or on the
  // calling thread when the client is already shut down).
  void Send(HttpRequest request, Callback done);

  // Cancels queued and running transfers (their callbacks get kCancelled) and joins the
  // client's thread. Idempotent. Later Send() calls fail with kCancelled.
  void Shutdown();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrolabe::net
