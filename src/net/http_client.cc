#include "net/http_client.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include "net/http_url.h"
#include "net/openssl_loader.h"

#ifndef ASTROLABE_VERSION
#define ASTROLABE_VERSION "0.0.0"
#endif

namespace astrolabe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using internal::Url;

namespace {

constexpr int kMaxRedirects = 10;
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxIdlePerKey = 16;
// Socket reads while a body arrives: Beast reads into the connection's buffer as much as its
// free capacity (at least 512 bytes), so without a reserve a large body came in ~600-byte
// recv() calls (~280 syscalls and ~70 epoll waits for a 180 KB scrape).
constexpr size_t kBodyReadBytes = 64 * 1024;
// A body of known length is read in place into a string of at most this size to start with.
constexpr uint64_t kDirectInitialBytes = 1024 * 1024;
// An idle connection keeps at most this much buffer capacity.
constexpr size_t kIdleBufferBytes = 4096;
// Idle pooled connections older than this are closed (servers commonly drop idle
// keep-alive connections after 60 s; ours does).
constexpr auto kIdleExpiry = std::chrono::seconds(55);
constexpr auto kSweepInterval = std::chrono::seconds(15);

long long Millis(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// One TCP connection, plaintext or TLS, to one pool key.
struct Conn {
  explicit Conn(asio::io_context& ioc) : socket(ioc) {}

  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

  // Runs f(stream) with the stream that carries HTTP: the TLS stream or the socket.
  template <typename F>
  void With(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(socket);
    }
  }

  // True when an idle connection still looks usable: nothing to read, not closed by the peer.
  bool LooksAlive() {
    char byte;
    ssize_t n = ::recv(lowest().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void Close() {
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }

  std::string key;
  tcp::socket socket;  // moved into `tls` once the TLS layer exists
  std::unique_ptr<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;
};

// Decodes a gzip or deflate body incrementally, bounding the decoded size.
class Inflater {
 public:
  ~Inflater() {
    if (active_) inflateEnd(&zs_);
  }

  // `deflate` also accepts a raw (headerless) stream, as curl does.
  bool Init(bool deflate) {
    deflate_ = deflate;
    active_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
    return active_;
  }

  // Appends the decoded form of `data` to `out`. Returns false with `error` set on corrupt
  // data, or with `too_large` set when `out` would exceed `limit`.
  bool Feed(const char* data, size_t n, std::string& out, size_t limit, bool& too_large,
            std::string& error) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(n);
    std::array<char, 16384> chunk;
    while (zs_.avail_in > 0 && !ended_) {
      zs_.next_out = reinterpret_cast<Bytef*>(chunk.data());
      zs_.avail_out = static_cast<uInt>(chunk.size());
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_DATA_ERROR && deflate_ && !produced_ && !raw_) {
        // "deflate" servers that send raw deflate without the zlib header.
        inflateEnd(&zs_);
        active_ = inflateInit2(&zs_, -15) == Z_OK;
        raw_ = true;
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        zs_.avail_in = static_cast<uInt>(n);
        continue;
      }
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        error = zs_.msg != nullptr ? zs_.msg : "corrupt compressed data";
        return false;
      }
      size_t got = chunk.size() - zs_.avail_out;
      if (got > 0) produced_ = true;
      if (out.size() + got > limit) {
        too_large = true;
        return false;
      }
      out.append(chunk.data(), got);
      if (rc == Z_STREAM_END) ended_ = true;
      if (rc == Z_BUF_ERROR && got == 0) break;
    }
    return true;
  }

 private:
  z_stream zs_{};
  bool active_ = false;
  bool deflate_ = false;
  bool raw_ = false;
  bool produced_ = false;
  bool ended_ = false;
};

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

std::string DefaultUserAgent() { return std::string("Astrolabe/") + ASTROLABE_VERSION; }

class Transfer;

