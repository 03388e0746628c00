#include "component/resolve.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "config/emit.h"
#include "config/loader.h"

namespace astrolabe::component {
namespace {

using config::Visitor;

// ---- small test factories: the shapes of the seed config's components ----

struct StaticConfig {
  std::vector<std::string> targets;
  std::map<std::string, std::string> labels;
  void Visit(Visitor& v) {
    v.Field("targets", targets);
    v.Field("labels", labels);
  }
};

struct ScrapeConfig {
  std::string job_name;
  Duration scrape_interval = std::chrono::minutes(1);
  Duration scrape_timeout = std::chrono::seconds(10);
  bool honor_labels = false;
  std::string metrics_path = "/metrics";
  std::vector<StaticConfig> static_configs;
  void Visit(Visitor& v) {
    v.Field("job_name", job_name);
    v.Field("scrape_interval", scrape_interval);
    v.Field("scrape_timeout", scrape_timeout);
    v.Field("honor_labels", honor_labels);
    v.Field("metrics_path", metrics_path);
    v.List("static_configs", static_configs);
  }
};

struct PromConfig {
  std::vector<ScrapeConfig> scrape_configs;
  void Visit(Visitor& v) { v.List("scrape_configs", scrape_configs); }
};

struct PrometheusConfig : ComponentConfig {
  PromConfig config;
  bool trim_metric_suffixes = false;
  void Visit(Visitor& v) override {
    v.Object("config", config);
    v.Field("trim_metric_suffixes", trim_metric_suffixes);
  }
  Status Validate() const override {
    if (config.scrape_configs.empty()) {
      return InvalidArgument("no Prometheus scrape_configs or target_allocator set");
    }
    return Status::Ok();
  }
};

struct DeltaConfig : ComponentConfig {
  Duration max_staleness = std::chrono::hours(1);
  std::string initial_value = "auto";
  void Visit(Visitor& v) override {
    v.Field("max_staleness", max_staleness);
    v.Field("initial_value", initial_value);
  }
};

struct OtlpHttpConfig : ComponentConfig {
  std::string endpoint;
  std::map<std::string, std::string> headers;
  std::string compression = "gzip";
  Duration timeout = std::chrono::seconds(30);
  uint64_t max_request_body_size = 0;
  void Visit(Visitor& v) override {
    v.Field("endpoint", endpoint);
    v.Field("headers", headers, {.secret = true});
    v.Field("compression", compression);
    v.Field("timeout", timeout);
    v.ByteSize("max_request_body_size", max_request_body_size);
  }
  Status Validate() const override {
    if (endpoint.empty()) return InvalidArgument("at least one endpoint must be specified");
    return Status::Ok();
  }
};

struct HealthCheckConfig : ComponentConfig {
  std::string endpoint = "localhost:13133";
  std::string path = "/";
  void Visit(Visitor& v) override {
    v.Field("endpoint", endpoint);
    v.Field("path", path);
  }
};

class TestReceiverFactory : public ReceiverFactory {
 public:
  std::string_view type() const override { return "prometheus"; }
  bool Supports(Signal s) const override { return s == Signal::kMetrics; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<PrometheusConfig>();
  }
  Result<std::unique_ptr<Receiver>> CreateReceiver(const CreateSettings&, const ComponentConfig&,
                                                   ReceiverConsumers) const override {
    return Unimplemented("test");
  }
};

class TestProcessorFactory : public ProcessorFactory {
 public:
  std::string_view type() const override { return "cumulativetodelta"; }
  bool Supports(Signal s) const override { return s == Signal::kMetrics; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<DeltaConfig>();
  }
  Result<std::unique_ptr<Processor>> CreateProcessor(const CreateSettings&, const ComponentConfig&,
                                                     Signal, Consumer&) const override {
    return Unimplemented("test");
  }
};

class TestExporterFactory : public ExporterFactory {
 public:
  std::string_view type() const override { return "otlp_http"; }
  bool Supports(Signal) const override { return true; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<OtlpHttpConfig>();
  }
  Result<std::unique_ptr<Exporter>> CreateExporter(const CreateSettings&,
                                                   const ComponentConfig&) const override {
    return Unimplemented("test");
  }
};

class TestExtensionFactory : public ExtensionFactory {
 public:
  std::string_view type() const override { return "health_check"; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<HealthCheckConfig>();
  }
  Result<std::unique_ptr<Extension>> CreateExtension(const CreateSettings&,
                                                     const ComponentConfig&) const override {
    return Unimplemented("test");
  }
};

Registry TestRegistry() {
  Registry r;
  r.Add(std::make_unique<TestReceiverFactory>());
  r.Add(std::make_unique<TestProcessorFactory>());
  r.Add(std::make_unique<TestExporterFactory>());
  r.Add(std::make_unique<TestExtensionFactory>());
  r.AddAlias(Kind::kExporter, "otlphttp", "otlp_http");
  return r;
}

config::EnvLookup TestEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (name == "DT_ENDPOINT") return "https://abc123.live.dynatrace.com/api/v2/otlp";
    if (name == "DT_API_TOKEN") return "dt0c01.SECRET";
    return std::nullopt;
  };
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Loaded {
  config::Diagnostics diag;
  config::LoadResult load;
  ResolvedConfig resolved;
};

std::unique_ptr<Loaded> LoadAndResolve(const std::string& name, const std::string& text,
                                       const Registry& registry) {
  auto out = std::make_unique<Loaded>();
  config::LoadOptions o;
  o.env = TestEnv();
  o.sources.push_back(config::ConfigSource::Memory(name, text));
  out->load = config::Load(o, out->diag);
  if (!out->diag.has_errors()) out->resolved = Resolve(out->load.config, registry, out->diag);
  return out;
}

std::string Errors(const config::Diagnostics& d) { return d.ToStatus().message(); }

const char kMinimal[] =
    "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n"
    "        - job_name: a\n          static_configs: [{targets: [h:1]}]\n"
    "exporters:\n  otlp_http:\n    endpoint: http://x\n"
    "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_http]}\n";

TEST(ResolveTest, NimSeedResolves) {
  Registry registry = TestRegistry();
  auto l = LoadAndResolve("nim.yaml", ReadAll("../config/testdata/seed_nim.yaml"), registry);
  ASSERT_FALSE(l->diag.has_errors()) << Errors(l->diag);
  // 4 slips + the deprecated otlphttp alias.
  ASSERT_EQ(l->diag.warnings().size(), 5u);
  EXPECT_EQ(l->diag.warnings()[4].ToString(),
            "nim.yaml:33:3: exporters.otlphttp: \"otlphttp\" is a deprecated alias of exporter "
            "type \"otlp_http\"");
  const ResolvedConfig& r = l->resolved;
  ASSERT_EQ(r.receivers.size(), 1u);
  auto* prom = static_cast<PrometheusConfig*>(r.receivers[0].config.get());
  ASSERT_EQ(prom->config.scrape_configs.size(), 1u);
  const ScrapeConfig& sc = prom->config.scrape_configs[0];
  EXPECT_EQ(sc.job_name, "nim-metrics");
  EXPECT_EQ(sc.scrape_interval, std::chrono::seconds(10));
  EXPECT_EQ(sc.scrape_timeout, std::chrono::seconds(10));  // default kept
  EXPECT_FALSE(sc.honor_labels);
  ASSERT_EQ(sc.static_configs.size(), 1u);
  EXPECT_EQ(sc.static_configs[0].targets, std::vector<std::string>{"<NIM-endpoint>:8000"});
  auto* delta = static_cast<DeltaConfig*>(r.processors[0].config.get());
  EXPECT_EQ(delta->max_staleness, std::chrono::hours(25));
  EXPECT_EQ(delta->initial_value, "auto");
  const ResolvedComponent* exp = r.Find(Kind::kExporter, {"otlphttp", ""});
  ASSERT_NE(exp, nullptr);
  EXPECT_EQ(exp->factory->type(), "otlp_http");
  auto* otlp = static_cast<OtlpHttpConfig*>(exp->config.get());
  EXPECT_EQ(otlp->endpoint, "https://abc123.live.dynatrace.com/api/v2/otlp");
  EXPECT_EQ(otlp->headers.at("Authorization"), "Api-Token dt0c01.SECRET");
  ASSERT_EQ(r.extensions.size(), 1u);
  EXPECT_EQ(static_cast<HealthCheckConfig*>(r.extensions[0].config.get())->endpoint,
            "localhost:13133");
  EXPECT_EQ(r.service.pipelines.size(), 1u);
}

TEST(ResolveTest, TypoGetsSuggestion) {
  Registry registry = TestRegistry();
  auto l = LoadAndResolve("nim.yaml", ReadAll("../config/testdata/config_typo.yaml"), registry);
  ASSERT_EQ(l->diag.errors().size(), 1u) << Errors(l->diag);
  EXPECT_EQ(l->diag.errors()[0].ToString(),
            "nim.yaml:11:9: receivers.prometheus.config.scrape_configs[0].scrape_intervall: "
            "unknown key (did you mean scrape_interval?)");
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* error;  // the whole ToStatus() message
};

const ErrorCase kErrorCases[] = {
    {"unknown_type",
     "receivers:\n  prometheus:\n    config: {scrape_configs: [{job_name: a}]}\n"
     "  prometheus_simple/x:\nexporters:\n  otlp_http: {endpoint: http://x}\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_http]}\n",
     "e.yaml:4:3: receivers.prometheus_simple/x: unknown type: \"prometheus_simple\" for id: "
     "\"prometheus_simple/x\" (valid values: [prometheus])"},
    {"unknown_type_suggestion",
     "receivers:\n  prometheus:\n    config: {scrape_configs: [{job_name: a}]}\n"
     "exporters:\n  otlp_htp: {endpoint: http://x}\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_htp]}\n",
     "e.yaml:5:3: exporters.otlp_htp: unknown type: \"otlp_htp\" for id: \"otlp_htp\" (valid "
     "values: [otlp_http otlphttp]) (did you mean otlp_http?)"},
    {"validate_wrapped",
     "receivers:\n  prometheus:\n    config: {scrape_configs: [{job_name: a}]}\n"
     "exporters:\n  otlphttp:\n    endpoint: ${env:UNSET}\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlphttp]}\n",
     "e.yaml:5:3: exporters.otlphttp: error reading configuration for \"otlphttp\": at least one "
     "endpoint must be specified"},
    {"bad_values",
     "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n"
     "          scrape_interval: ten\n          honor_labels: \"yes\"\n"
     "          static_configs: [{targets: h:1}]\n"
     "exporters:\n  otlp_http: {endpoint: http://x, max_request_body_size: lots, timeout: [1]}\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_http]}\n",
     "e.yaml:6:28: receivers.prometheus.config.scrape_configs[0].scrape_interval: expected a "
     "duration like 10s, got \"ten\"\n"
     "e.yaml:7:25: receivers.prometheus.config.scrape_configs[0].honor_labels: expected true or "
     "false, got \"yes\"\n"
     "e.yaml:8:38: receivers.prometheus.config.scrape_configs[0].static_configs[0].targets: "
     "expected a list of strings, got \"h:1\"\n"
     "e.yaml:10:73: exporters.otlp_http.timeout: expected a duration like 10s, got a sequence\n"
     "e.yaml:10:58: exporters.otlp_http.max_request_body_size: expected a byte size like 512KiB, "
     "got \"lots\""},
    {"body_not_a_map",
     "receivers:\n  prometheus: [1]\n"
     "exporters:\n  otlp_http: {endpoint: http://x}\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_http]}\n",
     "e.yaml:2:15: receivers.prometheus: expected a map, got a sequence"},
    {"signal_not_supported",
     "receivers:\n  prometheus:\n    config: {scrape_configs: [{job_name: a}]}\n"
     "exporters:\n  otlp_http: {endpoint: http://x}\n"
     "service:\n  pipelines:\n    traces: {receivers: [prometheus], exporters: [otlp_http]}\n",
     "e.yaml:8:26: service::pipelines::traces: receiver \"prometheus\" does not support traces"},
    {"connector",
     "receivers:\n  prometheus:\n    config: {scrape_configs: [{job_name: a}]}\n"
     "exporters:\n  otlp_http: {endpoint: http://x}\nconnectors:\n  count:\n"
     "service:\n  pipelines:\n    metrics: {receivers: [prometheus], exporters: [otlp_http]}\n",
     "e.yaml:7:3: connectors.count: unknown type: \"count\" for id: \"count\" (valid values: []): "
     "connectors are not supported yet"},
};

class ResolveErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ResolveErrorTest, ReportsWithPosition) {
  Registry registry = TestRegistry();
  auto l = LoadAndResolve("e.yaml", GetParam().text, registry);
  EXPECT_EQ(Errors(l->diag), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(Cases, ResolveErrorTest, testing::ValuesIn(kErrorCases),
                         [](const testing::TestParamInfo<ErrorCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(ResolveTest, EncodeFillsDefaultsAndRedactsSecrets) {
  Registry registry = TestRegistry();
  auto l = LoadAndResolve("nim.yaml", ReadAll("../config/testdata/seed_nim.yaml"), registry);
  ASSERT_FALSE(l->diag.has_errors()) << Errors(l->diag);
  std::string text = config::Emit(Encode(l->resolved));
  EXPECT_EQ(text,
            "receivers:\n"
            "  prometheus:\n"
            "    config:\n"
            "      scrape_configs:\n"
            "        - job_name: \"nim-metrics\"\n"
            "          scrape_interval: 10s\n"
            "          scrape_timeout: 10s\n"
            "          honor_labels: false\n"
            "          metrics_path: \"/metrics\"\n"
            "          static_configs:\n"
            "            - targets: [\"<NIM-endpoint>:8000\"]\n"
            "              labels: {}\n"
            "    trim_metric_suffixes: false\n"
            "processors:\n"
            "  cumulativetodelta:\n"
            "    max_staleness: 25h0m0s\n"
            "    initial_value: \"auto\"\n"
            "exporters:\n"
            "  otlphttp:\n"
            "    endpoint: \"https://abc123.live.dynatrace.com/api/v2/otlp\"\n"
            "    headers:\n"
            "      Authorization: \"[REDACTED]\"\n"
            "    compression: \"gzip\"\n"
            "    timeout: 30s\n"
            "    max_request_body_size: 0\n"
            "extensions:\n"
            "  health_check:\n"
            "    endpoint: \"localhost:13133\"\n"
            "    path: \"/\"\n"
            "service:\n"
            "  extensions: [health_check]\n"
            "  telemetry:\n"
            "    logs:\n"
            "      level: info\n"
            "    metrics:\n"
            "      level: normal\n"
            "      address: \"localhost:8888\"\n"
            "  pipelines:\n"
            "    metrics:\n"
            "      receivers: [prometheus]\n"
            "      processors: [cumulativetodelta]\n"
            "      exporters: [otlphttp]\n");
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
}

TEST(ResolveTest, EncodedConfigDecodesBackToTheSameValues) {
  Registry registry = TestRegistry();
  auto l = LoadAndResolve("m.yaml", kMinimal, registry);
  ASSERT_FALSE(l->diag.has_errors()) << Errors(l->diag);
  std::string text = config::Emit(Encode(l->resolved));
  auto again = LoadAndResolve("again.yaml", text, registry);
  ASSERT_FALSE(again->diag.has_errors()) << Errors(again->diag) << "\n" << text;
  EXPECT_EQ(config::Emit(Encode(again->resolved)), text);
}

TEST(ResolveTest, EmptyRegistryReportsEveryComponent) {
  Registry empty;
  auto l = LoadAndResolve("m.yaml", kMinimal, empty);
  ASSERT_EQ(l->diag.errors().size(), 2u);
  EXPECT_EQ(l->diag.errors()[0].message,
            "unknown type: \"prometheus\" for id: \"prometheus\" (valid values: [])");
  EXPECT_EQ(l->resolved.receivers.size(), 0u);
}

}  // namespace
}  // namespace astrolabe::component
