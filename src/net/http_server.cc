#include "net/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "net/http_codec.h"
#include "net/listen_address.h"
#include "net/server_tls_context.h"

namespace astrolabe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using internal::BeastResponse;
using internal::RawRequest;
using internal::RequestParser;

// ---------------------------------------------------------------------------------------------
// Impl and Session

namespace {

// What the server holds of a connection, whatever its stream (plain or TLS).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void NotifyShutdown() = 0;
  virtual void ForceClose() = 0;
};

std::string LowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string EndpointString(const tcp::endpoint& ep) {
  return FormatHostPort(ep.address().to_string(), ep.port());
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : options_(std::move(options)),
        log_(GetLogger(options_.log_name)),
        acceptor_(asio::make_strand(ioc_)) {
    limits_.max_header_bytes = options_.max_header_bytes;
    limits_.max_body_bytes = options_.max_body_bytes;
  }

  Status Start();
  void Shutdown(Deadline deadline);

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  // Called by sessions on their own strand.
  void Register(SessionBase* session, std::weak_ptr<SessionBase> weak);
  void Unregister(SessionBase* session);

  HttpServerOptions options_;
  internal::ParserLimits limits_;
  internal::Router router_;
  HttpServerStats stats_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stopping_{false};
  // Set when the shutdown deadline passed: streaming handlers' writes fail so they return.
  std::atomic<bool> force_closing_{false};
  std::atomic<int> port_{0};
  std::string address_;                              // written once in Start() before threads exist
  std::unique_ptr<internal::ServerTlsContext> tls_;  // set in Start() when options_.tls is on

  std::mutex mu_;
  std::condition_variable sessions_cv_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;  // GUARDED_BY(mu_)
  bool started_ = false;                                                   // GUARDED_BY(mu_)
  bool shut_down_ = false;                                                 // GUARDED_BY(mu_)

  // Declared after everything sessions touch in their destructors, so that handlers still
  // queued when the io_context is destroyed find those members alive.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_{ioc_};
  std::vector<std::thread> threads_;
};

namespace {

// The streamed-response side of one handler call (ServerResponse::Write). Writes go straight
// to the socket from the handler's thread: the connection's strand is busy running that very
// handler, so no asynchronous operation can touch the socket meanwhile, and an asynchronous
// write would only run after the handler returned. The descriptor is non-blocking; a full
// send buffer is waited out with poll() in slices of at most 100 ms, so that the write timeout
// and the server's shutdown deadline are noticed.
class SocketStream final : public internal::ResponseStream {
 public:
  SocketStream(HttpServer::Impl* server, tcp::socket& socket, unsigned version, bool head,
               bool keep_alive)
      : server_(server),
        fd_(socket.native_handle()),
        version_(version),
        head_(head),
        keep_alive_(keep_alive && version != 10),
        socket_(socket) {}

  Status Write(const ServerResponse& response, std::string_view data) override {
    if (!error_.ok()) return error_;
    if (server_->force_closing_.load(std::memory_order_relaxed)) {
      return Fail(Cancelled("stream: server shut down"));
    }
    std::string prefix;
    if (!started_) {
      // Non-blocking for the poll() loop; no Nagle, so that each piece leaves at once
      // instead of waiting for the previous one's (delayed) acknowledgement.
      beast::error_code ec;
      socket_.native_non_blocking(true, ec);
      if (!ec) socket_.set_option(tcp::no_delay(true), ec);
      if (ec) return Fail(Unavailable("stream: " + ec.message()));
      int status = response.status;
      body_allowed_ = !head_ && status != 204 && status != 304 && status >= 200;
      chunked_ = version_ != 10 && body_allowed_;
      if (!chunked_ && body_allowed_) keep_alive_ = false;  // HTTP/1.0: the close ends the body
      prefix = internal::StreamHead(response, version_, chunked_, keep_alive_);
      started_ = true;
      server_->stats_.streamed_responses.fetch_add(1, std::memory_order_relaxed);
    }
    if (!body_allowed_) data = {};
    std::string_view suffix;
    if (chunked_ && !data.empty()) {
      char size[24];
      int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      prefix.append(size, static_cast<size_t>(n));
      suffix = "\r\n";
    }
    return Send({prefix, data, suffix});
  }