class HttpClient::Impl {
 public:
  explicit Impl(HttpClientOptions options)
      : options_(std::move(options)), work_(ioc_.get_executor()), sweep_timer_(ioc_) {
    if (options_.user_agent.empty()) options_.user_agent = DefaultUserAgent();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Impl() { Shutdown(); }

  void Send(HttpRequest request, Callback done);
  void Shutdown();

  // Everything below runs on the client's thread.
  const HttpClientOptions& options() const { return options_; }
  asio::io_context& ioc() { return ioc_; }

  // A pooled idle connection for `key`, or null.
  std::unique_ptr<Conn> TakeIdle(const std::string& key);
  void PutIdle(std::unique_ptr<Conn> conn);

  // The TLS context for this client's options, created (and OpenSSL loaded) on first use.
  Result<ssl::context*> TlsContext();

  void Finished(Transfer* t) { active_.erase(t); }

 private:
  void Sweep();

  HttpClientOptions options_;
  std::shared_ptr<ssl::context> tls_;  // outlives the io_context's pending handlers
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mu_;
  bool shutdown_ = false;  // GUARDED_BY(mu_)
  std::mutex join_mu_;     // serialises concurrent Shutdown() calls around join

  // Owned by the client thread.
  std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> idle_;
  asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
  std::unordered_map<Transfer*, std::shared_ptr<Transfer>> active_;

  friend class Transfer;
};

// One request, from Send() to its callback, including redirects and one retry on a fresh
// connection when a reused one turns out closed. Lives on the client's thread; every async
// step holds a shared_ptr and returns early once `finished_` is set.
class Transfer : public std::enable_shared_from_this<Transfer> {
 public:
  Transfer(HttpClient::Impl* impl, HttpRequest request, HttpClient::Callback done)
      : impl_(impl),
        request_(std::move(request)),
        done_(std::move(done)),
        deadline_(impl->ioc()),
        connect_timer_(impl->ioc()),
        resolver_(impl->ioc()) {
    context_ = request_.method + " " + request_.url;
  }

  const std::string& context() const { return context_; }

