// The query API end to end: `astrolabe server` (with API tokens) receives remote-written
// samples, then the real promtool 2.42 (`query instant|range|series|labels`, Debian's
// prometheus package) and `astrolabe query` read them back through /api/v1/*. promtool 2.42
// has no --http.config.file (2.43 added it), so it authenticates the way any Go client can: the
// token as the password of the server URL (http://promtool:<token>@host), sent as HTTP Basic.
// Without it, or with an ingest-only token, it is refused.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "process.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::string TokenIn(const std::string& text) {
  std::smatch m;
  static const std::regex kToken("astro_[0-9a-f]{12}_[0-9a-f]{64}");
  return std::regex_search(text, m, kToken) ? m.str() : "";
}

class QueryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = std::filesystem::path(WriteTempFile("x", "")).parent_path().string() + "/data";
    ASSERT_TRUE(server_.Start({AstrolabeBinary(), "server", "--data", data_, "--http",
                               "127.0.0.1:" + std::to_string(http_), "--otlp-http",
                               "127.0.0.1:" + std::to_string(otlp_http_), "--otlp-grpc",
                               "127.0.0.1:" + std::to_string(FreePort()), "--health",
                               "127.0.0.1:" + std::to_string(health_)}));
    ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }))
        << server_.Stderr();
    reader_ = CreateToken("reader", "metrics.read");
    ingest_ = CreateToken("ingest", "metrics.ingest");
    ASSERT_FALSE(reader_.empty());
    ASSERT_FALSE(ingest_.empty());
  }
  void TearDown() override {
    if (server_.running()) {
      server_.Signal(SIGTERM);
      server_.Wait(std::chrono::seconds(30));
    }
  }

  std::string CreateToken(const std::string& name, const std::string& scopes) {
    RunResult r = RunProcess({AstrolabeBinary(), "token", "create", "--name", name, "--scopes",
                              scopes, "--data", data_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return TokenIn(r.out);
  }

  // Remote-writes `series` (labels, then (ms, value) samples) with the ingest token.
  int RemoteWrite(const std::vector<wire::prw::TimeSeries>& series) {
    wire::prw::WriteRequest rw;
    rw.timeseries = series;
    std::string proto, body;
    wire::prw::AppendWriteRequest(rw, &proto);
    wire::SnappyCompress(proto, &body);
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(otlp_http_) + "/api/v1/write";
    request.timeout = std::chrono::seconds(10);
    request.headers.Set("Content-Type", "application/x-protobuf");
    request.headers.Set("Content-Encoding", "snappy");
    request.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
    request.headers.Set("Authorization", "Api-Token " + ingest_);
    request.body = body;
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? response->status : 0;
  }

  // promtool query <args...>, with "URL" in args replaced by the server's URL carrying `token`.
  RunResult Promtool(std::vector<std::string> args, const std::string& token) {
    std::vector<std::string> argv = {"promtool", "query"};
    for (std::string& a : args) {
      if (a == "URL") {
        a = token.empty() ? Url()
                          : "http://promtool:" + token + "@127.0.0.1:" + std::to_string(http_);
      }
      argv.push_back(a);
    }
    return RunProcess(argv);
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(http_); }

  std::string data_;
  int http_ = FreePort(), otlp_http_ = FreePort(), health_ = FreePort();
  Subprocess server_;
  net::HttpClient client_;
  std::string reader_, ingest_;
};

TEST_F(QueryE2eTest, PromtoolAndAstrolabeQueryReadWhatWasWritten) {
  // Four samples 15 s apart ending a minute ago, for two models.
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t t0 = (now_s - 105) * 1000;
  std::vector<wire::prw::TimeSeries> series(2);
  series[0].labels = {{"__name__", "kong_ai_llm_requests_total"}, {"job", "kong"}, {"model", "m1"}};
  series[1].labels = {{"__name__", "kong_ai_llm_requests_total"}, {"job", "kong"}, {"model", "m2"}};
  for (int i = 0; i < 4; ++i) {
    series[0].samples.push_back({10.0 * (i + 1), t0 + i * 15000});
    series[1].samples.push_back({0.5 * i, t0 + i * 15000});
  }
  ASSERT_EQ(RemoteWrite(series), 204);
  const std::string last = std::to_string(t0 / 1000 + 45);
  const std::string& bearer = reader_;

  // Ingest is asynchronous (batch → store): wait until the last sample is visible.
  RunResult instant;
  ASSERT_TRUE(Eventually([&] {
    instant = Promtool({"instant", "--time=" + last, "URL", "kong_ai_llm_requests_total"}, bearer);
    return instant.out.find("m2") != std::string::npos;
  })) << instant.out
      << instant.err;
  EXPECT_EQ(instant.exit_code, 0) << instant.err;
  EXPECT_EQ(instant.out, "kong_ai_llm_requests_total{job=\"kong\", model=\"m1\"} => 40 @[" + last +
                             "]\n"
                             "kong_ai_llm_requests_total{job=\"kong\", model=\"m2\"} => 1.5 @[" +
                             last + "]\n");

  RunResult api_token =
      Promtool({"instant", "--time=" + last, "URL", "sum(kong_ai_llm_requests_total)"}, reader_);
  EXPECT_EQ(api_token.exit_code, 0) << api_token.err;
  EXPECT_EQ(api_token.out, "{} => 41.5 @[" + last + "]\n");

  const std::string start = std::to_string(t0 / 1000);
  RunResult range = Promtool({"range", "--start=" + start, "--end=" + last, "--step=15s", "URL",
                              "kong_ai_llm_requests_total{model=\"m1\"}"},
                             bearer);
  EXPECT_EQ(range.exit_code, 0) << range.err;
  EXPECT_EQ(range.out,
            "kong_ai_llm_requests_total{job=\"kong\", model=\"m1\"} =>\n"
            "10 @[" +
                start + "]\n20 @[" + std::to_string(t0 / 1000 + 15) +
                "]\n"
                "30 @[" +
                std::to_string(t0 / 1000 + 30) + "]\n40 @[" + last + "]\n");

  RunResult rate = Promtool(
      {"instant", "--time=" + last, "URL", "rate(kong_ai_llm_requests_total{model=\"m1\"}[1m])"},
      bearer);
  EXPECT_EQ(rate.exit_code, 0) << rate.err;
  // 30 over 45 s of samples, extrapolated to the 60 s window's covered part as Prometheus does.
  EXPECT_THAT(rate.out,
              MatchesRegex("\\{job=\"kong\", model=\"m1\"\\} => 0\\.[0-9]+ @\\[" + last + "\\]\n"));

  RunResult series_out = Promtool({"series", "--match=kong_ai_llm_requests_total", "URL"}, bearer);
  EXPECT_EQ(series_out.exit_code, 0) << series_out.err;
  EXPECT_EQ(series_out.out,
            "{__name__=\"kong_ai_llm_requests_total\", job=\"kong\", model=\"m1\"}\n"
            "{__name__=\"kong_ai_llm_requests_total\", job=\"kong\", model=\"m2\"}\n");

  RunResult labels = Promtool({"labels", "URL", "model"}, bearer);
  EXPECT_EQ(labels.exit_code, 0) << labels.err;
  EXPECT_EQ(labels.out, "m1\nm2\n");

  // A PromQL error reaches promtool as Prometheus' bad_data.
  RunResult bad = Promtool({"instant", "URL", "sum("}, bearer);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("bad_data"));
  EXPECT_THAT(bad.err, HasSubstr("parse error"));

  // No token, or a token without metrics.read: refused.
  RunResult anonymous = Promtool({"instant", "URL", "1"}, "");
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_THAT(anonymous.err, HasSubstr("401"));
  RunResult ingest_only = Promtool({"instant", "URL", "1"}, ingest_);
  EXPECT_NE(ingest_only.exit_code, 0);
  EXPECT_THAT(ingest_only.err, HasSubstr("403"));

  // astrolabe query: the token from $ASTROLABE_TOKEN, an instant table and a range table.
  RunResult cli = RunProcess({"env", "ASTROLABE_TOKEN=" + reader_, AstrolabeBinary(), "query",
                              "--server", Url(), "--time", last, "kong_ai_llm_requests_total"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out,
            "METRIC                      job   model  VALUE\n"
            "kong_ai_llm_requests_total  kong  m1     40\n"
            "kong_ai_llm_requests_total  kong  m2     1.5\n");
  EXPECT_THAT(cli.err, HasSubstr("2 series at "));
  RunResult cli_range = RunProcess({AstrolabeBinary(), "query", "--server", Url(), "--token",
                                    reader_, "--start", start, "--end", last, "--step", "15s",
                                    "sum by (model) (kong_ai_llm_requests_total)"});
  EXPECT_EQ(cli_range.exit_code, 0) << cli_range.err;
  EXPECT_EQ(cli_range.out,
            "model  POINTS  FIRST  LAST  MIN  MAX\n"
            "m1     4       10     40    10   40\n"
            "m2     4       0      1.5   0    1.5\n");
  RunResult cli_json =
      RunProcess({AstrolabeBinary(), "query", "--server", Url(), "--token", reader_, "--time", last,
                  "--json", "count(kong_ai_llm_requests_total)"});
  EXPECT_EQ(
      cli_json.out,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[)" +
          last + R"(,"2"]}]}})" + "\n");
  RunResult cli_denied =
      RunProcess({AstrolabeBinary(), "query", "--server", Url(), "--token", ingest_, "up"});
  EXPECT_EQ(cli_denied.exit_code, 1);
  EXPECT_THAT(cli_denied.err, HasSubstr("metrics.read"));
  EXPECT_THAT(cli_denied.err, HasSubstr("HTTP 403"));
  RunResult cli_bad =
      RunProcess({AstrolabeBinary(), "query", "--server", Url(), "--token", reader_, "rate(x)"});
  EXPECT_EQ(cli_bad.exit_code, 1);
  EXPECT_THAT(cli_bad.err, HasSubstr("error: bad_data: invalid parameter \"query\""));

  // The outcome counter on the server's own /metrics.
  auto metrics = HttpGet(http_, "/metrics");
  EXPECT_THAT(
      metrics.body,
      HasSubstr("astrolabe_api_query_requests_total{endpoint=\"query\",outcome=\"bad_data\"}"));
}

}  // namespace
}  // namespace astrolabe::e2e
