#include "discovery/kubernetes/targets.h"

#include <gtest/gtest.h>

#include "discovery/kubernetes/testing/fake_api_server.h"

namespace astrolabe::discovery::kubernetes {
namespace {

using testing::PodSpec;

void Add(Snapshot& snap, Kind kind, const std::string& json) {
  auto o = DecodeObject(kind, json);
  ASSERT_TRUE(o.ok()) << o.status().message();
  snap.Add(std::make_shared<const Object>(std::move(*o)));
}

PodSpec NimPod(const std::string& name, const std::string& ip) {
  PodSpec p;
  p.ns = "ai";
  p.name = name;
  p.ip = ip;
  p.labels = {{"app.kubernetes.io/name", "nim-llama"}};
  p.containers = {{"nim", {{"http", 8000}}}};
  p.owner_kind = "ReplicaSet";
  p.owner_name = "nim-llama-7d9c5b8f6";
  return p;
}

// The Kong of the documents: a Deployment's pods in namespace kong, their status port 8100,
// and the `kong-metrics` Service the Kong page defines (ClusterIP, 8100 → 8100).
void AddKong(Snapshot& snap, const std::map<std::string, std::string>& service_annotations) {
  for (auto [name, ip] : {std::pair{"kong-5f7d8c9b4-abcde", "10.244.2.4"},
                          std::pair{"kong-5f7d8c9b4-fghij", "10.244.2.5"}}) {
    PodSpec p;
    p.ns = "kong";
    p.name = name;
    p.ip = ip;
    p.node = "node-2";
    p.labels = {{"app.kubernetes.io/name", "kong"}, {"app.kubernetes.io/instance", "kong"}};
    p.containers = {{"proxy", {{"proxy", 8000}, {"status", 8100}}}};
    p.owner_kind = "ReplicaSet";
    p.owner_name = "kong-5f7d8c9b4";
    Add(snap, Kind::kPod, testing::PodJson(p));
  }
  Add(snap, Kind::kService,
      testing::ServiceJson(
          "kong", "kong-metrics", {}, service_annotations, {{"metrics", 8100}},
          {{"app.kubernetes.io/name", "kong"}, {"app.kubernetes.io/instance", "kong"}}));
  Add(snap, Kind::kEndpointSlice,
      testing::EndpointSliceJson("kong", "kong-metrics-x7k2p", "kong-metrics", {{"metrics", 8100}},
                                 {{"10.244.2.4", true, "kong-5f7d8c9b4-abcde", "node-2"},
                                  {"10.244.2.5", true, "kong-5f7d8c9b4-fghij", "node-2"},
                                  {"10.244.2.9", false, "", "node-3"}}));
}

TEST(RoleTargets, PodRoleHasPrometheusMetaLabels) {
  Snapshot snap;
  PodSpec p = NimPod("nim-llama-7d9c5b8f6-x2kqp", "10.244.1.7");
  p.containers = {{"nim", {{"http", 8000}}}, {"sidecar", {}}};
  p.annotations = {{"prometheus.io/scrape", "true"}};
  Add(snap, Kind::kPod, testing::PodJson(p));
  auto targets = RoleTargets("pod", snap);
  ASSERT_EQ(targets.size(), 2u);
  const LabelSet& t = targets[0];
  EXPECT_EQ(t.at("__address__"), "10.244.1.7:8000");
  EXPECT_EQ(t.at("__meta_kubernetes_namespace"), "ai");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_name"), "nim-llama-7d9c5b8f6-x2kqp");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_ip"), "10.244.1.7");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_label_app_kubernetes_io_name"), "nim-llama");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name"), "true");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_annotation_prometheus_io_scrape"), "true");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_name"), "nim");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_port_name"), "http");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_port_number"), "8000");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_port_protocol"), "TCP");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_init"), "false");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_container_id"), "containerd://nim-id");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_ready"), "true");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_phase"), "Running");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_node_name"), "node-1");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_controller_kind"), "ReplicaSet");
  EXPECT_EQ(t.at("__meta_kubernetes_pod_controller_name"), "nim-llama-7d9c5b8f6");
  // A container without ports: one target at the pod's IP alone.
  EXPECT_EQ(targets[1].at("__address__"), "10.244.1.7");
  EXPECT_EQ(targets[1].count("__meta_kubernetes_pod_container_port_number"), 0u);
}

