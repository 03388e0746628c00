// `astrolabe demo` as a user runs it: it starts on free ports, and within 60 s the server has
// taken in NIM scraped directly, NIM through the NIM page's collector pipeline, vLLM, Kong and
// the apps' GenAI spans and logs (the server's own /metrics counters); SIGINT stops it with
// exit code 0 within 10 s and leaves none of its child processes; then the stored data is
// read back from the data directory (tsdb and span store): the series of every simulator under
// both paths, and GenAI spans in both dialects with their token counts indexed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "process.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"
#include "tsdb/db.h"

namespace astrolabe::e2e {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = steady_clock::now() + timeout;
  while (steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return condition();
}

// The value of the first sample line starting with `prefix` in a Prometheus text body; -1 if none.
double Sample(const std::string& body, const std::string& prefix) {
  size_t at = 0;
  while ((at = body.find(prefix, at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') {
      size_t space = body.find(' ', at + prefix.size());
      if (space == std::string::npos) return -1;
      return std::atof(body.c_str() + space + 1);
    }
    at += prefix.size();
  }
  return -1;
}

// The sum of every sample line of `name` (0 when there is none).
double SumAll(const std::string& body, const std::string& name) {
  double sum = 0;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0) continue;
    if (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' ') continue;
    sum += std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return sum;
}

// The pids whose parent is `parent` (from /proc/<pid>/stat).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(std::stoi(name));
  }
  return out;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

