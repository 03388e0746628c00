// deploy/kubernetes: the manifests' structure (every object the kustomization lists, selectors
// that match the pod labels, Service and probe ports that exist on the containers and agree
// with the server's flags and the collector's config, RBAC that lets discovery list and watch,
// every referenced ConfigMap, PVC, ServiceAccount and Secret), the ConfigMaps' configs accepted
// by `astrolabe validate`, and `kubectl kustomize` rendering them when kubectl is installed.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/diagnostics.h"
#include "config/parse.h"
#include "process.h"

namespace astrolabe::e2e {
namespace {

namespace fs = std::filesystem;
using config::Node;

const std::string kDir = "../deploy/kubernetes";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Object {
  std::string file;
  Node node;
  std::string Kind() const { return Str(node, {"kind"}); }
  std::string Name() const { return Str(node, {"metadata", "name"}); }
  static const Node* At(const Node& n, std::initializer_list<std::string_view> path) {
    const Node* cur = &n;
    for (auto k : path) {
      if (cur == nullptr || !cur->IsMap()) return nullptr;
      cur = cur->Find(k);
    }
    return cur;
  }
  static std::string Str(const Node& n, std::initializer_list<std::string_view> path) {
    const Node* v = At(n, path);
    return v != nullptr && v->IsScalar() ? v->scalar() : "";
  }
};

std::map<std::string, std::string> StrMap(const Node* n) {
  std::map<std::string, std::string> out;
  if (n == nullptr || !n->IsMap()) return out;
  for (const auto& [k, v] : n->entries()) out[k] = v.IsScalar() ? v.scalar() : "";
  return out;
}

bool Subset(const std::map<std::string, std::string>& sel,
            const std::map<std::string, std::string>& labels) {
  if (sel.empty()) return false;
  for (const auto& [k, v] : sel) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

class DeployKubernetes : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string kust = ReadFile(kDir + "/kustomization.yaml");
    ASSERT_FALSE(kust.empty()) << "no " << kDir << "/kustomization.yaml";
    auto k = Parse("kustomization.yaml", kust);
    ASSERT_EQ(k.size(), 1u);
    const Node* resources = Object::At(k[0].node, {"resources"});
    ASSERT_NE(resources, nullptr);
    for (const Node& r : resources->items()) {
      files_.insert(r.scalar());
      for (Object& o : Parse(r.scalar(), ReadFile(kDir + "/" + r.scalar()))) {
        objects_.push_back(std::move(o));
      }
    }
  }

  // Every YAML document of `text`.
  std::vector<Object> Parse(const std::string& file, const std::string& text) {
    std::vector<Object> out;
    std::string doc;
    std::istringstream in(text);
    auto flush = [&] {
      config::Diagnostics diag;
      config::ParseOptions po;
      po.file = std::make_shared<const std::string>(file);
      auto node = config::ParseYaml(doc, po, diag);
      EXPECT_TRUE(node.has_value()) << file << ": " << diag.ToStatus().message();
      if (node && !node->IsNull()) out.push_back({file, std::move(*node)});
      doc.clear();
    };
    for (std::string line; std::getline(in, line);) {
      if (line == "---") {
        flush();
      } else {
        doc += line + "\n";
      }
    }
    flush();
    return out;
  }

  const Object* Find(const std::string& kind, const std::string& name) const {
    for (const Object& o : objects_) {
      if (o.Kind() == kind && o.Name() == name) return &o;
    }
    return nullptr;
  }

  // name → containerPort of the pod template's first container.
  static std::map<std::string, int> ContainerPorts(const Object& workload) {
    std::map<std::string, int> out;
    const Node* cs = Object::At(workload.node, {"spec", "template", "spec", "containers"});
    if (cs == nullptr || cs->items().empty()) return out;
    const Node* ports = cs->items()[0].Find("ports");
    if (ports == nullptr) return out;
    for (const Node& p : ports->items()) {
      out[Object::Str(p, {"name"})] = std::stoi(Object::Str(p, {"containerPort"}));
    }
    return out;
  }

  static std::vector<std::string> Args(const Object& workload) {
    std::vector<std::string> out;
    const Node* cs = Object::At(workload.node, {"spec", "template", "spec", "containers"});
    const Node* args = cs->items()[0].Find("args");
    for (const Node& a : args->items()) out.push_back(a.scalar());
    return out;
  }