  bool ClientGone() override {
    if (!error_.ok() || server_->force_closing_.load(std::memory_order_relaxed)) return true;
    pollfd p{fd_, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      static_cast<void>(Fail(Unavailable("stream: client closed the connection")));
      return true;
    }
    return false;
  }

  bool started() const override { return started_; }
  bool failed() const { return !error_.ok(); }
  bool keep_alive() const { return keep_alive_; }

  // Ends a started stream: the terminating chunk. False when the connection must close.
  bool Finish() {
    if (!error_.ok()) return false;
    if (chunked_ && !Send({"0\r\n\r\n", {}, {}}).ok()) return false;
    return keep_alive_;
  }

 private:
  Status Fail(Status s) {
    if (error_.ok()) {
      error_ = std::move(s);
      if (started_) server_->stats_.streams_broken.fetch_add(1, std::memory_order_relaxed);
    }
    return error_;
  }

  Status Send(std::array<std::string_view, 3> parts) {
    const auto deadline = std::chrono::steady_clock::now() + server_->options_.write_timeout;
    iovec iov[3];
    int count = 0;
    for (std::string_view p : parts) {
      if (p.empty()) continue;
      iov[count].iov_base = const_cast<char*>(p.data());
      iov[count].iov_len = p.size();
      ++count;
    }
    int first = 0;
    while (first < count) {
      msghdr msg{};
      msg.msg_iov = iov + first;
      msg.msg_iovlen = static_cast<size_t>(count - first);
      ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          return Fail(Unavailable(std::string("stream: ") + std::strerror(errno)));
        }
        for (;;) {
          if (server_->force_closing_.load(std::memory_order_relaxed)) {
            return Fail(Cancelled("stream: server shut down"));
          }
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0) {
            server_->stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
            return Fail(DeadlineExceeded("stream: client not reading (write timeout)"));
          }
          pollfd p{fd_, POLLOUT, 0};
          int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
          if (rc > 0) break;
        }
        continue;
      }
      auto sent = static_cast<size_t>(n);
      while (first < count && sent >= iov[first].iov_len) {
        sent -= iov[first].iov_len;
        ++first;
      }
      if (first < count) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + sent;
        iov[first].iov_len -= sent;
      }
    }
    return Status::Ok();
  }

  HttpServer::Impl* server_;
  int fd_;
  unsigned version_;
  bool head_;
  bool keep_alive_;
  tcp::socket& socket_;
  bool started_ = false;
  bool chunked_ = false;
  bool body_allowed_ = true;
  Status error_ = Status::Ok();
};

// The streamed-response side on a TLS connection: the pieces are collected and sent as one
// response when the handler returns. Writing through the TLS stream from the handler's thread
// would need the connection's strand, which is busy running that very handler; so over TLS a
// streamed answer arrives whole (correct, not incremental). docs/design/net.md.
class BufferedStream final : public internal::ResponseStream {
 public:
  Status Write(const ServerResponse&, std::string_view data) override {
    started_ = true;
    body_.append(data);
    return Status::Ok();
  }
  bool ClientGone() override { return false; }
  bool started() const override { return started_; }
  std::string TakeBody() { return std::move(body_); }

 private:
  bool started_ = false;
  std::string body_;
};

