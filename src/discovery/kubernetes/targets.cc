#include "discovery/kubernetes/targets.h"

#include <simdjson.h>

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace astrolabe::discovery::kubernetes {
namespace {

constexpr const char* kMeta = "__meta_kubernetes_";

std::string BoolText(bool b) { return b ? "true" : "false"; }

// `<prefix>label_<name>`, `<prefix>labelpresent_<name>` (and the same for annotations).
void AddMap(LabelSet& ls, const std::string& prefix, std::string_view what,
            const std::map<std::string, std::string>& m) {
  for (const auto& [k, v] : m) {
    std::string name = SanitizeLabelName(k);
    ls[prefix + std::string(what) + "_" + name] = v;
    ls[prefix + std::string(what) + "present_" + name] = "true";
  }
}

void AddPodLabels(LabelSet& ls, const Pod& pod) {
  const std::string p = std::string(kMeta) + "pod_";
  ls[std::string(kMeta) + "namespace"] = pod.metadata.namespace_;
  ls[p + "name"] = pod.metadata.name;
  ls[p + "ip"] = pod.pod_ip;
  AddMap(ls, p, "label", pod.metadata.labels);
  AddMap(ls, p, "annotation", pod.metadata.annotations);
  ls[p + "node_name"] = pod.node_name;
  ls[p + "host_ip"] = pod.host_ip;
  ls[p + "uid"] = pod.metadata.uid;
  ls[p + "ready"] = BoolText(pod.ready);
  ls[p + "phase"] = pod.phase;
  for (const OwnerReference& o : pod.metadata.owner_references) {
    if (!o.controller) continue;
    ls[p + "controller_kind"] = o.kind;
    ls[p + "controller_name"] = o.name;
  }
}

std::string ContainerId(const Pod& pod, const std::string& name) {
  for (const ContainerStatus& s : pod.container_statuses) {
    if (s.name == name) return s.container_id;
  }
  return "";
}

void AddContainerLabels(LabelSet& ls, const Pod& pod, const Container& c, bool init,
                        const ContainerPort* port) {
  const std::string p = std::string(kMeta) + "pod_container_";
  ls[p + "name"] = c.name;
  ls[p + "image"] = c.image;
  ls[p + "id"] = ContainerId(pod, c.name);
  ls[p + "init"] = BoolText(init);
  if (port != nullptr) {
    ls[p + "port_name"] = port->name;
    ls[p + "port_number"] = std::to_string(port->container_port);
    ls[p + "port_protocol"] = port->protocol;
  }
}

void PodTargets(const Pod& pod, std::vector<LabelSet>& out) {
  if (pod.pod_ip.empty()) return;  // not scheduled yet: nothing to scrape (as Prometheus)
  auto each = [&](const std::vector<Container>& cs, bool init) {
    for (const Container& c : cs) {
      if (c.ports.empty()) {
        LabelSet ls;
        AddPodLabels(ls, pod);
        AddContainerLabels(ls, pod, c, init, nullptr);
        ls["__address__"] =
            pod.pod_ip.find(':') != std::string::npos ? "[" + pod.pod_ip + "]" : pod.pod_ip;
        out.push_back(std::move(ls));
        continue;
      }
      for (const ContainerPort& port : c.ports) {
        LabelSet ls;
        AddPodLabels(ls, pod);
        AddContainerLabels(ls, pod, c, init, &port);
        ls["__address__"] = JoinHostPort(pod.pod_ip, port.container_port);
        out.push_back(std::move(ls));
      }
    }
  };
  each(pod.containers, false);
  each(pod.init_containers, true);
}

void AddServiceLabels(LabelSet& ls, const Service& s) {
  const std::string p = std::string(kMeta) + "service_";
  ls[std::string(kMeta) + "namespace"] = s.metadata.namespace_;
  ls[p + "name"] = s.metadata.name;
  AddMap(ls, p, "label", s.metadata.labels);
  AddMap(ls, p, "annotation", s.metadata.annotations);
  ls[p + "type"] = s.type;
  if (s.type == "ExternalName") {
    ls[p + "external_name"] = s.external_name;
  } else {
    ls[p + "cluster_ip"] = s.cluster_ip;
  }
  if (!s.load_balancer_ip.empty()) ls[p + "loadbalancer_ip"] = s.load_balancer_ip;
}

void ServiceTargets(const Service& s, std::vector<LabelSet>& out) {
  for (const ServicePort& port : s.ports) {
    LabelSet ls;
    AddServiceLabels(ls, s);
    const std::string p = std::string(kMeta) + "service_";
    ls[p + "port_name"] = port.name;
    ls[p + "port_number"] = std::to_string(port.port);
    ls[p + "port_protocol"] = port.protocol;
    std::string host = s.type == "ExternalName"
                           ? s.external_name
                           : s.metadata.name + "." + s.metadata.namespace_ + ".svc";
    ls["__address__"] = JoinHostPort(host, port.port);
    out.push_back(std::move(ls));
  }
}

void NodeTargets(const Node& n, std::vector<LabelSet>& out) {
  LabelSet ls;
  const std::string p = std::string(kMeta) + "node_";
  ls[p + "name"] = n.metadata.name;
  ls[p + "provider_id"] = n.provider_id;
  AddMap(ls, p, "label", n.metadata.labels);
  AddMap(ls, p, "annotation", n.metadata.annotations);
  std::map<std::string, std::string> by_type;
  for (const NodeAddress& a : n.addresses) {
    by_type.emplace(a.type, a.address);  // the first of each type
  }
  for (const auto& [type, addr] : by_type) ls[p + "address_" + SanitizeLabelName(type)] = addr;
  std::string addr;
  for (const char* type :
       {"InternalIP", "InternalDNS", "ExternalDNS", "ExternalIP", "LegacyHostIP", "Hostname"}) {
    if (auto it = by_type.find(type); it != by_type.end()) {
      addr = it->second;
      break;
    }
  }
  if (addr.empty()) return;  // Prometheus: "cannot get node address", skipped
  ls["__address__"] = JoinHostPort(addr, n.kubelet_port);
  ls["instance"] = n.metadata.name;
  out.push_back(std::move(ls));
}

// The pod's container and port serving `port_number` (for endpoint targets).
void AddPodOfEndpoint(LabelSet& ls, const Pod* pod, int64_t port_number) {
  if (pod == nullptr) return;
  AddPodLabels(ls, *pod);
  for (const Container& c : pod->containers) {
    for (const ContainerPort& p : c.ports) {
      if (p.container_port == port_number) {
        AddContainerLabels(ls, *pod, c, false, &p);
        return;
      }
    }
  }
}

void EndpointSliceTargets(const EndpointSlice& s, const Snapshot& snap,
                          std::vector<LabelSet>& out) {
  LabelSet base;
  const std::string p = std::string(kMeta) + "endpointslice_";
  base[std::string(kMeta) + "namespace"] = s.metadata.namespace_;
  base[p + "name"] = s.metadata.name;
  base[p + "address_type"] = s.address_type;
  AddMap(base, p, "label", s.metadata.labels);
  AddMap(base, p, "annotation", s.metadata.annotations);
  if (const Service* svc = snap.FindService(s.metadata.namespace_, s.ServiceName())) {
    AddServiceLabels(base, *svc);
  }
  for (const SliceEndpoint& e : s.endpoints) {
    if (e.addresses.empty()) continue;
    for (const EndpointPort& port : s.ports) {
      LabelSet ls = base;
      ls[p + "port"] = std::to_string(port.port);
      ls[p + "port_name"] = port.name;
      ls[p + "port_protocol"] = port.protocol;
      if (!port.app_protocol.empty()) ls[p + "port_app_protocol"] = port.app_protocol;
      if (e.conditions.ready) ls[p + "endpoint_conditions_ready"] = BoolText(*e.conditions.ready);
      if (e.conditions.serving) {
        ls[p + "endpoint_conditions_serving"] = BoolText(*e.conditions.serving);
      }
      if (e.conditions.terminating) {
        ls[p + "endpoint_conditions_terminating"] = BoolText(*e.conditions.terminating);
      }
      if (!e.hostname.empty()) ls[p + "endpoint_hostname"] = e.hostname;
      if (!e.node_name.empty()) ls[p + "endpoint_node_name"] = e.node_name;
      if (!e.zone.empty()) ls[p + "endpoint_zone"] = e.zone;
      if (e.target_ref) {
        ls[p + "address_target_kind"] = e.target_ref->kind;
        ls[p + "address_target_name"] = e.target_ref->name;
        if (e.target_ref->kind == "Pod") {
          AddPodOfEndpoint(ls, snap.FindPod(s.metadata.namespace_, e.target_ref->name), port.port);
        }
      }
      ls["__address__"] = JoinHostPort(e.addresses[0], port.port);
      out.push_back(std::move(ls));
    }
  }
}

void EndpointsTargets(const Endpoints& eps, const Snapshot& snap, std::vector<LabelSet>& out) {
  LabelSet base;
  const std::string p = std::string(kMeta) + "endpoints";
  base[std::string(kMeta) + "namespace"] = eps.metadata.namespace_;
  base[p + "_name"] = eps.metadata.name;
  AddMap(base, p + "_", "label", eps.metadata.labels);
  AddMap(base, p + "_", "annotation", eps.metadata.annotations);
  if (const Service* svc = snap.FindService(eps.metadata.namespace_, eps.metadata.name)) {
    AddServiceLabels(base, *svc);
  }
  const std::string e = std::string(kMeta) + "endpoint_";
  for (const EndpointSubset& sub : eps.subsets) {
    auto add = [&](const EndpointAddress& a, bool ready) {
      for (const EndpointPort& port : sub.ports) {
        LabelSet ls = base;
        ls[e + "port_name"] = port.name;
        ls[e + "port_protocol"] = port.protocol;
        ls[e + "ready"] = BoolText(ready);
        if (!a.hostname.empty()) ls[e + "hostname"] = a.hostname;
        if (!a.node_name.empty()) ls[e + "node_name"] = a.node_name;
        if (a.target_ref) {
          ls[e + "address_target_kind"] = a.target_ref->kind;
          ls[e + "address_target_name"] = a.target_ref->name;
          if (a.target_ref->kind == "Pod") {
            AddPodOfEndpoint(ls, snap.FindPod(eps.metadata.namespace_, a.target_ref->name),
                             port.port);
          }
        }
        ls["__address__"] = JoinHostPort(a.ip, port.port);
        out.push_back(std::move(ls));
      }
    };
    for (const auto& a : sub.addresses) add(a, true);
    for (const auto& a : sub.not_ready_addresses) add(a, false);
  }
}

// ---- annotations ----

std::string Describe(std::string_view what, const ObjectMeta& m) {
  return std::string(what) + " " + m.namespace_ + "/" + m.name;
}

struct Settings {
  bool scrape = false;
  std::string port;  // annotation text, or empty
  std::string path = "/metrics";
  bool secure = false;
  bool insecure_skip_verify = false;
  std::optional<MetricFilter> filter;
};

// Reads the `<domain>/*` annotations of `m`; an error names the annotation and its value.
Result<Settings> ReadSettings(const std::string& domain, const ObjectMeta& m) {
  Settings s;
  auto get = [&](std::string_view key) -> const std::string* {
    auto it = m.annotations.find(domain + "/" + std::string(key));
    return it == m.annotations.end() ? nullptr : &it->second;
  };
  auto boolean = [&](std::string_view key, bool* out) -> Status {
    const std::string* v = get(key);
    if (v == nullptr) return Status::Ok();
    std::string lower = AsciiLower(TrimSpace(*v));
    if (lower == "true") {
      *out = true;
    } else if (lower == "false") {
      *out = false;
    } else {
      return InvalidArgument("annotation " + domain + "/" + std::string(key) + ": \"" + *v +
                             "\" is not \"true\" or \"false\"");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(boolean("scrape", &s.scrape));
  if (!s.scrape) return s;
  if (const std::string* v = get("port")) s.port = std::string(TrimSpace(*v));
  if (const std::string* v = get("path")) {
    if (v->empty() || (*v)[0] != '/') {
      return InvalidArgument("annotation " + domain + "/path: \"" + *v +
                             "\" must be an absolute path starting with '/'");
    }
    s.path = *v;
  }
  RETURN_IF_ERROR(boolean("secure", &s.secure));
  RETURN_IF_ERROR(boolean("insecure_skip_verify", &s.insecure_skip_verify));
  if (const std::string* v = get("filter")) {
    auto f = ParseMetricFilter(*v);
    if (!f.ok()) return f.status().Annotate("annotation " + domain + "/filter");
    s.filter = std::move(*f);
  }
  return s;
}

// A port annotation as a number, or an error.
Result<int64_t> PortNumber(const std::string& domain, const std::string& text) {
  int64_t n = 0;
  bool digits = !text.empty() && text.size() <= 5;
  for (char c : text) {
    if (c < '0' || c > '9') digits = false;
    if (digits) n = n * 10 + (c - '0');
  }
  if (!digits || n < 1 || n > 65535) {
    return InvalidArgument("annotation " + domain + "/port: \"" + text +
                           "\" is not a port number (1-65535)");
  }
  return n;
}

void AddSettingLabels(LabelSet& ls, const Settings& s) {
  ls["__scheme__"] = s.secure ? "https" : "http";
  ls["__metrics_path__"] = s.path;
  if (s.insecure_skip_verify) ls[kInsecureSkipVerifyLabel] = "true";
  if (s.filter) {
    ls[kFilterModeLabel] = s.filter->include ? "include" : "exclude";
    std::string names;
    for (const auto& n : s.filter->names) names += (names.empty() ? "" : ",") + n;
    ls[kFilterNamesLabel] = names;
  }
}

void AddPodResource(LabelSet& ls, const Pod& pod, const std::string& container) {
  const std::string r = kResourceLabelPrefix;
  ls[r + "k8s.namespace.name"] = pod.metadata.namespace_;
  ls[r + "k8s.pod.name"] = pod.metadata.name;
  if (!pod.metadata.uid.empty()) ls[r + "k8s.pod.uid"] = pod.metadata.uid;
  if (!container.empty()) ls[r + "k8s.container.name"] = container;
  if (!pod.node_name.empty()) ls[r + "k8s.node.name"] = pod.node_name;
  Workload w = WorkloadOf(pod);
  if (!w.kind.empty()) ls[r + "k8s." + w.kind + ".name"] = w.name;
  if (!w.replicaset.empty()) ls[r + "k8s.replicaset.name"] = w.replicaset;
  ls["job"] = w.name.empty() ? pod.metadata.name : w.name;
}

}  // namespace

void Snapshot::Add(std::shared_ptr<const Object> object) {
  const Object* o = object.get();
  owned_.push_back(std::move(object));
  const ObjectMeta& m = MetaOf(*o);
  std::string key = m.namespace_ + "/" + m.name;
  if (const auto* pod = std::get_if<Pod>(o)) {
    pods_.push_back(pod);
    pod_index_[key] = pod;
  } else if (const auto* svc = std::get_if<Service>(o)) {
    services_.push_back(svc);
    service_index_[key] = svc;
  } else if (const auto* eps = std::get_if<Endpoints>(o)) {
    endpoints_.push_back(eps);
  } else if (const auto* s = std::get_if<EndpointSlice>(o)) {
    slices_.push_back(s);
  } else if (const auto* n = std::get_if<Node>(o)) {
    nodes_.push_back(n);
  }
}

const Pod* Snapshot::FindPod(const std::string& ns, const std::string& name) const {
  auto it = pod_index_.find(ns + "/" + name);
  return it == pod_index_.end() ? nullptr : it->second;
}

const Service* Snapshot::FindService(const std::string& ns, const std::string& name) const {
  auto it = service_index_.find(ns + "/" + name);
  return it == service_index_.end() ? nullptr : it->second;
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out;
}

std::string JoinHostPort(const std::string& host, int64_t port) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::vector<LabelSet> RoleTargets(const std::string& role, const Snapshot& snap) {
  std::vector<LabelSet> out;
  if (role == "pod") {
    for (const Pod* p : snap.pods()) PodTargets(*p, out);
  } else if (role == "service") {
    for (const Service* s : snap.services()) ServiceTargets(*s, out);
  } else if (role == "node") {
    for (const Node* n : snap.nodes()) NodeTargets(*n, out);
  } else if (role == "endpointslice") {
    for (const EndpointSlice* s : snap.endpoint_slices()) EndpointSliceTargets(*s, snap, out);
  } else if (role == "endpoints") {
    for (const Endpoints* e : snap.endpoints()) EndpointsTargets(*e, snap, out);
  }
  return out;
}

Workload WorkloadOf(const Pod& pod) {
  Workload w;
  for (const OwnerReference& o : pod.metadata.owner_references) {
    if (!o.controller && pod.metadata.owner_references.size() > 1) continue;
    if (o.kind == "ReplicaSet") {
      w.replicaset = o.name;
      size_t dash = o.name.rfind('-');
      if (dash != std::string::npos && dash > 0) {
        w.kind = "deployment";
        w.name = o.name.substr(0, dash);
      }
    } else if (o.kind == "StatefulSet") {
      w.kind = "statefulset";
      w.name = o.name;
    } else if (o.kind == "DaemonSet") {
      w.kind = "daemonset";
      w.name = o.name;
    } else if (o.kind == "Job") {
      size_t dash = o.name.rfind('-');
      bool numeric = dash != std::string::npos && dash + 1 < o.name.size() &&
                     std::all_of(o.name.begin() + dash + 1, o.name.end(),
                                 [](char c) { return c >= '0' && c <= '9'; });
      w.kind = numeric ? "cronjob" : "job";
      w.name = numeric ? o.name.substr(0, dash) : o.name;
    }
    if (!w.kind.empty()) break;
  }
  return w;
}

Result<MetricFilter> ParseMetricFilter(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err != simdjson::SUCCESS) {
    return InvalidArgument("not JSON: " + std::string(simdjson::error_message(err)));
  }
  simdjson::dom::object o;
  if (doc.get(o) != simdjson::SUCCESS) {
    return InvalidArgument(R"(expected {"mode": "include"|"exclude", "names": [...]})");
  }
  MetricFilter f;
  std::string_view mode;
  if (o.at_key("mode").get(mode) != simdjson::SUCCESS || (mode != "include" && mode != "exclude")) {
    return InvalidArgument("mode must be \"include\" or \"exclude\"");
  }
  f.include = mode == "include";
  simdjson::dom::array names;
  if (o.at_key("names").get(names) != simdjson::SUCCESS) {
    return InvalidArgument("names must be a list of metric names");
  }
  for (simdjson::dom::element e : names) {
    std::string_view n;
    if (e.get(n) != simdjson::SUCCESS || n.empty()) {
      return InvalidArgument("names must be a list of non-empty strings");
    }
    for (char c : n) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == ':' || c == '*' || c == '.';
      if (!ok) {
        return InvalidArgument("\"" + std::string(n) +
                               "\" is not a metric name pattern ([a-zA-Z0-9_:.] and '*')");
      }
    }
    f.names.emplace_back(n);
  }
  return f;
}

AnnotationTargets AnnotatedTargets(const std::string& domain, const Snapshot& snap) {
  AnnotationTargets out;
  std::set<std::string> seen;  // address + path
  auto keep = [&](LabelSet ls) {
    std::string key = ls["__scheme__"] + "://" + ls["__address__"] + ls["__metrics_path__"];
    if (seen.insert(key).second) out.targets.push_back(std::move(ls));
  };
  for (const Pod* pod : snap.pods()) {
    auto s = ReadSettings(domain, pod->metadata);
    if (!s.ok()) {
      out.problems.push_back(Describe("pod", pod->metadata) + ": " + s.status().message());
      continue;
    }
    if (!s->scrape) continue;
    if (pod->pod_ip.empty() || pod->phase == "Succeeded" || pod->phase == "Failed") continue;
    int64_t port = 0;
    std::string container;
    if (!s->port.empty()) {
      auto n = PortNumber(domain, s->port);
      if (!n.ok()) {
        out.problems.push_back(Describe("pod", pod->metadata) + ": " + n.status().message());
        continue;
      }
      port = *n;
      for (const Container& c : pod->containers) {
        for (const ContainerPort& p : c.ports) {
          if (p.container_port == port && container.empty()) container = c.name;
        }
      }
    } else {
      for (const Container& c : pod->containers) {
        if (!c.ports.empty()) {
          port = c.ports[0].container_port;
          container = c.name;
          break;
        }
      }
      if (port == 0) {
        out.problems.push_back(Describe("pod", pod->metadata) + ": no annotation " + domain +
                               "/port and no declared container port");
        continue;
      }
    }
    if (container.empty() && pod->containers.size() == 1) container = pod->containers[0].name;
    LabelSet ls;
    ls["__address__"] = JoinHostPort(pod->pod_ip, port);
    AddSettingLabels(ls, *s);
    AddPodResource(ls, *pod, container);
    keep(std::move(ls));
  }
  for (const Service* svc : snap.services()) {
    auto s = ReadSettings(domain, svc->metadata);
    if (!s.ok()) {
      out.problems.push_back(Describe("service", svc->metadata) + ": " + s.status().message());
      continue;
    }
    if (!s->scrape) continue;
    // The service port: the one the port annotation names (number or name), else the first.
    const ServicePort* sp = nullptr;
    if (!s->port.empty()) {
      for (const ServicePort& p : svc->ports) {
        if (std::to_string(p.port) == s->port || p.name == s->port) sp = &p;
      }
      if (sp == nullptr) {
        auto n = PortNumber(domain, s->port);
        std::string why = n.ok() ? "annotation " + domain + "/port: \"" + s->port +
                                       "\" is not a port of the service"
                                 : n.status().message();
        out.problems.push_back(Describe("service", svc->metadata) + ": " + why);
        continue;
      }
    } else if (!svc->ports.empty()) {
      sp = &svc->ports[0];
    } else {
      out.problems.push_back(Describe("service", svc->metadata) + ": the service has no ports");
      continue;
    }
    for (const EndpointSlice* slice : snap.endpoint_slices()) {
      if (slice->metadata.namespace_ != svc->metadata.namespace_ ||
          slice->ServiceName() != svc->metadata.name) {
        continue;
      }
      // The slice's port for the service port: matched by name (slices carry the service
      // port names); a single unnamed port matches the only service port.
      const EndpointPort* ep = nullptr;
      for (const EndpointPort& p : slice->ports) {
        if (p.name == sp->name) ep = &p;
      }
      if (ep == nullptr) continue;
      for (const SliceEndpoint& e : slice->endpoints) {
        if (e.addresses.empty() || !e.conditions.ready.value_or(true)) continue;
        LabelSet ls;
        ls["__address__"] = JoinHostPort(e.addresses[0], ep->port);
        AddSettingLabels(ls, *s);
        const Pod* pod = nullptr;
        if (e.target_ref && e.target_ref->kind == "Pod") {
          pod = snap.FindPod(svc->metadata.namespace_, e.target_ref->name);
        }
        if (pod != nullptr) {
          std::string container;
          for (const Container& c : pod->containers) {
            for (const ContainerPort& p : c.ports) {
              if (p.container_port == ep->port && container.empty()) container = c.name;
            }
          }
          AddPodResource(ls, *pod, container);
        } else {
          ls[std::string(kResourceLabelPrefix) + "k8s.namespace.name"] = svc->metadata.namespace_;
          if (e.target_ref && e.target_ref->kind == "Pod") {
            ls[std::string(kResourceLabelPrefix) + "k8s.pod.name"] = e.target_ref->name;
          }
          if (!e.node_name.empty()) {
            ls[std::string(kResourceLabelPrefix) + "k8s.node.name"] = e.node_name;
          }
        }
        ls[std::string(kResourceLabelPrefix) + "k8s.service.name"] = svc->metadata.name;
        ls["job"] = svc->metadata.name;
        keep(std::move(ls));
      }
    }
  }
  return out;
}

}  // namespace astrolabe::discovery::kubernetes
