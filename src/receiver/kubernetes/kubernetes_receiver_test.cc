// The kubernetes receiver against the fake API server and a real HTTP target on 127.0.0.1:
// an annotated pod pointing at the target is scraped (with its k8s.* resource attributes and
// its metric filter), and when the annotation goes the target stops with stale markers.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "config/decoder.h"
#include "config/parse.h"
#include "discovery/kubernetes/testing/fake_api_server.h"
#include "receiver/kubernetes/config.h"
#include "receiver/kubernetes/factory.h"
#include "receiver/prometheus/prometheus_receiver.h"
#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::kubernetes {
namespace {

namespace dk = discovery::kubernetes;
using Clock = std::chrono::steady_clock;

std::vector<std::string> DecodeFile(const std::string& path, Config& cfg) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  config::Diagnostics diag;
  config::ParseOptions opts;
  opts.file = std::make_shared<const std::string>(path);
  auto node = config::ParseYaml(ss.str(), opts, diag);
  if (node) {
    const config::Node* body = node->Find("receivers")->Find("kubernetes");
    config::Decode(*body, "receivers.kubernetes", cfg, diag);
  }
  std::vector<std::string> errors;
  for (const auto& d : diag.errors()) errors.push_back(d.ToString());
  return errors;
}

bool WaitFor(const std::function<bool()>& cond,
             std::chrono::milliseconds t = std::chrono::seconds(10)) {
  auto end = Clock::now() + t;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

TEST(KubernetesConfig, DecodesEveryKey) {
  Config cfg;
  auto errors = DecodeFile("testdata/config_full.yaml", cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_TRUE(cfg.Validate().ok()) << cfg.Validate().ToString();
  EXPECT_EQ(cfg.annotations.domain, "metrics.dynatrace.com");
  EXPECT_EQ(cfg.annotations.namespaces, (std::vector<std::string>{"ai", "kong"}));
  EXPECT_TRUE(cfg.annotations.own_namespace);
  EXPECT_EQ(cfg.scrape_interval, std::chrono::seconds(15));
  auto prom = cfg.ToPrometheus();
  ASSERT_EQ(prom.prom.scrape_configs.size(), 1u);
  const auto& sc = prom.prom.scrape_configs[0];
  EXPECT_EQ(sc.scrape_timeout, std::chrono::seconds(5));
  ASSERT_EQ(sc.kubernetes_sd_configs.size(), 1u);
  EXPECT_EQ(sc.kubernetes_sd_configs[0].role, "annotations");
  EXPECT_EQ(sc.kubernetes_sd_configs[0].api_server, "https://kubernetes.default.svc");
  EXPECT_EQ(sc.kubernetes_sd_configs[0].annotations.domain, "metrics.dynatrace.com");
  EXPECT_TRUE(prom.Validate().ok());
}

TEST(KubernetesConfig, TypoIsReportedWithItsPlace) {
  Config cfg;
  auto errors = DecodeFile("testdata/config_typo.yaml", cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "testdata/config_typo.yaml:4:7: receivers.kubernetes.annotations.domian: unknown key "
            "(did you mean domain?)");
}

TEST(KubernetesConfig, Rules) {
  Config cfg;
  cfg.scrape_timeout = std::chrono::seconds(20);
  EXPECT_EQ(cfg.Validate().message(),
            "scrape_timeout (20s) must not be greater than scrape_interval (10s)");
  cfg.scrape_timeout = {};
  cfg.api_server = "https://a";
  cfg.kubeconfig_file = "/k";
  EXPECT_EQ(cfg.Validate().message(),
            "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
}

TEST(KubernetesReceiver, Lifecycle) {
  dk::testing::FakeApiServer api;
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory, [&](component::ComponentConfig& c) {
    static_cast<Config&>(c).api_server = api.url();
  });
}

TEST(KubernetesReceiver, StartFailsOutsideAClusterNamingWhatIsMissing) {
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  Config cfg;
  prometheus::test::RecordingConsumer sink;
  component::test::TestHost host;
  prometheus::PrometheusReceiver r({config::ComponentId{"kubernetes", ""}, nullptr},
                                   cfg.ToPrometheus(), &sink);
  Status st = r.Start(host);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"),
            std::string::npos)
      << st.message();
  EXPECT_TRUE(r.Shutdown(component::Deadline::max()).ok());
}

dk::testing::PodSpec NimPod(int port) {
  dk::testing::PodSpec p;
  p.ns = "ai";
  p.name = "nim-llama-7d9c5b8f6-x2kqp";
  p.ip = "127.0.0.1";
  p.containers = {{"nim", {{"http", port}}}};
  p.owner_kind = "ReplicaSet";
  p.owner_name = "nim-llama-7d9c5b8f6";
  p.annotations = {{"metrics.astromkey.com/scrape", "true"},
                   {"metrics.astromkey.com/port", std::to_string(port)},
                   {"metrics.astromkey.com/filter", R"({"mode":"exclude","names":["python_*"]})"}};
  return p;
}

std::string Attr(const pdata::Resource& r, const std::string& key) {
  const auto* a = pdata::FindAttribute(r.attributes, key);
  return a == nullptr ? "" : std::string(a->string_value());
}

TEST(KubernetesReceiver, ScrapesAnnotatedPodAndStopsWhenTheAnnotationGoes) {
  prometheus::test::FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve(
      "# TYPE num_requests_running gauge\nnum_requests_running 3\n"
      "# TYPE python_gc_objects_collected_total counter\npython_gc_objects_collected_total 7\n");
  dk::testing::FakeApiServer api;
  api.Upsert(dk::Kind::kPod, dk::testing::PodJson(NimPod(target.port())));

  Config cfg;
  cfg.api_server = api.url();
  cfg.scrape_interval = std::chrono::milliseconds(200);
  prometheus::test::RecordingConsumer sink;
  component::test::TestHost host;
  prometheus::PrometheusReceiver r({config::ComponentId{"kubernetes", ""}, nullptr},
                                   cfg.ToPrometheus(), &sink);
  ASSERT_TRUE(r.Start(host).ok());
  ASSERT_TRUE(WaitFor([&] { return r.targets().size() == 1; }));
  auto t = r.targets()[0];
  EXPECT_EQ(t.url, "http://127.0.0.1:" + std::to_string(target.port()) + "/metrics");
  EXPECT_EQ(t.labels.Get("job"), "nim-llama");
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& b : sink.batches()) {
      if (prometheus::test::FindMetric(b.get(), "num_requests_running") != nullptr) return true;
    }
    return false;
  }));
  for (const auto& b : sink.batches()) {
    const auto& rm = b.get().resource_metrics.at(0);
    EXPECT_EQ(Attr(rm.resource, "service.name"), "nim-llama");
    EXPECT_EQ(Attr(rm.resource, "k8s.namespace.name"), "ai");
    EXPECT_EQ(Attr(rm.resource, "k8s.pod.name"), "nim-llama-7d9c5b8f6-x2kqp");
    EXPECT_EQ(Attr(rm.resource, "k8s.deployment.name"), "nim-llama");
    EXPECT_EQ(Attr(rm.resource, "k8s.container.name"), "nim");
    EXPECT_EQ(prometheus::test::FindMetric(b.get(), "python_gc_objects_collected_total"), nullptr)
        << "excluded by the filter annotation";
  }

  // The annotation goes: the target stops within a second, its series get stale markers.
  auto plain = NimPod(target.port());
  plain.annotations.clear();
  auto start = Clock::now();
  api.Upsert(dk::Kind::kPod, dk::testing::PodJson(plain));
  ASSERT_TRUE(WaitFor([&] { return r.targets().empty(); }));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(WaitFor([&] {
    for (const auto& b : sink.batches()) {
      const auto* p = prometheus::test::NumberPoints(
          prometheus::test::FindMetric(b.get(), "num_requests_running"));
      if (p != nullptr && p->at(0).no_recorded_value()) return true;
    }
    return false;
  }));
  EXPECT_TRUE(r.Shutdown(component::Deadline::max()).ok());
}

