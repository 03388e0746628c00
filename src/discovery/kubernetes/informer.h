#pragma once
// An Informer keeps a local copy of one resource (pods, services, ... in one namespace or in
// all) current, the way client-go's reflector does:
//
//   1. list (pages of `page_size`, `continue` tokens) → replace the copy; remember the list's
//      resourceVersion;
//   2. watch from that resourceVersion with allowWatchBookmarks=true and timeoutSeconds =
//      watch_timeout (randomised up to 2x, as client-go does, so watches of many clients do
//      not end together); apply ADDED/MODIFIED/DELETED to the copy, move the resourceVersion
//      on with every event and bookmark;
//   3. when the watch ends normally, watch again from the last resourceVersion; when the
//      server answers 410 Gone (as an HTTP status or as an ERROR event with code 410: the
//      version is too old), list again; on any other error (connection refused or dropped,
//      5xx, 403, undecodable event) wait with exponential backoff and jitter
//      (backoff_initial doubling up to backoff_max, each wait drawn in [d/2, d]), then watch
//      again if the version is still usable, else list.
// A silent connection is bounded by the request timeout (watch_timeout + 30 s).
//
// Threads: Start() runs the loop on its own thread; on_change is called on that thread or the
// API client's, after each change to the copy, with no lock held. Objects() and the counters
// may be called from any thread. Stop() requires the ApiClient to have been shut down (or
// to be shut down concurrently) so that a blocked watch returns; the Discoverer does that.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "discovery/kubernetes/api_client.h"
#include "discovery/kubernetes/objects.h"

namespace astrolabe::discovery::kubernetes {

struct InformerOptions {
  Kind kind = Kind::kPod;
  std::string namespace_;  // empty: all namespaces (or cluster-scoped)
  std::string label_selector;
  std::string field_selector;
  std::chrono::milliseconds watch_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds list_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds backoff_initial{std::chrono::milliseconds(500)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  int64_t page_size = 500;
  std::string log_name = "discovery/kubernetes";
};

struct InformerStats {
  uint64_t lists = 0;
  uint64_t watches = 0;
  uint64_t relists_gone = 0;  // 410 Gone, as a status or an ERROR event
  uint64_t errors = 0;        // failed lists and watches, bad events
  uint64_t events = 0;
  uint64_t bookmarks = 0;
};

class Informer {
 public:
  Informer(ApiClient* client, InformerOptions options, std::function<void()> on_change);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();
  // Marks the informer stopping (errors after this are not logged) without waiting.
  void RequestStop();
  // RequestStop, then joins the loop.
  void Stop();

  // A snapshot of the copy, keyed by "namespace/name".
  std::map<std::string, std::shared_ptr<const Object>> Objects() const;
  // True once the first list succeeded.
  bool synced() const { return synced_.load(); }
  InformerStats stats() const;
  const InformerOptions& options() const { return options_; }

  // The request paths (for tests and logs).
  std::string ListPath(const std::string& continue_token) const;
  std::string WatchPath(const std::string& resource_version,
                        std::chrono::milliseconds timeout) const;

 private:
  void Run();
  // Lists; true on success.
  bool List();
  // Watches from resource_version_; returns what to do next.
  enum class Next { kWatch, kList, kBackoff };
  Next Watch();
  // Waits `d` unless stopping; false when stopping.
  bool Sleep(std::chrono::milliseconds d);
  std::string Describe() const;

  ApiClient* client_;
  InformerOptions options_;
  std::function<void()> on_change_;
  std::thread thread_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::string resource_version_;  // owned by the loop thread

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Object>> objects_;  // GUARDED_BY(mu_)
  InformerStats stats_;                                           // GUARDED_BY(mu_)
};

}  // namespace astrolabe::discovery::kubernetes