  void Start() {
    const HttpClientOptions& o = impl_->options();
    max_bytes_ =
        request_.max_response_bytes != 0 ? request_.max_response_bytes : o.max_response_bytes;
    timeout_ = request_.timeout.count() != 0 ? request_.timeout : o.timeout;
    start_ = Clock::now();
    if (request_.method.empty() ||
        request_.method.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_") != std::string::npos) {
      return Fail(InvalidArgument(context_ + ": bad method"));
    }
    for (const auto& [name, value] : request_.headers.fields()) {
      if (name.empty() || name.find_first_of("\r\n: \t") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos ||
          value.find('\0') != std::string::npos) {
        return Fail(
            InvalidArgument(context_ + ": header \"" + name + "\" has a forbidden character"));
      }
    }
    Result<Url> url = internal::ParseUrl(request_.url);
    if (!url.ok()) return Fail(InvalidArgument(context_ + ": " + url.status().message()));
    url_ = std::move(*url);
    method_ = request_.method;
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      self->Fail(DeadlineExceeded(self->context_ + ": Operation timed out after " +
                                  std::to_string(Millis(Clock::now() - self->start_)) +
                                  " milliseconds with " + std::to_string(self->received_) +
                                  " bytes received"));
    });
    Attempt();
  }

  void Fail(Status status) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    connect_timer_.cancel();
    resolver_.cancel();
    // Closing makes a pending operation complete with an error; the connection (whose buffer
    // that operation may still write to) lives as long as this transfer.
    if (conn_) conn_->Close();
    auto self = shared_from_this();
    impl_->Finished(this);
    done_(std::move(status));
  }

 private:
  // Picks the route (proxy or not) and a connection: pooled or new.
  void Attempt() {
    auto proxy = internal::ProxyFor(url_, impl_->options().proxy_url,
                                    [](const char* name) { return std::getenv(name); });
    if (!proxy.ok()) return Fail(InvalidArgument(context_ + ": " + proxy.status().message()));
    proxy_ = std::move(*proxy);
    key_ = url_.scheme + "://" + url_.Authority();
    if (proxy_) {
      std::string via = proxy_->Authority() + "#" + proxy_->userinfo;
      key_ = url_.scheme == "https" ? key_ + " via " + via : "proxy " + via;
    }
    response_ = HttpResponse();
    received_ = 0;
    conn_ = impl_->TakeIdle(key_);
    reused_ = conn_ != nullptr;
    if (reused_) return SendRequest();
    Connect();
  }

  const Url& Peer() const { return proxy_ ? *proxy_ : url_; }

  void Connect() {
    conn_ = std::make_unique<Conn>(impl_->ioc());
    conn_->key = key_;
    connect_start_ = Clock::now();
    connect_timer_.expires_after(impl_->options().connect_timeout);
    connect_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_ || !self->connecting_) return;
      self->Fail(DeadlineExceeded(self->context_ + ": Connection timed out after " +
                                  std::to_string(Millis(Clock::now() - self->connect_start_)) +
                                  " milliseconds"));
    });
    connecting_ = true;
    const Url& peer = Peer();
    beast::error_code ec;
    asio::ip::address address = asio::ip::make_address(peer.host, ec);
    if (!ec) {
      std::array<tcp::endpoint, 1> endpoints{tcp::endpoint(address, peer.port)};
      return ConnectTo(endpoints);
    }
    resolver_.async_resolve(
        peer.host, std::to_string(peer.port),
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (self->finished_) return;
          if (ec) {
            return self->Fail(Unavailable(self->context_ + ": Could not resolve " +
                                          (self->proxy_ ? "proxy: " : "host: ") +
                                          self->Peer().host + " (" + ec.message() + ")"));
          }
          self->ConnectTo(results);
        });
  }

  template <typename Endpoints>
  void ConnectTo(const Endpoints& endpoints) {
    asio::async_connect(
        conn_->socket, endpoints,
        [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (self->finished_) return;
          if (ec) {
            const Url& peer = self->Peer();
            return self->Fail(Unavailable(
                self->context_ + ": Couldn't connect to " + (self->proxy_ ? "proxy" : "server") +
                ": failed to connect to " + peer.host + " port " + std::to_string(peer.port) +
                " after " + std::to_string(Millis(Clock::now() - self->connect_start_)) +
                " ms: " + ec.message()));
          }
          beast::error_code ignored;
          self->conn_->socket.set_option(tcp::no_delay(true), ignored);
          if (self->url_.scheme != "https") {
            self->ConnectDone();
            return self->SendRequest();
          }
          if (self->proxy_) return self->Tunnel();
          self->Handshake();
        });
  }

  void ConnectDone() {
    connecting_ = false;
    connect_timer_.cancel();
  }

  // CONNECT host:port through the proxy, then TLS inside the tunnel.
  void Tunnel() {
    connect_req_ =
        std::make_unique<http::request<http::empty_body>>(http::verb::connect, url_.HostPort(), 11);
    connect_req_->set(http::field::host, url_.HostPort());
    connect_req_->set(http::field::user_agent, impl_->options().user_agent);
    if (!proxy_->userinfo.empty()) {
      connect_req_->set(http::field::proxy_authorization,
                        "Basic " + internal::Base64(proxy_->userinfo));
    }
    http::async_write(
        conn_->socket, *connect_req_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (self->finished_) return;
          if (ec) {
            return self->Fail(Unavailable(
                self->context_ + ": sending CONNECT to the proxy failed: " + ec.message()));
          }
          self->ReadTunnelResponse();
        });
  }

  void ReadTunnelResponse() {
    connect_parser_ = std::make_unique<http::response_parser<http::empty_body>>();
    connect_parser_->skip(true);  // a 2xx to CONNECT has no body
    http::async_read_header(
        conn_->socket, conn_->buffer, *connect_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (self->finished_) return;
          if (ec) {
            return self->Fail(Unavailable(
                self->context_ + ": reading the proxy's CONNECT response failed: " + ec.message()));
          }
          unsigned status = self->connect_parser_->get().result_int();
          if (status / 100 != 2) {
            return self->Fail(Unavailable(self->context_ + ": CONNECT tunnel failed, response " +
                                          std::to_string(status)));
          }
          self->Handshake();
        });
  }

  void Handshake() {
    Result<ssl::context*> ctx = impl_->TlsContext();
    if (!ctx.ok()) return Fail(Unavailable(context_ + ": " + ctx.status().message()));
    conn_->tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(conn_->socket), **ctx);
    SSL* ssl = conn_->tls->native_handle();
    beast::error_code ec;
    asio::ip::make_address(url_.host, ec);
    bool ip = !ec;
    if (!ip) SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    if (!impl_->options().tls.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str())
                  : X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size());
      if (ok != 1) return Fail(Unavailable(context_ + ": cannot set the name to verify"));
    }
    conn_->tls->async_handshake(
        ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
          if (self->finished_) return;
          if (ec) {
            long verify = SSL_get_verify_result(self->conn_->tls->native_handle());
            std::string why = verify != X509_V_OK ? std::string("SSL certificate problem: ") +
                                                        X509_verify_cert_error_string(verify)
                                                  : "TLS handshake failed: " + ec.message();
            return self->Fail(Unavailable(self->context_ + ": " + why));
          }
          self->ConnectDone();
          self->SendRequest();
        });
  }

  void SendRequest() {
    const HttpClientOptions& o = impl_->options();
    auto verb = http::string_to_verb(method_);
    req_ = std::make_unique<http::request<http::span_body<const char>>>();
    if (verb == http::verb::unknown) {
      req_->method_string(method_);
    } else {
      req_->method(verb);
    }
    req_->version(11);
    req_->target(proxy_ && url_.scheme == "http" ? url_.Absolute() : url_.target);
    const HttpHeaders& h = request_.headers;
    if (!h.Has("Host")) req_->set(http::field::host, url_.Authority());
    if (!h.Has("User-Agent")) req_->set(http::field::user_agent, o.user_agent);
    if (!h.Has("Accept")) req_->set(http::field::accept, "*/*");
    if (o.decompress_responses && !h.Has("Accept-Encoding")) {
      req_->set(http::field::accept_encoding, "gzip, deflate");
    }
    if (!url_.userinfo.empty() && !h.Has("Authorization")) {
      req_->set(http::field::authorization, "Basic " + internal::Base64(url_.userinfo));
    }
    if (proxy_ && url_.scheme == "http" && !proxy_->userinfo.empty()) {
      req_->set(http::field::proxy_authorization, "Basic " + internal::Base64(proxy_->userinfo));
    }
    for (const auto& [name, value] : h.fields()) {
      if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
        continue;  // framing is ours
      }
      if (dropped_headers_.contains(Lower(name))) continue;
      req_->insert(name, value);
    }
    bool has_body = !body_dropped_ && (!request_.body.empty() || method_ == "POST" ||
                                       method_ == "PUT" || method_ == "PATCH");
    if (has_body) {
      req_->body() = beast::span<const char>(request_.body.data(), request_.body.size());
      req_->content_length(request_.body.size());
    }
    conn_->With([&](auto& stream) {
      http::async_write(stream, *req_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->finished_) return;
        if (ec) return self->TransportError("Send failure", ec);
        self->ReadHeader();
      });
    });
  }

  // A failure while talking HTTP. On a reused connection that had not answered yet, the
  // server most likely closed it while idle: try once more on a new connection.
  void TransportError(const char* what, beast::error_code ec) {
    if (reused_ && received_ == 0 && !retried_) {
      retried_ = true;
      conn_->Close();
      conn_.reset();
      reused_ = false;
      return Connect();
    }
    if (what == std::string_view("Recv failure") && received_ == 0 &&
        (ec == http::error::end_of_stream || ec == asio::error::eof)) {
      return Fail(Unavailable(context_ + ": Empty reply from server"));
    }
    if (ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::ssl::error::stream_truncated) {
      return Fail(Unavailable(context_ + ": transfer closed with " + std::to_string(received_) +
                              " bytes received before the response ended"));
    }
    Fail(Unavailable(context_ + ": " + what + ": " + ec.message()));
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(boost::none);  // bounded below, after decoding
    if (method_ == "HEAD") parser_->skip(true);
    conn_->With([&](auto& stream) {
      http::async_read_header(
          stream, conn_->buffer, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t n) {
            if (self->finished_) return;
            self->received_ += n;
            if (ec) {
              if (ec == http::error::header_limit) {
                return self->Fail(Unavailable(self->context_ + ": response header exceeds " +
                                              std::to_string(kMaxHeaderBytes) + " bytes"));
              }
              return self->TransportError("Recv failure", ec);
            }
            self->OnHeader();
          });
    });
  }

  void OnHeader() {
    auto& msg = parser_->get();
    int status = static_cast<int>(msg.result_int());
    if (status >= 100 && status < 200 && status != 101) return ReadHeader();  // interim
    response_.status = status;
    response_.headers.Clear();
    for (const auto& field : msg) {
      response_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    redirecting_ = impl_->options().follow_redirects && IsRedirect(status) &&
                   response_.headers.Has("Location");
    inflater_.reset();
    if (impl_->options().decompress_responses && !redirecting_) {
      auto encoding = response_.headers.Get("Content-Encoding");
      if (encoding &&
          (EqualsIgnoreCase(*encoding, "gzip") || EqualsIgnoreCase(*encoding, "x-gzip") ||
           EqualsIgnoreCase(*encoding, "deflate"))) {
        inflater_ = std::make_unique<Inflater>();
        if (!inflater_->Init(EqualsIgnoreCase(*encoding, "deflate"))) {
          return Fail(Internal(context_ + ": zlib initialisation failed"));
        }
      }
    }
    if (!inflater_ && parser_->content_length() && *parser_->content_length() > max_bytes_ &&
        !redirecting_) {
      return TooLarge();
    }
    if (!redirecting_ && request_.on_head) request_.on_head(response_);
    if (parser_->is_done()) return Complete();
    // A plain body of known length is parsed straight into response_.body: no copy through
    // buf_ and no appends to a growing string.
    direct_ = false;
    if (!redirecting_ && !request_.on_body && !inflater_ && parser_->content_length()) {
      // Sized to what is announced up to kDirectInitialBytes, then grown as it arrives: a
      // server announcing a huge body and sending nothing costs no more than that.
      // Into the caller's spare storage when it has some: resize() then zero-fills only what
      // goes beyond its size (every byte up to the size is overwritten by the read).
      response_.body.clear();
      if (request_.response_buffer.capacity() > response_.body.capacity()) {
        response_.body.swap(request_.response_buffer);
      }
      response_.body.resize(
          static_cast<size_t>(std::min<uint64_t>(*parser_->content_length(), kDirectInitialBytes)));
      direct_filled_ = 0;
      direct_ = true;
    }
    if (direct_) {
      // The body bytes that came with the header, then the rest straight from the socket
      // into the string: the bytes are not copied out of the connection's buffer, nor run
      // through Beast's body parser (nothing to parse in a body of known length).
      const uint64_t length = *parser_->content_length();
      auto head = conn_->buffer.data();
      const size_t have = static_cast<size_t>(std::min<uint64_t>(head.size(), length));
      if (have > response_.body.size()) response_.body.resize(have);
      if (have > 0) std::memcpy(response_.body.data(), head.data(), have);
      conn_->buffer.consume(have);
      direct_filled_ = have;
      received_ += have;
      if (direct_filled_ == length) return Complete();
      return ReadDirect();
    }
    size_t reserve = kBodyReadBytes;
    if (parser_->content_length()) {
      reserve = static_cast<size_t>(std::min<uint64_t>(reserve, *parser_->content_length()));
    }
    if (conn_->buffer.capacity() < reserve) conn_->buffer.reserve(reserve);
    ReadBody();
  }

  // Reads the rest of a body of known length into response_.body (direct_), growing it up
  // to the announced length as it fills.
  void ReadDirect() {
    const uint64_t length = *parser_->content_length();
    if (direct_filled_ == response_.body.size()) {  // full and not done: grow
      response_.body.resize(
          static_cast<size_t>(std::min<uint64_t>(length, 2 * response_.body.size())));
    }
    auto into = asio::buffer(response_.body.data() + direct_filled_,
                             response_.body.size() - direct_filled_);
    auto on_read = [self = shared_from_this(), length](beast::error_code ec, size_t n) {
      if (self->finished_) return;
      self->received_ += n;
      self->direct_filled_ += n;
      if (ec) return self->TransportError("Recv failure", ec);
      if (self->direct_filled_ == length) return self->Complete();
      self->ReadDirect();
    };
    conn_->With([&](auto& stream) { asio::async_read(stream, into, std::move(on_read)); });
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    body.data = buf_.data();
    body.size = buf_.size();
    const size_t offered = body.size;
    // A streamed read hands on whatever arrived; otherwise read until the buffer is full.
    auto on_read = [self = shared_from_this(), offered](beast::error_code ec, size_t) {
      if (self->finished_) return;
      if (ec == http::error::need_buffer) ec = {};
      size_t n = offered - self->parser_->get().body().size;
      self->received_ += n;
      if (n > 0 && !self->Consume(n)) return;
      if (ec) return self->TransportError("Recv failure", ec);
      if (self->parser_->is_done()) return self->Complete();
      self->ReadBody();
    };
    conn_->With([&](auto& stream) {
      if (request_.on_body) {
        http::async_read_some(stream, conn_->buffer, *parser_, std::move(on_read));
      } else {
        http::async_read(stream, conn_->buffer, *parser_, std::move(on_read));
      }
    });
  }

  // Adds `n` bytes from buf_ to the body; false when the transfer failed.
  bool Consume(size_t n) {
    if (redirecting_) return true;  // a redirect's body is read and dropped
    if (request_.on_body) return Stream(n);
    if (inflater_) {
      bool too_large = false;
      std::string error;
      if (!inflater_->Feed(buf_.data(), n, response_.body, max_bytes_, too_large, error)) {
        if (too_large) {
          TooLarge();
        } else {
          Fail(Unavailable(context_ + ": Error while processing content unencoding: " + error));
        }
        return false;
      }
      return true;
    }
    if (response_.body.size() + n > max_bytes_) {
      TooLarge();
      return false;
    }
    response_.body.append(buf_.data(), n);
    return true;
  }

  // Consume() for streamed reads: hands the (decoded) piece to on_body.
  bool Stream(size_t n) {
    std::string_view piece(buf_.data(), n);
    std::string decoded;
    if (inflater_) {
      bool too_large = false;
      std::string error;
      if (!inflater_->Feed(buf_.data(), n, decoded, max_bytes_ - streamed_, too_large, error)) {
        if (too_large) {
          TooLarge();
        } else {
          Fail(Unavailable(context_ + ": Error while processing content unencoding: " + error));
        }
        return false;
      }
      piece = decoded;
    }
    if (streamed_ + piece.size() > max_bytes_) {
      TooLarge();
      return false;
    }
    streamed_ += piece.size();
    if (!piece.empty() && !request_.on_body(piece)) {
      Fail(Cancelled(context_ + ": abandoned by the caller while streaming the body"));
      return false;
    }
    return true;
  }

  void TooLarge() {
    Fail(ResourceExhausted(context_ + ": response body exceeds " + std::to_string(max_bytes_) +
                           " bytes"));
  }

  void Complete() {
    if (direct_) response_.body.resize(direct_filled_);  // == Content-Length once done
    if (parser_->keep_alive() && conn_->buffer.size() == 0) {
      if (conn_->buffer.capacity() > kIdleBufferBytes) conn_->buffer.shrink_to_fit();
      impl_->PutIdle(std::move(conn_));
    } else {
      conn_->Close();
      conn_.reset();
    }
    if (redirecting_) return Redirect();
    finished_ = true;
    deadline_.cancel();
    connect_timer_.cancel();
    auto self = shared_from_this();
    impl_->Finished(this);
    done_(std::move(response_));
  }

  // Follows a 301/302/303/307/308 the way curl does with CURLOPT_FOLLOWLOCATION.
  void Redirect() {
    if (++redirects_ > kMaxRedirects) {
      return Fail(Unavailable(context_ + ": Maximum (" + std::to_string(kMaxRedirects) +
                              ") redirects followed"));
    }
    std::string_view location = *response_.headers.Get("Location");
    Result<Url> next = internal::ResolveReference(url_, location);
    if (!next.ok()) {
      return Fail(InvalidArgument(context_ + ": redirect to \"" + std::string(location) +
                                  "\": " + next.status().message()));
    }
    int status = response_.status;
    // 303: anything but HEAD becomes GET; 301/302: POST becomes GET (what browsers and curl
    // do); 307/308 keep the method and body.
    if ((status == 303 && method_ != "HEAD") ||
        ((status == 301 || status == 302) && method_ == "POST")) {
      method_ = "GET";
      body_dropped_ = true;
      dropped_headers_.insert("content-type");
      dropped_headers_.insert("content-encoding");
    }
    if (next->scheme != url_.scheme || next->host != url_.host || next->port != url_.port) {
      // Credentials are for the origin they were given for (curl drops them too).
      dropped_headers_.insert("authorization");
      dropped_headers_.insert("cookie");
    }
    url_ = std::move(*next);
    retried_ = false;
    Attempt();
  }

  static std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }

  HttpClient::Impl* impl_;
  HttpRequest request_;
  HttpClient::Callback done_;
  std::string context_;  // "METHOD url" of the original request
  Url url_;              // current URL (changes on redirects)
  std::optional<Url> proxy_;
  std::string method_;
  std::string key_;
  std::unordered_set<std::string> dropped_headers_;  // lowercase names not to send any more
  bool body_dropped_ = false;
  size_t max_bytes_ = 0;
  std::chrono::milliseconds timeout_{0};
  Clock::time_point start_;
  Clock::time_point connect_start_;
  asio::steady_timer deadline_;
  asio::steady_timer connect_timer_;
  tcp::resolver resolver_;
  std::unique_ptr<Conn> conn_;
  bool connecting_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool redirecting_ = false;
  bool finished_ = false;
  int redirects_ = 0;
  size_t received_ = 0;
  size_t streamed_ = 0;  // body bytes handed to on_body
  std::unique_ptr<http::request<http::empty_body>> connect_req_;
  std::unique_ptr<http::response_parser<http::empty_body>> connect_parser_;
  std::unique_ptr<http::request<http::span_body<const char>>> req_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::unique_ptr<Inflater> inflater_;
  std::array<char, 16384> buf_;
  // The body is read in place into response_.body, straight from the socket (known length,
  // no decoding, not streamed; ReadDirect); direct_filled_ bytes of it have arrived.
  bool direct_ = false;
  size_t direct_filled_ = 0;
  HttpResponse response_;
};

