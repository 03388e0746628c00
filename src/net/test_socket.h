#pragma once
// Test helper: a blocking loopback TCP client for driving HttpServer with exact bytes.
// Thread-compatible. Every read is bounded by a receive timeout so a test cannot hang.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace astrolabe::net::testing {

class TestSocket {
 public:
  // Connects to 127.0.0.1:port (or [::1]:port when ipv6).
  explicit TestSocket(int port, bool ipv6 = false) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;  // every Send() is its own segment, so tests control how bytes arrive
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int rc;
    if (ipv6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(static_cast<uint16_t>(port));
      addr.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    }
    connected_ = rc == 0;
  }
  ~TestSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  bool connected() const { return connected_; }

  // Returns false when the peer has closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response: headers, then Content-Length bytes of body (or to EOF without one).
  // Returns what arrived, possibly partial, within the receive timeout.
  std::string ReadResponse() {
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::exchange(pending_, "");
    }
    header_end += 4;
    std::string head = pending_.substr(0, header_end);
    size_t want = 0;
    bool to_eof = true;
    std::string lower;
    for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = lower.find("content-length:");
    if (cl != std::string::npos) {
      want = std::stoul(head.substr(cl + 15));
      to_eof = false;
    }
    if (head.starts_with("HTTP/1.1 1")) {  // interim responses have no body
      want = 0;
      to_eof = false;
    }
    if (to_eof) {
      while (Fill()) {
      }
    } else {
      while (pending_.size() < header_end + want && Fill()) {
      }
    }
    size_t total = to_eof ? pending_.size() : std::min(pending_.size(), header_end + want);
    std::string out = pending_.substr(0, total);
    pending_.erase(0, total);
    return out;
  }

  // Reads only a response head (for HEAD requests, whose Content-Length has no body).
  std::string ReadHead() {
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::exchange(pending_, "");
    }
    std::string out = pending_.substr(0, header_end + 4);
    pending_.erase(0, header_end + 4);
    return out;
  }

  // True when the server closed the connection (EOF or reset) within `timeout`, after
  // discarding any bytes that arrive first.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      end - std::chrono::steady_clock::now())
                                      .count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;
      pending_.append(buf, static_cast<size_t>(n));
    }
    return false;
  }

  // Reads until `needle` has arrived (true) or the peer closed or went silent for the
  // receive timeout (false). What arrived stays in pending().
  bool ReadUntil(std::string_view needle) {
    while (pending_.find(needle) == std::string::npos) {
      if (!Fill()) return false;
    }
    return true;
  }

  // Closes the connection now (the destructor then does nothing).
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Shrinks the kernel receive buffer (call before the server sends much).
  void SetReceiveBuffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }

  const std::string& pending() const { return pending_; }

 private:
  bool Fill() {
    char buf[8192];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

}  // namespace astrolabe::net::testing