TEST(KubernetesReceiver, AsKubernetesSdConfigsInThePrometheusReceiver) {
  prometheus::test::FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve("# TYPE kong_up gauge\nkong_up 1\n");
  dk::testing::FakeApiServer api;
  dk::testing::PodSpec kong;
  kong.ns = "kong";
  kong.name = "kong-5f7d8c9b4-abcde";
  kong.ip = "127.0.0.1";
  kong.labels = {{"app.kubernetes.io/name", "kong"}};
  kong.containers = {{"proxy", {{"status", target.port()}}}};
  api.Upsert(dk::Kind::kPod, dk::testing::PodJson(kong));

  // Prometheus' own idiom: role pod, keep by label, namespace/pod labels from meta labels.
  std::string yaml = R"(config:
  scrape_configs:
    - job_name: kong
      scrape_interval: 200ms
      kubernetes_sd_configs:
        - role: pod
          api_server: )" +
                     api.url() + R"(
          namespaces: {names: [kong]}
      relabel_configs:
        - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
          regex: kong
          action: keep
        - source_labels: [__meta_kubernetes_namespace]
          target_label: namespace
        - source_labels: [__meta_kubernetes_pod_name]
          target_label: pod
)";
  prometheus::Config cfg;
  config::Diagnostics diag;
  config::ParseOptions opts;
  auto node = config::ParseYaml(yaml, opts, diag);
  ASSERT_TRUE(node.has_value());
  config::Decode(*node, "receivers.prometheus", cfg, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  ASSERT_TRUE(cfg.Validate().ok()) << cfg.Validate().message();
  prometheus::test::RecordingConsumer sink;
  component::test::TestHost host;
  prometheus::PrometheusReceiver r({config::ComponentId{"prometheus", ""}, nullptr}, cfg, &sink);
  ASSERT_TRUE(r.Start(host).ok());
  ASSERT_TRUE(WaitFor([&] { return r.targets().size() == 1; }));
  auto t = r.targets()[0];
  EXPECT_EQ(t.labels.Get("namespace"), "kong");
  EXPECT_EQ(t.labels.Get("pod"), "kong-5f7d8c9b4-abcde");
  EXPECT_FALSE(t.labels.Has("__meta_kubernetes_pod_name"));
  EXPECT_TRUE(WaitFor([&] { return target.requests() >= 1; }));
  api.Delete(dk::Kind::kPod, "kong", "kong-5f7d8c9b4-abcde");
  EXPECT_TRUE(WaitFor([&] { return r.targets().empty(); }, std::chrono::seconds(1)));
  EXPECT_TRUE(r.Shutdown(component::Deadline::max()).ok());
}

TEST(KubernetesSdConfig, BadRoleAndSelectorAreReportedWhereTheyAre) {
  std::string yaml = R"(config:
  scrape_configs:
    - job_name: x
      kubernetes_sd_configs:
        - role: pods
    - job_name: y
      kubernetes_sd_configs:
        - role: pod
          selectors: [{role: service, label: "a=b"}]
)";
  prometheus::Config cfg;
  config::Diagnostics diag;
  config::ParseOptions opts;
  opts.file = std::make_shared<const std::string>("p.yaml");
  auto node = config::ParseYaml(yaml, opts, diag);
  ASSERT_TRUE(node.has_value());
  config::Decode(*node, "receivers.prometheus", cfg, diag);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "p.yaml:5:17: receivers.prometheus.config.scrape_configs[0].kubernetes_sd_configs[0]."
            "role: unknown Kubernetes SD role \"pods\"");
  EXPECT_NE(
      diag.errors()[1].ToString().find("selector role \"service\" is not allowed for role \"pod\""),
      std::string::npos)
      << diag.errors()[1].ToString();
}

}  // namespace
}  // namespace astrolabe::receiver::kubernetes
