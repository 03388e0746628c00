// vmagent → `astrolabe server` → tsdb (issue 6, real peers from Debian): vmagent 1.79 scrapes
// a real prometheus-node-exporter every second and remote-writes into the server's
// /api/v1/write with a metrics.ingest token (-remoteWrite.bearerToken). After a clean stop,
// the tsdb under --data must hold exactly node_exporter's series — the set parsed from a
// direct scrape of the same exporter, each with the job and instance vmagent adds — plus the
// series vmagent makes itself per target (up, scrape_*). No relabelling anywhere.
// A second vmagent without the token gets only 401s and stores nothing.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "expfmt/parser.h"
#include "net/http_client.h"
#include "process.h"
#include "storage/labels.h"
#include "storage/storage.h"
#include "tsdb/db.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;

// The series vmagent adds for every target (Prometheus' automatic scrape series).
const std::set<std::string> kAutoSeries = {"up",
                                           "scrape_duration_seconds",
                                           "scrape_samples_scraped",
                                           "scrape_samples_post_metric_relabeling",
                                           "scrape_series_added",
                                           "scrape_timeout_seconds"};

std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

// The series of a text exposition, as Labels::ToString with job and instance added.
std::set<std::string> SeriesOf(const std::string& body, const std::string& job,
                               const std::string& instance, std::string* error) {
  std::set<std::string> out;
  expfmt::Parser parser;
  Status s = parser.Parse(body, expfmt::Format::kText, [&](const expfmt::Sample& sample) {
    std::vector<std::pair<std::string_view, std::string_view>> pairs = {
        {"__name__", sample.name}, {"job", job}, {"instance", instance}};
    for (const auto& l : sample.labels) pairs.emplace_back(l.name, l.value);
    out.insert(storage::Labels::FromPairs(pairs).ToString());
  });
  if (!s.ok()) *error = s.ToString();
  return out;
}