void HttpClient::Impl::Send(HttpRequest request, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!shutdown_) {
      asio::post(ioc_, [this, request = std::move(request), done = std::move(done)]() mutable {
        auto t = std::make_shared<Transfer>(this, std::move(request), std::move(done));
        active_.emplace(t.get(), t);
        t->Start();
      });
      return;
    }
  }
  done(Cancelled(request.method + " " + request.url + ": http client is shut down"));
}

void HttpClient::Impl::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (!shutdown_) {
      shutdown_ = true;
      // Runs after every Start() posted before the flag was set, so each of those transfers
      // gets its callback exactly once.
      asio::post(ioc_, [this] {
        std::vector<std::shared_ptr<Transfer>> running;
        for (auto& [ptr, t] : active_) running.push_back(t);
        for (auto& t : running) t->Fail(Cancelled(t->context() + ": http client is shut down"));
        active_.clear();
        for (auto& [key, conns] : idle_) {
          for (auto& c : conns) c->Close();
        }
        idle_.clear();
        sweep_timer_.cancel();
        ioc_.stop();
      });
      work_.reset();
    }
  }
  // REQUIRES (header): not on the client's thread, which could not join itself.
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::unique_ptr<Conn> HttpClient::Impl::TakeIdle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& conns = it->second;
  Clock::time_point now = Clock::now();
  while (!conns.empty()) {
    std::unique_ptr<Conn> c = std::move(conns.back());
    conns.pop_back();
    if (now - c->idle_since < kIdleExpiry && c->LooksAlive()) {
      if (conns.empty()) idle_.erase(it);
      return c;
    }
    c->Close();
  }
  idle_.erase(it);
  return nullptr;
}

