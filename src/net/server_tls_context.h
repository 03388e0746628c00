#pragma once
// Internal to astrolabe_net: the OpenSSL server context behind an HTTP listener with TLS, and
// its reloading (the rule is in server_tls.h).
//
// Thread-safe: Current() may be called from any thread (the server calls it on accept).

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/status.h"
#include "net/server_tls.h"

namespace spdlog {
class logger;
}

namespace astrolabe::net::internal {

// What identifies a file's content without reading it: modification time, size and inode.
// Renaming a new file into place (how Kubernetes and certbot rotate) changes the inode.
struct FileStamp {
  int64_t mtime_ns = -1;
  int64_t size = -1;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp StampOf(const std::string& path);

// Builds a server SSL_CTX from `options`. Errors name the key and the file:
// "tls::cert_file /etc/x.pem: cannot load the certificate chain: no such file or directory".
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const ServerTlsOptions& options);

class ServerTlsContext {
 public:
  // Loads OpenSSL and the files once; errors as MakeServerTlsContext.
  static Result<std::unique_ptr<ServerTlsContext>> Create(ServerTlsOptions options,
                                                          std::shared_ptr<spdlog::logger> log);

  // The context for a new connection: the current one, reloaded first when reload_interval
  // has passed since the last look and a file changed.
  std::shared_ptr<boost::asio::ssl::context> Current();

  uint64_t reloads() const;  // successful reloads
  uint64_t reload_failures() const;

 private:
  ServerTlsContext(ServerTlsOptions options, std::shared_ptr<spdlog::logger> log);
  std::string Stamps() const;

  const ServerTlsOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // GUARDED_BY(mu_)
  std::string stamps_;                                // GUARDED_BY(mu_): files last loaded or tried
  std::chrono::steady_clock::time_point next_check_;  // GUARDED_BY(mu_)
  uint64_t reloads_ = 0;                              // GUARDED_BY(mu_)
  uint64_t reload_failures_ = 0;                      // GUARDED_BY(mu_)
};

}  // namespace astrolabe::net::internal