  std::set<std::string> files_;
  std::vector<Object> objects_;
};

TEST_F(DeployKubernetes, TheKustomizationListsEveryManifest) {
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(kDir)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() == ".yaml" && name != "kustomization.yaml") on_disk.insert(name);
  }
  EXPECT_EQ(files_, on_disk);
  std::multiset<std::string> kinds;
  for (const Object& o : objects_) kinds.insert(o.Kind());
  EXPECT_EQ(kinds, (std::multiset<std::string>{
                       "Namespace", "ClusterRole", "ServiceAccount", "ServiceAccount",
                       "ClusterRoleBinding", "ConfigMap", "ConfigMap", "PersistentVolumeClaim",
                       "Deployment", "Service", "DaemonSet", "NetworkPolicy", "NetworkPolicy"}));
  for (const Object& o : objects_) {
    if (o.Kind() == "Namespace" || o.Kind() == "ClusterRole" || o.Kind() == "ClusterRoleBinding") {
      continue;
    }
    EXPECT_EQ(Object::Str(o.node, {"metadata", "namespace"}), "astrolabe")
        << o.Kind() << " " << o.Name();
  }
}

TEST_F(DeployKubernetes, SelectorsMatchTheirPods) {
  const Object* server = Find("Deployment", "astrolabe-server");
  const Object* collector = Find("DaemonSet", "astrolabe-collector");
  const Object* service = Find("Service", "astrolabe-server");
  ASSERT_TRUE(server && collector && service);
  auto server_labels = StrMap(Object::At(server->node, {"spec", "template", "metadata", "labels"}));
  auto collector_labels =
      StrMap(Object::At(collector->node, {"spec", "template", "metadata", "labels"}));
  EXPECT_TRUE(
      Subset(StrMap(Object::At(server->node, {"spec", "selector", "matchLabels"})), server_labels));
  EXPECT_TRUE(Subset(StrMap(Object::At(collector->node, {"spec", "selector", "matchLabels"})),
                     collector_labels));
  EXPECT_TRUE(Subset(StrMap(Object::At(service->node, {"spec", "selector"})), server_labels));
  EXPECT_FALSE(Subset(StrMap(Object::At(service->node, {"spec", "selector"})), collector_labels));
  EXPECT_TRUE(Subset(StrMap(Object::At(Find("NetworkPolicy", "astrolabe-server")->node,
                                       {"spec", "podSelector", "matchLabels"})),
                     server_labels));
  EXPECT_TRUE(Subset(StrMap(Object::At(Find("NetworkPolicy", "astrolabe-collector")->node,
                                       {"spec", "podSelector", "matchLabels"})),
                     collector_labels));
}

TEST_F(DeployKubernetes, PortsAgreeWithFlagsServiceProbesAndPolicy) {
  const Object* server = Find("Deployment", "astrolabe-server");
  ASSERT_NE(server, nullptr);
  auto ports = ContainerPorts(*server);
  // --http=:8080 → the container port named http is 8080, and so on.
  std::map<std::string, std::string> flag_port = {{"--http", "http"},
                                                  {"--otlp-http", "otlp-http"},
                                                  {"--otlp-grpc", "otlp-grpc"},
                                                  {"--health", "health"}};
  std::set<std::string> seen;
  for (const std::string& a : Args(*server)) {
    size_t eq = a.find('=');
    if (eq == std::string::npos || !flag_port.count(a.substr(0, eq))) continue;
    std::string name = flag_port[a.substr(0, eq)];
    int port = std::stoi(a.substr(a.rfind(':') + 1));
    EXPECT_EQ(ports[name], port) << a;
    seen.insert(name);
  }
  EXPECT_EQ(seen.size(), 4u);
  // The Service's target ports name container ports.
  for (const Node& p :
       Object::At(Find("Service", "astrolabe-server")->node, {"spec", "ports"})->items()) {
    std::string target = Object::Str(p, {"targetPort"});
    ASSERT_TRUE(ports.count(target)) << target;
    EXPECT_EQ(std::to_string(ports[target]), Object::Str(p, {"port"}));
  }
  // Probes hit the health port, on both workloads.
  for (const Object* w : {server, Find("DaemonSet", "astrolabe-collector")}) {
    const Node& c = Object::At(w->node, {"spec", "template", "spec", "containers"})->items()[0];
    for (const char* probe : {"readinessProbe", "livenessProbe"}) {
      EXPECT_EQ(Object::Str(c, {probe, "httpGet", "port"}), "health") << w->Name() << " " << probe;
      EXPECT_EQ(Object::Str(c, {probe, "httpGet", "path"}), "/");
    }
    EXPECT_EQ(ContainerPorts(*w)["health"], 13133);
  }
  // The collector's health_check listens where the probe looks.
  std::string collector_cfg = Object::Str(Find("ConfigMap", "astrolabe-collector-config")->node,
                                          {"data", "collector.yaml"});
  EXPECT_NE(collector_cfg.find("endpoint: 0.0.0.0:13133"), std::string::npos);
  // The server's NetworkPolicy admits every port the Service exposes.
  std::set<std::string> allowed;
  for (const Node& rule :
       Object::At(Find("NetworkPolicy", "astrolabe-server")->node, {"spec", "ingress"})->items()) {
    for (const Node& p : rule.Find("ports")->items()) allowed.insert(Object::Str(p, {"port"}));
  }
  for (const auto& [name, port] : ports) EXPECT_TRUE(allowed.count(std::to_string(port))) << name;
}