void HttpClient::Impl::PutIdle(std::unique_ptr<Conn> conn) {
  auto& conns = idle_[conn->key];
  if (conns.size() >= kMaxIdlePerKey) {
    conn->Close();
    return;
  }
  conn->idle_since = Clock::now();
  conns.push_back(std::move(conn));
  if (!sweep_armed_) {
    sweep_armed_ = true;
    sweep_timer_.expires_after(kSweepInterval);
    sweep_timer_.async_wait([this](beast::error_code ec) {
      sweep_armed_ = false;
      if (!ec) Sweep();
    });
  }
}

void HttpClient::Impl::Sweep() {
  Clock::time_point now = Clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& conns = it->second;
    std::erase_if(conns, [&](std::unique_ptr<Conn>& c) {
      if (now - c->idle_since < kIdleExpiry && c->LooksAlive()) return false;
      c->Close();
      return true;
    });
    it = conns.empty() ? idle_.erase(it) : std::next(it);
  }
  if (!idle_.empty() && !sweep_armed_) {
    sweep_armed_ = true;
    sweep_timer_.expires_after(kSweepInterval);
    sweep_timer_.async_wait([this](beast::error_code ec) {
      sweep_armed_ = false;
      if (!ec) Sweep();
    });
  }
}

namespace {

// Builds an SSL_CTX for `o`. Runs once per distinct options in the process (SharedTlsContext).
Result<std::shared_ptr<ssl::context>> MakeTlsContext(const HttpClientTlsOptions& o) {
  RETURN_IF_ERROR(internal::LoadOpenSsl());
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    return Unavailable(std::string("cannot create a TLS context: ") + e.what());
  }
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_compression,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (o.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!o.ca_file.empty()) {
      ctx->load_verify_file(o.ca_file, ec);
      if (ec) return Unavailable("cannot load ca_file " + o.ca_file + ": " + ec.message());
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) return Unavailable("cannot load the system CA store: " + ec.message());
    }
  }
  if (!o.cert_file.empty()) {
    ctx->use_certificate_chain_file(o.cert_file, ec);
    if (ec) return Unavailable("cannot load cert_file " + o.cert_file + ": " + ec.message());
    ctx->use_private_key_file(o.key_file.empty() ? o.cert_file : o.key_file, ssl::context::pem, ec);
    if (ec) return Unavailable("cannot load key_file " + o.key_file + ": " + ec.message());
  }
  return ctx;
}

