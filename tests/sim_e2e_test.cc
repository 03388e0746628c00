// `astrolabe sim nim|vllm|kong|openai` as a user runs them, checked by real peers: promtool's
// exposition linter, Prometheus 2.42 scraping all of them, and our own expfmt parser.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "expfmt/parser.h"
#include "process.h"

namespace astrolabe::e2e {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kPrometheus = "/usr/bin/prometheus";

// A simulator process on a free loopback port, stopped with SIGTERM at the end.
struct Sim {
  Subprocess proc;
  int port = 0;

  bool Start(const std::vector<std::string>& args, const std::string& ready_path) {
    port = FreePort();
    std::vector<std::string> argv = {AstrolabeBinary(), "sim"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:" + std::to_string(port));
    if (!proc.Start(argv)) return false;
    for (int i = 0; i < 600; ++i) {  // 30 s: sanitizer builds start slowly on a busy machine
      if (HttpGet(port, ready_path).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  ~Sim() {
    if (proc.running()) {
      proc.Signal(SIGTERM);
      auto code = proc.Wait(std::chrono::seconds(10));
      EXPECT_EQ(code, std::optional<int>(0)) << proc.Stderr();
    }
  }
};

// promtool check metrics on `body`: its exit code and output lines.
RunResult Promtool(const std::string& body) {
  std::string file = WriteTempFile("exposition.txt", body);
  return RunProcess(
      {"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + file + " 2>&1"});
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string::npos) eol = s.size();
    if (eol > pos) out.push_back(s.substr(pos, eol - pos));
    pos = eol + 1;
  }
  return out;
}

void ExpectOurParserAccepts(const std::string& body) {
  expfmt::Parser parser;
  size_t samples = 0;
  Status st = parser.Parse(body, expfmt::Format::kText, [&](const expfmt::Sample&) { ++samples; });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(samples, 10u);
}

class SimE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPromtool, X_OK) != 0 || ::access(kPrometheus, X_OK) != 0) {
      GTEST_SKIP() << kPromtool << " or " << kPrometheus
                   << " missing (apt-get install -y prometheus)";
    }
  }
};

TEST_F(SimE2e, PromtoolFindsOnlyTheRealProductsOwnLintIssues) {
  Sim nim, vllm, kong, openai;
  ASSERT_TRUE(nim.Start({"nim", "--rate", "20", "--time-scale", "20"}, "/v1/metrics"));
  ASSERT_TRUE(vllm.Start({"vllm", "--rate", "20", "--time-scale", "20"}, "/metrics"));
  ASSERT_TRUE(kong.Start({"kong", "--rate", "5", "--time-scale", "20", "--upstream",
                          "http://127.0.0.1:" + std::to_string(nim.port)},
                         "/metrics"));
  ASSERT_TRUE(openai.Start({"openai", "--rate", "0"}, "/v1/models"));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // traffic fills every family

  HttpResult n = HttpGet(nim.port, "/v1/metrics");
  ASSERT_EQ(n.status, 200);
  ExpectOurParserAccepts(n.body);
  RunResult r = Promtool(n.body);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");

  // Real vLLM names contain ':' and one histogram ends in _total; promtool says so about
  // vLLM itself. Nothing else may show up.
  HttpResult v = HttpGet(vllm.port, "/metrics");
  ASSERT_EQ(v.status, 200);
  ExpectOurParserAccepts(v.body);
  r = Promtool(v.body);
  std::regex vllm_ok(
      R"(^vllm:[a-z0-9_:]+ metric names should not contain ':'$|^vllm:iteration_tokens_total non-counter metrics should not have "_total" suffix$)");
  auto lines = Lines(r.out);
  EXPECT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, vllm_ok)) << line;
  }

  // Kong's latency histogram is in milliseconds with "_ms" in the name: promtool objects to
  // the abbreviation, about the real Kong too.
  HttpResult k = HttpGet(kong.port, "/metrics");
  ASSERT_EQ(k.status, 200);
  ExpectOurParserAccepts(k.body);
  EXPECT_NE(k.body.find("kong_ai_llm_requests_total{ai_provider=\"openai\",ai_model=\"gpt-4o\""),
            std::string::npos);
  r = Promtool(k.body);
  for (const std::string& line : Lines(r.out)) {
    EXPECT_EQ(line,
              "kong_ai_llm_provider_latency_ms metric names should not contain abbreviated units");
  }

  EXPECT_EQ(HttpGet(openai.port, "/metrics").status, 404);
}

