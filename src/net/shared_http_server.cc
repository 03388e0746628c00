#include "net/shared_http_server.h"

#include <map>
#include <mutex>
#include <shared_mutex>

#include "net/http_codec.h"
#include "net/listen_address.h"

namespace astrolabe::net {

// One running server and the routes of every owner on it. The server routes everything to
// Dispatch(), which consults the current route table under a shared lock; changing the
// table takes the lock exclusively, so it waits for handlers in flight.
class SharedHttpEndpoint {
 public:
  SharedHttpEndpoint(std::string key, HttpServerOptions options, std::string first_owner)
      : key_(std::move(key)), options_(std::move(options)), first_owner_(std::move(first_owner)) {}

  Status Start() {
    server_ = std::make_unique<HttpServer>(options_);
    server_->Handle("", "/*", [this](ServerRequest& req, ServerResponse& resp) {
      std::shared_lock lock(mu_);
      (void)router_.Route(req, resp);  // 404, 405 and a throwing handler's 500 included
    });
    RETURN_IF_ERROR(server_->Start());
    address_ = server_->address();
    port_ = server_->port();
    return Status::Ok();
  }

  Status AddOwner(const std::string& owner, std::vector<SharedRoute> routes) {
    std::unique_lock lock(mu_);
    if (routes_.count(owner) != 0) {
      return AlreadyExists("listen on " + options_.listen_address + ": " + owner +
                           " already serves here");
    }
    for (const SharedRoute& r : routes) {
      for (const auto& [other, theirs] : routes_) {
        for (const SharedRoute& t : theirs) {
          bool methods_overlap = r.method.empty() || t.method.empty() || r.method == t.method;
          if (methods_overlap && r.pattern == t.pattern) {
            return AlreadyExists("listen on " + options_.listen_address + ": " + owner + " wants " +
                                 (r.method.empty() ? "*" : r.method) + " " + r.pattern +
                                 ", already served by " + other);
          }
        }
      }
    }
    routes_[owner] = std::move(routes);
    RebuildLocked();
    return Status::Ok();
  }

  // Returns how many owners remain.
  int RemoveOwner(const std::string& owner) {
    std::unique_lock lock(mu_);
    routes_.erase(owner);
    RebuildLocked();
    return static_cast<int>(routes_.size());
  }

  int owners() const {
    std::shared_lock lock(mu_);
    return static_cast<int>(routes_.size());
  }

  // Why `options` cannot share this server, or "" when they can.
  std::string Mismatch(const HttpServerOptions& o) const {
    auto differs = [&](const char* name, auto mine, auto theirs) {
      return std::string(name) + " " + std::to_string(theirs) + " differs from " + first_owner_ +
             "'s " + std::to_string(mine) + "; give both the same value";
    };
    if (o.max_body_bytes != options_.max_body_bytes)
      return differs("max_body_bytes", options_.max_body_bytes, o.max_body_bytes);
    if (o.max_header_bytes != options_.max_header_bytes)
      return differs("max_header_bytes", options_.max_header_bytes, o.max_header_bytes);
    if (o.header_timeout != options_.header_timeout)
      return differs("read_header_timeout (ms)", options_.header_timeout.count(),
                     o.header_timeout.count());
    if (o.body_timeout != options_.body_timeout)
      return differs("read_timeout (ms)", options_.body_timeout.count(), o.body_timeout.count());
    if (o.write_timeout != options_.write_timeout)
      return differs("write_timeout (ms)", options_.write_timeout.count(), o.write_timeout.count());
    if (o.idle_timeout != options_.idle_timeout)
      return differs("idle_timeout (ms)", options_.idle_timeout.count(), o.idle_timeout.count());
    if (o.max_connections != options_.max_connections)
      return differs("max_connections", options_.max_connections, o.max_connections);
    if (!(o.tls == options_.tls)) {
      return "tls settings differ from " + first_owner_ +
             "'s (cert_file, key_file, client_ca_file, min_version, max_version, "
             "reload_interval); give both the same tls block";
    }
    return "";
  }

