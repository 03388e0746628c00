#include "receiver/prometheus/file_sd.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "component/testing/test_components.h"
#include "config/decoder.h"
#include "config/parse.h"
#include "receiver/prometheus/prometheus_receiver.h"
#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::prometheus {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> DecodeYaml(const std::string& yaml, Config& cfg) {
  config::Diagnostics diag;
  config::ParseOptions opts;
  opts.file = std::make_shared<const std::string>("test.yaml");
  auto node = config::ParseYaml(yaml, opts, diag);
  std::vector<std::string> errors;
  if (node) config::Decode(*node, "receivers.prometheus", cfg, diag);
  for (const auto& d : diag.errors()) errors.push_back(d.ToString());
  return errors;
}

// A fresh directory under the test temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "file_sd_test_XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Writes `text` to `name` (atomically, by rename, as config management tools do) and
  // moves its mtime forward so that a rewrite within one clock tick is still seen.
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = path_ + "/" + name;
    std::string tmp = p + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
    }
    fs::last_write_time(tmp, fs::file_time_type::clock::now() + std::chrono::seconds(++writes_));
    fs::rename(tmp, p);
    return p;
  }

 private:
  std::string path_;
  int writes_ = 0;
};

std::set<std::string> Addresses(const std::vector<Labels>& targets) {
  std::set<std::string> out;
  for (const Labels& l : targets) out.insert(std::string(l.Get("__address__")));
  return out;
}

TEST(FileSdConfig, Decodes) {
  Config cfg;
  auto errors = DecodeYaml(R"(
config:
  scrape_configs:
    - job_name: files
      file_sd_configs:
        - files: [/etc/sd/*.json, /etc/sd/web.yml]
          refresh_interval: 30s
        - files: [targets.yaml]
)",
                           cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_EQ(cfg.prom.scrape_configs.size(), 1u);
  const auto& sd = cfg.prom.scrape_configs[0].file_sd_configs;
  ASSERT_EQ(sd.size(), 2u);
  EXPECT_EQ(sd[0].files, (std::vector<std::string>{"/etc/sd/*.json", "/etc/sd/web.yml"}));
  EXPECT_EQ(sd[0].refresh_interval, std::chrono::seconds(30));
  EXPECT_EQ(sd[1].refresh_interval, std::chrono::minutes(5));  // Prometheus' default
  EXPECT_TRUE(cfg.Validate().ok());
}

TEST(FileSdConfig, FullConfig) {
  std::ifstream in("testdata/config_full.yaml");
  std::stringstream text;
  text << in.rdbuf();
  Config cfg;
  auto errors = DecodeYaml(text.str(), cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_FALSE(cfg.prom.scrape_configs.empty());
  const auto& sd = cfg.prom.scrape_configs[0].file_sd_configs;
  ASSERT_EQ(sd.size(), 1u);
  EXPECT_EQ(sd[0].files, (std::vector<std::string>{"/etc/astrolabe/targets/*.json",
                                                   "/etc/astrolabe/targets/web.yml"}));
  EXPECT_EQ(sd[0].refresh_interval, std::chrono::seconds(30));
}

TEST(FileSdConfig, RejectsWhatPrometheusRejects) {
  struct Case {
    std::string files;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"[/etc/sd/targets.txt]", "path name \"/etc/sd/targets.txt\" is not valid"},
           {"[/etc/*/targets.json]", "path name \"/etc/*/targets.json\" is not valid"},
           {"[]", "must contain at least one path name"},
       }) {
    Config cfg;
    auto errors = DecodeYaml(
        "config:\n  scrape_configs:\n    - job_name: j\n      file_sd_configs:\n        - files: " +
            c.files + "\n",
        cfg);
    ASSERT_EQ(errors.size(), 1u) << c.files;
    EXPECT_NE(errors[0].find(c.error), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("file_sd_configs[0].files"), std::string::npos) << errors[0];
  }
  Config typo;
  auto errors = DecodeYaml(
      "config:\n  scrape_configs:\n    - job_name: j\n      file_sd_configs:\n"
      "        - files: [a.json]\n          refresh_intervall: 1m\n",
      typo);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("did you mean refresh_interval"), std::string::npos) << errors[0];

  Config built;  // not decoded: Validate() has the same rule
  ScrapeConfig sc;
  sc.job_name = "j";
  sc.file_sd_configs.push_back({{"targets.txt"}});
  built.prom.scrape_configs.push_back(sc);
  EXPECT_FALSE(built.Validate().ok());
}

