#include "discovery/kubernetes/testing/fake_api_server.h"

#include <stdexcept>
#include <thread>

#include "net/url_query.h"

namespace astrolabe::discovery::kubernetes::testing {
namespace {

std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) out += (out.size() > 1 ? "," : "") + Q(k) + ":" + Q(v);
  return out + "}";
}

const char* ListKind(Kind k) {
  switch (k) {
    case Kind::kPod:
      return "PodList";
    case Kind::kService:
      return "ServiceList";
    case Kind::kEndpoints:
      return "EndpointsList";
    case Kind::kEndpointSlice:
      return "EndpointSliceList";
    case Kind::kNode:
      return "NodeList";
  }
  return "";
}

bool KindOf(std::string_view resource, Kind* out) {
  for (Kind k : {Kind::kPod, Kind::kService, Kind::kEndpoints, Kind::kEndpointSlice, Kind::kNode}) {
    if (ResourceName(k) == resource) {
      *out = k;
      return true;
    }
  }
  return false;
}

// Equality-based selectors only ("a=b,c=d"); enough for tests.
bool Matches(const std::map<std::string, std::string>& labels, const std::string& selector) {
  if (selector.empty()) return true;
  size_t start = 0;
  while (start <= selector.size()) {
    size_t comma = selector.find(',', start);
    std::string term =
        selector.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = term.find('=');
    if (eq != std::string::npos) {
      auto it = labels.find(term.substr(0, eq));
      if (it == labels.end() || it->second != term.substr(eq + 1)) return false;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

std::string StatusJson(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)" +
         Q(message) + R"(,"reason":)" + Q(reason) + R"(,"code":)" + std::to_string(code) + "}";
}

}  // namespace

FakeApiServer::FakeApiServer() {
  net::HttpServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.io_threads = 16;  // every watch holds one
  opts.log_name = "test/fake_api_server";
  server_ = std::make_unique<net::HttpServer>(opts);
  auto h = [this](net::ServerRequest& req, net::ServerResponse& res) { HandleApi(req, res); };
  server_->Handle("GET", "/api/*", h);
  server_->Handle("GET", "/apis/*", h);
  Status st = server_->Start();
  if (!st.ok()) throw std::runtime_error(st.message());
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

std::string FakeApiServer::url() const { return "http://" + server_->address(); }

std::string FakeApiServer::WithVersion(const std::string& json, int64_t rv) const {
  std::string out = json;
  size_t at = out.find("\"metadata\":{");
  if (at == std::string::npos) throw std::runtime_error("object without \"metadata\":{");
  at += 12;
  std::string ins = "\"resourceVersion\":\"" + std::to_string(rv) + "\"";
  if (out[at] != '}') ins += ",";
  out.insert(at, ins);
  return out;
}

void FakeApiServer::Record(Kind kind, const std::string& ns, const std::string& type,
                           const std::string& json,
                           const std::map<std::string, std::string>& labels) {
  events_.push_back(
      {rv_, kind, ns, "{\"type\":\"" + type + "\",\"object\":" + json + "}\n", labels});
}

int64_t FakeApiServer::Upsert(Kind kind, const std::string& json) {
  auto obj = DecodeObject(kind, json);
  if (!obj.ok()) throw std::runtime_error("bad test object: " + obj.status().message());
  const ObjectMeta& m = MetaOf(*obj);
  std::lock_guard<std::mutex> lock(mu_);
  ++rv_;
  std::string key = m.namespace_ + "/" + m.name;
  auto& slot = store_[kind];
  bool existed = slot.count(key) > 0;
  std::string stored = WithVersion(json, rv_);
  slot[key] = {stored, m.labels};
  Record(kind, m.namespace_, existed ? "MODIFIED" : "ADDED", stored, m.labels);
  cv_.notify_all();
  return rv_;
}

bool FakeApiServer::Delete(Kind kind, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = store_[kind];
  auto it = slot.find(ns + "/" + name);
  if (it == slot.end()) return false;
  ++rv_;
  Stored s = it->second;
  slot.erase(it);
  // The deleted object carries the deletion's version, as the real server sends it.
  size_t at = s.json.find("\"resourceVersion\":\"");
  size_t end = s.json.find('"', at + 19);
  s.json.replace(at + 19, end - (at + 19), std::to_string(rv_));
  Record(kind, ns, "DELETED", s.json, s.labels);
  cv_.notify_all();
  return true;
}

void FakeApiServer::Bookmark(Kind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  ++rv_;
  events_.push_back(
      {rv_,
       kind,
       "*",
       R"({"type":"BOOKMARK","object":{"kind":"Bookmark","metadata":{"resourceVersion":")" +
           std::to_string(rv_) + "\"}}}\n",
       {}});
  cv_.notify_all();
}

void FakeApiServer::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  compacted_ = rv_ + 1;
  cv_.notify_all();
}