// One SSL_CTX per distinct TLS options, shared by every HttpClient in the process: a context
// holds the parsed CA store (the system one is ~140 certificates, ~2 MB), and the prometheus
// receiver alone has one client per scrape config. SSL_CTX is safe to share across threads
// once configured. Contexts live while a client uses them.
Result<std::shared_ptr<ssl::context>> SharedTlsContext(const HttpClientTlsOptions& o) {
  static std::mutex mu;
  static auto* cache = new std::map<std::string, std::weak_ptr<ssl::context>>();  // never freed
  // Files are keyed with their modification time and size, so a client created after a
  // certificate rotation (a config reload) never gets a context built from the old files.
  auto file_key = [](const std::string& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return path + '\0';
    return path + '\0' + std::to_string(st.st_mtim.tv_sec) + '.' +
           std::to_string(st.st_mtim.tv_nsec) + '/' + std::to_string(st.st_size) + '\0';
  };
  std::string key = file_key(o.ca_file) + (o.insecure_skip_verify ? "1" : "0") +
                    file_key(o.cert_file) + file_key(o.key_file);
  std::lock_guard lock(mu);
  if (auto ctx = (*cache)[key].lock()) return ctx;
  ASSIGN_OR_RETURN(std::shared_ptr<ssl::context> ctx, MakeTlsContext(o));
  (*cache)[key] = ctx;
  return ctx;
}

}  // namespace

Result<ssl::context*> HttpClient::Impl::TlsContext() {
  if (tls_) return tls_.get();
  ASSIGN_OR_RETURN(tls_, SharedTlsContext(options_.tls));
  return tls_.get();
}

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() { impl_->Shutdown(); }

std::future<Result<HttpResponse>> HttpClient::Send(HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  impl_->Send(std::move(request),
              [promise](Result<HttpResponse> result) { promise->set_value(std::move(result)); });
  return future;
}

void HttpClient::Send(HttpRequest request, Callback done) {
  impl_->Send(std::move(request), std::move(done));
}

void HttpClient::Shutdown() { impl_->Shutdown(); }

}  // namespace astrolabe::net
