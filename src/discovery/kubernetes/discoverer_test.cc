// Discovery against a fake API server (testing/fake_api_server.h) serving real-shaped lists
// and watch streams: targets follow adds, modifies and deletes within a second, and the
// informers survive bookmarks, 410 Gone (status and ERROR event), dropped connections, slow
// responses and failing lists.
#include "discovery/kubernetes/discoverer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "common/log.h"
#include "discovery/kubernetes/testing/fake_api_server.h"

namespace astrolabe::discovery::kubernetes {
namespace {

using testing::FakeApiServer;
using testing::PodSpec;
using Clock = std::chrono::steady_clock;

bool Eventually(const std::function<bool()>& cond,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

PodSpec Annotated(const std::string& ns, const std::string& name, const std::string& ip,
                  const std::string& port = "8000") {
  PodSpec p;
  p.ns = ns;
  p.name = name;
  p.ip = ip;
  p.containers = {{"nim", {{"http", 8000}}}};
  p.owner_kind = "ReplicaSet";
  p.owner_name = "nim-llama-7d9c5b8f6";
  p.annotations = {{"metrics.astromkey.com/scrape", "true"}, {"metrics.astromkey.com/port", port}};
  return p;
}

std::set<std::string> Addresses(Discoverer& d) {
  std::set<std::string> out;
  for (const auto& t : d.Targets()) out.insert(t.at("__address__"));
  return out;
}

class DiscovererTest : public ::testing::Test {
 protected:
  std::unique_ptr<Discoverer> Make(SdConfig sd) {
    sd.api_server = api_.url();
    DiscovererOptions o;
    o.backoff_initial = std::chrono::milliseconds(50);
    o.backoff_max = std::chrono::milliseconds(200);
    o.service_account_dir = "/nonexistent";
    auto d = Discoverer::Create(sd, o);
    EXPECT_TRUE(d.ok()) << d.status().message();
    if (!d.ok()) return nullptr;
    (*d)->Start();
    EXPECT_TRUE(Eventually([&] { return (*d)->synced(); }));
    return std::move(*d);
  }
  SdConfig Annotations() {
    SdConfig sd;
    sd.role = "annotations";
    return sd;
  }
  FakeApiServer api_;
};

TEST_F(DiscovererTest, AnnotatedTargetsAppearAndDisappearWithinASecond) {
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  EXPECT_EQ(Addresses(*d), std::set<std::string>{"10.1.0.1:8000"});

  auto measure = [&](const std::function<void()>& change, const std::set<std::string>& want) {
    uint64_t gen = d->generation();
    auto start = Clock::now();
    change();
    bool ok = Eventually([&] { return d->generation() != gen && Addresses(*d) == want; },
                         std::chrono::seconds(5));
    auto took = Clock::now() - start;
    EXPECT_TRUE(ok);
    EXPECT_LT(took, std::chrono::seconds(1));
  };
  // Added.
  measure([&] { api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-b", "10.1.0.2"))); },
          {"10.1.0.1:8000", "10.1.0.2:8000"});
  // Modified: the annotation goes away.
  PodSpec plain = Annotated("ai", "nim-a", "10.1.0.1");
  plain.annotations.clear();
  measure([&] { api_.Upsert(Kind::kPod, testing::PodJson(plain)); }, {"10.1.0.2:8000"});
  // Deleted.
  measure([&] { api_.Delete(Kind::kPod, "ai", "nim-b"); }, {});
  EXPECT_EQ(api_.lists(Kind::kPod), 1);  // all of it through one watch
}

TEST_F(DiscovererTest, KongMetricsServiceFollowsItsEndpointSlice) {
  PodSpec kong;
  kong.ns = "kong";
  kong.name = "kong-5f7d8c9b4-abcde";
  kong.ip = "10.2.0.4";
  kong.containers = {{"proxy", {{"proxy", 8000}, {"status", 8100}}}};
  api_.Upsert(Kind::kPod, testing::PodJson(kong));
  api_.Upsert(Kind::kService,
              testing::ServiceJson("kong", "kong-metrics", {},
                                   {{"metrics.astromkey.com/scrape", "true"},
                                    {"metrics.astromkey.com/port", "8100"}},
                                   {{"metrics", 8100}}, {{"app.kubernetes.io/name", "kong"}}));
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  EXPECT_TRUE(Addresses(*d).empty());  // no endpoints yet
  api_.Upsert(Kind::kEndpointSlice,
              testing::EndpointSliceJson("kong", "kong-metrics-x7k2p", "kong-metrics",
                                         {{"metrics", 8100}}, {{"10.2.0.4", true, kong.name, ""}}));
  EXPECT_TRUE(Eventually([&] { return Addresses(*d) == std::set<std::string>{"10.2.0.4:8100"}; },
                         std::chrono::seconds(1)));
  // The endpoint turns not ready: no target.
  api_.Upsert(Kind::kEndpointSlice, testing::EndpointSliceJson(
                                        "kong", "kong-metrics-x7k2p", "kong-metrics",
                                        {{"metrics", 8100}}, {{"10.2.0.4", false, kong.name, ""}}));
  EXPECT_TRUE(Eventually([&] { return Addresses(*d).empty(); }, std::chrono::seconds(1)));
}

TEST_F(DiscovererTest, BookmarksMoveTheResumeVersion) {
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  ASSERT_TRUE(Eventually([&] { return api_.watches(Kind::kPod) >= 1; }));
  api_.Bookmark(Kind::kPod);
  ASSERT_TRUE(Eventually([&] { return d->stats().bookmarks >= 1; }));
  api_.DropWatches();
  ASSERT_TRUE(Eventually([&] { return api_.watches(Kind::kPod) >= 2; }));
  auto queries = api_.watch_queries();
  std::string last_pod_watch;
  for (const auto& q : queries) {
    if (q.find("allowWatchBookmarks=true") == std::string::npos) continue;
    last_pod_watch = q;
  }
  EXPECT_NE(last_pod_watch.find("watch=1"), std::string::npos);
  // The bookmark's version (the latest revision, 101) is where the re-watch starts.
  bool found = false;
  for (const auto& q : queries) found = found || q.find("resourceVersion=101") != std::string::npos;
  EXPECT_TRUE(found);
  EXPECT_EQ(api_.lists(Kind::kPod), 1);
}

TEST_F(DiscovererTest, DroppedConnectionsResumeWithoutRelisting) {
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  for (int i = 0; i < 3; ++i) {
    api_.DropWatches();
    api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-" + std::to_string(i),
                                                       "10.1.0." + std::to_string(i + 1))));
    EXPECT_TRUE(Eventually([&] { return Addresses(*d).size() == static_cast<size_t>(i + 1); }));
  }
  EXPECT_EQ(api_.lists(Kind::kPod), 1);
  EXPECT_GE(api_.watches(Kind::kPod), 3);
}

void GoneRelists(FakeApiServer& api, Discoverer& d, bool as_event) {
  api.set_gone_as_event(as_event);
  api.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  ASSERT_TRUE(Eventually([&] { return Addresses(d).size() == 1; }));
  // The server's window moves past the watch: the open watch gets 410, and so does a
  // re-watch from the old version; the informer lists again and sees what changed.
  api.Compact();
  api.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-b", "10.1.0.2")));
  EXPECT_TRUE(Eventually([&] { return Addresses(d).size() == 2; }));
  EXPECT_GE(d.stats().relists_gone, 1u);
  EXPECT_GE(api.lists(Kind::kPod), 2);
  EXPECT_GE(api.gone(), 1);
}

TEST_F(DiscovererTest, GoneAsErrorEventRelists) {
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  GoneRelists(api_, *d, true);
}

TEST_F(DiscovererTest, GoneAsHttpStatusRelists) {
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  // Stop the watch first so that the next one starts from the compacted version and gets
  // the 410 as its HTTP status.
  api_.set_gone_as_event(false);
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  ASSERT_TRUE(Eventually([&] { return Addresses(*d).size() == 1; }));
  api_.set_delay(std::chrono::milliseconds(200));  // the re-watch comes after the compaction
  api_.DropWatches();
  api_.Compact();
  api_.set_delay(std::chrono::milliseconds(0));
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-b", "10.1.0.2")));
  EXPECT_TRUE(Eventually([&] { return Addresses(*d).size() == 2; }));
  EXPECT_GE(d->stats().relists_gone, 1u);
  EXPECT_GE(api_.lists(Kind::kPod), 2);
}

TEST_F(DiscovererTest, FailingListsBackOffAndRecover) {
  api_.FailLists(3);
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  auto d = Make(Annotations());  // waits for the sync
  ASSERT_TRUE(d);
  EXPECT_EQ(Addresses(*d).size(), 1u);
  EXPECT_GE(d->stats().errors, 3u);
}

TEST_F(DiscovererTest, SlowResponsesStillSync) {
  api_.set_delay(std::chrono::milliseconds(300));
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  EXPECT_EQ(Addresses(*d).size(), 1u);
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-b", "10.1.0.2")));
  EXPECT_TRUE(Eventually([&] { return Addresses(*d).size() == 2; }));
}

TEST_F(DiscovererTest, NamespacesAndSelectors) {
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1")));
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("other", "nim-b", "10.1.0.2")));
  PodSpec labelled = Annotated("ai", "nim-c", "10.1.0.3");
  labelled.labels = {{"tier", "gpu"}};
  api_.Upsert(Kind::kPod, testing::PodJson(labelled));
  SdConfig sd = Annotations();
  sd.namespaces.names = {"ai"};
  auto d = Make(sd);
  ASSERT_TRUE(d);
  EXPECT_EQ(Addresses(*d), (std::set<std::string>{"10.1.0.1:8000", "10.1.0.3:8000"}));
  SdConfig pods;
  pods.role = "pod";
  pods.selectors = {{"pod", "tier=gpu", ""}};
  auto p = Make(pods);
  ASSERT_TRUE(p);
  auto targets = p->Targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].at("__meta_kubernetes_pod_name"), "nim-c");
  // The watch (started right after the list) carries the selector too.
  EXPECT_TRUE(Eventually([&] {
    for (const auto& q : api_.watch_queries()) {
      if (q.find("labelSelector=tier%3Dgpu") != std::string::npos) return true;
    }
    return false;
  }));
}