TEST_F(DeployKubernetes, RbacLetsDiscoveryListAndWatch) {
  const Object* role = Find("ClusterRole", "astrolabe-discovery");
  ASSERT_NE(role, nullptr);
  std::set<std::string> granted;
  for (const Node& rule : Object::At(role->node, {"rules"})->items()) {
    std::set<std::string> verbs;
    for (const Node& v : rule.Find("verbs")->items()) verbs.insert(v.scalar());
    EXPECT_EQ(verbs, (std::set<std::string>{"get", "list", "watch"}));
    for (const Node& r : rule.Find("resources")->items()) granted.insert(r.scalar());
  }
  for (const char* r : {"pods", "services", "endpointslices", "nodes"}) {
    EXPECT_TRUE(granted.count(r)) << r;
  }
  const Object* binding = Find("ClusterRoleBinding", "astrolabe-discovery");
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ(Object::Str(binding->node, {"roleRef", "name"}), "astrolabe-discovery");
  std::set<std::string> subjects;
  for (const Node& s : Object::At(binding->node, {"subjects"})->items()) {
    subjects.insert(Object::Str(s, {"name"}));
    EXPECT_NE(Find("ServiceAccount", Object::Str(s, {"name"})), nullptr);
  }
  for (const char* w : {"Deployment", "DaemonSet"}) {
    const Object* o = w == std::string("Deployment") ? Find(w, "astrolabe-server")
                                                     : Find(w, "astrolabe-collector");
    std::string sa = Object::Str(o->node, {"spec", "template", "spec", "serviceAccountName"});
    EXPECT_TRUE(subjects.count(sa)) << w << " runs as " << sa;
  }
}

TEST_F(DeployKubernetes, VolumesReferToObjectsThatExist) {
  for (const Object& o : objects_) {
    const Node* vols = Object::At(o.node, {"spec", "template", "spec", "volumes"});
    if (vols == nullptr) continue;
    for (const Node& v : vols->items()) {
      if (std::string cm = Object::Str(v, {"configMap", "name"}); !cm.empty()) {
        EXPECT_NE(Find("ConfigMap", cm), nullptr) << cm;
      }
      if (std::string pvc = Object::Str(v, {"persistentVolumeClaim", "claimName"}); !pvc.empty()) {
        EXPECT_NE(Find("PersistentVolumeClaim", pvc), nullptr) << pvc;
      }
    }
  }
  // The server's --config is the ConfigMap's key, mounted where the flag says.
  auto args = Args(*Find("Deployment", "astrolabe-server"));
  EXPECT_NE(std::find(args.begin(), args.end(), "--config=/etc/astrolabe/server.yaml"), args.end());
  EXPECT_FALSE(
      Object::Str(Find("ConfigMap", "astrolabe-server-config")->node, {"data", "server.yaml"})
          .empty());
}

TEST_F(DeployKubernetes, TheConfigMapsConfigsValidate) {
  ::setenv("DT_ENDPOINT", "http://astrolabe-server.astrolabe.svc:4318/api/v2/otlp", 1);
  ::setenv("DT_API_TOKEN", "astro_test", 1);
  ::setenv("NODE_NAME", "node-1", 1);
  int checked = 0;
  for (const Object& o : objects_) {
    if (o.Kind() != "ConfigMap") continue;
    for (const auto& [key, value] : Object::At(o.node, {"data"})->entries()) {
      std::string path = WriteTempFile(key, value.scalar());
      RunResult r = RunProcess({AstrolabeBinary(), "validate", "--config", path});
      EXPECT_EQ(r.exit_code, 0) << o.Name() << "/" << key << ":\n" << r.out << r.err;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4);  // server.yaml, collector.yaml, nim.yaml, kong.yaml
}

TEST_F(DeployKubernetes, KubectlKustomizeRendersIt) {
  RunResult which = RunProcess({"sh", "-c", "command -v kubectl"});
  if (which.exit_code != 0) {
    GTEST_SKIP() << "kubectl is not installed (Debian 12 has no kubectl package); the "
                    "structural checks above still ran";
  }
  // kustomize only: it runs offline (apply --dry-run=client needs an API server).
  RunResult r = RunProcess({"kubectl", "kustomize", kDir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rendered = Parse("kustomize", r.out);
  EXPECT_EQ(rendered.size(), objects_.size());
  for (const Object& o : rendered) {
    if (o.Kind() == "Deployment" || o.Kind() == "DaemonSet") {
      const Node& c = Object::At(o.node, {"spec", "template", "spec", "containers"})->items()[0];
      EXPECT_EQ(Object::Str(c, {"image"}), "astrolabe:latest");
    }
  }
}

}  // namespace
}  // namespace astrolabe::e2e