// The value of the first sample line starting with `prefix` in a text exposition, else 0.
double Counter(const std::string& text, const std::string& prefix) {
  for (size_t pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + 1)) {
    if (pos != 0 && text[pos - 1] != '\n') continue;
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

std::string TokenIn(const std::string& text) {
  std::smatch m;
  static const std::regex kToken("astro_[0-9a-f]{12}_[0-9a-f]{64}");
  return std::regex_search(text, m, kToken) ? m.str() : "";
}

TEST(ServerVmagent, EveryNodeExporterSeriesArrivesThroughTheServer) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/vmagent"))
      << "vmagent missing: scripts/setup installs victoria-metrics";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/prometheus-node-exporter"))
      << "prometheus-node-exporter missing: scripts/setup installs it";
  const std::string data = TempDir() + "/data";
  RunResult made = RunProcess({AstrolabeBinary(), "token", "create", "--name", "vmagent",
                               "--scopes", "metrics.ingest", "--data", data});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string token = TokenIn(made.out);
  ASSERT_FALSE(token.empty()) << made.out;

  const int http = FreePort(), otlp = FreePort(), grpc = FreePort(), health = FreePort();
  Subprocess server;
  ASSERT_TRUE(server.Start({AstrolabeBinary(), "server", "--data", data, "--http", Addr(http),
                            "--otlp-http", Addr(otlp), "--otlp-grpc", Addr(grpc), "--health",
                            Addr(health)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(health, "/").status == 200; }, 60s))
      << server.Stderr();

  // Collectors whose series set does not change from one scrape to the next on this machine.
  const int node_port = FreePort();
  const std::string node_instance = Addr(node_port);
  Subprocess node;
  ASSERT_TRUE(
      node.Start({"/usr/bin/prometheus-node-exporter", "--web.listen-address=" + node_instance,
                  "--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo",
                  "--collector.cpu", "--collector.stat", "--collector.uname", "--collector.time"}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(node_port, "/metrics").status == 200; }, 30s))
      << node.Stderr();

  const std::string scrape =
      "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: node\n"
      "    static_configs: [{targets: ['" +
      node_instance + "']}]\n";
  const std::string url = "http://" + Addr(otlp) + "/api/v1/write";
  Subprocess vmagent;
  ASSERT_TRUE(
      vmagent.Start({"/usr/bin/vmagent", "-httpListenAddr=" + Addr(FreePort()),
                     "-promscrape.config=" + WriteTempFile("scrape.yml", scrape),
                     "-remoteWrite.url=" + url, "-remoteWrite.bearerToken=" + token,
                     "-remoteWrite.tmpDataPath=" + TempDir(), "-remoteWrite.flushInterval=1s"}));
  // One without the token: its writes are refused (vmagent keeps retrying them).
  Subprocess stranger;
  ASSERT_TRUE(stranger.Start({"/usr/bin/vmagent", "-httpListenAddr=" + Addr(FreePort()),
                              "-promscrape.config=" + WriteTempFile("scrape.yml", scrape),
                              "-remoteWrite.url=" + url, "-remoteWrite.tmpDataPath=" + TempDir(),
                              "-remoteWrite.flushInterval=1s"}));

  // What node_exporter exposes, scraped directly.
  // (net::HttpClient: node_exporter answers chunked, which HttpGet does not undo.)
  net::HttpClient client;
  net::HttpRequest get;
  get.url = "http://" + node_instance + "/metrics";
  get.timeout = 10s;
  auto scraped = client.Send(std::move(get)).get();
  ASSERT_TRUE(scraped.ok()) << scraped.status().ToString();
  ASSERT_EQ(scraped->status, 200);
  const std::string direct = scraped->body;
  std::string parse_error;
  const std::set<std::string> exposed = SeriesOf(direct, "node", node_instance, &parse_error);
  ASSERT_EQ(parse_error, "");
  ASSERT_GT(exposed.size(), 50u);

  // Wait until the server has accepted three scrapes' worth of samples, and the stranger
  // has been refused.
  const std::string accepted =
      "otelcol_receiver_accepted_metric_points_total{receiver=\"prometheus_remote_write\"";
  const std::string refused =
      "astrolabe_auth_rejected_requests_total{authenticator=\"token_auth\","
      "reason=\"missing\"}";
  std::string metrics;
  EXPECT_TRUE(Eventually(
      [&] {
        metrics = HttpGet(http, "/metrics").body;
        return Counter(metrics, accepted) >= 3.0 * double(exposed.size()) &&
               Counter(metrics, refused) >= 1;
      },
      60s))
      << metrics << "\nvmagent:\n"
      << vmagent.Stderr() << "\nserver:\n"
      << server.Stderr();

  for (Subprocess* p : {&stranger, &vmagent, &node}) {
    p->Signal(SIGTERM);
    EXPECT_TRUE(p->Wait(20s).has_value());
  }
  EXPECT_NE(stranger.Stderr().find("401"), std::string::npos) << stranger.Stderr();
  server.Signal(SIGTERM);
  ASSERT_EQ(server.Wait(60s), 0) << server.Stderr();

  auto db = tsdb::Db::Open(data + "/tsdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto querier = (*db)->NewQuerier();
  auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  std::set<std::string> stored;
  std::set<std::string> auto_names;
  for (const auto& s : *all) {
    EXPECT_EQ(s.labels.Get("job"), "node") << s.labels.ToString();
    EXPECT_EQ(s.labels.Get("instance"), node_instance) << s.labels.ToString();
    EXPECT_FALSE(s.samples.empty()) << s.labels.ToString();
    const std::string name(s.labels.MetricName());
    if (kAutoSeries.count(name)) {
      auto_names.insert(name);
    } else {
      stored.insert(s.labels.ToString());
    }
  }
  std::string missing, extra;
  for (const auto& s : exposed)
    if (!stored.count(s)) missing += s + "\n";
  for (const auto& s : stored)
    if (!exposed.count(s)) extra += s + "\n";
  EXPECT_EQ(missing, "") << "exposed by node_exporter, not in the tsdb";
  EXPECT_EQ(extra, "") << "in the tsdb, not exposed by node_exporter";
  EXPECT_TRUE(auto_names.count("up"));
  EXPECT_TRUE(auto_names.count("scrape_samples_scraped"));
  std::printf("%zu node_exporter series, all stored; vmagent's own: %zu\n", exposed.size(),
              auto_names.size());
}

}  // namespace
}  // namespace astrolabe::e2e