TEST_F(DiscovererTest, NodeRoleIsClusterScoped) {
  api_.Upsert(Kind::kNode, testing::NodeJson("node-1", "172.18.0.2", 10250));
  SdConfig sd;
  sd.role = "node";
  sd.namespaces.names = {"ai"};  // ignored for nodes
  auto d = Make(sd);
  ASSERT_TRUE(d);
  auto t = d->Targets();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].at("__address__"), "172.18.0.2:10250");
}

TEST_F(DiscovererTest, BadAnnotationLogsOnceAndMakesNoTarget) {
  std::ostringstream log_text;
  auto logger = GetLogger("discovery/kubernetes");
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
  logger->sinks().push_back(sink);
  api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-a", "10.1.0.1", "http")));
  auto d = Make(Annotations());
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->Targets().empty());
  EXPECT_TRUE(d->Targets().empty());
  logger->flush();
  logger->sinks().pop_back();
  std::string text = log_text.str();
  const std::string line =
      "not scraping pod ai/nim-a: annotation metrics.astromkey.com/port: \"http\" is not a port "
      "number (1-65535)";
  size_t at = text.find(line);
  EXPECT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find(line, at + 1), std::string::npos) << "logged once while it lasts";
  ASSERT_EQ(d->problems().size(), 1u);
}

