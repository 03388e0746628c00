#pragma once
// From Kubernetes objects to scrape targets.
//
// Roles (Prometheus' kubernetes_sd_configs): each target is one label set with __address__
// and the role's `__meta_kubernetes_*` labels, for relabel_configs to select and rename (the
// receiver deletes __meta_* after relabeling). Label and annotation names are sanitised to
// [a-zA-Z0-9_] (`app.kubernetes.io/name` → `app_kubernetes_io_name`); each also gets a
// `…present_<name>` = "true" label. docs/design/kubernetes-discovery.md lists them per role.
//
// Annotations (Astrolabe's role): a pod or service annotated `<domain>/scrape: "true"`
// becomes targets with __address__, __scheme__, __metrics_path__, `job` (the workload:
// deployment, statefulset, daemonset, job or the pod's own name; a service's name) and hidden
// labels the prometheus receiver turns into per-target settings:
//   __astrolabe_resource__<attribute>    a resource attribute of every point (k8s.*.name)
//   __astrolabe_insecure_skip_verify__   "true": do not verify the target's certificate
//   __astrolabe_filter_mode__, __astrolabe_filter_names__   include/exclude metric names
//                                        (',' separated patterns, '*' any run of chars)
// A bad annotation (a port that is not a number, secure: "yes", a filter that is not the
// JSON it should be) makes no target and a problem naming the object and the annotation.
//
// Pure functions of a Snapshot; thread-compatible.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "discovery/kubernetes/objects.h"

namespace astrolabe::discovery::kubernetes {

using LabelSet = std::map<std::string, std::string>;

inline constexpr const char* kResourceLabelPrefix = "__astrolabe_resource__";
inline constexpr const char* kInsecureSkipVerifyLabel = "__astrolabe_insecure_skip_verify__";
inline constexpr const char* kFilterModeLabel = "__astrolabe_filter_mode__";
inline constexpr const char* kFilterNamesLabel = "__astrolabe_filter_names__";

// The objects of every informer of a discoverer, with lookups by namespace and name.
class Snapshot {
 public:
  void Add(std::shared_ptr<const Object> object);

  const std::vector<const Pod*>& pods() const { return pods_; }
  const std::vector<const Service*>& services() const { return services_; }
  const std::vector<const Endpoints*>& endpoints() const { return endpoints_; }
  const std::vector<const EndpointSlice*>& endpoint_slices() const { return slices_; }
  const std::vector<const Node*>& nodes() const { return nodes_; }

  const Pod* FindPod(const std::string& ns, const std::string& name) const;
  const Service* FindService(const std::string& ns, const std::string& name) const;

 private:
  std::vector<std::shared_ptr<const Object>> owned_;
  std::vector<const Pod*> pods_;
  std::vector<const Service*> services_;
  std::vector<const Endpoints*> endpoints_;
  std::vector<const EndpointSlice*> slices_;
  std::vector<const Node*> nodes_;
  std::map<std::string, const Pod*> pod_index_;
  std::map<std::string, const Service*> service_index_;
};

// `app.kubernetes.io/name` → `app_kubernetes_io_name` (Prometheus strutil.SanitizeLabelName).
std::string SanitizeLabelName(std::string_view name);

// "host:port", with brackets for an IPv6 host.
std::string JoinHostPort(const std::string& host, int64_t port);

// Targets of one role ("pod", "service", "endpoints", "endpointslice", "node") over the
// snapshot, in a stable order.
std::vector<LabelSet> RoleTargets(const std::string& role, const Snapshot& snapshot);

// The workload a pod belongs to, from its controller owner reference: a ReplicaSet named
// `<deployment>-<hash>` gives the deployment (the name heuristic the collector's
// k8sattributes processor uses), a Job named `<cronjob>-<n>` the cron job.
struct Workload {
  std::string kind;  // "deployment", "statefulset", "daemonset", "job", "cronjob", "" (bare pod)
  std::string name;
  std::string replicaset;  // when owned by a ReplicaSet
};
Workload WorkloadOf(const Pod& pod);

struct AnnotationTargets {
  std::vector<LabelSet> targets;
  // "pod ai/nim-0: annotation metrics.astromkey.com/port: \"http\" is not a port number
  // (1-65535)"; one per bad object.
  std::vector<std::string> problems;
};

// The annotations role over `snapshot` with the annotation `domain` (default
// metrics.astromkey.com). A target found through both a pod and a service that selects it
// is kept once (the pod's).
AnnotationTargets AnnotatedTargets(const std::string& domain, const Snapshot& snapshot);

// Parses a `<domain>/filter` value: {"mode": "include"|"exclude", "names": ["a_*", ...]}.
// Errors say what is wrong ("mode must be \"include\" or \"exclude\"").
struct MetricFilter {
  bool include = true;
  std::vector<std::string> names;
};
Result<MetricFilter> ParseMetricFilter(std::string_view json);

}  // namespace astrolabe::discovery::kubernetes