void FakeApiServer::set_gone_as_event(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  gone_as_event_ = on;
}

void FakeApiServer::DropWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++drop_epoch_;
  cv_.notify_all();
}

void FakeApiServer::set_delay(std::chrono::milliseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = d;
}

void FakeApiServer::FailLists(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_lists_ = n;
}

void FakeApiServer::RequireAuthorization(const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  auth_ = value;
}

int FakeApiServer::lists(Kind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lists_.find(kind);
  return it == lists_.end() ? 0 : it->second;
}

int FakeApiServer::watches(Kind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watches_.find(kind);
  return it == watches_.end() ? 0 : it->second;
}

int FakeApiServer::gone() const {
  std::lock_guard<std::mutex> lock(mu_);
  return gone_;
}

std::vector<std::string> FakeApiServer::watch_queries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watch_queries_;
}

void FakeApiServer::HandleApi(net::ServerRequest& req, net::ServerResponse& res) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!auth_.empty() && req.header("Authorization").value_or("") != auth_) {
      res.Set(401, "application/json", StatusJson(401, "Unauthorized", "Unauthorized"));
      return;
    }
    auto delay = delay_;
    lock.unlock();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }
  // /api/v1[/namespaces/NS]/RESOURCE or /apis/discovery.k8s.io/v1[/namespaces/NS]/RESOURCE
  std::string path(req.path());
  std::string rest;
  if (path.rfind("/api/v1/", 0) == 0) {
    rest = path.substr(8);
  } else if (path.rfind("/apis/discovery.k8s.io/v1/", 0) == 0) {
    rest = path.substr(26);
  } else {
    res.Set(404, "application/json", StatusJson(404, "NotFound", "the server could not find it"));
    return;
  }
  std::string ns;
  if (rest.rfind("namespaces/", 0) == 0) {
    size_t slash = rest.find('/', 11);
    if (slash == std::string::npos) {
      res.Set(404, "application/json", StatusJson(404, "NotFound", "no resource"));
      return;
    }
    ns = rest.substr(11, slash - 11);
    rest = rest.substr(slash + 1);
  }
  Kind kind;
  if (!KindOf(rest, &kind) || (rest == "endpointslices") != (path.rfind("/apis/", 0) == 0)) {
    res.Set(404, "application/json", StatusJson(404, "NotFound", "unknown resource " + rest));
    return;
  }
  std::map<std::string, std::string> q;
  if (auto params = net::ParseQueryString(req.query()); params.ok()) {
    for (auto& p : *params) q[p.name] = p.value;
  }
  if (q["watch"] == "1" || q["watch"] == "true") {
    {
      std::lock_guard<std::mutex> lock(mu_);
      watch_queries_.emplace_back(req.query());
    }
    HandleWatch(kind, ns, q, res);
  } else {
    HandleList(kind, ns, q, res);
  }
}