TEST_F(DiscovererTest, ListsInPagesWithContinueTokens) {
  for (int i = 0; i < 5; ++i) {
    api_.Upsert(Kind::kPod, testing::PodJson(Annotated("ai", "nim-" + std::to_string(i),
                                                       "10.1.0." + std::to_string(i + 1))));
  }
  ApiConfig c;
  c.server = api_.url();
  ApiClient client(c);
  InformerOptions o;
  o.kind = Kind::kPod;
  o.namespace_ = "ai";
  o.page_size = 2;
  Informer informer(&client, o, nullptr);
  EXPECT_EQ(informer.ListPath(""), "/api/v1/namespaces/ai/pods?limit=2");
  EXPECT_EQ(informer.WatchPath("7", std::chrono::seconds(300)),
            "/api/v1/namespaces/ai/pods?watch=1&allowWatchBookmarks=true&resourceVersion=7&"
            "timeoutSeconds=300");
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return informer.synced(); }));
  EXPECT_EQ(informer.Objects().size(), 5u);
  EXPECT_EQ(api_.lists(Kind::kPod), 3);  // 2 + 2 + 1
  informer.RequestStop();
  client.Shutdown();
  informer.Stop();
}

TEST_F(DiscovererTest, ConfigErrors) {
  SdConfig sd = Annotations();
  sd.api_server = "https://a";
  sd.kubeconfig_file = "/x";
  auto d = Discoverer::Create(sd);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
}

}  // namespace
}  // namespace astrolabe::discovery::kubernetes
