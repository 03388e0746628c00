#include "net/http_codec.h"

#include <algorithm>
#include <limits>
#include <mutex>

#include <boost/asio/buffer.hpp>

namespace astrolabe::net {

// ---------------------------------------------------------------------------------------------
// ServerRequest / ServerResponse

ServerRequest::ServerRequest(internal::RawRequest* raw, std::string remote_address)
    : raw_(raw), remote_address_(std::move(remote_address)) {}

std::string_view ServerRequest::method() const {
  auto m = raw_->message.method_string();
  return {m.data(), m.size()};
}

std::string_view ServerRequest::target() const {
  auto t = raw_->message.target();
  return {t.data(), t.size()};
}

std::string_view ServerRequest::path() const {
  std::string_view t = target();
  return t.substr(0, t.find('?'));
}

std::string_view ServerRequest::query() const {
  std::string_view t = target();
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::optional<std::string_view> ServerRequest::header(std::string_view name) const {
  auto it = raw_->message.find(boost::beast::string_view(name.data(), name.size()));
  if (it == raw_->message.end()) return std::nullopt;
  auto v = it->value();
  return std::string_view(v.data(), v.size());
}

std::vector<std::string_view> ServerRequest::headers(std::string_view name) const {
  std::vector<std::string_view> out;
  auto range = raw_->message.equal_range(boost::beast::string_view(name.data(), name.size()));
  for (auto it = range.first; it != range.second; ++it) {
    out.emplace_back(it->value().data(), it->value().size());
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> ServerRequest::header_fields() const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const auto& field : raw_->message) {
    out.emplace_back(std::string_view(field.name_string().data(), field.name_string().size()),
                     std::string_view(field.value().data(), field.value().size()));
  }
  return out;
}

std::string_view ServerRequest::body() const { return raw_->message.body(); }

std::string ServerRequest::TakeBody() { return std::move(raw_->message.body()); }

unsigned ServerRequest::version() const { return raw_->message.version(); }

void ServerResponse::Set(int status_code, std::string content_type, std::string content) {
  status = status_code;
  headers.Set("Content-Type", std::move(content_type));
  body = std::move(content);
}

Status ServerResponse::Write(std::string_view data) {
  if (stream_ == nullptr) {
    return FailedPrecondition("response is not attached to a connection: cannot stream");
  }
  return stream_->Write(*this, data);
}

bool ServerResponse::ClientGone() const { return stream_ == nullptr || stream_->ClientGone(); }

bool ServerResponse::streaming() const { return stream_ != nullptr && stream_->started(); }

namespace internal {

namespace {

struct KeptBodies {
  std::mutex mu;
  std::vector<std::string> buffers;  // the most recently kept last
  size_t bytes = 0;
};

KeptBodies& Kept() {
  static auto* kept = new KeptBodies;  // never destroyed: I/O threads may outlive statics
  return *kept;
}

}  // namespace

std::string TakeBodyBuffer(size_t length) {
  std::string out;
  {
    KeptBodies& kept = Kept();
    std::lock_guard lock(kept.mu);
    auto& v = kept.buffers;
    for (size_t i = v.size(); i-- > 0;) {
      if (v[i].capacity() >= length) {
        out = std::move(v[i]);
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
        kept.bytes -= out.capacity();
        break;
      }
    }
  }
  out.resize(length);  // fills only past the kept size, if at all
  return out;
}

void KeepBodyBuffer(std::string&& body) {
  const size_t capacity = body.capacity();
  if (capacity < kMinKeptBodyBytes || capacity > kMaxKeptBodyBytes) return;
  std::vector<std::string> dropped;  // freed outside the lock
  KeptBodies& kept = Kept();
  std::lock_guard lock(kept.mu);
  // Room is made by dropping the oldest: the newest are the likeliest to be in cache.
  auto& v = kept.buffers;
  while (!v.empty() && (v.size() >= kMaxKeptBodies || kept.bytes + capacity > kMaxKeptBodyBytes)) {
    kept.bytes -= v.front().capacity();
    dropped.push_back(std::move(v.front()));
    v.erase(v.begin());
  }
  kept.bytes += capacity;
  v.push_back(std::move(body));
}

std::pair<size_t, size_t> KeptBodyBuffers() {
  KeptBodies& kept = Kept();
  std::lock_guard lock(kept.mu);
  return {kept.buffers.size(), kept.bytes};
}

namespace http = boost::beast::http;

std::string StreamHead(const ServerResponse& response, unsigned version, bool chunked,
                       bool keep_alive) {
  int status = response.status;
  if (status < 100 || status > 999) status = 500;
  std::string out = version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out +=
      std::string_view(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status))));
  out += "\r\n";
  auto unsafe = [](std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
  };
  for (const auto& [name, value] : response.headers.fields()) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection") || name.empty() || unsafe(name) || unsafe(value)) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (chunked) out += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

void ConfigureParser(RequestParser& parser, const ParserLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
  parser.eager(false);
}

int FinishHeader(RequestParser& parser, size_t header_bytes, const ParserLimits& limits) {
  if (header_bytes > limits.max_header_bytes) return 431;
  // Copy body bytes as they arrive rather than one put() per buffer.
  parser.eager(true);
  return 0;
}

int StatusForParseError(const boost::beast::error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  return 400;
}

BufferParse ParseRequestBuffer(std::string_view bytes, const ParserLimits& limits) {
  BufferParse out;
  RequestParser parser;
  ConfigureParser(parser, limits);
  size_t offset = 0;
  bool header_checked = false;
  while (!parser.is_done()) {
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(bytes.data() + offset, bytes.size() - offset), ec);
    offset += used;
    if (ec == http::error::need_more || (!ec && used == 0 && !parser.is_done())) {
      // We always hand Beast every byte we have, so "need more" means the request is
      // incomplete. Calling put() again without new bytes would break its contract (it
      // remembers how far it scanned the unconsumed tail).
      out.consumed = offset;
      return out;
    }
    if (ec) {
      out.status = StatusForParseError(ec);
      out.consumed = offset;
      return out;
    }
    if (!header_checked && parser.is_header_done()) {
      header_checked = true;
      // Non-eager: the put() that completed the header consumed exactly the header.
      if (int status = FinishHeader(parser, offset, limits); status != 0) {
        out.status = status;
        out.consumed = offset;
        return out;
      }
    }
  }
  out.status = 0;
  out.consumed = offset;
  out.request = std::make_unique<RawRequest>(RawRequest{parser.release()});
  return out;
}