void FakeApiServer::HandleList(Kind kind, const std::string& ns,
                               const std::map<std::string, std::string>& q,
                               net::ServerResponse& res) {
  std::lock_guard<std::mutex> lock(mu_);
  ++lists_[kind];
  if (fail_lists_ > 0) {
    --fail_lists_;
    res.Set(500, "application/json", StatusJson(500, "InternalError", "etcd is sad"));
    return;
  }
  auto get = [&q](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  std::string selector = get("labelSelector");
  size_t limit = get("limit").empty() ? 0 : std::stoul(get("limit"));
  size_t offset = get("continue").empty() ? 0 : std::stoul(get("continue"));
  std::vector<const Stored*> items;
  for (const auto& [key, s] : store_[kind]) {
    if (!ns.empty() && key.rfind(ns + "/", 0) != 0) continue;
    if (!Matches(s.labels, selector)) continue;
    items.push_back(&s);
  }
  std::string body = std::string(R"({"kind":")") + ListKind(kind) +
                     R"(","apiVersion":"v1","metadata":{"resourceVersion":")" +
                     std::to_string(rv_) + "\"";
  size_t end = items.size();
  if (limit > 0 && offset + limit < items.size()) {
    end = offset + limit;
    body += ",\"continue\":\"" + std::to_string(end) + "\"";
  }
  body += "},\"items\":[";
  for (size_t i = offset; i < end; ++i) body += (i > offset ? "," : "") + items[i]->json;
  body += "]}";
  res.Set(200, "application/json", std::move(body));
}

void FakeApiServer::HandleWatch(Kind kind, const std::string& ns,
                                const std::map<std::string, std::string>& q,
                                net::ServerResponse& res) {
  auto get = [&q](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  int64_t from = get("resourceVersion").empty() ? 0 : std::stoll(get("resourceVersion"));
  int64_t timeout_s = get("timeoutSeconds").empty() ? 300 : std::stoll(get("timeoutSeconds"));
  std::string selector = get("labelSelector");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::unique_lock<std::mutex> lock(mu_);
  ++watches_[kind];
  const std::string gone_event =
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}})"
      "\n";
  if (from < compacted_) {
    ++gone_;
    if (gone_as_event_) {
      lock.unlock();
      (void)res.Write(gone_event);
      return;
    }
    res.Set(410, "application/json", StatusJson(410, "Expired", "too old resource version"));
    return;
  }
  const uint64_t epoch = drop_epoch_;
  const int64_t compacted_at_start = compacted_;
  lock.unlock();
  res.headers.Set("Content-Type", "application/json");
  if (!res.Write("").ok()) return;  // the head, at once, as the real server sends it
  lock.lock();
  size_t cursor = 0;
  while (cursor < events_.size() && events_[cursor].rv <= from) ++cursor;
  while (true) {
    if (stopping_) return;
    if (drop_epoch_ != epoch) {
      lock.unlock();
      throw std::runtime_error("dropping the watch");  // the server cuts the connection
    }
    if (compacted_ != compacted_at_start) {
      ++gone_;
      lock.unlock();
      (void)res.Write(gone_event);
      return;
    }
    while (cursor < events_.size()) {
      const Event& ev = events_[cursor++];
      if (ev.kind != kind) continue;
      if (ev.ns != "*" && !ns.empty() && ev.ns != ns) continue;
      if (ev.ns != "*" && !Matches(ev.labels, selector)) continue;
      std::string line = ev.line;
      lock.unlock();
      if (!res.Write(line).ok()) return;
      lock.lock();
    }
    if (std::chrono::steady_clock::now() >= deadline) return;
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    if (res.ClientGone()) return;
  }
}

std::string PodJson(const PodSpec& p) {
  std::string owners;
  if (!p.owner_kind.empty()) {
    owners = R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":)" + Q(p.owner_kind) +
             R"(,"name":)" + Q(p.owner_name) + R"(,"uid":"o-1","controller":true}])";
  }
  std::string containers, statuses;
  for (const auto& [name, ports] : p.containers) {
    std::string ps;
    for (const auto& [pname, num] : ports) {
      ps += (ps.empty() ? "" : ",") + std::string("{") +
            (pname.empty() ? "" : "\"name\":" + Q(pname) + ",") +
            "\"containerPort\":" + std::to_string(num) + ",\"protocol\":\"TCP\"}";
    }
    containers += (containers.empty() ? "" : ",") + std::string("{\"name\":") + Q(name) +
                  ",\"image\":\"nvcr.io/nim/" + name + ":1.0\",\"ports\":[" + ps + "]}";
    statuses += (statuses.empty() ? "" : ",") + std::string("{\"name\":") + Q(name) +
                ",\"ready\":" + (p.ready ? "true" : "false") + ",\"containerID\":\"containerd://" +
                name + "-id\"}";
  }
  return R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":)" + Q(p.name) + R"(,"namespace":)" +
         Q(p.ns) + R"(,"uid":"uid-)" + p.name + R"(","labels":)" + MapJson(p.labels) +
         R"(,"annotations":)" + MapJson(p.annotations) + owners + R"(},"spec":{"nodeName":)" +
         Q(p.node) + R"(,"containers":[)" + containers + R"(]},"status":{"phase":)" + Q(p.phase) +
         R"(,"hostIP":"10.0.0.1","podIP":)" + Q(p.ip) +
         R"(,"conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":")" +
         (p.ready ? "True" : "False") + R"("}],"containerStatuses":[)" + statuses + "]}}";
}

