// Oracle tests: real Prometheus (2.42, /usr/bin/prometheus) and this receiver scrape the same
// loopback targets with the same scrape config text; every series Prometheus stored must be
// in what the receiver produced, with the same labels, and vice versa; values must agree
// except for series that change between the two scrapes. Targets: a server with the NIM,
// vLLM and Kong payloads (testdata/) plus label conflicts, summaries and untyped samples;
// and a real prometheus-node-exporter. Skipped (with the reason) when a peer is missing.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "config/decoder.h"
#include "config/parse.h"
#include "process.h"
#include "receiver/prometheus/scrape.h"
#include "receiver/prometheus/test_util.h"

extern char** environ;

namespace astrolabe::receiver::prometheus {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

// ---- A minimal JSON reader for the Prometheus HTTP API's answers. ----
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string str;
  double num = 0;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;
  const Json* Get(const std::string& key) const {
    for (const auto& [k, v] : obj) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  bool Read(Json& out) {
    Ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      out.kind = Json::kObject;
      ++i_;
      Ws();
      if (Peek('}')) return ++i_, true;
      while (true) {
        Json key, value;
        Ws();
        if (!ReadString(key.str) || !Expect(':') || !Read(value)) return false;
        out.obj.emplace_back(key.str, std::move(value));
        Ws();
        if (Peek(',')) {
          ++i_;
          continue;
        }
        return Expect('}');
      }
    }
    if (c == '[') {
      out.kind = Json::kArray;
      ++i_;
      Ws();
      if (Peek(']')) return ++i_, true;
      while (true) {
        Json value;
        if (!Read(value)) return false;
        out.arr.push_back(std::move(value));
        Ws();
        if (Peek(',')) {
          ++i_;
          continue;
        }
        return Expect(']');
      }
    }
    if (c == '"') {
      out.kind = Json::kString;
      return ReadString(out.str);
    }
    if (s_.substr(i_, 4) == "true" || s_.substr(i_, 4) == "null") {
      out.kind = s_[i_] == 't' ? Json::kBool : Json::kNull;
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "false") {
      out.kind = Json::kBool;
      i_ += 5;
      return true;
    }
    size_t end = i_;
    while (end < s_.size() &&
           std::string_view("+-.eE0123456789").find(s_[end]) != std::string_view::npos) {
      ++end;
    }
    if (end == i_) return false;
    out.kind = Json::kNumber;
    out.num = std::stod(std::string(s_.substr(i_, end - i_)));
    i_ = end;
    return true;
  }

 private:
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool Expect(char c) {
    Ws();
    if (!Peek(c)) return false;
    ++i_;
    return true;
  }
  bool ReadString(std::string& out) {
    if (!Peek('"')) return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {  // the API only escapes ASCII control characters and <>&
          unsigned code = std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16);
          i_ += 4;
          out += static_cast<char>(code);
          break;
        }
        default:
          out += e;
      }
    }
    return Expect('"');
  }
  std::string_view s_;
  size_t i_ = 0;
};

// ---- Series in Prometheus' shape: name{sorted labels} → value. ----
std::string CanonicalLe(const std::string& le) {
  if (le == "+Inf") return le;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", std::stod(le));
  return buf;
}

std::string SeriesKey(const std::string& name, std::map<std::string, std::string> labels) {
  if (auto it = labels.find("le"); it != labels.end()) it->second = CanonicalLe(it->second);
  if (auto it = labels.find("quantile"); it != labels.end()) it->second = CanonicalLe(it->second);
  std::string key = name + "{";
  for (const auto& [k, v] : labels) key += k + "=\"" + v + "\",";
  return key + "}";
}

using SeriesMap = std::map<std::string, double>;