TEST(RoleTargets, ServiceNodeEndpointSliceAndEndpointsRoles) {
  Snapshot snap;
  AddKong(snap, {});
  Add(snap, Kind::kNode, testing::NodeJson("node-1", "172.18.0.2", 10250));
  Add(snap, Kind::kEndpoints, R"({"metadata":{"name":"kong-metrics","namespace":"kong"},
    "subsets":[{"addresses":[{"ip":"10.244.2.4","targetRef":{"kind":"Pod","name":"kong-5f7d8c9b4-abcde"}}],
                "notReadyAddresses":[{"ip":"10.244.2.9"}],"ports":[{"name":"metrics","port":8100}]}]})");

  auto svc = RoleTargets("service", snap);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc[0].at("__address__"), "kong-metrics.kong.svc:8100");
  EXPECT_EQ(svc[0].at("__meta_kubernetes_service_name"), "kong-metrics");
  EXPECT_EQ(svc[0].at("__meta_kubernetes_service_port_name"), "metrics");
  EXPECT_EQ(svc[0].at("__meta_kubernetes_service_port_number"), "8100");
  EXPECT_EQ(svc[0].at("__meta_kubernetes_service_type"), "ClusterIP");
  EXPECT_EQ(svc[0].at("__meta_kubernetes_service_cluster_ip"), "10.96.0.10");

  auto nodes = RoleTargets("node", snap);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].at("__address__"), "172.18.0.2:10250");
  EXPECT_EQ(nodes[0].at("instance"), "node-1");
  EXPECT_EQ(nodes[0].at("__meta_kubernetes_node_address_InternalIP"), "172.18.0.2");
  EXPECT_EQ(nodes[0].at("__meta_kubernetes_node_address_Hostname"), "node-1");
  EXPECT_EQ(nodes[0].at("__meta_kubernetes_node_label_kubernetes_io_hostname"), "node-1");
  EXPECT_EQ(nodes[0].at("__meta_kubernetes_node_provider_id"), "kind://docker/kind/node-1");

  auto slices = RoleTargets("endpointslice", snap);
  ASSERT_EQ(slices.size(), 3u);
  const LabelSet& s = slices[0];
  EXPECT_EQ(s.at("__address__"), "10.244.2.4:8100");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_name"), "kong-metrics-x7k2p");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_port"), "8100");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_port_name"), "metrics");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_endpoint_conditions_ready"), "true");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_address_target_kind"), "Pod");
  EXPECT_EQ(s.at("__meta_kubernetes_endpointslice_address_type"), "IPv4");
  EXPECT_EQ(s.at("__meta_kubernetes_service_name"), "kong-metrics");
  EXPECT_EQ(s.at("__meta_kubernetes_pod_name"), "kong-5f7d8c9b4-abcde");
  EXPECT_EQ(s.at("__meta_kubernetes_pod_container_port_name"), "status");
  EXPECT_EQ(slices[2].at("__meta_kubernetes_endpointslice_endpoint_conditions_ready"), "false");

  auto eps = RoleTargets("endpoints", snap);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].at("__address__"), "10.244.2.4:8100");
  EXPECT_EQ(eps[0].at("__meta_kubernetes_endpoints_name"), "kong-metrics");
  EXPECT_EQ(eps[0].at("__meta_kubernetes_endpoint_ready"), "true");
  EXPECT_EQ(eps[0].at("__meta_kubernetes_endpoint_port_name"), "metrics");
  EXPECT_EQ(eps[0].at("__meta_kubernetes_pod_name"), "kong-5f7d8c9b4-abcde");
  EXPECT_EQ(eps[1].at("__meta_kubernetes_endpoint_ready"), "false");
}

TEST(AnnotatedTargets, NimPodAtItsPortAnnotationWithWorkloadAttributes) {
  Snapshot snap;
  PodSpec p = NimPod("nim-llama-7d9c5b8f6-x2kqp", "10.244.1.7");
  p.annotations = {{"metrics.astromkey.com/scrape", "true"},
                   {"metrics.astromkey.com/port", "8000"}};
  Add(snap, Kind::kPod, testing::PodJson(p));
  PodSpec other = NimPod("not-annotated", "10.244.1.8");
  Add(snap, Kind::kPod, testing::PodJson(other));
  auto at = AnnotatedTargets("metrics.astromkey.com", snap);
  EXPECT_TRUE(at.problems.empty());
  ASSERT_EQ(at.targets.size(), 1u);
  const LabelSet& t = at.targets[0];
  EXPECT_EQ(t.at("__address__"), "10.244.1.7:8000");
  EXPECT_EQ(t.at("__scheme__"), "http");
  EXPECT_EQ(t.at("__metrics_path__"), "/metrics");
  EXPECT_EQ(t.at("job"), "nim-llama");
  const std::string r = kResourceLabelPrefix;
  EXPECT_EQ(t.at(r + "k8s.namespace.name"), "ai");
  EXPECT_EQ(t.at(r + "k8s.pod.name"), "nim-llama-7d9c5b8f6-x2kqp");
  EXPECT_EQ(t.at(r + "k8s.container.name"), "nim");
  EXPECT_EQ(t.at(r + "k8s.node.name"), "node-1");
  EXPECT_EQ(t.at(r + "k8s.deployment.name"), "nim-llama");
  EXPECT_EQ(t.at(r + "k8s.replicaset.name"), "nim-llama-7d9c5b8f6");
}

