#include "receiver/prometheus/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::receiver::prometheus {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Decodes `yaml` as the body of receivers.prometheus; returns the error lines.
std::vector<std::string> DecodeYaml(const std::string& yaml, Config& cfg,
                                    const std::string& file = "test.yaml") {
  config::Diagnostics diag;
  config::ParseOptions opts;
  opts.file = std::make_shared<const std::string>(file);
  auto node = config::ParseYaml(yaml, opts, diag);
  std::vector<std::string> errors;
  if (node) config::Decode(*node, "receivers.prometheus", cfg, diag);
  for (const auto& d : diag.errors()) errors.push_back(d.ToString());
  return errors;
}

TEST(PrometheusConfig, DecodesEveryKey) {
  Config cfg;
  auto errors = DecodeYaml(ReadFile("testdata/config_full.yaml"), cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_TRUE(cfg.Validate().ok()) << cfg.Validate().ToString();
  EXPECT_TRUE(cfg.trim_metric_suffixes);
  EXPECT_TRUE(cfg.report_extra_scrape_metrics);
  EXPECT_EQ(cfg.prom.global.scrape_interval, std::chrono::seconds(30));
  EXPECT_EQ(cfg.prom.global.external_labels.at("cluster"), "prod");
  ASSERT_EQ(cfg.prom.scrape_configs.size(), 2u);
  const ScrapeConfig& nim = cfg.prom.scrape_configs[0];
  EXPECT_EQ(nim.job_name, "nim");
  EXPECT_EQ(nim.scrape_interval, std::chrono::seconds(10));
  EXPECT_EQ(nim.scrape_timeout, std::chrono::seconds(2));
  EXPECT_EQ(nim.metrics_path, "/v1/metrics");
  EXPECT_EQ(nim.scheme, "https");
  EXPECT_EQ(nim.params.at("module"), std::vector<std::string>{"llm"});
  EXPECT_TRUE(nim.honor_labels);
  EXPECT_FALSE(nim.honor_timestamps);
  EXPECT_TRUE(nim.track_timestamps_staleness);
  EXPECT_FALSE(nim.enable_compression);
  EXPECT_FALSE(nim.follow_redirects);
  EXPECT_EQ(nim.body_size_limit, 10u * 1024 * 1024);
  EXPECT_EQ(nim.sample_limit, 5000);
  EXPECT_EQ(nim.label_limit, 40);
  EXPECT_EQ(nim.scrape_protocols, std::vector<std::string>{"PrometheusText0.0.4"});
  ASSERT_EQ(nim.static_configs.size(), 1u);
  EXPECT_EQ(nim.static_configs[0].targets, (std::vector<std::string>{"nim:8000", "nim-2:8000"}));
  EXPECT_EQ(nim.static_configs[0].labels.at("team"), "ai");
  ASSERT_EQ(nim.relabel_configs.size(), 1u);
  EXPECT_EQ(nim.relabel_configs[0].target_label, "host");
  ASSERT_EQ(nim.metric_relabel_configs.size(), 1u);
  EXPECT_EQ(nim.metric_relabel_configs[0].action, "drop");
  EXPECT_EQ(nim.authorization.credentials, "s3cret");
  EXPECT_TRUE(nim.tls_config.insecure_skip_verify);
  EXPECT_EQ(nim.proxy_url, "http://proxy:3128");
}

TEST(PrometheusConfig, TypoIsAnErrorWithPositionAndSuggestion) {
  Config cfg;
  auto errors = DecodeYaml(ReadFile("testdata/config_typo.yaml"), cfg, "nim.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "nim.yaml:5:7: receivers.prometheus.config.scrape_configs[0].scrape_intervall: "
            "unknown key (did you mean scrape_interval?)");
}

TEST(PrometheusConfig, DefaultsAndResolution) {
  Config cfg;
  auto errors = DecodeYaml(
      "config:\n  scrape_configs:\n    - job_name: a\n      static_configs: [{targets: "
      "[\"h:1\"]}]\n    - job_name: b\n      scrape_interval: 5s\n",
      cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_TRUE(cfg.Validate().ok());
  auto resolved = cfg.ResolvedScrapeConfigs();
  ASSERT_EQ(resolved.size(), 2u);
  EXPECT_EQ(resolved[0].scrape_interval, std::chrono::minutes(1));
  EXPECT_EQ(resolved[0].scrape_timeout, std::chrono::seconds(10));
  EXPECT_EQ(resolved[0].metrics_path, "/metrics");
  EXPECT_EQ(resolved[0].scheme, "http");
  EXPECT_TRUE(resolved[0].honor_timestamps);
  EXPECT_FALSE(resolved[0].honor_labels);
  EXPECT_EQ(resolved[0].scrape_protocols, DefaultScrapeProtocols());
  EXPECT_EQ(resolved[0].fallback_scrape_protocol, "PrometheusText0.0.4");
  // timeout = min(global timeout, job interval)
  EXPECT_EQ(resolved[1].scrape_timeout, std::chrono::seconds(5));
}

struct ValidateCase {
  const char* yaml;
  const char* message;
};

class PrometheusConfigValidate : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(PrometheusConfigValidate, Message) {
  Config cfg;
  auto errors = DecodeYaml(GetParam().yaml, cfg);
  ASSERT_TRUE(errors.empty()) << errors[0];
  Status s = cfg.Validate();
  EXPECT_EQ(s.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PrometheusConfigValidate,
    ::testing::Values(
        ValidateCase{"config:\n  scrape_configs: [{job_name: a}]\n  remote_write: [{url: "
                     "http://x}]\n  rule_files: [r.yml]\n",
                     "unsupported features:\n\tremote_write\n\trule_files"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a}, {job_name: a}]\n",
                     "found multiple scrape configs with job name \"a\""},
        ValidateCase{"config:\n  scrape_configs: [{scrape_interval: 10s}]\n", "job_name is empty"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, scrape_interval: 5s, "
                     "scrape_timeout: 10s}]\n",
                     "scrape timeout greater than scrape interval for scrape config with job "
                     "name \"a\""},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, static_configs: [{targets: "
                     "[\"http://h:8000\"]}]}]\n",
                     "\"http://h:8000\" is not a valid hostname"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, relabel_configs: [{action: "
                     "hashmod, target_label: x}]}]\n",
                     "relabel configuration for hashmod requires non-zero modulus"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, relabel_configs: [{action: "
                     "replace}]}]\n",
                     "relabel configuration for replace action requires 'target_label' value"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, relabel_configs: [{action: "
                     "labeldrop, regex: x, target_label: y}]}]\n",
                     "labeldrop action requires only 'regex', and no other fields"},
        ValidateCase{"config:\n  scrape_configs: [{job_name: a, bearer_token: x, "
                     "bearer_token_file: y}]\n",
                     "at most one of bearer_token & bearer_token_file must be configured"},
        ValidateCase{"target_allocator: {endpoint: http://ta}\nconfig: {}\n",
                     "target_allocator is not supported by this receiver yet"}));

TEST(PrometheusConfig, NoScrapeConfigsIsADecodeError) {
  Config cfg;
  auto errors = DecodeYaml("config:\n  global: {scrape_interval: 5s}\n", cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "test.yaml:2:3: receivers.prometheus.config: no Prometheus scrape_configs or "
            "target_allocator set");
  // The default config (not decoded) validates, as the lifecycle contract asks.
  EXPECT_TRUE(Config().Validate().ok());
}

TEST(PrometheusConfig, DecodeTimeErrorsHavePositions) {
  Config cfg;
  auto errors = DecodeYaml(
      "config:\n  scrape_configs:\n    - job_name: a\n      scheme: ftp\n"
      "      scrape_protocols: [Text9]\n"
      "      relabel_configs:\n        - action: explode\n        - regex: \"a(b\"\n",
      cfg);
  ASSERT_EQ(errors.size(), 4u);
  auto has = [&](const std::string& text) {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const std::string& e) { return e.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(
      has("test.yaml:5:25: receivers.prometheus.config.scrape_configs[0]"
          ".scrape_protocols: unknown scrape protocol Text9, supported: "
          "[OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto "
          "PrometheusText0.0.4 PrometheusText1.0.0]"));
  EXPECT_TRUE(
      has("test.yaml:4:15: receivers.prometheus.config.scrape_configs[0].scheme: "
          "unsupported scheme \"ftp\""));
  EXPECT_TRUE(
      has("test.yaml:7:19: receivers.prometheus.config.scrape_configs[0]"
          ".relabel_configs[0].action: unknown relabel action \"explode\""));
  EXPECT_TRUE(
      has("test.yaml:8:18: receivers.prometheus.config.scrape_configs[0]"
          ".relabel_configs[1].regex: error parsing regexp: "));
}

TEST(PrometheusConfig, UnknownKeyDeepInsideRelabel) {
  Config cfg;
  auto errors = DecodeYaml(
      "config:\n  scrape_configs:\n    - job_name: a\n      metric_relabel_configs:\n"
      "        - source_label: [__name__]\n",
      cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "test.yaml:5:11: receivers.prometheus.config.scrape_configs[0]"
            ".metric_relabel_configs[0].source_label: unknown key (did you mean source_labels?)");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus

namespace astrolabe::receiver::prometheus {
namespace {

// The receiver blocks of the two seed configs (NIM after the loader flattened its nested
// target list, Kong as printed) decode, validate and resolve as upstream would.
TEST(PrometheusConfig, SeedConfigs) {
  for (const char* yaml :
       {"config:\n  scrape_configs:\n  - job_name: nim-metrics\n    scrape_interval: 10s\n"
        "    honor_labels: false\n    static_configs:\n      - targets:\n"
        "          - \"<NIM-endpoint>:8000\"\n",
        "config:\n  scrape_configs:\n  - job_name: kong\n    scrape_interval: 10s\n"
        "    honor_labels: false\n    static_configs:\n    - targets:\n"
        "      - kong-metrics.kong:8100\n"}) {
    Config cfg;
    auto errors = DecodeYaml(yaml, cfg);
    ASSERT_TRUE(errors.empty()) << errors[0];
    ASSERT_TRUE(cfg.Validate().ok()) << cfg.Validate().ToString();
    auto resolved = cfg.ResolvedScrapeConfigs();
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved[0].scrape_interval, std::chrono::seconds(10));
    EXPECT_EQ(resolved[0].scrape_timeout, std::chrono::seconds(10));
    EXPECT_FALSE(resolved[0].honor_labels);
    EXPECT_EQ(resolved[0].static_configs.at(0).targets.size(), 1u);
  }
}

TEST(PrometheusConfig, BodySizeLimitUsesBase2Units) {
  Config cfg;
  auto errors = DecodeYaml(
      "config:\n  global: {body_size_limit: 1KB}\n  scrape_configs:\n    - job_name: a\n"
      "      body_size_limit: 2048\n    - job_name: b\n    - job_name: c\n"
      "      body_size_limit: 3 parsecs\n",
      cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("scrape_configs[2].body_size_limit: invalid byte size \"3 parsecs\""),
            std::string::npos)
      << errors[0];
  auto resolved = cfg.ResolvedScrapeConfigs();
  EXPECT_EQ(resolved[0].body_size_limit, 2048u);
  EXPECT_EQ(resolved[1].body_size_limit, 1024u);
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
