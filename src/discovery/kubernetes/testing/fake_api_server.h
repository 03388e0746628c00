#pragma once
// FakeApiServer: a Kubernetes API server for tests, on our own HttpServer on 127.0.0.1. It
// serves lists (PodList, ServiceList, EndpointsList, EndpointSliceList, NodeList; namespaced
// and cluster-wide paths, equality label selectors, limit/continue pages) and watch streams
// (one JSON event per line, chunked) from a revision log, the way the real one does:
// every change gets the next resourceVersion; a watch from version v gets every later event;
// a watch from before the compaction point gets 410 Gone (as the HTTP status, or as an ERROR
// event with code 410 when gone_as_event is set); watches end at timeoutSeconds.
// Tests also drop every open watch connection mid-stream, slow responses down, and make the
// next lists fail.
//
// Objects are given as JSON text whose metadata starts `"metadata":{` (the helpers below
// write it so); the server inserts the resourceVersion there.
//
// Threads: every method may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "discovery/kubernetes/objects.h"
#include "net/http_server.h"

namespace astrolabe::discovery::kubernetes::testing {

class FakeApiServer {
 public:
  FakeApiServer();
  ~FakeApiServer();

  std::string url() const;  // "http://127.0.0.1:PORT"

  // Adds or replaces an object (ADDED or MODIFIED to watchers); returns its resourceVersion.
  int64_t Upsert(Kind kind, const std::string& json);
  // Deletes it (DELETED to watchers); false when absent.
  bool Delete(Kind kind, const std::string& ns, const std::string& name);
  // Sends a BOOKMARK to every watch of `kind`.
  void Bookmark(Kind kind);
  // Forgets the history up to now: watches from an older version get 410 Gone, and open
  // watches get it too (as the real server does when its window moves past them).
  void Compact();
  void set_gone_as_event(bool on);
  // Cuts every open watch connection (no terminating chunk).
  void DropWatches();
  // Delays every list and the start of every watch by `d`.
  void set_delay(std::chrono::milliseconds d);
  // The next `n` lists answer 500.
  void FailLists(int n);
  // Requests must carry `Authorization: <value>` (empty: anything); others get 401.
  void RequireAuthorization(const std::string& value);

  int lists(Kind kind) const;
  int watches(Kind kind) const;
  int gone() const;  // 410 answers and events sent
  // The query strings of the watch requests, in order.
  std::vector<std::string> watch_queries() const;

 private:
  struct Event {
    int64_t rv;
    Kind kind;
    std::string ns;
    std::string line;  // the event JSON, with '\n'
    std::map<std::string, std::string> labels;
  };
  struct Stored {
    std::string json;  // with resourceVersion
    std::map<std::string, std::string> labels;
  };
  void HandleApi(net::ServerRequest& req, net::ServerResponse& res);
  void HandleList(Kind kind, const std::string& ns, const std::map<std::string, std::string>& q,
                  net::ServerResponse& res);
  void HandleWatch(Kind kind, const std::string& ns, const std::map<std::string, std::string>& q,
                   net::ServerResponse& res);
  std::string WithVersion(const std::string& json, int64_t rv) const;
  void Record(Kind kind, const std::string& ns, const std::string& type, const std::string& json,
              const std::map<std::string, std::string>& labels);

  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t rv_ = 100;
  int64_t compacted_ = 0;  // watches from a version < this get 410
  bool gone_as_event_ = false;
  uint64_t drop_epoch_ = 0;
  bool stopping_ = false;
  std::chrono::milliseconds delay_{0};
  int fail_lists_ = 0;
  std::string auth_;
  std::map<Kind, std::map<std::string, Stored>> store_;  // kind → "ns/name" → object
  std::vector<Event> events_;
  std::map<Kind, int> lists_, watches_;
  int gone_ = 0;
  std::vector<std::string> watch_queries_;
};

// Real-shaped objects for tests (the fields discovery reads, as kubectl get -o json shows).
struct PodSpec {
  std::string ns = "default";
  std::string name;
  std::string ip;
  std::string node = "node-1";
  std::string phase = "Running";
  bool ready = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // containers: name → ports (name, number)
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, int>>>> containers;
  std::string owner_kind;  // "ReplicaSet", ...
  std::string owner_name;
};
std::string PodJson(const PodSpec& p);

std::string ServiceJson(const std::string& ns, const std::string& name,
                        const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& annotations,
                        const std::vector<std::pair<std::string, int>>& ports,  // name, port
                        const std::map<std::string, std::string>& selector);

struct SliceEndpointSpec {
  std::string ip;
  bool ready = true;
  std::string pod;  // targetRef name, or empty
  std::string node;
};
std::string EndpointSliceJson(const std::string& ns, const std::string& name,
                              const std::string& service,
                              const std::vector<std::pair<std::string, int>>& ports,
                              const std::vector<SliceEndpointSpec>& endpoints);

std::string NodeJson(const std::string& name, const std::string& internal_ip, int kubelet_port);

}  // namespace astrolabe::discovery::kubernetes::testing