TEST(FileSdParse, JsonAndYaml) {
  const std::string json = R"([
    {"targets": ["a:9100", "b:9100"], "labels": {"env": "prod", "__address__": "ignored"}},
    {"targets": ["c:80"]}
  ])";
  auto groups = ParseTargetGroups("/sd/t.json", json);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  auto labels = TargetGroupLabels(*groups, "/sd/t.json");
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].Get("__address__"), "a:9100");  // the target wins over a group label
  EXPECT_EQ(labels[0].Get("env"), "prod");
  EXPECT_EQ(labels[0].Get("__meta_filepath"), "/sd/t.json");
  EXPECT_EQ(labels[2].Get("__address__"), "c:80");
  EXPECT_FALSE(labels[2].Has("env"));

  auto yaml = ParseTargetGroups("/sd/t.yml", "- targets: [d:1]\n  labels:\n    team: ai\n");
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();
  ASSERT_EQ(yaml->size(), 1u);
  EXPECT_EQ((*yaml)[0].targets, std::vector<std::string>{"d:1"});
  EXPECT_EQ((*yaml)[0].labels.at("team"), "ai");

  auto empty = ParseTargetGroups("/sd/e.yaml", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(FileSdParse, ErrorsNameTheFileAndPosition) {
  auto typo = ParseTargetGroups("/sd/t.yml", "- targets: [a:1]\n  lables: {x: y}\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("/sd/t.yml:2:3: [0].lables: unknown key"),
            std::string::npos)
      << typo.status().message();

  auto syntax = ParseTargetGroups("/sd/t.json", "[{\"targets\": [\"a:1\"}]");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("/sd/t.json:1:"), std::string::npos)
      << syntax.status().message();

  auto not_list = ParseTargetGroups("/sd/t.yml", "targets: [a:1]\n");
  ASSERT_FALSE(not_list.ok());
  EXPECT_NE(not_list.status().message().find("expected a list of target groups"), std::string::npos)
      << not_list.status().message();

  auto yaml_in_json = ParseTargetGroups("/sd/t.json", "- targets: [a:1]\n");
  EXPECT_FALSE(yaml_in_json.ok());
}

TEST(FileSd, GlobsAndFollowsChanges) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.Write("a.json", R"([{"targets": ["a:1"]}])");
  dir.Write("b.yml", "- targets: [b:1, b:2]\n");
  dir.Write("c.txt", "- targets: [c:1]\n");  // not matched by either pattern
  component::Counter errors;
  FileSd sd({{dir.path() + "/*.json", dir.path() + "/*.yml"}}, "test", &errors);
  EXPECT_TRUE(sd.Refresh(false));
  EXPECT_EQ(Addresses(sd.Targets()), (std::set<std::string>{"a:1", "b:1", "b:2"}));
  for (const Labels& l : sd.Targets()) {
    std::string want = dir.path() + (l.Get("__address__") == "a:1" ? "/a.json" : "/b.yml");
    EXPECT_EQ(l.Get("__meta_filepath"), want);
  }
  EXPECT_FALSE(sd.Refresh(false));  // nothing changed
  EXPECT_FALSE(sd.Refresh(true));   // a full re-read of the same contents changes nothing

  // A rewrite is seen on the next poll.
  dir.Write("a.json", R"([{"targets": ["a:1", "a:2"]}])");
  EXPECT_TRUE(sd.Refresh(false));
  EXPECT_EQ(Addresses(sd.Targets()), (std::set<std::string>{"a:1", "a:2", "b:1", "b:2"}));

  // A malformed rewrite keeps the file's previous targets and is counted once.
  dir.Write("a.json", R"([{"targets": ["a:3"]})");
  EXPECT_FALSE(sd.Refresh(false));
  EXPECT_EQ(Addresses(sd.Targets()), (std::set<std::string>{"a:1", "a:2", "b:1", "b:2"}));
  EXPECT_EQ(sd.read_errors(), 1u);
  EXPECT_EQ(errors.value(), 1);
  EXPECT_FALSE(sd.Refresh(true));  // the same bad version is not reported again
  EXPECT_EQ(sd.read_errors(), 1u);

  // Fixed again; a new file appears; a file goes away.
  dir.Write("a.json", R"([{"targets": ["a:3"]}])");
  dir.Write("d.json", R"([{"targets": ["d:1"]}])");
  fs::remove(dir.path() + "/b.yml");
  EXPECT_TRUE(sd.Refresh(false));
  EXPECT_EQ(Addresses(sd.Targets()), (std::set<std::string>{"a:3", "d:1"}));

  // A new file that is malformed from the start contributes nothing.
  dir.Write("e.json", "not json");
  EXPECT_FALSE(sd.Refresh(false));
  EXPECT_EQ(sd.read_errors(), 2u);
}

TEST(DiscoveryTargetProvider, StaticPlusFilesAndPoll) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.Write("t.yaml", "- targets: [f:1]\n");
  ScrapeConfig sc;
  sc.job_name = "j";
  sc.static_configs.push_back({{"s:1"}, {}});
  sc.file_sd_configs.push_back({{dir.path() + "/*.yaml"}, std::chrono::minutes(5)});
  DiscoveryTargetProvider p;
  EXPECT_TRUE(p.Dynamic(sc));
  auto first = p.Discover(sc);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Addresses(*first), (std::set<std::string>{"s:1", "f:1"}));
  EXPECT_FALSE(p.Poll(sc));
  dir.Write("t.yaml", "- targets: [f:2]\n");
  EXPECT_TRUE(p.Poll(sc));
  EXPECT_EQ(Addresses(*p.Discover(sc)), (std::set<std::string>{"s:1", "f:2"}));

  ScrapeConfig only_static;
  only_static.job_name = "s";
  EXPECT_FALSE(p.Dynamic(only_static));
}