TEST(Demo, LiveDataFromEveryPathThenACleanStop) {
  const std::string data =
      std::filesystem::path(WriteTempFile("x", "")).parent_path().string() + "/data";
  const int http = FreePort();
  Subprocess demo;
  ASSERT_TRUE(demo.Start({AstrolabeBinary(), "demo", "--http", "127.0.0.1:" + std::to_string(http),
                          "--data", data, "--rate", "4", "--seed", "3"}));
  const auto started = steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return demo.Stdout().find("Ctrl-C stops") != std::string::npos; },
                         seconds(60)))
      << demo.Stdout() << demo.Stderr();
  const std::string banner = demo.Stdout();
  EXPECT_THAT(banner, HasSubstr("http://127.0.0.1:" + std::to_string(http)));
  std::smatch token;
  ASSERT_TRUE(std::regex_search(banner, token, std::regex("astro_[0-9a-f]{12}_[0-9a-f]{64}")))
      << banner;
  const std::vector<pid_t> children = ChildrenOf(demo.pid());
  EXPECT_EQ(children.size(), 2u) << "the server and the collector";

  // Live: the server's own counters show every path taking data in.
  std::string metrics;
  const bool live = Eventually(
      [&] {
        metrics = HttpGet(http, "/metrics").body;
        return Sample(metrics,
                      "otelcol_receiver_accepted_metric_points_total{receiver="
                      "\"prometheus\"") > 0 &&
               Sample(metrics,
                      "otelcol_receiver_accepted_metric_points_total{receiver=\"otlp\","
                      "transport=\"http\"}") > 0 &&
               Sample(metrics,
                      "otelcol_receiver_accepted_spans_total{receiver=\"otlp\","
                      "transport=\"http\"}") >= 40 &&
               Sample(metrics,
                      "otelcol_receiver_accepted_log_records_total{receiver=\"otlp\","
                      "transport=\"http\"}") > 0;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(seconds(60) -
                                                            (steady_clock::now() - started)));
  ASSERT_TRUE(live) << metrics << demo.Stderr();
  // Every sender had the token and scope it needed.
  EXPECT_EQ(SumAll(metrics, "astrolabe_auth_rejected_requests_total"), 0) << metrics;
  // One more scrape round of the server's 10 s interval, so that Kong's series (which appear
  // with its first proxied request) are stored too.
  std::this_thread::sleep_for(seconds(11));

  // What the banner tells a user to try answers with live data: PromQL over the NIM series
  // and a span search, with the printed token.
  net::HttpClient client;
  auto api_get = [&](const std::string& target) {
    net::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(http) + target;
    request.headers.Set("Authorization", "Api-Token " + token.str());
    request.timeout = seconds(20);
    auto r = client.Send(std::move(request)).get();
    EXPECT_TRUE(r.ok()) << target << ": " << r.status().message();
    return r.ok() ? *r : net::HttpResponse{};
  };
  const net::HttpResponse query =
      api_get("/api/v1/query?query=sum%20by%20(job)%20(num_requests_running)");
  EXPECT_EQ(query.status, 200) << query.body;
  EXPECT_THAT(query.body, HasSubstr(R"("job":"nim")"));
  EXPECT_THAT(query.body, HasSubstr(R"("job":"nim-metrics")"));
  const net::HttpResponse spans = api_get("/api/v1/spans?limit=5");
  EXPECT_EQ(spans.status, 200) << spans.body;
  EXPECT_THAT(spans.body, HasSubstr(R"("trace_id":")"));
  // Every simulated app has sent spans before the stop: each sends at its own pace, and on a
  // loaded machine the slowest may need longer than the counters above took (bounded).
  net::HttpResponse services;
  const bool every_app = Eventually(
      [&] {
        services = api_get("/api/v1/services");
        for (const char* app : {"support-bot", "search-api", "code-assistant", "doc-summarizer"}) {
          if (services.body.find('"' + std::string(app) + '"') == std::string::npos) return false;
        }
        return true;
      },
      std::chrono::milliseconds(60000));
  EXPECT_TRUE(every_app) << services.body;

  const auto stop = steady_clock::now();
  demo.Signal(SIGINT);
  const std::optional<int> code = demo.Wait(seconds(10));
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGINT";
  EXPECT_EQ(*code, 0) << demo.Stderr();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - stop);
  RecordProperty("stop_ms", static_cast<int>(took.count()));
  for (pid_t pid : children) EXPECT_FALSE(Alive(pid)) << "child " << pid << " survived";
  EXPECT_TRUE(std::filesystem::exists(data + "/tokens.json")) << "--data is never removed";

  // The stored series: every simulator, NIM under both paths.
  auto db = tsdb::Db::Open(data + "/tsdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto querier = (*db)->NewQuerier();
  auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const auto& s : *all) {
    if (!s.samples.empty()) names.push_back(s.labels.ToString());
  }
  auto has = [&](const std::string& name, const std::string& label) {
    for (const auto& n : names) {
      if (n.rfind(name + "{", 0) == 0 && n.find(label) != std::string::npos) return true;
    }
    return false;
  };
  std::string listing;
  for (const auto& n : names) listing += n + "\n";
  EXPECT_TRUE(has("num_requests_running", "job=\"nim\"")) << listing;
  EXPECT_TRUE(has("num_requests_running", "job=\"nim-metrics\"")) << listing;
  EXPECT_TRUE(has("gpu_cache_usage_perc", "job=\"nim-metrics\"")) << listing;
  EXPECT_TRUE(has("vllm:num_requests_running", "job=\"vllm\"")) << listing;
  EXPECT_TRUE(has("kong_ai_llm_requests_total", "job=\"kong\"")) << listing;
  EXPECT_TRUE(has("kong_ai_llm_tokens_total", "job=\"kong\"")) << listing;
  // The collector path carries the 70B model, the direct scrape the 8B one.
  EXPECT_TRUE(has("num_requests_running", "meta/llama-3.1-70b-instruct")) << listing;
  EXPECT_TRUE(has("num_requests_running", "meta/llama-3.1-8b-instruct")) << listing;

  // The stored spans: both dialects, tokens indexed from either set of attributes.
  auto store = spanstore::SpanStore::Open(data + "/spans");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  spanstore::SpanQuery q;
  q.limit = 10000;
  auto page = (*store)->Search(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::set<std::string> stored_services;
  const spanstore::SpanSummary* legacy = nullptr;
  const spanstore::SpanSummary* current = nullptr;
  int errors = 0;
  for (const auto& s : page->spans) {
    stored_services.insert(s.service);
    if (s.status == pdata::SpanStatus::Code::kError) ++errors;
    if (s.genai.input_tokens <= 0 || s.genai.output_tokens <= 0) continue;
    if (s.name == "openai.chat" && legacy == nullptr) legacy = &s;
    if (s.name.rfind("chat ", 0) == 0 && current == nullptr) current = &s;
  }
  EXPECT_EQ(stored_services, (std::set<std::string>{"support-bot", "search-api", "code-assistant",
                                             "doc-summarizer"}));
  ASSERT_NE(legacy, nullptr) << "no legacy chat span with tokens";
  ASSERT_NE(current, nullptr) << "no current-convention chat span with tokens";
  EXPECT_EQ(legacy->genai.provider, "openai");
  EXPECT_EQ(current->genai.operation, "chat");
  auto legacy_trace = (*store)->GetTrace(legacy->trace_id);
  ASSERT_TRUE(legacy_trace.ok());
  EXPECT_GE(legacy_trace->spans.size(), 3u) << "endpoint, workflow and model call";
  bool prompt_attrs = false;
  for (const auto& s : legacy_trace->spans) {
    prompt_attrs |= pdata::FindAttribute(s.span.attributes, "gen_ai.prompt.0.content") != nullptr;
  }
  EXPECT_TRUE(prompt_attrs);
  auto current_trace = (*store)->GetTrace(current->trace_id);
  ASSERT_TRUE(current_trace.ok());
  bool messages = false;
  for (const auto& s : current_trace->spans) {
    messages |= pdata::FindAttribute(s.span.attributes, "gen_ai.input.messages") != nullptr;
  }
  EXPECT_TRUE(messages);
  EXPECT_FALSE(current_trace->logs.empty()) << "the current-convention apps log their messages";
}

// A busy --http port: the server cannot start, and the demo says so with the server's own
// words, stops what it started and exits 1; its temporary data directory is removed.
TEST(Demo, BusyApiPortIsReportedAndNothingIsLeftBehind) {
  const int busy = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(busy, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  ASSERT_EQ(getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string tmp = std::filesystem::path(WriteTempFile("x", "")).parent_path().string();
  Subprocess demo;
  ASSERT_TRUE(demo.Start(
      {AstrolabeBinary(), "demo", "--http", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port))},
      {"TMPDIR=" + tmp}));
  const std::optional<int> code = demo.Wait(seconds(60));
  close(busy);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1) << demo.Stdout() << demo.Stderr();
  EXPECT_THAT(demo.Stderr(), HasSubstr("the server did not become healthy"));
  EXPECT_THAT(demo.Stderr(), HasSubstr("address already in use"));
  EXPECT_THAT(demo.Stdout(), Not(HasSubstr("Ctrl-C stops")));
  for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
    EXPECT_EQ(entry.path().filename().string().rfind("astrolabe-demo-", 0), std::string::npos)
        << entry.path() << " was left behind";
  }
}

}  // namespace
}  // namespace astrolabe::e2e