TEST(AnnotatedTargets, DefaultsPathSecureInsecureAndFilter) {
  Snapshot snap;
  PodSpec p = NimPod("nim-0", "10.244.1.7");
  p.owner_kind = "StatefulSet";
  p.owner_name = "nim";
  p.containers = {{"init", {}}, {"nim", {{"metrics", 9400}, {"http", 8000}}}};
  p.annotations = {{"metrics.dynatrace.com/scrape", "true"},
                   {"metrics.dynatrace.com/path", "/v1/metrics"},
                   {"metrics.dynatrace.com/secure", "true"},
                   {"metrics.dynatrace.com/insecure_skip_verify", "true"},
                   {"metrics.dynatrace.com/filter",
                    R"({"mode":"include","names":["gpu_*","num_requests_running"]})"}};
  Add(snap, Kind::kPod, testing::PodJson(p));
  // The default domain ignores other domains' annotations.
  EXPECT_TRUE(AnnotatedTargets("metrics.astromkey.com", snap).targets.empty());
  auto at = AnnotatedTargets("metrics.dynatrace.com", snap);
  ASSERT_EQ(at.targets.size(), 1u) << (at.problems.empty() ? "" : at.problems[0]);
  const LabelSet& t = at.targets[0];
  EXPECT_EQ(t.at("__address__"), "10.244.1.7:9400");  // the first declared container port
  EXPECT_EQ(t.at("__scheme__"), "https");
  EXPECT_EQ(t.at("__metrics_path__"), "/v1/metrics");
  EXPECT_EQ(t.at(kInsecureSkipVerifyLabel), "true");
  EXPECT_EQ(t.at(kFilterModeLabel), "include");
  EXPECT_EQ(t.at(kFilterNamesLabel), "gpu_*,num_requests_running");
  EXPECT_EQ(t.at("job"), "nim");
  EXPECT_EQ(t.at(std::string(kResourceLabelPrefix) + "k8s.statefulset.name"), "nim");
  EXPECT_EQ(t.at(std::string(kResourceLabelPrefix) + "k8s.container.name"), "nim");
}