SeriesMap FromOtlp(const pdata::Metrics& m) {
  SeriesMap out;
  for (const auto& rm : m.resource_metrics) {
    std::map<std::string, std::string> base;
    base["job"] = pdata::FindAttribute(rm.resource.attributes, "service.name")->string_value();
    base["instance"] =
        pdata::FindAttribute(rm.resource.attributes, "service.instance.id")->string_value();
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        auto labels_of = [&](const pdata::Attributes& attrs) {
          auto l = base;
          for (const auto& kv : attrs) l[kv.key] = kv.value.string_value();
          return l;
        };
        if (const auto* points = test::NumberPoints(&metric)) {
          for (const auto& p : *points) {
            out[SeriesKey(metric.name, labels_of(p.attributes))] = p.AsDouble();
          }
        } else if (const auto* h = std::get_if<pdata::Histogram>(&metric.data)) {
          for (const auto& p : h->data_points) {
            auto l = labels_of(p.attributes);
            double cum = 0;
            for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
              cum += static_cast<double>(p.bucket_counts[i]);
              auto bl = l;
              char buf[64];
              std::snprintf(buf, sizeof buf, "%.17g",
                            p.explicit_bounds.size() > i ? p.explicit_bounds[i] : 0.0);
              bl["le"] = i < p.explicit_bounds.size() ? std::string(buf) : "+Inf";
              out[SeriesKey(metric.name + "_bucket", bl)] = cum;
            }
            out[SeriesKey(metric.name + "_count", l)] = static_cast<double>(p.count);
            if (p.sum) out[SeriesKey(metric.name + "_sum", l)] = *p.sum;
          }
        } else if (const auto* sum = std::get_if<pdata::Summary>(&metric.data)) {
          for (const auto& p : sum->data_points) {
            auto l = labels_of(p.attributes);
            for (const auto& q : p.quantile_values) {
              auto ql = l;
              ql["quantile"] = std::to_string(q.quantile);
              out[SeriesKey(metric.name, ql)] = q.value;
            }
            out[SeriesKey(metric.name + "_count", l)] = static_cast<double>(p.count);
            out[SeriesKey(metric.name + "_sum", l)] = p.sum;
          }
        }
      }
    }
  }
  return out;
}

using e2e::FreePort;  // tests/process.h