BufferParse ParseRequestIncrementally(std::string_view bytes, size_t step,
                                      const ParserLimits& limits) {
  BufferParse out;
  RequestParser parser;
  ConfigureParser(parser, limits);
  step = std::max<size_t>(step, 1);
  std::string pending;  // received but not yet consumed by the parser
  size_t received = 0;
  size_t consumed = 0;
  bool header_checked = false;
  bool want_bytes = true;
  while (!parser.is_done()) {
    if (want_bytes) {
      if (received == bytes.size()) {
        out.consumed = consumed;
        return out;  // incomplete
      }
      size_t n = std::min(step, bytes.size() - received);
      pending.append(bytes.data() + received, n);
      received += n;
    }
    want_bytes = true;
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    consumed += used;
    if (ec == http::error::need_more) continue;
    if (ec) {
      out.status = StatusForParseError(ec);
      out.consumed = consumed;
      return out;
    }
    if (!header_checked && parser.is_header_done()) {
      header_checked = true;
      if (int status = FinishHeader(parser, consumed, limits); status != 0) {
        out.status = status;
        out.consumed = consumed;
        return out;
      }
      want_bytes = pending.empty();  // body bytes that came with the header
    }
  }
  out.status = 0;
  out.consumed = consumed;
  out.request = std::make_unique<RawRequest>(RawRequest{parser.release()});
  return out;
}

void Router::Add(std::string_view method, std::string_view pattern, HttpHandler handler) {
  Entry entry;
  entry.method = std::string(method);
  entry.prefix = !pattern.empty() && pattern.back() == '*';
  entry.path = std::string(entry.prefix ? pattern.substr(0, pattern.size() - 1) : pattern);
  entry.handler = std::move(handler);
  for (Entry& existing : entries_) {
    if (existing.method == entry.method && existing.path == entry.path &&
        existing.prefix == entry.prefix) {
      existing = std::move(entry);
      return;
    }
  }
  entries_.push_back(std::move(entry));
}

Router::Outcome Router::Route(ServerRequest& request, ServerResponse& response) const {
  std::string_view path = request.path();
  std::string_view method = request.method();
  // Rank: exact matches above every prefix; longer prefixes above shorter ones.
  auto rank = [&](const Entry& e) -> long {
    if (!e.prefix) return e.path == path ? std::numeric_limits<long>::max() : -1;
    return path.starts_with(e.path) ? static_cast<long>(e.path.size()) : -1;
  };
  const Entry* best = nullptr;
  long best_rank = -1;
  int best_quality = 0;  // 3: same method, 2: any method, 1: GET serving HEAD
  bool path_matched = false;
  std::string allow;
  for (const Entry& e : entries_) {
    long r = rank(e);
    if (r < 0) continue;
    path_matched = true;
    int quality = 0;
    if (e.method == method) {
      quality = 3;
    } else if (e.method.empty()) {
      quality = 2;
    } else if (method == "HEAD" && e.method == "GET") {
      quality = 1;
    } else {
      if (allow.find(e.method) == std::string::npos) {
        if (!allow.empty()) allow += ", ";
        allow += e.method;
      }
      continue;
    }
    if (r > best_rank || (r == best_rank && quality > best_quality)) {
      best = &e;
      best_rank = r;
      best_quality = quality;
    }
  }
  if (best == nullptr) {
    if (path_matched) {
      response = ErrorResponse(405, "method not allowed");
      response.headers.Set("Allow", allow);
      return Outcome::kMethodNotAllowed;
    }
    response = ErrorResponse(404, "not found");
    return Outcome::kNotFound;
  }
  try {
    best->handler(request, response);
  } catch (...) {
    response = ErrorResponse(500, "internal error");
    return Outcome::kHandlerError;
  }
  return Outcome::kHandled;
}

ServerResponse ErrorResponse(int status, std::string_view message) {
  ServerResponse response;
  response.Set(status, "text/plain; charset=utf-8", std::string(message) + "\n");
  return response;
}

BeastResponse ToBeastResponse(ServerResponse&& response, unsigned version, bool keep_alive,
                              bool head_request) {
  BeastResponse out;
  int status = response.status;
  if (status < 100 || status > 999) status = 500;
  out.result(static_cast<unsigned>(status));
  out.version(version == 10 ? 10 : 11);
  for (auto& [name, value] : response.headers.fields()) {
    // Framing is ours: a handler's Content-Length or Transfer-Encoding would lie.
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    out.insert(name, value);
  }
  size_t length = response.body.size();
  bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (!head_request && !no_body) out.body() = std::move(response.body);
  if (!no_body) out.content_length(length);
  out.keep_alive(keep_alive);
  return out;
}

}  // namespace internal
}  // namespace astrolabe::net
