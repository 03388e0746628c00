#include "receiver/prometheus/target.h"

#include <gtest/gtest.h>

namespace astrolabe::receiver::prometheus {
namespace {

ScrapeConfig Job() {
  ScrapeConfig sc;
  sc.job_name = "nim";
  sc.scrape_interval = std::chrono::seconds(10);
  sc.scrape_timeout = std::chrono::seconds(10);
  return sc;
}

TEST(FormatPromDuration, LikePrometheus) {
  EXPECT_EQ(FormatPromDuration(std::chrono::seconds(10)), "10s");
  EXPECT_EQ(FormatPromDuration(std::chrono::minutes(1)), "1m");
  EXPECT_EQ(FormatPromDuration(std::chrono::seconds(90)), "1m30s");
  EXPECT_EQ(FormatPromDuration(std::chrono::hours(24 * 7)), "1w");
  EXPECT_EQ(FormatPromDuration(std::chrono::milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatPromDuration(Duration(0)), "0s");
}

TEST(PopulateTarget, DefaultsFromScrapeConfig) {
  ScrapeConfig sc = Job();
  sc.static_configs.push_back({{"nim:8000"}, {{"team", "ai"}}});
  auto discovered = StaticTargetProvider().Discover(sc);
  ASSERT_TRUE(discovered.ok());
  ASSERT_EQ(discovered->size(), 1u);
  auto t = PopulateTarget(sc, {}, (*discovered)[0]);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->has_value());
  const Target& target = **t;
  EXPECT_EQ(target.url, "http://nim:8000/metrics");
  EXPECT_EQ(target.labels.ToString(),
            "{__address__=\"nim:8000\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
            "__scrape_interval__=\"10s\", __scrape_timeout__=\"10s\", instance=\"nim:8000\", "
            "job=\"nim\", team=\"ai\"}");
  EXPECT_EQ(target.PublicLabels().ToString(), "{instance=\"nim:8000\", job=\"nim\", team=\"ai\"}");
  EXPECT_EQ(target.interval, std::chrono::seconds(10));
}

TEST(PopulateTarget, RelabelingChangesAddressPathParamsAndDrops) {
  ScrapeConfig sc = Job();
  sc.params["module"] = {"llm", "x"};
  std::vector<RelabelConfig> configs(4);
  configs[0].source_labels = {"__address__"};
  configs[0].regex = "(.*):8000";
  configs[0].target_label = "__address__";
  configs[0].replacement = "$1:9400";
  configs[1].target_label = "__metrics_path__";
  configs[1].replacement = "/v1/metrics";
  configs[2].target_label = "__param_module";
  configs[2].replacement = "gpu";
  configs[3].action = "drop";
  configs[3].source_labels = {"__address__"};
  configs[3].regex = "skip.*";
  auto rules = CompileRelabelRules(configs, "relabel_configs");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  auto t = PopulateTarget(
      sc, *rules, Labels(std::vector<Label>{{"__address__", "nim:8000"}, {"__meta_x", "1"}}));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->url, "http://nim:9400/v1/metrics?module=gpu&module=x");
  EXPECT_EQ((*t)->labels.Get("instance"), "nim:9400");
  EXPECT_FALSE((*t)->labels.Has("__meta_x"));
  auto dropped = PopulateTarget(sc, *rules, Labels(std::vector<Label>{{"__address__", "skip:1"}}));
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(dropped->has_value());
}

TEST(PopulateTarget, Errors) {
  ScrapeConfig sc = Job();
  RelabelConfig to_empty;
  to_empty.target_label = "__address__";
  to_empty.source_labels = {"nothing"};
  auto rules = CompileRelabelRules({to_empty}, "relabel_configs");
  ASSERT_TRUE(rules.ok());
  auto t = PopulateTarget(sc, *rules, Labels(std::vector<Label>{{"__address__", "h:1"}}));
  EXPECT_EQ(t.status().message(), "no address");
  auto bad = PopulateTarget(
      sc, {}, Labels(std::vector<Label>{{"__address__", "h:1"}, {"__scrape_timeout__", "20s"}}));
  EXPECT_EQ(bad.status().message(),
            "scrape timeout cannot be greater than scrape interval (\"20s\" > \"10s\")");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