// Prometheus 2.42 scrapes nim (/v1/metrics), vllm and kong with no error and stores their
// series.
TEST_F(SimE2e, Prometheus242ScrapesEverySimulator) {
  Sim nim, vllm, kong;
  ASSERT_TRUE(nim.Start({"nim", "--rate", "10", "--time-scale", "10"}, "/v1/metrics"));
  ASSERT_TRUE(vllm.Start({"vllm", "--rate", "10", "--time-scale", "10"}, "/metrics"));
  ASSERT_TRUE(kong.Start({"kong", "--rate", "2", "--time-scale", "10"}, "/metrics"));

  char tmpl[] = "/tmp/astrolabe-sim-prom-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto target = [](int port) { return "['127.0.0.1:" + std::to_string(port) + "']"; };
  std::ofstream(dir + "/prometheus.yml")
      << "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
      << "scrape_configs:\n"
      << "- job_name: nim\n  metrics_path: /v1/metrics\n  static_configs: [{targets: "
      << target(nim.port) << "}]\n"
      << "- job_name: vllm\n  static_configs: [{targets: " << target(vllm.port) << "}]\n"
      << "- job_name: kong\n  static_configs: [{targets: " << target(kong.port) << "}]\n";
  int prom_port = FreePort();
  Subprocess prom;
  ASSERT_TRUE(prom.Start({kPrometheus, "--config.file=" + dir + "/prometheus.yml",
                          "--storage.tsdb.path=" + dir + "/data",
                          "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                          "--log.level=warn"}));
  auto query = [&](const std::string& expr) {
    std::string q;
    for (char c : expr) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        q += c;
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        q += buf;
      }
    }
    return HttpGet(prom_port, "/api/v1/query?query=" + q).body;
  };
  // All three targets up with no scrape error, each having delivered samples.
  std::string targets;
  bool ok = false;
  for (int i = 0; i < 150 && !ok; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    targets = HttpGet(prom_port, "/api/v1/targets?state=active").body;
    size_t up = 0;
    for (size_t pos = 0; (pos = targets.find("\"health\":\"up\"", pos)) != std::string::npos;
         ++pos) {
      ++up;
    }
    std::string samples = query("count(scrape_samples_scraped > 0)");
    ok = up == 3 && samples.find("\"3\"]") != std::string::npos;
  }
  EXPECT_TRUE(ok) << targets;
  EXPECT_EQ(targets.find("\"lastError\":\"\"", 0) != std::string::npos, true) << targets;
  EXPECT_EQ(targets.find("\"health\":\"down\""), std::string::npos) << targets;
  // Their data is queryable under the real names.
  EXPECT_NE(query("request_success_total").find("meta/llama-3.1-8b-instruct"), std::string::npos);
  EXPECT_NE(query("vllm:num_requests_running").find("Llama-3.1-8B-Instruct"), std::string::npos);
  EXPECT_NE(query("kong_datastore_reachable").find("\"1\"]"), std::string::npos);
  EXPECT_NE(query("histogram_quantile(0.9, rate(time_to_first_token_seconds_bucket[1m]))")
                .find("\"resultType\":\"vector\""),
            std::string::npos);
  prom.Signal(SIGTERM);
  prom.Wait(std::chrono::seconds(10));
  std::filesystem::remove_all(dir);
}

// The real npm client, openai@6 (tests/package.json), against `astrolabe sim nim`: chat,
// streamed chat with the usage chunk, completions, embeddings (base64, decoded by the client),
// models, and the errors it maps to its exception classes. The simulator's metrics must then
// count exactly what the client was told.
TEST(SimOpenAiClient, Openai6AgainstNim) {
  ASSERT_TRUE(std::filesystem::exists("node_modules/openai"))
      << "tests/node_modules is missing: run scripts/setup (it runs `npm ci` in tests/)";
  Sim nim;
  ASSERT_TRUE(
      nim.Start({"nim", "--rate", "0", "--time-scale", "20", "--error-rate", "0"}, "/v1/metrics"));
  RunResult run = RunProcess(
      {"node", "js/sim_openai_client.js", "http://127.0.0.1:" + std::to_string(nim.port) + "/v1",
       "meta/llama-3.1-8b-instruct"},
      std::chrono::seconds(120));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string& out = run.out;
  EXPECT_NE(out.find(R"("chat":{"object":"chat.completion","finish":"length")"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("models":["meta/llama-3.1-8b-instruct"])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("embeddings":{"count":2,"dims":384,"norm":1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("unknown_model":{"status":404,"type":"NotFoundError")"), std::string::npos);
  EXPECT_NE(out.find(R"("bad_request":{"status":400,"type":"BadRequestError")"), std::string::npos);
  EXPECT_NE(out.find(R"("param":"messages")"), std::string::npos);
  EXPECT_NE(out.find(R"("server_error":{"status":500,"type":"InternalServerError")"),
            std::string::npos);
  // Streaming: the text arrived in chunks and the final usage chunk was read by the client.
  EXPECT_NE(out.find(R"("finish":"length"},"completion")"), std::string::npos) << out;
  std::regex usage_re(
      R"re("usage":\{"prompt_tokens":(\d+),"total_tokens":(\d+),"completion_tokens":(\d+)\})re");
  int64_t prompt = 0, completion = 0;
  int found = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), usage_re);
       it != std::sregex_iterator(); ++it) {
    prompt += std::stoll((*it)[1]);
    completion += std::stoll((*it)[3]);
    ++found;
  }
  ASSERT_EQ(found, 3) << out;  // chat, stream, completion
  EXPECT_EQ(completion, 24 + 16 + 8);

  HttpResult m = HttpGet(nim.port, "/v1/metrics");
  ASSERT_EQ(m.status, 200);
  auto value = [&](const std::string& series) {
    size_t at = m.body.find("\n" + series + " ");
    if (at == std::string::npos) return -1.0;
    return std::stod(m.body.substr(at + series.size() + 2));
  };
  const std::string l = "{model_name=\"meta/llama-3.1-8b-instruct\"}";
  EXPECT_EQ(value("request_success_total" + l), 3);
  EXPECT_EQ(value("request_failure_total" + l), 1);  // the x-sim-fail one
  EXPECT_EQ(value("generation_tokens_total" + l), completion);
  // The failed request's prompt ("x": 1 token + 4 for its message) is counted too.
  EXPECT_EQ(value("prompt_tokens_total" + l), prompt + 5);
}

// The same client through `astrolabe sim kong` in front of the NIM: Kong passes every answer
// through and counts what the NIM told the client.
TEST(SimOpenAiClient, Openai6ThroughKongToNim) {
  ASSERT_TRUE(std::filesystem::exists("node_modules/openai"))
      << "tests/node_modules is missing: run scripts/setup (it runs `npm ci` in tests/)";
  Sim nim, kong;
  ASSERT_TRUE(
      nim.Start({"nim", "--rate", "0", "--time-scale", "20", "--error-rate", "0"}, "/v1/metrics"));
  ASSERT_TRUE(kong.Start(
      {"kong", "--rate", "0", "--upstream", "http://127.0.0.1:" + std::to_string(nim.port) + "/v1"},
      "/metrics"));
  RunResult run = RunProcess(
      {"node", "js/sim_openai_client.js", "http://127.0.0.1:" + std::to_string(kong.port) + "/v1",
       "meta/llama-3.1-8b-instruct"},
      std::chrono::seconds(120));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string& out = run.out;
  EXPECT_NE(out.find(R"("models":["meta/llama-3.1-8b-instruct"])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("unknown_model":{"status":404,"type":"NotFoundError")"), std::string::npos);
  EXPECT_NE(out.find(R"("bad_request":{"status":400,"type":"BadRequestError")"), std::string::npos);
  EXPECT_NE(out.find(R"("server_error":{"status":500,"type":"InternalServerError")"),
            std::string::npos);
  std::regex usage_re(
      R"re("usage":\{"prompt_tokens":(\d+),"total_tokens":(\d+)(,"completion_tokens":(\d+))?\})re");
  int64_t prompt = 0, completion = 0;
  int found = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), usage_re);
       it != std::sregex_iterator(); ++it) {
    prompt += std::stoll((*it)[1]);
    if ((*it)[4].matched) completion += std::stoll((*it)[4]);
    ++found;
  }
  ASSERT_EQ(found, 4) << out;  // chat, stream, completion, embeddings

  HttpResult m = HttpGet(kong.port, "/metrics");
  ASSERT_EQ(m.status, 200);
  auto value = [&](const std::string& series) {
    size_t at = m.body.find("\n" + series + " ");
    if (at == std::string::npos) return -1.0;
    return std::stod(m.body.substr(at + series.size() + 2));
  };
  const std::string l =
      "ai_provider=\"openai\",ai_model=\"meta/llama-3.1-8b-instruct\",cache_status=\"\","
      "vector_db=\"\",embeddings_provider=\"\",embeddings_model=\"\"";
  // chat, stream, completion, embeddings and the failed one; the 400 never left Kong.
  EXPECT_EQ(value("kong_ai_llm_requests_total{" + l + ",workspace=\"default\"}"), 5) << m.body;
  EXPECT_EQ(value("kong_ai_llm_tokens_total{" + l +
                  ",token_type=\"prompt_tokens\",workspace=\"default\"}"),
            prompt);
  EXPECT_EQ(value("kong_ai_llm_tokens_total{" + l +
                  ",token_type=\"completion_tokens\",workspace=\"default\"}"),
            completion);
  EXPECT_NEAR(value("kong_ai_llm_cost_total{" + l + ",workspace=\"default\"}"),
              (prompt + completion) * 0.2 / 1e6, 1e-12);
  // The unknown model went to the upstream too (Kong labels the requested model).
  EXPECT_EQ(value("kong_ai_llm_requests_total{ai_provider=\"openai\",ai_model=\"no-such-model\","
                  "cache_status=\"\",vector_db=\"\",embeddings_provider=\"\",embeddings_model="
                  "\"\",workspace=\"default\"}"),
            1);
}

TEST(SimCli, BadOptionsFailWithAMessage) {
  RunResult r = RunProcess({AstrolabeBinary(), "sim", "triton"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("triton"), std::string::npos) << r.out << r.err;
  r = RunProcess(
      {AstrolabeBinary(), "sim", "kong", "--upstream", "ftp://x", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expected [MODEL=]http://HOST:PORT"), std::string::npos) << r.err;
  r = RunProcess({AstrolabeBinary(), "sim", "nim", "--upstream", "http://127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--upstream applies to kong only"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace astrolabe::e2e
