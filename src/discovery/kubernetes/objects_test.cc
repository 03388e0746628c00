#include "discovery/kubernetes/objects.h"

#include <gtest/gtest.h>

#include "discovery/kubernetes/testing/fake_api_server.h"

namespace astrolabe::discovery::kubernetes {
namespace {

using testing::PodSpec;

TEST(Objects, DecodesAPodListAsTheApiServerSendsIt) {
  PodSpec p;
  p.ns = "ai";
  p.name = "nim-llama-7d9c5b8f6-x2kqp";
  p.ip = "10.244.1.7";
  p.labels = {{"app", "nim-llama"}};
  p.annotations = {{"metrics.astromkey.com/scrape", "true"}};
  p.containers = {{"nim", {{"http", 8000}, {"grpc", 8001}}}};
  p.owner_kind = "ReplicaSet";
  p.owner_name = "nim-llama-7d9c5b8f6";
  std::string list =
      R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"4711","continue":"abc"},"items":[)" +
      testing::PodJson(p) + "]}";
  auto decoded = DecodeList(Kind::kPod, list);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->resource_version, "4711");
  EXPECT_EQ(decoded->continue_token, "abc");
  ASSERT_EQ(decoded->items.size(), 1u);
  const Pod& pod = std::get<Pod>(decoded->items[0]);
  EXPECT_EQ(pod.metadata.name, "nim-llama-7d9c5b8f6-x2kqp");
  EXPECT_EQ(pod.metadata.namespace_, "ai");
  EXPECT_EQ(pod.metadata.annotations.at("metrics.astromkey.com/scrape"), "true");
  EXPECT_EQ(pod.pod_ip, "10.244.1.7");
  EXPECT_EQ(pod.node_name, "node-1");
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_TRUE(pod.ready);
  ASSERT_EQ(pod.containers.size(), 1u);
  ASSERT_EQ(pod.containers[0].ports.size(), 2u);
  EXPECT_EQ(pod.containers[0].ports[1].name, "grpc");
  EXPECT_EQ(pod.containers[0].ports[1].container_port, 8001);
  ASSERT_EQ(pod.metadata.owner_references.size(), 1u);
  EXPECT_TRUE(pod.metadata.owner_references[0].controller);
  EXPECT_EQ(pod.container_statuses[0].container_id, "containerd://nim-id");
}

TEST(Objects, DecodesServicesSlicesAndNodes) {
  auto svc = DecodeObject(Kind::kService,
                          testing::ServiceJson("kong", "kong-metrics", {}, {}, {{"metrics", 8100}},
                                               {{"app.kubernetes.io/name", "kong"}}));
  ASSERT_TRUE(svc.ok()) << svc.status().message();
  EXPECT_EQ(std::get<Service>(*svc).ports[0].port, 8100);
  EXPECT_EQ(std::get<Service>(*svc).ports[0].target_port, "8100");
  auto slice = DecodeObject(
      Kind::kEndpointSlice,
      testing::EndpointSliceJson(
          "kong", "kong-metrics-abcde", "kong-metrics", {{"metrics", 8100}},
          {{"10.244.2.4", true, "kong-0", "node-2"}, {"10.244.2.5", false, "kong-1", ""}}));
  ASSERT_TRUE(slice.ok()) << slice.status().message();
  const auto& s = std::get<EndpointSlice>(*slice);
  EXPECT_EQ(s.ServiceName(), "kong-metrics");
  ASSERT_EQ(s.endpoints.size(), 2u);
  EXPECT_EQ(s.endpoints[1].conditions.ready, false);
  EXPECT_EQ(s.endpoints[0].target_ref->name, "kong-0");
  auto node = DecodeObject(Kind::kNode, testing::NodeJson("node-1", "172.18.0.2", 10250));
  ASSERT_TRUE(node.ok()) << node.status().message();
  EXPECT_EQ(std::get<Node>(*node).kubelet_port, 10250);
  EXPECT_EQ(std::get<Node>(*node).addresses[0].address, "172.18.0.2");
}

TEST(Objects, DecodesEndpointsWithIntOrStringPorts) {
  auto eps = DecodeObject(Kind::kEndpoints, R"({"metadata":{"name":"nim","namespace":"ai"},
    "subsets":[{"addresses":[{"ip":"10.0.0.5","nodeName":"n1","targetRef":{"kind":"Pod","name":"nim-0"}}],
                "notReadyAddresses":[{"ip":"10.0.0.6"}],"ports":[{"name":"http","port":8000,"protocol":"TCP"}]}]})");
  ASSERT_TRUE(eps.ok()) << eps.status().message();
  const auto& e = std::get<Endpoints>(*eps);
  ASSERT_EQ(e.subsets.size(), 1u);
  EXPECT_EQ(e.subsets[0].addresses[0].target_ref->name, "nim-0");
  EXPECT_EQ(e.subsets[0].not_ready_addresses[0].ip, "10.0.0.6");
  auto svc = DecodeObject(
      Kind::kService,
      R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"targetPort":"http"}]}})");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(std::get<Service>(*svc).ports[0].target_port, "http");
}

TEST(Objects, DecodesWatchEvents) {
  auto added = DecodeWatchEvent(
      Kind::kPod,
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n","resourceVersion":"12"}}})");
  ASSERT_TRUE(added.ok()) << added.status().message();
  EXPECT_EQ(added->type, WatchEvent::Type::kAdded);
  EXPECT_EQ(added->resource_version, "12");
  auto bookmark = DecodeWatchEvent(
      Kind::kPod,
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"99"}}})");
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(bookmark->resource_version, "99");
  EXPECT_FALSE(bookmark->object.has_value());
  auto error = DecodeWatchEvent(
      Kind::kPod,
      R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 5 (60)","reason":"Expired","code":410}})j");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->type, WatchEvent::Type::kError);
  EXPECT_EQ(error->error_code, 410);
  EXPECT_EQ(error->error_message, "too old resource version: 5 (60)");
}

TEST(Objects, BadDocumentsAreErrorsNamingThePlace) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {"", "not JSON"},
      {"[1]", "expected a JSON object, got array"},
      {R"({"items":[{"metadata":"x"}]})", "list.items[0].metadata: expected an object, got string"},
      {R"({"items":[{"spec":{"containers":[{"ports":[{"containerPort":"80"}]}]}}]})",
       "list.items[0].spec.containers[0].ports[0].containerPort: expected an integer, got string"},
      {R"({"items":{}})", "list.items: expected an array, got object"},
      {R"({"items":[{"metadata":{"labels":{"a":1}}}]})",
       "list.items[0].metadata.labels.a: expected a string, got number"},
  };
  for (const auto& c : cases) {
    auto r = DecodeList(Kind::kPod, c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.json << " → " << r.status().message();
  }
  auto r = DecodeWatchEvent(Kind::kPod, R"({"type":"SURPRISE","object":{}})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown watch event type \"SURPRISE\""), std::string::npos);
  r = DecodeWatchEvent(Kind::kPod, R"({"type":"ADDED"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("event.object: missing"), std::string::npos);
}

}  // namespace
}  // namespace astrolabe::discovery::kubernetes
