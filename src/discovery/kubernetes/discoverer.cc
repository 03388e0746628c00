#include "discovery/kubernetes/discoverer.h"

#include "common/log.h"

namespace astrolabe::discovery::kubernetes {
namespace {

std::vector<Kind> KindsOf(const std::string& role) {
  if (role == "pod") return {Kind::kPod};
  if (role == "service") return {Kind::kService};
  if (role == "node") return {Kind::kNode};
  if (role == "endpoints") return {Kind::kEndpoints, Kind::kService, Kind::kPod};
  if (role == "endpointslice") return {Kind::kEndpointSlice, Kind::kService, Kind::kPod};
  if (role == "annotations") return {Kind::kPod, Kind::kService, Kind::kEndpointSlice};
  return {};
}

std::string RoleOf(Kind k) {
  switch (k) {
    case Kind::kPod:
      return "pod";
    case Kind::kService:
      return "service";
    case Kind::kEndpoints:
      return "endpoints";
    case Kind::kEndpointSlice:
      return "endpointslice";
    case Kind::kNode:
      return "node";
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<Discoverer>> Discoverer::Create(const SdConfig& config,
                                                       DiscovererOptions options) {
  RETURN_IF_ERROR(config.Validate());
  auto api = ResolveApiConfig(config, options.service_account_dir);
  if (!api.ok()) return api.status().Annotate("kubernetes_sd_configs (role " + config.role + ")");
  return std::unique_ptr<Discoverer>(new Discoverer(config, std::move(options), std::move(*api)));
}

Discoverer::Discoverer(const SdConfig& config, DiscovererOptions options, ApiConfig api)
    : config_(config), options_(std::move(options)) {
  std::vector<std::string> namespaces = config_.namespaces.names;
  if (config_.namespaces.own_namespace && !api.default_namespace.empty()) {
    namespaces.push_back(api.default_namespace);
  }
  if (namespaces.empty()) namespaces.push_back("");  // all
  client_ = std::make_unique<ApiClient>(std::move(api));
  for (Kind kind : KindsOf(config_.role)) {
    InformerOptions io;
    io.kind = kind;
    io.watch_timeout = options_.watch_timeout;
    io.backoff_initial = options_.backoff_initial;
    io.backoff_max = options_.backoff_max;
    io.log_name = options_.log_name;
    for (const Selector& s : config_.selectors) {
      if (s.role == RoleOf(kind)) {
        io.label_selector = s.label;
        io.field_selector = s.field;
      }
    }
    std::vector<std::string> scopes = Namespaced(kind) ? namespaces : std::vector<std::string>{""};
    for (const std::string& ns : scopes) {
      io.namespace_ = ns;
      informers_.push_back(
          std::make_unique<Informer>(client_.get(), io, [this] { ++generation_; }));
    }
  }
}

Discoverer::~Discoverer() { Stop(); }

void Discoverer::Start() {
  if (started_) return;
  started_ = true;
  for (auto& i : informers_) i->Start();
}

void Discoverer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& i : informers_) i->RequestStop();
  client_->Shutdown();  // ends watches in flight
  for (auto& i : informers_) i->Stop();
}

bool Discoverer::synced() const {
  for (const auto& i : informers_) {
    if (!i->synced()) return false;
  }
  return true;
}

std::vector<LabelSet> Discoverer::Targets() {
  Snapshot snap;
  for (const auto& i : informers_) {
    for (auto& [key, object] : i->Objects()) snap.Add(object);
  }
  if (config_.role != "annotations") return RoleTargets(config_.role, snap);
  AnnotationTargets at = AnnotatedTargets(config_.annotations.domain, snap);
  std::set<std::string> now(at.problems.begin(), at.problems.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& p : now) {
    if (problems_.count(p)) continue;
    GetLogger(options_.log_name)->warn("not scraping {}", p);
    if (options_.on_problem) options_.on_problem();
  }
  problems_ = std::move(now);
  return std::move(at.targets);
}

std::vector<std::string> Discoverer::problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {problems_.begin(), problems_.end()};
}

InformerStats Discoverer::stats() const {
  InformerStats sum;
  for (const auto& i : informers_) {
    InformerStats s = i->stats();
    sum.lists += s.lists;
    sum.watches += s.watches;
    sum.relists_gone += s.relists_gone;
    sum.errors += s.errors;
    sum.events += s.events;
    sum.bookmarks += s.bookmarks;
  }
  return sum;
}

}  // namespace astrolabe::discovery::kubernetes