std::string ServiceJson(const std::string& ns, const std::string& name,
                        const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& annotations,
                        const std::vector<std::pair<std::string, int>>& ports,
                        const std::map<std::string, std::string>& selector) {
  std::string ps;
  for (const auto& [pname, num] : ports) {
    ps += (ps.empty() ? "" : ",") + std::string("{\"name\":") + Q(pname) +
          ",\"protocol\":\"TCP\",\"port\":" + std::to_string(num) +
          ",\"targetPort\":" + std::to_string(num) + "}";
  }
  return R"({"kind":"Service","apiVersion":"v1","metadata":{"name":)" + Q(name) +
         R"(,"namespace":)" + Q(ns) + R"(,"uid":"svc-)" + name + R"(","labels":)" +
         MapJson(labels) + R"(,"annotations":)" + MapJson(annotations) +
         R"(},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.10","ports":[)" + ps +
         R"(],"selector":)" + MapJson(selector) + R"(},"status":{"loadBalancer":{}}})";
}

std::string EndpointSliceJson(const std::string& ns, const std::string& name,
                              const std::string& service,
                              const std::vector<std::pair<std::string, int>>& ports,
                              const std::vector<SliceEndpointSpec>& endpoints) {
  std::string ps, es;
  for (const auto& [pname, num] : ports) {
    ps += (ps.empty() ? "" : ",") + std::string("{\"name\":") + Q(pname) +
          ",\"protocol\":\"TCP\",\"port\":" + std::to_string(num) + "}";
  }
  for (const auto& e : endpoints) {
    es += (es.empty() ? "" : ",") + std::string("{\"addresses\":[") + Q(e.ip) +
          "],\"conditions\":{\"ready\":" + (e.ready ? "true" : "false") +
          ",\"serving\":" + (e.ready ? "true" : "false") + ",\"terminating\":false}" +
          (e.node.empty() ? "" : ",\"nodeName\":" + Q(e.node)) +
          (e.pod.empty() ? ""
                         : ",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":" + Q(ns) +
                               ",\"name\":" + Q(e.pod) + ",\"uid\":\"uid-" + e.pod + "\"}") +
          "}";
  }
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":)" +
         Q(name) + R"(,"namespace":)" + Q(ns) +
         R"(,"labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io","kubernetes.io/service-name":)" +
         Q(service) + R"(}},"addressType":"IPv4","endpoints":[)" + es + R"(],"ports":[)" + ps +
         "]}";
}

std::string NodeJson(const std::string& name, const std::string& internal_ip, int kubelet_port) {
  return R"({"kind":"Node","apiVersion":"v1","metadata":{"name":)" + Q(name) + R"(,"uid":"node-)" +
         name + R"(","labels":{"kubernetes.io/hostname":)" + Q(name) +
         R"(}},"spec":{"providerID":"kind://docker/kind/)" + name +
         R"("},"status":{"addresses":[{"type":"InternalIP","address":)" + Q(internal_ip) +
         R"(},{"type":"Hostname","address":)" + Q(name) +
         R"(}],"daemonEndpoints":{"kubeletEndpoint":{"Port":)" + std::to_string(kubelet_port) +
         "}}}}";
}

}  // namespace astrolabe::discovery::kubernetes::testing
