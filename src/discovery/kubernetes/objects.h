#pragma once
// The Kubernetes API objects discovery reads, as far as discovery reads them, and their JSON
// decoders (simdjson). Field names follow the API (k8s.io/api core/v1, discovery/v1).
//
// Decoders take untrusted bytes (an API server, a proxy in between): a malformed document
// is an error naming what is wrong ("items[3].metadata: expected an object"), never a crash;
// fields discovery does not use are ignored, as Go's decoder ignores them. fuzz/
// k8s_watch_fuzz.cc runs both decoders.
//
// Value types; thread-compatible.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace astrolabe::discovery::kubernetes {

struct OwnerReference {
  std::string kind;  // "ReplicaSet", "StatefulSet", ...
  std::string name;
  bool controller = false;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // empty for cluster-scoped objects (nodes)
  std::string uid;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
};

struct ContainerPort {
  std::string name;
  int64_t container_port = 0;
  std::string protocol = "TCP";
};

struct Container {
  std::string name;
  std::string image;
  std::vector<ContainerPort> ports;
};

struct ContainerStatus {
  std::string name;
  std::string container_id;
  bool ready = false;
};

struct Pod {
  ObjectMeta metadata;
  std::string node_name;
  std::string pod_ip;
  std::string host_ip;
  std::string phase;
  bool ready = false;  // status.conditions[type=Ready].status == "True"
  std::vector<Container> containers;
  std::vector<Container> init_containers;
  std::vector<ContainerStatus> container_statuses;  // init containers' statuses included
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int64_t port = 0;
  std::string target_port;  // a number or a port name, as text; empty when unset
};

struct Service {
  ObjectMeta metadata;
  std::string type;
  std::string cluster_ip;
  std::string external_name;
  std::string load_balancer_ip;  // status.loadBalancer.ingress[0].ip
  std::vector<ServicePort> ports;
};

struct ObjectReference {
  std::string kind;
  std::string name;
  std::string namespace_;
};

struct EndpointConditions {
  std::optional<bool> ready, serving, terminating;
};

struct SliceEndpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::string hostname;
  std::string node_name;
  std::string zone;
  std::optional<ObjectReference> target_ref;
};

struct EndpointPort {
  std::string name;
  std::string protocol = "TCP";
  int64_t port = 0;
  std::string app_protocol;
};

struct EndpointSlice {
  ObjectMeta metadata;
  std::string address_type;
  std::vector<SliceEndpoint> endpoints;
  std::vector<EndpointPort> ports;
  // The Service it belongs to: the label kubernetes.io/service-name.
  std::string ServiceName() const;
};

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::string node_name;
  std::optional<ObjectReference> target_ref;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
};

struct Endpoints {
  ObjectMeta metadata;
  std::vector<EndpointSubset> subsets;
};

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname, ...
  std::string address;
};

struct Node {
  ObjectMeta metadata;
  std::string provider_id;
  std::vector<NodeAddress> addresses;
  int64_t kubelet_port = 0;  // status.daemonEndpoints.kubeletEndpoint.Port
};

// The resources discovery watches.
enum class Kind { kPod, kService, kEndpoints, kEndpointSlice, kNode };

// "pods", "services", "endpoints", "endpointslices", "nodes".
std::string_view ResourceName(Kind kind);
// "/api/v1" or "/apis/discovery.k8s.io/v1".
std::string_view ApiGroupPath(Kind kind);
bool Namespaced(Kind kind);

using Object = std::variant<Pod, Service, Endpoints, EndpointSlice, Node>;

const ObjectMeta& MetaOf(const Object& object);

// A decoded list (PodList, ServiceList, ...).
struct ObjectList {
  std::string resource_version;  // metadata.resourceVersion: where a watch starts
  std::string continue_token;    // metadata.continue: more pages follow when not empty
  std::vector<Object> items;
};

// One line of a watch stream: {"type": "ADDED", "object": {...}}.
struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  // ADDED, MODIFIED, DELETED: the object. BOOKMARK: only metadata.resourceVersion is
  // meaningful (in object's metadata).
  std::optional<Object> object;
  std::string resource_version;  // object.metadata.resourceVersion
  // ERROR: the Status object's code (410 for "too old resource version") and message.
  int64_t error_code = 0;
  std::string error_message;
};

// Decodes a list of `kind` objects. Errors: "not JSON: ...", "items[2].spec: expected an
// object, got string".
Result<ObjectList> DecodeList(Kind kind, std::string_view json);

// Decodes one watch event line of a `kind` watch.
Result<WatchEvent> DecodeWatchEvent(Kind kind, std::string_view json);

// Decodes one object of `kind` (for tests and tools).
Result<Object> DecodeObject(Kind kind, std::string_view json);

}  // namespace astrolabe::discovery::kubernetes
