// Kubernetes annotation discovery end to end: `astrolabe server` with a `kubernetes` receiver
// pointed at a fake API server (discovery/kubernetes/testing) discovers a NIM pod annotated
// metrics.astromkey.com/scrape, whose pod IP and port are those of `astrolabe sim nim` on
// 127.0.0.1, scrapes it, and the query API shows its series; the pod's deletion ends them.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "discovery/kubernetes/testing/fake_api_server.h"
#include "process.h"

namespace astrolabe::e2e {
namespace {

namespace dk = discovery::kubernetes;
using namespace std::chrono_literals;

TEST(KubernetesE2e, ServerScrapesAnAnnotatedPodAndTheQueryApiShowsIt) {
  // The NIM simulator, standing in for the pod's container.
  Subprocess nim;
  const int nim_port = FreePort();
  ASSERT_TRUE(nim.Start({AstrolabeBinary(), "sim", "nim", "--rate", "0", "--listen",
                         "127.0.0.1:" + std::to_string(nim_port)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(nim_port, "/v1/metrics").status == 200; }))
      << nim.Stderr();

  dk::testing::FakeApiServer api;
  dk::testing::PodSpec pod;
  pod.ns = "ai";
  pod.name = "nim-llama-7d9c5b8f6-x2kqp";
  pod.ip = "127.0.0.1";
  pod.containers = {{"nim", {{"http", nim_port}}}};
  pod.owner_kind = "ReplicaSet";
  pod.owner_name = "nim-llama-7d9c5b8f6";
  pod.annotations = {{"metrics.astromkey.com/scrape", "true"},
                     {"metrics.astromkey.com/port", std::to_string(nim_port)},
                     {"metrics.astromkey.com/path", "/v1/metrics"}};
  api.Upsert(dk::Kind::kPod, dk::testing::PodJson(pod));

  const std::string config = WriteTempFile("kubernetes.yaml", R"(receivers:
  kubernetes:
    api_server: )" + api.url() + R"(
    scrape_interval: 1s
    annotations: {namespaces: [ai]}
service:
  pipelines:
    metrics/kubernetes: {receivers: [kubernetes], exporters: [store]}
)");
  const std::string data = std::filesystem::path(config).parent_path().string() + "/data";
  const int http = FreePort(), health = FreePort();
  Subprocess server;
  ASSERT_TRUE(server.Start({AstrolabeBinary(), "server", "--auth", "none", "--config", config,
                            "--data", data, "--http", "127.0.0.1:" + std::to_string(http),
                            "--otlp-http", "127.0.0.1:" + std::to_string(FreePort()), "--otlp-grpc",
                            "127.0.0.1:" + std::to_string(FreePort()), "--health",
                            "127.0.0.1:" + std::to_string(health)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(health, "/").status == 200; })) << server.Stderr();

  const std::string query = "/api/v1/query?query=num_requests_running%7Bjob%3D%22nim-llama%22%7D";
  HttpResult r;
  ASSERT_TRUE(Eventually(
      [&] {
        r = HttpGet(http, query);
        return r.status == 200 &&
               r.body.find("\"instance\":\"127.0.0.1:" + std::to_string(nim_port) + "\"") !=
                   std::string::npos;
      },
      30s))
      << r.status << " " << r.body << "\n"
      << server.Stderr();
  EXPECT_NE(r.body.find("\"job\":\"nim-llama\""), std::string::npos) << r.body;

  // The k8s.* resource attributes land on target_info.
  HttpResult info;
  EXPECT_TRUE(Eventually(
      [&] {
        info = HttpGet(http, "/api/v1/query?query=target_info%7Bjob%3D%22nim-llama%22%7D");
        return info.body.find("\"k8s_pod_name\":\"nim-llama-7d9c5b8f6-x2kqp\"") !=
               std::string::npos;
      },
      10s))
      << info.body;
  EXPECT_NE(info.body.find("\"k8s_deployment_name\":\"nim-llama\""), std::string::npos)
      << info.body;

  // The pod goes: the server stops scraping it and its series end (stale markers), so an
  // instant query no longer returns them.
  ASSERT_TRUE(api.Delete(dk::Kind::kPod, "ai", pod.name));
  EXPECT_TRUE(Eventually(
      [&] {
        r = HttpGet(http, query);
        return r.status == 200 && r.body.find("\"result\":[]") != std::string::npos;
      },
      15s))
      << r.body;

  server.Signal(SIGTERM);
  EXPECT_TRUE(server.Wait(30s).has_value());
  nim.Signal(SIGTERM);
  nim.Wait(10s);
}

}  // namespace
}  // namespace astrolabe::e2e