template <typename P>
bool WaitFor(P pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::set<std::string> Instances(const PrometheusReceiver& r) {
  std::set<std::string> out;
  for (const Target& t : r.targets()) out.insert(std::string(t.labels.Get("instance")));
  return out;
}

// End to end: the receiver scrapes loopback servers listed in a file, follows rewrites of
// the file, and keeps its targets through a malformed rewrite.
TEST(FileSdReceiver, ScrapesTargetsListedInAFileAndFollowsIt) {
  test::FakeTarget one, two;
  ASSERT_TRUE(one.ok() && two.ok());
  one.Serve("x 1\n");
  two.Serve("x 2\n");
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string file = dir.Write(
      "targets.json", R"([{"targets": [")" + one.address() + R"("], "labels": {"team": "ai"}}])");

  Config cfg;
  ScrapeConfig sc;
  sc.job_name = "files";
  sc.scrape_interval = std::chrono::milliseconds(50);
  sc.file_sd_configs.push_back({{dir.path() + "/*.json"}, std::chrono::minutes(5)});
  cfg.prom.scrape_configs = {sc};
  ASSERT_TRUE(cfg.Validate().ok());
  test::RecordingConsumer sink;
  component::test::TestHost host;
  PrometheusReceiver r({config::ComponentId{"prometheus", "sd"}, nullptr}, cfg, &sink);
  r.set_discovery_poll_interval(std::chrono::milliseconds(50));
  ASSERT_TRUE(r.Start(host).ok());

  EXPECT_TRUE(WaitFor([&] { return one.requests() >= 2; }));
  ASSERT_EQ(r.targets().size(), 1u);
  EXPECT_EQ(r.targets()[0].labels.Get("team"), "ai");
  EXPECT_FALSE(r.targets()[0].labels.Has("__meta_filepath"));  // dropped after relabeling
  bool saw_up = false;
  for (const auto& batch : sink.batches())
    saw_up = saw_up || test::GaugeValue(batch.get(), "up") == 1;
  EXPECT_TRUE(saw_up);

  // Rewrite: `two` replaces `one`.
  dir.Write("targets.json", R"([{"targets": [")" + two.address() + R"("]}])");
  EXPECT_TRUE(WaitFor([&] { return Instances(r) == std::set<std::string>{two.address()}; }));
  EXPECT_TRUE(WaitFor([&] { return two.requests() >= 2; }));
  int one_requests = one.requests();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(one.requests(), one_requests + 1);  // at most a scrape already in flight
  // The removed target's series got stale markers (NO_RECORDED_VALUE points), once.
  auto stale_batches_of = [&](const std::string& instance) {
    int n = 0;
    for (const auto& batch : sink.batches()) {
      const auto& rm = batch.get().resource_metrics.at(0);
      if (pdata::FindAttribute(rm.resource.attributes, "service.instance.id")->string_value() !=
          instance) {
        continue;
      }
      const auto* x = test::NumberPoints(test::FindMetric(batch.get(), "x"));
      const auto* up = test::NumberPoints(test::FindMetric(batch.get(), "up"));
      if (x == nullptr || up == nullptr || !x->at(0).no_recorded_value()) continue;
      EXPECT_TRUE(up->at(0).no_recorded_value());
      EXPECT_EQ(x->at(0).attributes.size(), 1u);  // team="ai", as the series had
      ++n;
    }
    return n;
  };
  EXPECT_TRUE(WaitFor([&] { return stale_batches_of(one.address()) >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(stale_batches_of(one.address()), 1);
  EXPECT_EQ(stale_batches_of(two.address()), 0);

  // Malformed rewrite: the targets stay, the error is counted.
  dir.Write("targets.json", "[{\"targets\": [");
  std::string counter = "astrolabe_receiver_prometheus_sd_file_read_errors_total";
  EXPECT_TRUE(WaitFor([&] {
    return host.telemetry().RenderText().find(counter + "{receiver=\"prometheus/sd\"} 1") !=
           std::string::npos;
  })) << host.telemetry().RenderText();
  EXPECT_EQ(Instances(r), std::set<std::string>{two.address()});
  int two_requests = two.requests();
  EXPECT_TRUE(WaitFor([&] { return two.requests() >= two_requests + 2; }));

  // The file goes away: no targets.
  fs::remove(file);
  EXPECT_TRUE(WaitFor([&] { return r.targets().empty(); }));
  ASSERT_TRUE(r.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