// Runs a peer (Prometheus, node_exporter) on a loopback port with a temp dir; stops it by
// PID.
class PeerProcess {
 public:
  bool Start(const std::string& config_yaml) {
    if (!MakeDir()) return false;
    std::ofstream(dir_ + "/prometheus.yml") << config_yaml;
    port_ = FreePort();
    return Spawn({kPrometheus, "--config.file=" + dir_ + "/prometheus.yml",
                  "--storage.tsdb.path=" + dir_ + "/data",
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"});
  }
  // node_exporter with only `collectors`.
  bool StartNodeExporter(const std::vector<std::string>& collectors) {
    if (!MakeDir()) return false;
    port_ = FreePort();
    std::vector<std::string> args = {kNodeExporter,
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--collector.disable-defaults", "--log.level=warn"};
    for (const std::string& c : collectors) args.push_back("--collector." + c);
    return Spawn(args);
  }
  int port() const { return port_; }

 private:
  bool MakeDir() {
    char tmpl[] = "/tmp/astrolabe-prom-oracle-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    dir_ = tmpl;
    return true;
  }
  bool Spawn(std::vector<std::string> args) {
    const std::string program = args[0];
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string log = dir_ + "/prometheus.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT, 0644);
    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0;
  }

 public:
  ~PeerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

std::string UrlEncode(std::string_view s) {
  std::string out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The instant query's vector as a SeriesMap; nullopt until Prometheus answers.
std::optional<SeriesMap> Query(net::HttpClient& client, const std::string& base,
                               const std::string& expr) {
  net::HttpRequest req;
  req.url = base + "/api/v1/query?query=" + UrlEncode(expr);
  req.timeout = std::chrono::seconds(5);
  auto resp = client.Send(req).get();
  if (!resp.ok() || resp->status != 200) return std::nullopt;
  Json doc;
  if (!JsonReader(resp->body).Read(doc)) return std::nullopt;
  const Json* data = doc.Get("data");
  const Json* result = data ? data->Get("result") : nullptr;
  if (result == nullptr) return std::nullopt;
  SeriesMap out;
  for (const Json& series : result->arr) {
    std::map<std::string, std::string> labels;
    for (const auto& [k, v] : series.Get("metric")->obj) labels[k] = v.str;
    std::string name = labels["__name__"];
    labels.erase("__name__");
    out[SeriesKey(name, labels)] = std::stod(series.Get("value")->arr.at(1).str);
  }
  return out;
}

// The scrape config text both sides run, given as `scrape_configs:` YAML.
struct Comparison {
  SeriesMap ours;
  std::optional<SeriesMap> theirs;
};

// Our side: the config text decoded by our decoder, one ScrapeOnce() of the first target.
// Prometheus' side: the same text, queried for `{job="<job>"}` once `ready_key` is stored.
void Compare(const std::string& scrape_configs, const std::string& job,
             const std::string& ready_key, Comparison& out) {
  Config cfg;
  config::Diagnostics diag;
  std::string indented;
  std::istringstream in(scrape_configs);
  for (std::string line; std::getline(in, line);) indented += "  " + line + "\n";
  auto node = config::ParseYaml("config:\n" + indented, {}, diag);
  ASSERT_TRUE(node.has_value());
  config::Decode(*node, "receivers.prometheus", cfg, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().ToString();
  ASSERT_TRUE(cfg.Validate().ok());
  ScrapeConfig sc = cfg.ResolvedScrapeConfigs().at(0);
  auto rules = CompileRelabelRules(sc.relabel_configs, "relabel_configs");
  auto metric_rules = CompileRelabelRules(sc.metric_relabel_configs, "metric_relabel_configs");
  ASSERT_TRUE(rules.ok() && metric_rules.ok());
  auto discovered = StaticTargetProvider().Discover(sc);
  auto t = PopulateTarget(sc, *rules, discovered->at(0));
  ASSERT_TRUE(t.ok() && t->has_value());
  net::HttpClientOptions client_options;
  client_options.decompress_responses = true;
  net::HttpClient client(client_options);
  test::RecordingConsumer sink;
  ScrapeLoopOptions o;
  o.config = sc;
  o.target = std::move(**t);
  o.metric_relabel = *metric_rules;
  o.client = &client;
  o.next = &sink;
  ScrapeLoop loop(std::move(o));
  ScrapeResult r = loop.ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  out.ours = FromOtlp(sink.batches().at(0).get());

  PeerProcess prom;
  ASSERT_TRUE(prom.Start("global: {scrape_interval: 1s, scrape_timeout: 1s}\n" + scrape_configs));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    out.theirs = Query(client, prom.base(), "{job=\"" + job + "\"}");
    if (out.theirs && out.theirs->count(ready_key)) break;
    out.theirs.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(out.theirs.has_value()) << "Prometheus stored nothing in 20 s";
}

TEST(PrometheusOracle, SameSamplesAsPrometheus242) {
  if (::access(kPrometheus, X_OK) != 0) {
    GTEST_SKIP() << kPrometheus
                 << " not installed (apt-get install -y --no-install-recommends prometheus)";
  }
  test::FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve(test::ReadTestdata("nim.txt") + test::ReadTestdata("kong.txt") +
               test::ReadTestdata("vllm.txt") +
               "# TYPE conflict gauge\n"
               "conflict{job=\"inner\",instance=\"x:1\",team=\"t\",empty=\"\"} 7\n"
               "# TYPE rpc_seconds summary\n"
               "rpc_seconds{quantile=\"0.5\"} 0.25\nrpc_seconds{quantile=\"0.99\"} 1.5\n"
               "rpc_seconds_sum 40\nrpc_seconds_count 100\n"
               "untyped_thing{a=\"b\"} -3.5\n");

  const std::string scrape_configs =
      "scrape_configs:\n"
      "  - job_name: oracle\n"
      "    scrape_interval: 1s\n"
      "    scrape_timeout: 1s\n"
      "    static_configs:\n"
      "      - targets: ['" +
      target.address() +
      "']\n"
      "        labels: {team: ai}\n"
      "    relabel_configs:\n"
      "      - source_labels: [__address__]\n"
      "        regex: '([^:]+):(\\d+)'\n"
      "        target_label: host\n"
      "        replacement: 'h-$1'\n"
      "    metric_relabel_configs:\n"
      "      - source_labels: [model_name]\n"
      "        regex: 'meta/(.*)'\n"
      "        target_label: model\n"
      "        replacement: '${1}'\n"
      "      - action: labeldrop\n"
      "        regex: 'embeddings_.*|vector_db'\n"
      "      - action: drop\n"
      "        source_labels: [__name__]\n"
      "        regex: 'num_request_max|kong_ai_llm_tokens_total'\n"
      "      - action: uppercase\n"
      "        source_labels: [ai_provider]\n"
      "        target_label: provider_uc\n";
  Comparison c;
  Compare(scrape_configs, "oracle",
          SeriesKey("scrape_samples_scraped", {{"job", "oracle"},
                                               {"instance", target.address()},
                                               {"host", "h-127.0.0.1"},
                                               {"team", "ai"}}),
          c);
  if (HasFatalFailure()) return;
  const SeriesMap& ours = c.ours;
  const SeriesMap& theirs = *c.theirs;

  // Timing-dependent synthetic series are compared by presence only.
  auto timing = [](const std::string& key) {
    return key.rfind("scrape_duration_seconds{", 0) == 0 ||
           key.rfind("scrape_series_added{", 0) == 0;
  };
  size_t compared = 0;
  for (const auto& [key, value] : theirs) {
    auto it = ours.find(key);
    if (it == ours.end()) {
      ADD_FAILURE() << "Prometheus has " << key << " = " << value << ", we do not";
      continue;
    }
    if (!timing(key)) {
      EXPECT_DOUBLE_EQ(it->second, value) << key;
      ++compared;
    }
  }
  for (const auto& [key, value] : ours) {
    EXPECT_TRUE(theirs.count(key))
        << "we have " << key << " = " << value << ", Prometheus does not";
  }
  EXPECT_EQ(compared + 2, theirs.size());  // all but the two timing series
  // NIM, Kong and vLLM payloads all took part.
  auto has_prefix = [&](const std::string& prefix) {
    for (const auto& [key, value] : theirs) {
      if (key.rfind(prefix, 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_prefix("vllm:")) << "no vLLM series";
  EXPECT_TRUE(has_prefix("kong_ai_llm_")) << "no Kong series";
  EXPECT_TRUE(has_prefix("num_requests_running")) << "no NIM series";
  EXPECT_GE(compared, 150u);
}

// A real exporter: prometheus-node-exporter with a fixed set of collectors. The two scrapes
// happen at different instants, so only series whose value cannot change between them are
// compared by value; every series and label set must match.
TEST(PrometheusOracle, NodeExporterSeriesAndLabelsMatchPrometheus242) {
  if (::access(kPrometheus, X_OK) != 0 || ::access(kNodeExporter, X_OK) != 0) {
    GTEST_SKIP() << kPrometheus << " or " << kNodeExporter
                 << " not installed (apt-get install -y prometheus prometheus-node-exporter)";
  }
  PeerProcess node;
  ASSERT_TRUE(node.StartNodeExporter(
      {"cpu", "loadavg", "meminfo", "uname", "os", "stat", "filefd", "time"}));
  const std::string address = "127.0.0.1:" + std::to_string(node.port());
  {
    net::HttpClient probe;
    net::HttpRequest req;
    req.url = "http://" + address + "/metrics";
    req.timeout = std::chrono::seconds(1);
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      auto r = probe.Send(req).get();
      up = r.ok() && r->status == 200;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(up) << "node_exporter did not answer on " << address;
  }
  const std::string scrape_configs =
      "scrape_configs:\n"
      "  - job_name: node\n"
      "    scrape_interval: 1s\n"
      "    static_configs:\n"
      "      - targets: ['" +
      address + "']\n";
  Comparison c;
  Compare(scrape_configs, "node",
          SeriesKey("scrape_samples_scraped", {{"job", "node"}, {"instance", address}}), c);
  if (HasFatalFailure()) return;
  const SeriesMap& ours = c.ours;
  const SeriesMap& theirs = *c.theirs;

  // Values that are the same at any instant: build, OS and kernel facts, collector success,
  // the number of samples.
  auto stable = [](const std::string& key) {
    for (const char* p : {"node_uname_info{", "node_os_info{", "node_os_version{",
                          "node_exporter_build_info{", "node_scrape_collector_success{",
                          "node_memory_MemTotal_bytes{", "node_boot_time_seconds{", "up{",
                          "scrape_samples_scraped{", "scrape_samples_post_metric_relabeling{",
                          "go_info{", "node_filefd_maximum{", "node_time_zone_offset_seconds{"}) {
      if (key.rfind(p, 0) == 0) return true;
    }
    return false;
  };
  size_t by_value = 0;
  for (const auto& [key, value] : theirs) {
    auto it = ours.find(key);
    if (it == ours.end()) {
      ADD_FAILURE() << "Prometheus has " << key << " = " << value << ", we do not";
      continue;
    }
    if (stable(key)) {
      EXPECT_DOUBLE_EQ(it->second, value) << key;
      ++by_value;
    }
  }
  for (const auto& [key, value] : ours) {
    EXPECT_TRUE(theirs.count(key))
        << "we have " << key << " = " << value << ", Prometheus does not";
  }
  EXPECT_GE(theirs.size(), 100u);
  EXPECT_GE(by_value, 10u);
  std::cerr << "node_exporter: " << theirs.size() << " series compared by name and labels, "
            << by_value << " also by value\n";
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