// One TCP connection, plain (Stream = beast::tcp_stream) or TLS (asio::ssl::stream over one;
// not beast::ssl_stream, whose buffered async_handshake does not compile in Boost 1.81).
// All of its handlers run on its strand, so its members need no lock.
// Lifetime: owned by the shared_ptrs bound into its pending completion handlers; it ends
// when the last operation completes without starting another.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  // `tls`: the context for a TLS session (kept alive by the session); null for plain.
  Session(HttpServer::Impl* server, tcp::socket socket,
          std::shared_ptr<asio::ssl::context> tls = nullptr)
      : server_(server), tls_(std::move(tls)), stream_(MakeStream(std::move(socket), tls_)) {
    beast::error_code ec;
    auto ep = Lowest().socket().remote_endpoint(ec);
    remote_ = ec ? std::string("unknown") : EndpointString(ep);
  }

  ~Session() override {
    server_->stats_.active_connections.fetch_sub(1, std::memory_order_relaxed);
    server_->Unregister(this);
  }

  void Run(bool reject) {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this(), reject] {
      if constexpr (kTls) {
        self->Handshake(reject);
      } else if (reject) {
        self->WriteError(503, "too many connections");
      } else {
        self->WaitForRequest();
      }
    });
  }

  // Asks an idle connection to close now and a busy one to close after its response.
  void NotifyShutdown() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->shutting_down_ = true;
      if (self->state_ == State::kIdle) {
        beast::error_code ec;
        self->Lowest().socket().cancel(ec);
      }
    });
  }

  // Closes the socket whatever it is doing; pending operations complete with errors.
  void ForceClose() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->shutting_down_ = true;
      self->Lowest().close();
    });
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosing };

  static Stream MakeStream(tcp::socket socket,
                           [[maybe_unused]] const std::shared_ptr<asio::ssl::context>& tls) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  bool Stopping() const {
    return shutting_down_ || server_->stopping_.load(std::memory_order_relaxed);
  }

  // TLS only: reads the first bytes in the clear to tell a TLS ClientHello (a handshake
  // record, 0x16) from a plaintext HTTP request, which gets a plaintext 400 saying what went
  // wrong (as Go's servers answer) instead of a handshake error the client cannot show; then
  // runs the handshake, bounded by the header timeout, with the bytes already read.
  void Handshake(bool reject) {
    state_ = State::kIdle;
    Lowest().expires_after(server_->options_.header_timeout);
    Lowest().async_read_some(buffer_.prepare(4096), [self = this->shared_from_this(), reject](
                                                        beast::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->buffer_.commit(n);
      const auto* first = static_cast<const unsigned char*>(self->buffer_.data().data());
      if (first[0] != 0x16) return self->RefusePlaintext();
      self->state_ = State::kReading;
      self->stream_.async_handshake(asio::ssl::stream_base::server, self->buffer_.data(),
                                    [self, reject](beast::error_code ec, size_t used) {
                                      self->buffer_.consume(used);
                                      if (ec) {
                                        self->server_->stats_.tls_handshake_errors.fetch_add(
                                            1, std::memory_order_relaxed);
                                        self->server_->log_->debug("{}: TLS handshake failed: {}",
                                                                   self->remote_, ec.message());
                                        return self->Close();
                                      }
                                      self->buffer_.clear();
                                      if (reject)
                                        return self->WriteError(503, "too many connections");
                                      self->first_request_ = true;
                                      self->WaitForRequest();
                                    });
    });
  }

  void RefusePlaintext() {
    server_->stats_.tls_handshake_errors.fetch_add(1, std::memory_order_relaxed);
    server_->log_->debug("{}: plaintext HTTP on a TLS port; answered 400", remote_);
    static constexpr std::string_view kAnswer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    state_ = State::kWriting;
    Lowest().expires_after(server_->options_.write_timeout);
    asio::async_write(Lowest().socket(), asio::buffer(kAnswer.data(), kAnswer.size()),
                      [self = this->shared_from_this()](beast::error_code, size_t) {
                        self->buffer_.clear();
                        beast::error_code ec;
                        self->Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
                        self->Lowest().close();
                      });
  }

  // Waits for the first byte of the next request. New connections wait up to the header
  // timeout, keep-alive connections up to the idle timeout; neither counts as a timeout
  // error, and a server shutting down may cancel this wait.
  void WaitForRequest() {
    if (Stopping()) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // pipelined bytes already here
    state_ = State::kIdle;
    Lowest().expires_after(first_request_ ? server_->options_.header_timeout
                                          : server_->options_.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) {
            if (ec == beast::error::timeout && self->first_request_) {
              self->server_->stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
            }
            return self->Close();
          }
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    state_ = State::kReading;
    first_request_ = false;
    parser_.emplace();
    internal::ConfigureParser(*parser_, server_->limits_);
    // The header timeout runs from the first byte of the request: a client trickling
    // its header one byte at a time is cut off when it expires (slowloris).
    Lowest().expires_after(server_->options_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->OnHeader(ec, n);
                            });
  }

  // `header_bytes`: what the (non-eager) parser consumed for the header.
  void OnHeader(beast::error_code ec, size_t header_bytes) {
    if (ec) return OnReadError(ec);
    if (internal::FinishHeader(*parser_, header_bytes, server_->limits_) != 0) {
      return OnReadError(http::error::header_limit);
    }
    if (parser_->is_done()) return Dispatch();
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Lowest().expires_after(server_->options_.write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->OnReadError(ec);
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(server_->options_.body_timeout);
    const auto length = parser_->content_length();
    if (length && *length >= internal::kMinKeptBodyBytes) return ReadLargeBody(*length);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  // A large body of known length (under the limit: the parser checked Content-Length with
  // the header) is read straight into a kept buffer (internal::TakeBodyBuffer) rather than
  // through buffer_ and the parser: one copy of the body less, and a few large reads instead
  // of 64 KiB ones that each re-arm the timer. The parser is not told; Dispatch only
  // releases its message. Reads stop at the body's end, so a pipelined request stays unread.
  void ReadLargeBody(uint64_t length) {
    std::string& body = parser_->get().body();
    body = internal::TakeBodyBuffer(length);  // every byte is overwritten before Dispatch
    const size_t here = std::min<size_t>(buffer_.size(), length);
    std::memcpy(body.data(), buffer_.data().data(), here);
    buffer_.consume(here);
    // Each read may take all the body that is left: asio's own condition (transfer_all) asks
    // for at most 64 KiB a read, and a 1 MB body took ~16 recvmsg calls, each re-arming the
    // timer (bench/README.md).
    auto rest_at_once = [](const beast::error_code& ec, size_t) -> size_t {
      return ec ? 0 : std::numeric_limits<uint32_t>::max();
    };
    asio::async_read(stream_, asio::buffer(body.data() + here, length - here), rest_at_once,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  void OnReadError(beast::error_code ec) {
    HttpServerStats& stats = server_->stats_;
    if (ec == beast::error::timeout) {
      stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      server_->log_->debug("{}: read timed out", remote_);
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == http::error::partial_message || ec.category() == asio::error::get_system_category()) {
      return Close();  // the peer went away or we are shutting down
    }
    int status = internal::StatusForParseError(ec);
    if (status == 400) {
      stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats.too_large.fetch_add(1, std::memory_order_relaxed);
    }
    server_->log_->debug("{}: rejecting request with {}: {}", remote_, status, ec.message());
    const char* text = status == 431   ? "request header fields too large"
                       : status == 413 ? "request body too large"
                                       : "bad request";
    WriteError(status, text);
  }

  void WriteError(int status, std::string_view text) {
    Write(internal::ToBeastResponse(internal::ErrorResponse(status, text), 11,
                                    /*keep_alive=*/false, /*head_request=*/false),
          /*linger=*/true);
  }

  void Dispatch() {
    state_ = State::kHandling;
    Lowest().expires_never();
    RawRequest raw{parser_->release()};
    parser_.reset();
    bool keep_alive = raw.message.keep_alive();
    bool head = raw.message.method() == http::verb::head;
    unsigned version = raw.message.version();
    ServerRequest request(&raw, remote_);
    ServerResponse response;
    std::optional<SocketStream> socket_stream;
    BufferedStream buffered;
    internal::ResponseStream* stream = &buffered;
    if constexpr (!kTls) {
      stream = &socket_stream.emplace(server_, stream_.socket(), version, head,
                                      keep_alive && !Stopping());
    }
    response.AttachStream(stream);
    HttpServerStats& stats = server_->stats_;
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    internal::Router::Outcome outcome = server_->router_.Route(request, response);
    response.AttachStream(nullptr);
    internal::KeepBodyBuffer(std::move(raw.message.body()));  // for the next large body
    if (socket_stream && socket_stream->started()) {
      // The head and any pieces are out; end the stream (or the connection, when a write
      // failed or the handler threw: a missing terminating chunk tells the client).
      if (outcome == internal::Router::Outcome::kHandlerError) {
        stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
        server_->log_->error("streaming handler for {} {} threw; connection closed",
                             request.method(), request.path());
        return Close();
      }
      if (!socket_stream->Finish() || Stopping()) return Close();
      return WaitForRequest();
    }
    if (buffered.started() && outcome == internal::Router::Outcome::kHandled) {
      response.body = buffered.TakeBody();
    }
    switch (outcome) {
      case internal::Router::Outcome::kHandled:
        break;
      case internal::Router::Outcome::kNotFound:
        stats.not_found.fetch_add(1, std::memory_order_relaxed);
        break;
      case internal::Router::Outcome::kMethodNotAllowed:
        stats.method_not_allowed.fetch_add(1, std::memory_order_relaxed);
        break;
      case internal::Router::Outcome::kHandlerError:
        stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
        server_->log_->error("handler for {} {} threw; answered 500", request.method(),
                             request.path());
        break;
    }
    keep_alive = keep_alive && !Stopping();
    Write(internal::ToBeastResponse(std::move(response), version, keep_alive, head),
          /*linger=*/false);
  }

  // Sends `response`, then waits for the next request or closes. `linger`: the request
  // was not read to its end, so unread bytes may follow (see LingerClose).
  void Write(BeastResponse response, bool linger) {
    state_ = State::kWriting;
    response_ = std::make_unique<BeastResponse>(std::move(response));
    bool keep_alive = response_->keep_alive();
    Lowest().expires_after(server_->options_.write_timeout);
    http::async_write(
        stream_, *response_,
        [self = this->shared_from_this(), keep_alive, linger](beast::error_code ec, size_t) {
          self->response_.reset();
          if (ec) {
            if (ec == beast::error::timeout) {
              self->server_->stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
            }
            return self->Close();
          }
          if (linger) return self->LingerClose();
          if (!keep_alive) return self->Close();
          self->WaitForRequest();
        });
  }

  // Half-closes and drains what the client is still sending for a short while before
  // closing, so that a client that is mid-upload reads our 413/400 instead of a reset.
  void LingerClose() {
    state_ = State::kClosing;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Lowest().expires_after(Stopping() ? std::chrono::milliseconds(200) : std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    state_ = State::kClosing;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  static constexpr size_t kMaxDrainBytes = 1 << 20;

  HttpServer::Impl* server_;
  std::shared_ptr<asio::ssl::context> tls_;  // TLS only; outlives stream_
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::unique_ptr<BeastResponse> response_;
  std::string remote_;
  State state_ = State::kIdle;
  bool first_request_ = true;
  bool shutting_down_ = false;
  size_t drained_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Impl

void HttpServer::Impl::Register(SessionBase* session, std::weak_ptr<SessionBase> weak) {
  std::lock_guard lock(mu_);
  sessions_.emplace(session, std::move(weak));
}

void HttpServer::Impl::Unregister(SessionBase* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) sessions_cv_.notify_all();
}

Status HttpServer::Impl::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || shut_down_)
      return FailedPrecondition("http server already started or shut down");
    started_ = true;
  }
  const std::string& text = options_.listen_address;
  auto fail = [&](std::string_view what) {
    return Unavailable("listen on " + text + ": " + std::string(what));
  };
  auto parsed = ParseListenAddress(text);
  if (!parsed.ok()) return parsed.status();
  if (options_.io_threads < 1) return InvalidArgument("http server io_threads must be at least 1");
  if (options_.tls.enabled()) {
    auto tls = internal::ServerTlsContext::Create(options_.tls, log_);
    if (!tls.ok()) return tls.status().Annotate("listen on " + text);
    tls_ = std::move(*tls);
  }

  // Candidate endpoints: IPv4 first for names such as "localhost" (as Go's net.Listen does);
  // for an empty host the IPv6 wildcard in dual-stack mode, then the IPv4 wildcard.
  std::vector<tcp::endpoint> endpoints;
  beast::error_code ec;
  if (parsed->host.empty()) {
    endpoints.emplace_back(asio::ip::address_v6::any(), parsed->port);
    endpoints.emplace_back(asio::ip::address_v4::any(), parsed->port);
  } else {
    auto literal = asio::ip::make_address(parsed->host, ec);
    if (!ec) {
      endpoints.emplace_back(literal, parsed->port);
    } else {
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(parsed->host, std::to_string(parsed->port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec) return fail("resolving " + parsed->host + ": " + LowerFirst(ec.message()));
      for (const auto& r : results) {
        if (r.endpoint().address().is_v4()) endpoints.push_back(r.endpoint());
      }
      for (const auto& r : results) {
        if (r.endpoint().address().is_v6()) endpoints.push_back(r.endpoint());
      }
      if (endpoints.empty()) return fail("host " + parsed->host + " has no address");
    }
  }

  std::string last_error;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const tcp::endpoint& ep = endpoints[i];
    acceptor_.close(ec);
    acceptor_.open(ep.protocol(), ec);
    if (ec) {
      last_error = LowerFirst(ec.message());
      continue;
    }
    if (ep.address().is_v6() && ep.address().is_unspecified()) {
      acceptor_.set_option(asio::ip::v6_only(false), ec);
    }
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      last_error = LowerFirst(ec.message());
      // An in-use port is the answer for every candidate; do not mask it with a later one.
      if (ec == asio::error::address_in_use) break;
      continue;
    }
    last_error.clear();
    break;
  }
  if (!last_error.empty() || !acceptor_.is_open()) {
    acceptor_.close(ec);
    return fail(last_error.empty() ? "no usable address" : last_error);
  }
  tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return fail(LowerFirst(ec.message()));
  port_ = local.port();
  address_ = EndpointString(local);

  work_.emplace(ioc_.get_executor());
  asio::dispatch(acceptor_.get_executor(), [this] { DoAccept(); });
  for (int i = 0; i < options_.io_threads; ++i) {
    threads_.emplace_back([this] {
      // Handlers are written not to throw; this is the last line against a library one.
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          log_->error("http server I/O thread: unexpected exception: {}", e.what());
        }
      }
    });
  }
  log_->info("listening on {}{}", address_, tls_ ? " (TLS)" : "");
  return Status::Ok();
}

