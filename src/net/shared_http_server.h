#pragma once
// Listener sharing: several components serving disjoint paths on one HTTP endpoint, as
// DESIGN.md §5 wants for the server's port 4318 (the otlp receiver's /v1/* and the
// prometheus_remote_write receiver's /api/v1/write).
//
//   auto lease = net::ListenShared(options, "receiver/otlp", {{"POST", "/v1/metrics", h}, ...});
//   ...
//   lease->Release(deadline);   // or let it go out of scope
//
// The first ListenShared() for an endpoint starts an HttpServer with its options; later
// ones for the same endpoint (the same listen_address text, e.g. "localhost:4318") add
// their routes to it, and the last lease to be released shuts it down. Routing within the
// shared server follows HttpServer::Handle (exact beats prefix, longer prefix beats shorter,
// 404 / 405 otherwise).
//
// Errors, at ListenShared() (i.e. at the component's Start), never at request time:
//   - a route whose method and pattern another owner already serves there:
//       "listen on localhost:4318: receiver/prometheus_remote_write wants POST /v1/metrics,
//        already served by receiver/otlp"
//   - server options (body limit, timeouts, connection limit) that differ from the running
//     server's: "... max_body_bytes 10485760 differs from receiver/otlp's 20971520; give
//     both the same value"
//   - the bind error of the first owner ("address already in use").
// An endpoint with port 0 is never shared: each call gets its own ephemeral server. Two
// spellings of one address ("localhost:4318", "127.0.0.1:4318") are different keys; the
// second then fails to bind, as without sharing.
//
// Threads: ListenShared() and Release() may be called from any thread (a process-wide
// registry, guarded by a mutex), but not from inside a handler. Release() waits for the
// owner's handlers that are running to return, so after it the owner may be destroyed.

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/http_server.h"

namespace astrolabe::net {

struct SharedRoute {
  std::string method;   // "" = any, as HttpServer::Handle
  std::string pattern;  // exact path, or a prefix ending in '*'
  HttpHandler handler;
};

class SharedHttpEndpoint;

// One owner's claim on a shared endpoint. Releasing (or destroying) it removes the owner's
// routes; the last one shuts the server down.
class HttpListenerLease {
 public:
  HttpListenerLease(std::shared_ptr<SharedHttpEndpoint> endpoint, std::string owner);
  ~HttpListenerLease();
  HttpListenerLease(const HttpListenerLease&) = delete;
  HttpListenerLease& operator=(const HttpListenerLease&) = delete;

  // Removes this owner's routes, waiting for its running handlers; the last lease shuts the
  // server down by `deadline`. Idempotent.
  void Release(Deadline deadline);

  // The bound address ("127.0.0.1:4318") and port (kept after the server stops).
  std::string address() const;
  int port() const;
  // The shared server's counters (all owners together); zeros once it has stopped.
  const HttpServerStats& stats() const;
  // How many owners the endpoint has now (tests).
  int owners() const;

 private:
  std::shared_ptr<SharedHttpEndpoint> endpoint_;
  std::string owner_;
  bool released_ = false;
};

// Claims `routes` on the endpoint options.listen_address for `owner` ("receiver/otlp"),
// starting the server if this is the first claim. See the header comment for errors.
Result<std::unique_ptr<HttpListenerLease>> ListenShared(const HttpServerOptions& options,
                                                        const std::string& owner,
                                                        std::vector<SharedRoute> routes);

}  // namespace astrolabe::net