TEST(AnnotatedTargets, KongMetricsServiceLeadsToTheKongPodsPort8100) {
  Snapshot snap;
  AddKong(snap, {{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/port", "8100"}});
  auto at = AnnotatedTargets("metrics.astromkey.com", snap);
  EXPECT_TRUE(at.problems.empty());
  ASSERT_EQ(at.targets.size(), 2u);  // the not-ready endpoint is left out
  EXPECT_EQ(at.targets[0].at("__address__"), "10.244.2.4:8100");
  EXPECT_EQ(at.targets[1].at("__address__"), "10.244.2.5:8100");
  const std::string r = kResourceLabelPrefix;
  EXPECT_EQ(at.targets[0].at(r + "k8s.pod.name"), "kong-5f7d8c9b4-abcde");
  EXPECT_EQ(at.targets[0].at(r + "k8s.deployment.name"), "kong");
  EXPECT_EQ(at.targets[0].at(r + "k8s.service.name"), "kong-metrics");
  EXPECT_EQ(at.targets[0].at(r + "k8s.container.name"), "proxy");
  EXPECT_EQ(at.targets[0].at("job"), "kong-metrics");
}

TEST(AnnotatedTargets, PrometheusIoDomainAndPodPlusServiceKeptOnce) {
  Snapshot snap;
  AddKong(snap, {{"prometheus.io/scrape", "true"}, {"prometheus.io/port", "metrics"}});
  auto at = AnnotatedTargets("prometheus.io", snap);
  ASSERT_EQ(at.targets.size(), 2u);
  EXPECT_EQ(at.targets[0].at("__address__"), "10.244.2.4:8100");
}

TEST(AnnotatedTargets, BadAnnotationValuesMakeAProblemAndNoTarget) {
  struct Case {
    std::map<std::string, std::string> annotations;
    std::string problem;
  } cases[] = {
      {{{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/port", "http"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/port: \"http\" is not a port number "
       "(1-65535)"},
      {{{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/port", "70000"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/port: \"70000\" is not a port number "
       "(1-65535)"},
      {{{"metrics.astromkey.com/scrape", "yes"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/scrape: \"yes\" is not \"true\" or "
       "\"false\""},
      {{{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/secure", "1"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/secure: \"1\" is not \"true\" or "
       "\"false\""},
      {{{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/path", "metrics"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/path: \"metrics\" must be an absolute "
       "path starting with '/'"},
      {{{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/filter", "gpu_*"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/filter: not JSON"},
      {{{"metrics.astromkey.com/scrape", "true"},
        {"metrics.astromkey.com/filter", R"({"mode":"only","names":["a"]})"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/filter: mode must be \"include\" or "
       "\"exclude\""},
      {{{"metrics.astromkey.com/scrape", "true"},
        {"metrics.astromkey.com/filter", R"({"mode":"exclude","names":["a b"]})"}},
       "pod ai/nim-0: annotation metrics.astromkey.com/filter: \"a b\" is not a metric name "
       "pattern"},
  };
  for (const Case& c : cases) {
    Snapshot snap;
    PodSpec p = NimPod("nim-0", "10.244.1.7");
    p.annotations = c.annotations;
    Add(snap, Kind::kPod, testing::PodJson(p));
    auto at = AnnotatedTargets("metrics.astromkey.com", snap);
    EXPECT_TRUE(at.targets.empty()) << c.problem;
    ASSERT_EQ(at.problems.size(), 1u) << c.problem;
    EXPECT_EQ(at.problems[0].substr(0, c.problem.size()), c.problem);
  }
  // A pod with no port annotation and no declared port.
  Snapshot snap;
  PodSpec p = NimPod("nim-0", "10.244.1.7");
  p.containers = {{"nim", {}}};
  p.annotations = {{"metrics.astromkey.com/scrape", "true"}};
  Add(snap, Kind::kPod, testing::PodJson(p));
  auto at = AnnotatedTargets("metrics.astromkey.com", snap);
  ASSERT_EQ(at.problems.size(), 1u);
  EXPECT_EQ(at.problems[0],
            "pod ai/nim-0: no annotation metrics.astromkey.com/port and no declared container "
            "port");
  // A service whose port annotation names no port of the service.
  Snapshot snap2;
  AddKong(snap2,
          {{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/port", "9999"}});
  at = AnnotatedTargets("metrics.astromkey.com", snap2);
  EXPECT_TRUE(at.targets.empty());
  ASSERT_EQ(at.problems.size(), 1u);
  EXPECT_EQ(at.problems[0],
            "service kong/kong-metrics: annotation metrics.astromkey.com/port: \"9999\" is not "
            "a port of the service");
}

TEST(AnnotatedTargets, PodsNotRunningOrWithoutAnIpAreSkipped) {
  Snapshot snap;
  PodSpec pending = NimPod("pending", "");
  pending.phase = "Pending";
  pending.annotations = {{"metrics.astromkey.com/scrape", "true"}};
  PodSpec done = NimPod("done", "10.0.0.9");
  done.phase = "Succeeded";
  done.annotations = pending.annotations;
  Add(snap, Kind::kPod, testing::PodJson(pending));
  Add(snap, Kind::kPod, testing::PodJson(done));
  auto at = AnnotatedTargets("metrics.astromkey.com", snap);
  EXPECT_TRUE(at.targets.empty());
  EXPECT_TRUE(at.problems.empty());
}

TEST(Workload, FromOwnerReferences) {
  Pod pod;
  pod.metadata.owner_references = {{"ReplicaSet", "nim-llama-7d9c5b8f6", true}};
  EXPECT_EQ(WorkloadOf(pod).kind, "deployment");
  EXPECT_EQ(WorkloadOf(pod).name, "nim-llama");
  pod.metadata.owner_references = {{"DaemonSet", "astrolabe-collector", true}};
  EXPECT_EQ(WorkloadOf(pod).kind, "daemonset");
  pod.metadata.owner_references = {{"Job", "nightly-eval-28911520", true}};
  EXPECT_EQ(WorkloadOf(pod).kind, "cronjob");
  EXPECT_EQ(WorkloadOf(pod).name, "nightly-eval");
  pod.metadata.owner_references = {{"Job", "migrate", true}};
  EXPECT_EQ(WorkloadOf(pod).kind, "job");
  pod.metadata.owner_references.clear();
  EXPECT_EQ(WorkloadOf(pod).kind, "");
}

TEST(Labels, Sanitize) {
  EXPECT_EQ(SanitizeLabelName("app.kubernetes.io/name"), "app_kubernetes_io_name");
  EXPECT_EQ(JoinHostPort("fd00::1", 80), "[fd00::1]:80");
  EXPECT_EQ(JoinHostPort("10.0.0.1", 80), "10.0.0.1:80");
}

}  // namespace
}  // namespace astrolabe::discovery::kubernetes