void HttpServer::Impl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    OnAccept(ec, std::move(s));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Typically EMFILE; back off instead of spinning.
    log_->warn("accept on {}: {}", address_, ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code) {
      asio::dispatch(acceptor_.get_executor(), [this] {
        if (acceptor_.is_open()) DoAccept();
      });
    });
    return;
  }
  stats_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  int64_t active = stats_.active_connections.fetch_add(1, std::memory_order_relaxed) + 1;
  bool reject = static_cast<size_t>(active) > options_.max_connections;
  if (reject) stats_.connections_rejected.fetch_add(1, std::memory_order_relaxed);
  if (tls_) {
    std::shared_ptr<asio::ssl::context> context = tls_->Current();
    stats_.tls_reloads.store(tls_->reloads(), std::memory_order_relaxed);
    stats_.tls_reload_errors.store(tls_->reload_failures(), std::memory_order_relaxed);
    auto session = std::make_shared<Session<asio::ssl::stream<beast::tcp_stream>>>(
        this, std::move(socket), std::move(context));
    Register(session.get(), session);
    session->Run(reject);
  } else {
    auto session = std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket));
    Register(session.get(), session);
    session->Run(reject);
  }
  DoAccept();
}

void HttpServer::Impl::Shutdown(Deadline deadline) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    if (!started_ || threads_.empty()) {
      beast::error_code ec;
      acceptor_.close(ec);
      return;
    }
  }
  stopping_ = true;
  asio::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
  });
  auto each_session = [this](auto fn) {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& [ptr, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) fn(*s);
  };
  each_session([](SessionBase& s) { s.NotifyShutdown(); });
  {
    std::unique_lock lock(mu_);
    sessions_cv_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
  }
  bool forced = false;
  {
    std::lock_guard lock(mu_);
    forced = !sessions_.empty();
  }
  if (forced) {
    force_closing_ = true;
    log_->warn("shutdown deadline reached; closing {} busy connection(s)",
               stats_.active_connections.load());
    each_session([](SessionBase& s) { s.ForceClose(); });
    std::unique_lock lock(mu_);
    // Closed sockets complete their operations promptly unless a handler is still running.
    sessions_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return sessions_.empty(); });
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // The close dispatched above may not have run if the I/O threads stopped first (no session
  // to wait for): close here too, so the port is free when Shutdown returns, not only when
  // the server is destroyed. No thread runs now.
  {
    beast::error_code ec;
    acceptor_.close(ec);
  }
  log_->info("stopped listening on {}", address_);
}

// ---------------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::steady_clock::now()); }

void HttpServer::Handle(std::string_view method, std::string_view pattern, HttpHandler handler) {
  impl_->router_.Add(method, pattern, std::move(handler));
}

Status HttpServer::Start() { return impl_->Start(); }

void HttpServer::Shutdown(Deadline deadline) { impl_->Shutdown(deadline); }

int HttpServer::port() const { return impl_->port_.load(); }

std::string HttpServer::address() const { return impl_->address_; }

const HttpServerStats& HttpServer::stats() const { return impl_->stats_; }

}  // namespace astrolabe::net
