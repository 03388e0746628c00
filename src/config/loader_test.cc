#include "config/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/emit.h"
#include "config/parse.h"

namespace astrolabe::config {
namespace {

namespace fs = std::filesystem;

EnvLookup TestEnv() {
  static const std::map<std::string, std::string, std::less<>> kEnv = {
      {"DT_ENDPOINT", "https://abc123.live.dynatrace.com/api/v2/otlp"},
      {"DT_API_TOKEN", "dt0c01.SECRET"},
      {"OTLP_PORT", "4318"},
      {"BATCH_SIZE", "512"},
      {"EMPTY", ""},
  };
  return [](std::string_view name) -> std::optional<std::string> {
    auto it = kEnv.find(name);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
}

LoadOptions FileOptions(const std::string& path) {
  LoadOptions o;
  o.sources.push_back(ConfigSource::File(path));
  o.env = TestEnv();
  return o;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> FirstLines(const std::vector<Diagnostic>& ds, const char* prefix) {
  std::vector<std::string> out;
  for (const auto& d : ds) {
    std::string s = d.ToString();
    out.push_back(prefix + s.substr(0, s.find('\n')));
  }
  return out;
}

// Golden test over testdata/{errors,valid}/*.yaml: every error and warning (first line of
// Diagnostic::ToString) must equal the lines of the .expected file beside the yaml.
// ASTROLABE_UPDATE_GOLDEN=1 rewrites the .expected files.
void CheckGolden(const std::string& dir, bool expect_errors) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  bool update = std::getenv("ASTROLABE_UPDATE_GOLDEN") != nullptr;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    Diagnostics diag;
    Load(FileOptions(f.string()), diag);
    std::vector<std::string> got = FirstLines(diag.errors(), "error: ");
    for (auto& w : FirstLines(diag.warnings(), "warning: ")) got.push_back(w);
    std::string joined;
    for (auto& g : got) joined += g + "\n";
    fs::path expected_path = f;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << joined;
      continue;
    }
    EXPECT_EQ(joined, ReadAll(expected_path.string()));
    EXPECT_EQ(diag.has_errors(), expect_errors);
  }
}

TEST(LoaderGoldenTest, Errors) { CheckGolden("testdata/errors", true); }
TEST(LoaderGoldenTest, Valid) { CheckGolden("testdata/valid", false); }

TEST(LoaderTest, ResultStatusListsEveryError) {
  auto r = Load(FileOptions("testdata/errors/unconfigured_references.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "testdata/errors/unconfigured_references.yaml:10:30: service::extensions: "
            "references extension \"pprof\" which is not configured\n"
            "testdata/errors/unconfigured_references.yaml:13:25: service::pipelines::metrics: "
            "references receiver \"prometheus\" which is not configured\n"
            "testdata/errors/unconfigured_references.yaml:14:27: service::pipelines::metrics: "
            "references processor \"memory_limiter\" which is not configured\n"
            "testdata/errors/unconfigured_references.yaml:14:43: service::pipelines::metrics: "
            "references processor \"batch\" multiple times\n"
            "testdata/errors/unconfigured_references.yaml:15:26: service::pipelines::metrics: "
            "references exporter \"otlphttp/dynatrace\" which is not configured");
}

TEST(LoaderTest, MissingFile) {
  auto r = Load(FileOptions("testdata/does_not_exist.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "testdata/does_not_exist.yaml: cannot open: No such file or directory");
}

TEST(LoaderTest, DirectoryIsNotAFile) {
  auto r = Load(FileOptions("testdata"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "testdata: cannot read: is a directory");
}

TEST(LoaderTest, NoSources) {
  LoadOptions o;
  EXPECT_FALSE(Load(o).ok());
}

TEST(LoaderTest, ConfigFull) {
  auto r = Load(FileOptions("testdata/config_full.yaml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = r->config;
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_TRUE(r->fixed.empty());
  ASSERT_EQ(c.receivers.size(), 3u);
  EXPECT_EQ(c.receivers[0].id, (ComponentId{"prometheus", "nim"}));
  EXPECT_EQ(c.receivers[0].mark.ToString(), "testdata/config_full.yaml:3:3");
  EXPECT_EQ(c.receivers[2].id.ToString(), "otlp");
  const Node* endpoint = c.receivers[2].body.Find("protocols")->Find("http")->Find("endpoint");
  EXPECT_EQ(endpoint->scalar(), "0.0.0.0:4318");
  ASSERT_EQ(c.processors.size(), 2u);
  EXPECT_EQ(c.processors[1].body.Find("send_batch_size")->scalar(), "512");
  EXPECT_FALSE(c.processors[1].body.Find("send_batch_size")->quoted());
  ASSERT_EQ(c.exporters.size(), 2u);
  EXPECT_EQ(c.exporters[0].id, (ComponentId{"otlphttp", "dynatrace"}));
  EXPECT_EQ(c.exporters[0].body.Find("headers")->Find("Authorization")->scalar(),
            "Api-Token dt0c01.SECRET");
  ASSERT_EQ(c.extensions.size(), 2u);
  EXPECT_TRUE(c.extensions[1].body.IsNull());
  EXPECT_TRUE(c.connectors.empty());
  ASSERT_EQ(c.service.extensions.size(), 2u);
  EXPECT_EQ(c.service.extension_marks[1].ToString(), "testdata/config_full.yaml:38:30");
  EXPECT_EQ(c.service.telemetry.logs_level, "debug");
  EXPECT_EQ(c.service.telemetry.metrics_level, "detailed");
  EXPECT_EQ(c.service.telemetry.metrics_address, "[::]:9888");
  ASSERT_EQ(c.service.pipelines.size(), 3u);
  const PipelineConfig& p = c.service.pipelines[0];
  EXPECT_EQ(p.id.ToString(), "metrics/nim");
  EXPECT_EQ(p.mark.ToString(), "testdata/config_full.yaml:52:5");
  ASSERT_EQ(p.receivers.size(), 2u);
  EXPECT_EQ(p.receivers[1].ToString(), "prometheus/kong");
  EXPECT_EQ(p.receiver_marks[1].ToString(), "testdata/config_full.yaml:53:35");
  ASSERT_EQ(p.processors.size(), 2u);
  ASSERT_EQ(p.exporters.size(), 1u);
  EXPECT_EQ(c.service.pipelines[1].exporters.size(), 2u);
  EXPECT_TRUE(c.service.pipelines[1].processors.empty());
  EXPECT_EQ(c.service.pipelines[2].id.ToString(), "logs");
}

TEST(LoaderTest, TelemetryDefaultsAndAddress) {
  LoadOptions o;
  o.env = TestEnv();
  const std::string base =
      "receivers: {otlp: }\nexporters: {debug: }\n"
      "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n";
  o.sources.push_back(ConfigSource::Memory("a.yaml", base));
  auto r = Load(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config.service.telemetry.logs_level, "info");
  EXPECT_EQ(r->config.service.telemetry.metrics_level, "normal");
  EXPECT_EQ(r->config.service.telemetry.metrics_address, "localhost:8888");
  o.sources[0].text = base + "  telemetry:\n    metrics:\n      address: 0.0.0.0:9999\n";
  r = Load(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config.service.telemetry.metrics_address, "0.0.0.0:9999");
}

TEST(LoaderTest, MergesSourcesInOrder) {
  LoadOptions o;
  o.env = TestEnv();
  o.sources.push_back(ConfigSource::Memory("base.yaml",
                                           "receivers:\n  otlp:\n    a: 1\n    b: [x, y]\n"
                                           "exporters:\n  debug:\n"
                                           "service:\n  pipelines:\n    traces:\n"
                                           "      receivers: [otlp]\n"
                                           "      exporters: [debug]\n"));
  o.sources.push_back(ConfigSource::Memory("override.yaml",
                                           "receivers:\n  otlp:\n    b: [z]\n    c: 3\n"
                                           "exporters:\n  debug:\n    verbosity: basic\n"));
  auto r = Load(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Node& otlp = r->config.receivers[0].body;
  EXPECT_EQ(otlp.Find("a")->scalar(), "1");
  ASSERT_EQ(otlp.Find("b")->items().size(), 1u);  // sequences are replaced
  EXPECT_EQ(otlp.Find("b")->items()[0].scalar(), "z");
  EXPECT_EQ(otlp.Find("b")->mark().file->c_str(), std::string("override.yaml"));
  EXPECT_EQ(otlp.Find("c")->scalar(), "3");
  EXPECT_EQ(r->config.exporters[0].body.Find("verbosity")->scalar(), "basic");
  EXPECT_EQ(r->config.service.pipelines.size(), 1u);
}

TEST(LoaderTest, ErrorsFromEverySourceAreReported) {
  LoadOptions o;
  o.sources.push_back(ConfigSource::Memory("a.yaml", "a: [\n"));
  o.sources.push_back(ConfigSource::Memory("b.yaml", "b: 1\nb: 2\n"));
  Diagnostics diag;
  Load(o, diag);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0].mark.file->c_str(), std::string("a.yaml"));
  EXPECT_EQ(diag.errors()[1].ToString(), "b.yaml:2:1: duplicate key \"b\"");
}

// ---- the two source documents ----

struct Seed {
  const char* file;
  const char* job;
  const char* target;
  size_t warnings;
};

class SeedTest : public testing::TestWithParam<Seed> {};

TEST_P(SeedTest, LoadsWithExpectedStructure) {
  const Seed& s = GetParam();
  auto r = Load(FileOptions(s.file));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->warnings.size(), s.warnings);
  const Config& c = r->config;
  ASSERT_EQ(c.receivers.size(), 1u);
  EXPECT_EQ(c.receivers[0].id.ToString(), "prometheus");
  const Node& job = c.receivers[0].body.Find("config")->Find("scrape_configs")->items()[0];
  EXPECT_EQ(job.Find("job_name")->scalar(), s.job);
  EXPECT_EQ(job.Find("scrape_interval")->scalar(), "10s");
  EXPECT_EQ(job.Find("honor_labels")->scalar(), "false");
  const Node& targets = *job.Find("static_configs")->items()[0].Find("targets");
  ASSERT_EQ(targets.items().size(), 1u);
  ASSERT_TRUE(targets.items()[0].IsScalar());
  EXPECT_EQ(targets.items()[0].scalar(), s.target);
  ASSERT_EQ(c.processors.size(), 1u);
  EXPECT_EQ(c.processors[0].id.ToString(), "cumulativetodelta");
  EXPECT_EQ(c.processors[0].body.Find("max_staleness")->scalar(), "25h");
  ASSERT_EQ(c.extensions.size(), 1u);
  EXPECT_EQ(c.extensions[0].id.ToString(), "health_check");
  EXPECT_TRUE(c.extensions[0].body.IsNull());
  ASSERT_EQ(c.exporters.size(), 1u);
  EXPECT_EQ(c.exporters[0].id.ToString(), "otlphttp");
  EXPECT_EQ(c.exporters[0].body.Find("endpoint")->scalar(),
            "https://abc123.live.dynatrace.com/api/v2/otlp");
  EXPECT_EQ(c.exporters[0].body.Find("headers")->Find("Authorization")->scalar(),
            "Api-Token dt0c01.SECRET");
  ASSERT_EQ(c.service.extensions.size(), 1u);
  EXPECT_EQ(c.service.extensions[0].ToString(), "health_check");
  ASSERT_EQ(c.service.pipelines.size(), 1u);
  const PipelineConfig& p = c.service.pipelines[0];
  EXPECT_EQ(p.id.ToString(), "metrics");
  ASSERT_EQ(p.receivers.size(), 1u);
  EXPECT_EQ(p.receivers[0].ToString(), "prometheus");
  ASSERT_EQ(p.processors.size(), 1u);
  EXPECT_EQ(p.processors[0].ToString(), "cumulativetodelta");
  ASSERT_EQ(p.exporters.size(), 1u);
  EXPECT_EQ(p.exporters[0].ToString(), "otlphttp");

  // The corrected file parses to the same tree (before expansion) and loads warning-free.
  ASSERT_EQ(r->fixed.size(), 1u);
  LoadOptions again;
  again.env = TestEnv();
  again.sources.push_back(ConfigSource::Memory("fixed.yaml", r->fixed[0].text));
  auto r2 = Load(again);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->warnings.empty());
  EXPECT_EQ(Emit(r2->config.root), Emit(c.root));
}

INSTANTIATE_TEST_SUITE_P(
    SourceDocuments, SeedTest,
    testing::Values(Seed{"testdata/seed_nim.yaml", "nim-metrics", "<NIM-endpoint>:8000", 4},
                    Seed{"testdata/seed_kong.yaml", "kong", "kong-metrics.kong:8100", 1}));

TEST(SeedTest, NimIsTheSeedFileByteForByte) {
  const char* shared = std::getenv("ASTROLABE_SHARED");
  std::string seed_path = std::string(shared != nullptr ? shared : "../../../shared") +
                          "/seeds/000_fc82ca145bc3c30c.txt";
  std::string seed = ReadAll(seed_path);
  if (seed.empty()) GTEST_SKIP() << "seed document not found at " << seed_path;
  std::string nim = ReadAll("testdata/seed_nim.yaml");
  // Lines 22-72 of the page.
  size_t start = 0;
  for (int line = 1; line < 22; ++line) start = seed.find('\n', start) + 1;
  size_t end = start;
  for (int line = 22; line <= 72; ++line) end = seed.find('\n', end) + 1;
  EXPECT_EQ(nim, seed.substr(start, end - start));
}

TEST(SeedTest, NimWarningsNameEachSlip) {
  Diagnostics diag;
  LoadResult r = Load(FileOptions("testdata/seed_nim.yaml"), diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().ToString();
  ASSERT_EQ(diag.warnings().size(), 4u);
  const auto& w = diag.warnings();
  // (a) no-break spaces
  EXPECT_EQ(w[0].ToString(),
            "testdata/seed_nim.yaml:3:1: indentation uses no-break spaces (U+00A0) on 21 lines; "
            "read as spaces\n    line 3 read as:\n      prometheus:");
  // (b) list inside the targets list
  EXPECT_EQ(w[1].mark.ToString(), "testdata/seed_nim.yaml:19:17");
  EXPECT_EQ(w[1].path,
            "receivers.prometheus.config.scrape_configs[0].static_configs[0].targets[0]");
  EXPECT_EQ(w[1].detail, "targets:\n  - \"<NIM-endpoint>:8000\"\n");
  // (d) metrics: indented deeper than extensions: [health_check]
  EXPECT_EQ(w[2].mark.ToString(), "testdata/seed_nim.yaml:45:5");
  EXPECT_EQ(w[2].message,
            "\"metrics\" is indented deeper than \"extensions:\" on line 43, which already has a "
            "value (not valid YAML); read as its sibling");
  EXPECT_EQ(w[2].detail,
            "  extensions: [health_check]\n  metrics:\n    receivers: [prometheus]\n"
            "    processors: [cumulativetodelta]");
  // (c) metrics: without pipelines:
  EXPECT_EQ(w[3].mark.ToString(), "testdata/seed_nim.yaml:45:5");
  EXPECT_EQ(w[3].path, "service.metrics");
  EXPECT_EQ(w[3].detail,
            "service:\n  pipelines:\n    metrics:\n      receivers: [prometheus]\n"
            "      processors: [cumulativetodelta]\n      exporters: [otlphttp]\n");
  // Positions of nodes name the user's file, NBSPs counted as one column each.
  EXPECT_EQ(r.config.processors[0].mark.ToString(), "testdata/seed_nim.yaml:23:3");
  EXPECT_EQ(r.config.service.pipelines[0].receiver_marks[0].ToString(),
            "testdata/seed_nim.yaml:47:19");
}

TEST(SeedTest, NimFixedTextIsTheGolden) {
  auto r = Load(FileOptions("testdata/seed_nim.yaml"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->fixed.size(), 1u);
  EXPECT_EQ(r->fixed[0].name, "testdata/seed_nim.yaml");
  if (std::getenv("ASTROLABE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream("testdata/seed_nim.fixed.yaml", std::ios::binary) << r->fixed[0].text;
  }
  EXPECT_EQ(r->fixed[0].text, ReadAll("testdata/seed_nim.fixed.yaml"));
}

TEST(SeedTest, WithoutFixesTheSlipsAreErrors) {
  LoadOptions o = FileOptions("testdata/seed_kong.yaml");
  o.fix_slips = false;
  auto r = Load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "testdata/seed_kong.yaml:23:3: service.metrics: unknown key (valid keys: telemetry, "
            "extensions, pipelines)\n"
            "testdata/seed_kong.yaml:21:1: service::pipelines: service must have at least one "
            "pipeline");
}

TEST(SeedTest, NimWithoutFixesIsAYamlError) {
  LoadOptions o = FileOptions("testdata/seed_nim.yaml");
  o.fix_slips = false;
  auto r = Load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "testdata/seed_nim.yaml:21:11: invalid YAML: illegal map value");
}

TEST(SeedTest, OnlyTextFixesKeepTheUsersText) {
  // NBSP indentation alone: the corrected text is the user's text with spaces, comments
  // and blank lines kept.
  std::string text =
      "# comment\nreceivers:\n\xC2\xA0 otlp:\n\nexporters:\n  debug:\nservice:\n  pipelines:\n"
      "    traces: {receivers: [otlp], exporters: [debug]}\n";
  LoadOptions o;
  o.sources.push_back(ConfigSource::Memory("n.yaml", text));
  auto r = Load(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->warnings.size(), 1u);
  ASSERT_EQ(r->fixed.size(), 1u);
  EXPECT_EQ(r->fixed[0].text,
            "# comment\nreceivers:\n  otlp:\n\nexporters:\n  debug:\nservice:\n  pipelines:\n"
            "    traces: {receivers: [otlp], exporters: [debug]}\n");
}

TEST(LoaderFuzzRegressionTest, HostileInputsDoNotCrash) {
  const char* inputs[] = {
      "",
      "\xC2\xA0",
      "a: &a [*a]",
      "a: &a\n  b: *a\n",
      "x: ${env:X}${",
      "- - - - -",
      "? [a]\n: b\n",
      "service:\n  metrics:\n  pipelines: 3\n",
      "service:\n  metrics: 1\n  pipelines:\n    metrics: 2\n",
      "receivers:\n  prometheus:\n    config:\n      scrape_configs: [{static_configs: [{targets: "
      "[[a], [[b]]]}]}]\n",
      "a: 1\n    b: 2\n        c: 3\n",
      "a: b\n  c:\n",
      "\t- a",
      "receivers: {otlp: }\nexporters: {debug: }\nservice: {pipelines: {traces: {receivers: "
      "[otlp], exporters: [debug]}}, telemetry: {metrics: {readers: [1, {pull: 2}]}}}\n",
  };
  for (const char* in : inputs) {
    LoadOptions o;
    o.sources.push_back(ConfigSource::Memory("f.yaml", in));
    o.env = TestEnv();
    Diagnostics diag;
    Load(o, diag);
  }
  std::string deep(5000, '[');
  LoadOptions o;
  o.sources.push_back(ConfigSource::Memory("deep.yaml", deep));
  EXPECT_FALSE(Load(o).ok());
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) laughs += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    laughs += "]\n";
  }
  o.sources[0] = ConfigSource::Memory("laughs.yaml", laughs);
  auto r = Load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nodes (aliases expanded)"), std::string::npos);
}

}  // namespace
}  // namespace astrolabe::config
