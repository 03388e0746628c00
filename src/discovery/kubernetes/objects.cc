#include "discovery/kubernetes/objects.h"

#include <simdjson.h>

namespace astrolabe::discovery::kubernetes {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

const char* TypeName(element e) {
  switch (e.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "bool";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

// Decoding context: the path for messages, and the first error met. Readers return
// defaults after an error so that callers need not check after every field.
class Reader {
 public:
  Status status() const { return status_; }
  bool ok() const { return status_.ok(); }

  void Fail(const std::string& path, const std::string& what) {
    if (status_.ok()) status_ = InvalidArgument(path + ": " + what);
  }

  // The member `key` of `o`, or nullopt when absent or null.
  static std::optional<element> Member(object o, std::string_view key) {
    element e;
    if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
    if (e.type() == element_type::NULL_VALUE) return std::nullopt;
    return e;
  }

  std::optional<object> Obj(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return std::nullopt;
    object out;
    if (e->get(out) != simdjson::SUCCESS) {
      Fail(path + "." + std::string(key), std::string("expected an object, got ") + TypeName(*e));
      return std::nullopt;
    }
    return out;
  }

  std::optional<array> Arr(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return std::nullopt;
    array out;
    if (e->get(out) != simdjson::SUCCESS) {
      Fail(path + "." + std::string(key), std::string("expected an array, got ") + TypeName(*e));
      return std::nullopt;
    }
    return out;
  }

  std::string Str(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return {};
    std::string_view s;
    if (e->get(s) != simdjson::SUCCESS) {
      Fail(path + "." + std::string(key), std::string("expected a string, got ") + TypeName(*e));
      return {};
    }
    return std::string(s);
  }

  int64_t Int(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return 0;
    int64_t v = 0;
    if (e->get(v) != simdjson::SUCCESS) {
      Fail(path + "." + std::string(key), std::string("expected an integer, got ") + TypeName(*e));
      return 0;
    }
    return v;
  }

  // An int-or-string (IntOrString), as text.
  std::string IntOrStr(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return {};
    int64_t v = 0;
    if (e->get(v) == simdjson::SUCCESS) return std::to_string(v);
    return Str(o, key, path);
  }

  std::optional<bool> Bool(object o, std::string_view key, const std::string& path) {
    auto e = Member(o, key);
    if (!e) return std::nullopt;
    bool v = false;
    if (e->get(v) != simdjson::SUCCESS) {
      Fail(path + "." + std::string(key), std::string("expected a bool, got ") + TypeName(*e));
      return std::nullopt;
    }
    return v;
  }

  std::map<std::string, std::string> StrMap(object o, std::string_view key,
                                            const std::string& path) {
    std::map<std::string, std::string> out;
    auto m = Obj(o, key, path);
    if (!m) return out;
    for (auto field : *m) {
      std::string_view v;
      if (field.value.get(v) != simdjson::SUCCESS) {
        Fail(path + "." + std::string(key) + "." + std::string(field.key),
             std::string("expected a string, got ") + TypeName(field.value));
        return out;
      }
      out[std::string(field.key)] = std::string(v);
    }
    return out;
  }

  std::vector<std::string> StrList(object o, std::string_view key, const std::string& path) {
    std::vector<std::string> out;
    auto a = Arr(o, key, path);
    if (!a) return out;
    size_t i = 0;
    for (element e : *a) {
      std::string_view v;
      if (e.get(v) != simdjson::SUCCESS) {
        Fail(path + "." + std::string(key) + "[" + std::to_string(i) + "]",
             std::string("expected a string, got ") + TypeName(e));
        return out;
      }
      out.emplace_back(v);
      ++i;
    }
    return out;
  }

  // Calls fn(object, path) for each element of the array `key`, which must be objects.
  template <typename Fn>
  void Each(object o, std::string_view key, const std::string& path, Fn fn) {
    auto a = Arr(o, key, path);
    if (!a) return;
    size_t i = 0;
    for (element e : *a) {
      std::string p = path + "." + std::string(key) + "[" + std::to_string(i++) + "]";
      object item;
      if (e.get(item) != simdjson::SUCCESS) {
        Fail(p, std::string("expected an object, got ") + TypeName(e));
        return;
      }
      fn(item, p);
      if (!ok()) return;
    }
  }

 private:
  Status status_;
};

ObjectMeta ReadMeta(Reader& r, object o, const std::string& path) {
  ObjectMeta m;
  auto md = r.Obj(o, "metadata", path);
  if (!md) return m;
  std::string p = path + ".metadata";
  m.name = r.Str(*md, "name", p);
  m.namespace_ = r.Str(*md, "namespace", p);
  m.uid = r.Str(*md, "uid", p);
  m.resource_version = r.Str(*md, "resourceVersion", p);
  m.labels = r.StrMap(*md, "labels", p);
  m.annotations = r.StrMap(*md, "annotations", p);
  r.Each(*md, "ownerReferences", p, [&](object ref, const std::string& rp) {
    OwnerReference o2;
    o2.kind = r.Str(ref, "kind", rp);
    o2.name = r.Str(ref, "name", rp);
    o2.controller = r.Bool(ref, "controller", rp).value_or(false);
    m.owner_references.push_back(std::move(o2));
  });
  return m;
}

std::optional<ObjectReference> ReadRef(Reader& r, object o, const std::string& path) {
  auto ref = r.Obj(o, "targetRef", path);
  if (!ref) return std::nullopt;
  std::string p = path + ".targetRef";
  return ObjectReference{r.Str(*ref, "kind", p), r.Str(*ref, "name", p),
                         r.Str(*ref, "namespace", p)};
}

std::vector<Container> ReadContainers(Reader& r, object spec, std::string_view key,
                                      const std::string& path) {
  std::vector<Container> out;
  r.Each(spec, key, path, [&](object c, const std::string& cp) {
    Container container;
    container.name = r.Str(c, "name", cp);
    container.image = r.Str(c, "image", cp);
    r.Each(c, "ports", cp, [&](object port, const std::string& pp) {
      ContainerPort p;
      p.name = r.Str(port, "name", pp);
      p.container_port = r.Int(port, "containerPort", pp);
      if (std::string proto = r.Str(port, "protocol", pp); !proto.empty()) p.protocol = proto;
      container.ports.push_back(std::move(p));
    });
    out.push_back(std::move(container));
  });
  return out;
}

Pod ReadPod(Reader& r, object o, const std::string& path) {
  Pod pod;
  pod.metadata = ReadMeta(r, o, path);
  if (auto spec = r.Obj(o, "spec", path)) {
    std::string p = path + ".spec";
    pod.node_name = r.Str(*spec, "nodeName", p);
    pod.containers = ReadContainers(r, *spec, "containers", p);
    pod.init_containers = ReadContainers(r, *spec, "initContainers", p);
  }
  if (auto status = r.Obj(o, "status", path)) {
    std::string p = path + ".status";
    pod.pod_ip = r.Str(*status, "podIP", p);
    pod.host_ip = r.Str(*status, "hostIP", p);
    pod.phase = r.Str(*status, "phase", p);
    r.Each(*status, "conditions", p, [&](object c, const std::string& cp) {
      if (r.Str(c, "type", cp) == "Ready") pod.ready = r.Str(c, "status", cp) == "True";
    });
    for (std::string_view key : {"containerStatuses", "initContainerStatuses"}) {
      r.Each(*status, key, p, [&](object c, const std::string& cp) {
        ContainerStatus cs;
        cs.name = r.Str(c, "name", cp);
        cs.container_id = r.Str(c, "containerID", cp);
        cs.ready = r.Bool(c, "ready", cp).value_or(false);
        pod.container_statuses.push_back(std::move(cs));
      });
    }
  }
  return pod;
}

Service ReadService(Reader& r, object o, const std::string& path) {
  Service s;
  s.metadata = ReadMeta(r, o, path);
  if (auto spec = r.Obj(o, "spec", path)) {
    std::string p = path + ".spec";
    s.type = r.Str(*spec, "type", p);
    s.cluster_ip = r.Str(*spec, "clusterIP", p);
    s.external_name = r.Str(*spec, "externalName", p);
    r.Each(*spec, "ports", p, [&](object port, const std::string& pp) {
      ServicePort sp;
      sp.name = r.Str(port, "name", pp);
      if (std::string proto = r.Str(port, "protocol", pp); !proto.empty()) sp.protocol = proto;
      sp.port = r.Int(port, "port", pp);
      sp.target_port = r.IntOrStr(port, "targetPort", pp);
      s.ports.push_back(std::move(sp));
    });
  }
  if (auto status = r.Obj(o, "status", path)) {
    if (auto lb = r.Obj(*status, "loadBalancer", path + ".status")) {
      bool first = true;
      r.Each(*lb, "ingress", path + ".status.loadBalancer", [&](object in, const std::string& ip) {
        if (first) s.load_balancer_ip = r.Str(in, "ip", ip);
        first = false;
      });
    }
  }
  return s;
}

std::vector<EndpointPort> ReadEndpointPorts(Reader& r, object o, const std::string& path) {
  std::vector<EndpointPort> out;
  r.Each(o, "ports", path, [&](object port, const std::string& pp) {
    EndpointPort ep;
    ep.name = r.Str(port, "name", pp);
    if (std::string proto = r.Str(port, "protocol", pp); !proto.empty()) ep.protocol = proto;
    ep.port = r.Int(port, "port", pp);
    ep.app_protocol = r.Str(port, "appProtocol", pp);
    out.push_back(std::move(ep));
  });
  return out;
}

EndpointSlice ReadEndpointSlice(Reader& r, object o, const std::string& path) {
  EndpointSlice s;
  s.metadata = ReadMeta(r, o, path);
  s.address_type = r.Str(o, "addressType", path);
  r.Each(o, "endpoints", path, [&](object e, const std::string& ep) {
    SliceEndpoint se;
    se.addresses = r.StrList(e, "addresses", ep);
    if (auto c = r.Obj(e, "conditions", ep)) {
      std::string cp = ep + ".conditions";
      se.conditions.ready = r.Bool(*c, "ready", cp);
      se.conditions.serving = r.Bool(*c, "serving", cp);
      se.conditions.terminating = r.Bool(*c, "terminating", cp);
    }
    se.hostname = r.Str(e, "hostname", ep);
    se.node_name = r.Str(e, "nodeName", ep);
    se.zone = r.Str(e, "zone", ep);
    se.target_ref = ReadRef(r, e, ep);
    s.endpoints.push_back(std::move(se));
  });
  s.ports = ReadEndpointPorts(r, o, path);
  return s;
}

Endpoints ReadEndpoints(Reader& r, object o, const std::string& path) {
  Endpoints eps;
  eps.metadata = ReadMeta(r, o, path);
  r.Each(o, "subsets", path, [&](object sub, const std::string& sp) {
    EndpointSubset subset;
    auto read_addrs = [&](std::string_view key, std::vector<EndpointAddress>& out) {
      r.Each(sub, key, sp, [&](object a, const std::string& ap) {
        EndpointAddress addr;
        addr.ip = r.Str(a, "ip", ap);
        addr.hostname = r.Str(a, "hostname", ap);
        addr.node_name = r.Str(a, "nodeName", ap);
        addr.target_ref = ReadRef(r, a, ap);
        out.push_back(std::move(addr));
      });
    };
    read_addrs("addresses", subset.addresses);
    read_addrs("notReadyAddresses", subset.not_ready_addresses);
    subset.ports = ReadEndpointPorts(r, sub, sp);
    eps.subsets.push_back(std::move(subset));
  });
  return eps;
}

Node ReadNode(Reader& r, object o, const std::string& path) {
  Node n;
  n.metadata = ReadMeta(r, o, path);
  if (auto spec = r.Obj(o, "spec", path))
    n.provider_id = r.Str(*spec, "providerID", path + ".spec");
  if (auto status = r.Obj(o, "status", path)) {
    std::string p = path + ".status";
    r.Each(*status, "addresses", p, [&](object a, const std::string& ap) {
      n.addresses.push_back({r.Str(a, "type", ap), r.Str(a, "address", ap)});
    });
    if (auto de = r.Obj(*status, "daemonEndpoints", p)) {
      if (auto ke = r.Obj(*de, "kubeletEndpoint", p + ".daemonEndpoints")) {
        n.kubelet_port = r.Int(*ke, "Port", p + ".daemonEndpoints.kubeletEndpoint");
      }
    }
  }
  return n;
}

Object ReadObject(Kind kind, Reader& r, object o, const std::string& path) {
  switch (kind) {
    case Kind::kPod:
      return ReadPod(r, o, path);
    case Kind::kService:
      return ReadService(r, o, path);
    case Kind::kEndpoints:
      return ReadEndpoints(r, o, path);
    case Kind::kEndpointSlice:
      return ReadEndpointSlice(r, o, path);
    case Kind::kNode:
      return ReadNode(r, o, path);
  }
  return Pod{};
}

// Parses `json` into `root` (an object); `parser` owns the document.
Status ParseRoot(simdjson::dom::parser& parser, std::string_view json, object* root) {
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err != simdjson::SUCCESS) {
    return InvalidArgument(std::string("not JSON: ") + simdjson::error_message(err));
  }
  if (doc.get(*root) != simdjson::SUCCESS) {
    return InvalidArgument(std::string("expected a JSON object, got ") + TypeName(doc));
  }
  return Status::Ok();
}

}  // namespace

std::string EndpointSlice::ServiceName() const {
  auto it = metadata.labels.find("kubernetes.io/service-name");
  return it == metadata.labels.end() ? std::string() : it->second;
}

std::string_view ResourceName(Kind kind) {
  switch (kind) {
    case Kind::kPod:
      return "pods";
    case Kind::kService:
      return "services";
    case Kind::kEndpoints:
      return "endpoints";
    case Kind::kEndpointSlice:
      return "endpointslices";
    case Kind::kNode:
      return "nodes";
  }
  return "";
}

std::string_view ApiGroupPath(Kind kind) {
  return kind == Kind::kEndpointSlice ? "/apis/discovery.k8s.io/v1" : "/api/v1";
}

bool Namespaced(Kind kind) { return kind != Kind::kNode; }

const ObjectMeta& MetaOf(const Object& object) {
  return std::visit([](const auto& o) -> const ObjectMeta& { return o.metadata; }, object);
}

Result<ObjectList> DecodeList(Kind kind, std::string_view json) {
  simdjson::dom::parser parser;
  object root;
  RETURN_IF_ERROR(ParseRoot(parser, json, &root));
  Reader r;
  ObjectList list;
  if (auto md = r.Obj(root, "metadata", "list")) {
    list.resource_version = r.Str(*md, "resourceVersion", "list.metadata");
    list.continue_token = r.Str(*md, "continue", "list.metadata");
  }
  r.Each(root, "items", "list", [&](object item, const std::string& path) {
    list.items.push_back(ReadObject(kind, r, item, path));
  });
  if (!r.ok()) return r.status();
  return list;
}

Result<WatchEvent> DecodeWatchEvent(Kind kind, std::string_view json) {
  simdjson::dom::parser parser;
  object root;
  RETURN_IF_ERROR(ParseRoot(parser, json, &root));
  Reader r;
  WatchEvent ev;
  std::string type = r.Str(root, "type", "event");
  if (type == "ADDED") {
    ev.type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    ev.type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    ev.type = WatchEvent::Type::kDeleted;
  } else if (type == "BOOKMARK") {
    ev.type = WatchEvent::Type::kBookmark;
  } else if (type == "ERROR") {
    ev.type = WatchEvent::Type::kError;
  } else if (r.ok()) {
    return InvalidArgument("event.type: unknown watch event type \"" + type + "\"");
  }
  auto obj = r.Obj(root, "object", "event");
  if (r.ok() && !obj) return InvalidArgument("event.object: missing");
  if (!r.ok()) return r.status();
  if (ev.type == WatchEvent::Type::kError) {
    ev.error_code = r.Int(*obj, "code", "event.object");
    ev.error_message = r.Str(*obj, "message", "event.object");
  } else if (ev.type == WatchEvent::Type::kBookmark) {
    ev.resource_version = ReadMeta(r, *obj, "event.object").resource_version;
  } else {
    ev.object = ReadObject(kind, r, *obj, "event.object");
    ev.resource_version = MetaOf(*ev.object).resource_version;
  }
  if (!r.ok()) return r.status();
  return ev;
}

Result<Object> DecodeObject(Kind kind, std::string_view json) {
  simdjson::dom::parser parser;
  object root;
  RETURN_IF_ERROR(ParseRoot(parser, json, &root));
  Reader r;
  Object o = ReadObject(kind, r, root, "object");
  if (!r.ok()) return r.status();
  return o;
}

}  // namespace astrolabe::discovery::kubernetes