  // Stops the server and destroys it, so the port is free at once.
  void Shutdown(Deadline deadline) {
    if (!server_) return;
    server_->Shutdown(deadline);
    server_.reset();
  }

  const std::string& key() const { return key_; }
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  // The running server's counters; zeros once it is shut down.
  const HttpServerStats& stats() const {
    static const HttpServerStats kNone;
    return server_ ? server_->stats() : kNone;
  }

 private:
  void RebuildLocked() {
    internal::Router fresh;
    for (const auto& [owner, routes] : routes_) {
      for (const SharedRoute& r : routes) fresh.Add(r.method, r.pattern, r.handler);
    }
    router_ = std::move(fresh);
  }

  const std::string key_;
  const HttpServerOptions options_;
  const std::string first_owner_;
  std::unique_ptr<HttpServer> server_;  // set by Start, reset by Shutdown (owner's threads)
  std::string address_;
  int port_ = 0;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::vector<SharedRoute>> routes_;  // GUARDED_BY(mu_)
  internal::Router router_;                                 // GUARDED_BY(mu_)
};

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<SharedHttpEndpoint>> endpoints;  // GUARDED_BY(mu)
};

Registry& GlobalRegistry() {
  static Registry* r = new Registry();  // never destroyed: leases may outlive statics
  return *r;
}

}  // namespace

HttpListenerLease::HttpListenerLease(std::shared_ptr<SharedHttpEndpoint> endpoint,
                                     std::string owner)
    : endpoint_(std::move(endpoint)), owner_(std::move(owner)) {}

HttpListenerLease::~HttpListenerLease() { Release(std::chrono::steady_clock::now()); }

void HttpListenerLease::Release(Deadline deadline) {
  if (released_) return;
  released_ = true;
  Registry& reg = GlobalRegistry();
  std::unique_lock lock(reg.mu);
  if (endpoint_->RemoveOwner(owner_) > 0) return;
  auto it = reg.endpoints.find(endpoint_->key());
  if (it != reg.endpoints.end() && it->second == endpoint_) reg.endpoints.erase(it);
  // Shut down under the registry lock so that a new ListenShared() on this endpoint binds
  // only after the port is free.
  endpoint_->Shutdown(deadline);
}

std::string HttpListenerLease::address() const { return endpoint_->address(); }
int HttpListenerLease::port() const { return endpoint_->port(); }
const HttpServerStats& HttpListenerLease::stats() const { return endpoint_->stats(); }
int HttpListenerLease::owners() const { return endpoint_->owners(); }

Result<std::unique_ptr<HttpListenerLease>> ListenShared(const HttpServerOptions& options,
                                                        const std::string& owner,
                                                        std::vector<SharedRoute> routes) {
  ASSIGN_OR_RETURN(ListenAddress parsed, ParseListenAddress(options.listen_address));
  const bool shareable = parsed.port != 0;
  Registry& reg = GlobalRegistry();
  std::unique_lock lock(reg.mu);
  if (shareable) {
    auto it = reg.endpoints.find(options.listen_address);
    if (it != reg.endpoints.end()) {
      std::string why = it->second->Mismatch(options);
      if (!why.empty()) {
        return InvalidArgument("listen on " + options.listen_address + ": shared with " + owner +
                               ", but " + why);
      }
      RETURN_IF_ERROR(it->second->AddOwner(owner, std::move(routes)));
      return std::make_unique<HttpListenerLease>(it->second, owner);
    }
  }
  auto endpoint = std::make_shared<SharedHttpEndpoint>(options.listen_address, options, owner);
  RETURN_IF_ERROR(endpoint->AddOwner(owner, std::move(routes)));
  RETURN_IF_ERROR(endpoint->Start());
  if (shareable) reg.endpoints[options.listen_address] = endpoint;
  return std::make_unique<HttpListenerLease>(endpoint, owner);
}

}  // namespace astrolabe::net
