// `astrolabe server` and `astrolabe token` as a user runs them: flags and --help, the first
// start's admin token, the auth matrix on every OTLP endpoint (HTTP under both path prefixes,
// and gRPC), token CLI round trips against a running server, the admin API, flags over config
// files, --auth none (loopback only), and the traces API over what OTLP ingested.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "process.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"
#include "tsdb/db.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string TokenIn(const std::string& text) {
  std::smatch m;
  static const std::regex kToken("astro_[0-9a-f]{12}_[0-9a-f]{64}");
  return std::regex_search(text, m, kToken) ? m.str() : "";
}

struct Ports {
  int http = FreePort(), otlp_http = FreePort(), otlp_grpc = FreePort(), health = FreePort();
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = TempDir() + "/data"; }
  void TearDown() override {
    if (server_.running()) {
      server_.Signal(SIGTERM);
      server_.Wait(std::chrono::seconds(30));
    }
  }

  std::vector<std::string> ServerArgs(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        AstrolabeBinary(), "server",
        "--data",          data_,
        "--http",          "127.0.0.1:" + std::to_string(ports_.http),
        "--otlp-http",     "127.0.0.1:" + std::to_string(ports_.otlp_http),
        "--otlp-grpc",     "127.0.0.1:" + std::to_string(ports_.otlp_grpc),
        "--health",        "127.0.0.1:" + std::to_string(ports_.health)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  void StartServer(const std::vector<std::string>& extra = {}) {
    ASSERT_TRUE(server_.Start(ServerArgs(extra)));
    ASSERT_TRUE(Eventually([&] { return HttpGet(ports_.health, "/").status == 200; }))
        << server_.Stderr();
  }

  net::HttpResponse Send(const std::string& method, int port, const std::string& path,
                         const std::string& authorization, const std::string& body = "{}") {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port) + path;
    request.timeout = std::chrono::seconds(10);
    if (!authorization.empty()) request.headers.Set("Authorization", authorization);
    if (method != "GET" && method != "DELETE") {
      request.headers.Set("Content-Type", "application/json");
      request.body = body;
    }
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  int PostOtlp(const std::string& path, const std::string& authorization) {
    return Send("POST", ports_.otlp_http, path, authorization).status;
  }

  RunResult Token(std::vector<std::string> args) {
    args.insert(args.begin(), {AstrolabeBinary(), "token"});
    args.insert(args.end(), {"--data", data_});
    return RunProcess(args);
  }

  std::string CreateToken(const std::string& name, const std::string& scopes) {
    RunResult r = Token({"create", "--name", name, "--scopes", scopes});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return TokenIn(r.out);
  }

  Ports ports_;
  std::string data_;
  Subprocess server_;
  net::HttpClient client_;
};

TEST(ServerCli, HelpListsEveryFlagWithItsDefault) {
  RunResult r = RunProcess({AstrolabeBinary(), "server", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--config FILE"));
  EXPECT_THAT(r.out, HasSubstr("--data DIR=astrolabe-data"));
  EXPECT_THAT(r.out, HasSubstr("--http ADDR=localhost:8080"));
  EXPECT_THAT(r.out, HasSubstr("--otlp-http ADDR=localhost:4318"));
  EXPECT_THAT(r.out, HasSubstr("--otlp-grpc ADDR=localhost:4317"));
  EXPECT_THAT(r.out, HasSubstr("--health ADDR=localhost:13133"));
  EXPECT_THAT(r.out, HasSubstr("--auth"));
  RunResult top = RunProcess({AstrolabeBinary(), "--help"});
  EXPECT_THAT(top.out, HasSubstr("server"));
  EXPECT_THAT(top.out, HasSubstr("token"));
}

TEST(ServerCli, UnknownFlagAndBadAuthModeFail) {
  EXPECT_NE(RunProcess({AstrolabeBinary(), "server", "--otlp"}).exit_code, 0);
  RunResult r = RunProcess({AstrolabeBinary(), "server", "--auth", "maybe"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("maybe"));
}

TEST_F(ServerTest, FirstStartPrintsAnAdminTokenOnceAndItWorks) {
  StartServer();
  const std::string admin = TokenIn(server_.Stdout());
  ASSERT_FALSE(admin.empty()) << server_.Stdout();
  EXPECT_THAT(server_.Stdout(), HasSubstr("shown only this once"));
  EXPECT_EQ(PostOtlp("/v1/metrics", "Api-Token " + admin), 200);
  EXPECT_EQ(PostOtlp("/v1/traces", "Bearer " + admin), 200);
  // The file holds its digest, never the token.
  std::ifstream in(data_ + "/tokens.json");
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(file, Not(HasSubstr(admin)));
  EXPECT_THAT(file, HasSubstr(admin.substr(6, 12)));

  // SIGHUP rebuilds the same built-in pipeline (flags included) and keeps serving.
  server_.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return server_.Stderr().find("configuration generation 2") != std::string::npos;
  })) << server_.Stderr();
  EXPECT_TRUE(Eventually([&] { return PostOtlp("/v1/metrics", "Api-Token " + admin) == 200; }));

  server_.Signal(SIGTERM);
  ASSERT_EQ(server_.Wait(std::chrono::seconds(30)), 0) << server_.Stderr();
  Subprocess again;
  ASSERT_TRUE(again.Start(ServerArgs()));
  ASSERT_TRUE(Eventually([&] { return HttpGet(ports_.health, "/").status == 200; }))
      << again.Stderr();
  EXPECT_EQ(TokenIn(again.Stdout()), "");  // a second start makes no new token
  EXPECT_EQ(PostOtlp("/v1/logs", "Api-Token " + admin), 200);
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(std::chrono::seconds(30)), 0);
}

struct SignalCase {
  std::string path, scope, grpc_method;
};
const SignalCase kSignals[] = {
    {"/v1/metrics", "metrics.ingest",
     "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"},
    {"/v1/traces", "openTelemetryTrace.ingest",
     "/opentelemetry.proto.collector.trace.v1.TraceService/Export"},
    {"/v1/logs", "logs.ingest", "/opentelemetry.proto.collector.logs.v1.LogsService/Export"}};

grpc::StatusCode CallGrpc(int port, const std::string& method, const std::string& authorization) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  grpc::ByteBuffer request, response;  // an empty Export request
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard lock(mu);
    status = s;
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return status.error_code();
}

// none, wrong, wrong scope, revoked, right — on every OTLP endpoint of a running server,
// with tokens made and revoked by the CLI while it runs.
TEST_F(ServerTest, AuthMatrixOnEveryOtlpEndpoint) {
  StartServer();
  std::map<std::string, std::string> only;  // scope → a token with just that scope
  for (const auto& c : kSignals) only[c.scope] = CreateToken("only " + c.scope, c.scope);
  const std::string revoked =
      CreateToken("revoked", "metrics.ingest,openTelemetryTrace.ingest,logs.ingest");
  RunResult rv = Token({"revoke", revoked.substr(6, 12)});
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  const std::string unknown = "astro_000000000000_" + std::string(64, 'f');

  // The server re-reads the tokens file within a second.
  ASSERT_TRUE(Eventually(
      [&] { return PostOtlp("/v1/metrics", "Api-Token " + only["metrics.ingest"]) == 200; }));
  for (const std::string prefix : {"", "/api/v2/otlp"}) {
    for (size_t i = 0; i < 3; ++i) {
      const SignalCase& c = kSignals[i];
      const SignalCase& other = kSignals[(i + 1) % 3];
      const std::string path = prefix + c.path;
      SCOPED_TRACE(path);
      net::HttpResponse none = Send("POST", ports_.otlp_http, path, "");
      EXPECT_EQ(none.status, 401);
      EXPECT_THAT(none.body,
                  MatchesRegex("\\{\"error\":\\{\"code\":401,\"message\":\"missing API token.*"));
      EXPECT_EQ(PostOtlp(path, "Api-Token not-a-token"), 401);
      EXPECT_EQ(PostOtlp(path, "Api-Token " + unknown), 401);
      net::HttpResponse scope =
          Send("POST", ports_.otlp_http, path, "Api-Token " + only[other.scope]);
      EXPECT_EQ(scope.status, 403);
      EXPECT_THAT(scope.body, HasSubstr("\"code\":403"));
      EXPECT_THAT(scope.body, HasSubstr("lacks the scope " + c.scope));
      net::HttpResponse gone = Send("POST", ports_.otlp_http, path, "Api-Token " + revoked);
      EXPECT_EQ(gone.status, 401);
      EXPECT_THAT(gone.body, HasSubstr("was revoked"));
      EXPECT_EQ(PostOtlp(path, "Api-Token " + only[c.scope]), 200);
      EXPECT_EQ(PostOtlp(path, "Bearer " + only[c.scope]), 200);
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    const SignalCase& c = kSignals[i];
    SCOPED_TRACE(c.grpc_method);
    EXPECT_EQ(CallGrpc(ports_.otlp_grpc, c.grpc_method, ""), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CallGrpc(ports_.otlp_grpc, c.grpc_method, "Api-Token " + unknown),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(
        CallGrpc(ports_.otlp_grpc, c.grpc_method, "Api-Token " + only[kSignals[(i + 1) % 3].scope]),
        grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(CallGrpc(ports_.otlp_grpc, c.grpc_method, "Api-Token " + revoked),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CallGrpc(ports_.otlp_grpc, c.grpc_method, "Bearer " + only[c.scope]),
              grpc::StatusCode::OK);
  }
  // Every refusal is counted, by reason, on the API listener's /metrics.
  std::string metrics = HttpGet(ports_.http, "/metrics").body;
  EXPECT_THAT(metrics,
              HasSubstr("astrolabe_auth_rejected_requests_total{authenticator=\"token_auth\","
                        "reason=\"revoked\"} 9"));
  EXPECT_THAT(metrics,
              HasSubstr("astrolabe_auth_rejected_requests_total{authenticator=\"token_auth\","
                        "reason=\"scope\"} 9"));
}

TEST_F(ServerTest, TokenCliRoundTrip) {
  RunResult created = Token({"create", "--name", "ci", "--scopes", "metrics.ingest,logs.ingest"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = TokenIn(created.out);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(created.out, token + "\n");  // stdout is the token alone, for scripts
  EXPECT_THAT(created.err, HasSubstr("shown only this once"));
  const std::string id = token.substr(6, 12);

  RunResult list = Token({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_TRUE(std::regex_search(
      list.out, std::regex(id + "  ci +[0-9T:-]+Z  active   metrics.ingest,logs.ingest\n")))
      << list.out;
  EXPECT_THAT(list.out, Not(HasSubstr(token.substr(19))));

  EXPECT_EQ(Token({"revoke", id}).exit_code, 0);
  EXPECT_THAT(Token({"list"}).out, HasSubstr("revoked  metrics.ingest,logs.ingest"));
  RunResult twice = Token({"revoke", id});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("already revoked"));
  RunResult unknown = Token({"revoke", "0123456789ab"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no token with id \"0123456789ab\""));
  RunResult bad_scope = Token({"create", "--name", "x", "--scopes", "metrics.write"});
  EXPECT_EQ(bad_scope.exit_code, 1);
  EXPECT_THAT(bad_scope.err, HasSubstr("unknown scope \"metrics.write\""));
  EXPECT_EQ(TokenIn(bad_scope.out), "");
}

TEST_F(ServerTest, AdminApiCreatesListsAndRevokes) {
  StartServer();
  const std::string admin = "Api-Token " + TokenIn(server_.Stdout());
  const std::string ingest = "Api-Token " + CreateToken("ingest", "metrics.ingest");
  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/tokens", "").status, 401);
  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/tokens", ingest).status, 403);
  net::HttpResponse made = Send("POST", ports_.http, "/api/v1/tokens", admin,
                                R"({"name":"from-api","scopes":["logs.ingest"]})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = TokenIn(made.body);
  EXPECT_EQ(PostOtlp("/v1/logs", "Api-Token " + token), 200);
  net::HttpResponse list = Send("GET", ports_.http, "/api/v1/tokens", admin);
  EXPECT_THAT(list.body, HasSubstr("\"name\":\"from-api\""));
  EXPECT_THAT(list.body, Not(HasSubstr(token)));
  EXPECT_EQ(Send("DELETE", ports_.http, "/api/v1/tokens/" + token.substr(6, 12), admin).status,
            204);
  // The receivers' authenticator sees a revocation within its one-second reload interval.
  EXPECT_TRUE(Eventually([&] { return PostOtlp("/v1/logs", "Api-Token " + token) == 401; }));
}

TEST_F(ServerTest, FlagsOverrideTheConfigFileWhichOverridesTheBuiltIn) {
  const int from_file = FreePort();
  const std::string config = WriteTempFile(
      "server.yaml",
      "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:" +
          std::to_string(from_file) + "\n");
  // Without --otlp-http, the file's endpoint wins over the built-in one.
  std::vector<std::string> args = {
      AstrolabeBinary(), "server",
      "--data",          data_,
      "--config",        config,
      "--auth",          "none",
      "--http",          "127.0.0.1:" + std::to_string(ports_.http),
      "--otlp-grpc",     "127.0.0.1:" + std::to_string(ports_.otlp_grpc),
      "--health",        "127.0.0.1:" + std::to_string(ports_.health)};
  {
    Subprocess s;
    ASSERT_TRUE(s.Start(args));
    ASSERT_TRUE(Eventually([&] { return HttpGet(ports_.health, "/").status == 200; }))
        << s.Stderr();
    EXPECT_EQ(Send("POST", from_file, "/v1/metrics", "").status, 200);
    s.Signal(SIGTERM);
    EXPECT_EQ(s.Wait(std::chrono::seconds(30)), 0);
  }
  // With it, the flag wins over the file.
  args.insert(args.end(), {"--otlp-http", "127.0.0.1:" + std::to_string(ports_.otlp_http)});
  Subprocess s;
  ASSERT_TRUE(s.Start(args));
  ASSERT_TRUE(Eventually([&] { return HttpGet(ports_.health, "/").status == 200; })) << s.Stderr();
  EXPECT_EQ(PostOtlp("/v1/metrics", ""), 200);
  EXPECT_EQ(HttpGet(from_file, "/").status, 0);  // nothing listens there
  EXPECT_THAT(s.Stderr(), HasSubstr("--auth none"));
  s.Signal(SIGTERM);
  EXPECT_EQ(s.Wait(std::chrono::seconds(30)), 0);
}

// A metrics pipeline with more than batch -> store keeps remote write on the pipeline path
// (the processor must see the data); the data still lands in the store.
TEST_F(ServerTest, RemoteWriteUsesThePipelineWhenItHasAProcessor) {
  const std::string config = WriteTempFile(
      "server.yaml",
      "processors:\n  memory_limiter: {check_interval: 1s, limit_mib: 4000}\n"
      "service:\n  pipelines:\n    metrics:\n"
      "      receivers: [otlp, prometheus_remote_write]\n"
      "      processors: [memory_limiter]\n      exporters: [store]\n");
  StartServer({"--config", config, "--auth", "none"});
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  wire::prw::WriteRequest rw;
  wire::prw::TimeSeries ts;
  ts.labels = {{"__name__", "up"}, {"job", "j"}};
  ts.samples = {{1, now_ms}};
  rw.timeseries.push_back(ts);
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(ports_.otlp_http) + "/api/v1/write";
  request.timeout = std::chrono::seconds(10);
  request.headers.Set("Content-Type", "application/x-protobuf");
  request.headers.Set("Content-Encoding", "snappy");
  request.body = body;
  auto response = client_.Send(std::move(request)).get();
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status, 204) << response->body;
  EXPECT_THAT(server_.Stderr(),
              HasSubstr("receiver prometheus_remote_write sends remote write through its "
                        "pipelines: pipeline metrics has processor memory_limiter"));
  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.Wait(std::chrono::seconds(30)).has_value());
  auto db = tsdb::Db::Open(data_ + "/tsdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto querier = (*db)->NewQuerier();
  auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().labels.ToString(), R"(up{job="j"})");
}

TEST_F(ServerTest, AuthNoneIsRefusedOffLoopback) {
  RunResult r = RunProcess({AstrolabeBinary(), "server", "--data", data_, "--auth", "none",
                            "--otlp-http", "0.0.0.0:" + std::to_string(ports_.otlp_http),
                            "--otlp-grpc", "127.0.0.1:" + std::to_string(ports_.otlp_grpc),
                            "--http", "127.0.0.1:" + std::to_string(ports_.http), "--health",
                            "127.0.0.1:" + std::to_string(ports_.health)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("receivers::otlp::protocols::http: endpoint \"0.0.0.0:" +
                               std::to_string(ports_.otlp_http) + "\" is not a loopback address"));
  EXPECT_THAT(r.err, HasSubstr("nothing started"));
  EXPECT_FALSE(std::filesystem::exists(data_ + "/tokens.json"));
}

TEST_F(ServerTest, AReceiverWithoutAuthIsRefused) {
  const std::string config = WriteTempFile(
      "open.yaml",
      "receivers:\n  otlp/open:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:" +
          std::to_string(FreePort()) +
          "\nservice:\n  pipelines:\n    metrics/open:\n      receivers: [otlp/open]\n"
          "      exporters: [store]\n");
  RunResult r = RunProcess(ServerArgs({"--config", config}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("receivers::otlp/open::protocols::http: has no auth"));
}

// The built-in pipeline keeps metrics: OTLP/HTTP JSON and Prometheus remote write (on the
// same port, under the same tokens) land in <data>/tsdb as Prometheus-named series.
TEST_F(ServerTest, OtlpAndRemoteWriteMetricsLandInTheStore) {
  StartServer();
  const std::string ingest = "Api-Token " + CreateToken("ingest", "metrics.ingest");
  const std::string traces_only = "Api-Token " + CreateToken("t", "openTelemetryTrace.ingest");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();

  const std::string otlp =
      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":)"
      R"({"stringValue":"nim"}}]},"scopeMetrics":[{"metrics":[{"name":"gpu_cache_usage_perc",)"
      R"("gauge":{"dataPoints":[{"timeUnixNano":")" +
      std::to_string(now_ms * 1000000) + R"(","asDouble":0.25}]}}]}]}]})";
  EXPECT_EQ(Send("POST", ports_.otlp_http, "/v1/metrics", ingest, otlp).status, 200);

  wire::prw::WriteRequest rw;
  wire::prw::TimeSeries ts;
  ts.labels = {{"__name__", "kong_ai_llm_requests_total"}, {"job", "kong"}, {"model", "m1"}};
  ts.samples = {{7, now_ms}};
  rw.timeseries.push_back(ts);
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  auto post_rw = [&](const std::string& authorization) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(ports_.otlp_http) + "/api/v1/write";
    request.timeout = std::chrono::seconds(10);
    request.headers.Set("Content-Type", "application/x-protobuf");
    request.headers.Set("Content-Encoding", "snappy");
    request.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
    if (!authorization.empty()) request.headers.Set("Authorization", authorization);
    request.body = body;
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? response->status : 0;
  };
  EXPECT_EQ(post_rw(""), 401);
  EXPECT_EQ(post_rw(traces_only), 403);
  EXPECT_EQ(post_rw(ingest), 204);
  // The built-in pipeline is batch -> store: remote write takes the direct path.
  EXPECT_THAT(server_.Stderr(),
              HasSubstr("receiver prometheus_remote_write writes remote write straight into "
                        "extension store"));

  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.Wait(std::chrono::seconds(30)).has_value());
  auto db = tsdb::Db::Open(data_ + "/tsdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto querier = (*db)->NewQuerier();
  auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  std::map<std::string, std::vector<storage::Sample>> series;
  for (auto& s : *all) series[s.labels.ToString()] = s.samples;
  const std::string gauge = R"(gpu_cache_usage_perc{job="nim"})";
  const std::string counter = R"(kong_ai_llm_requests_total{job="kong", model="m1"})";
  std::string names;
  for (const auto& [labels, samples] : series) names += labels + "\n";
  ASSERT_EQ(series.count(gauge), 1u) << names;
  ASSERT_EQ(series.count(counter), 1u) << names;
  ASSERT_EQ(series[gauge].size(), 1u);
  EXPECT_EQ(series[gauge][0].t, now_ms);
  EXPECT_EQ(series[gauge][0].v, 0.25);
  ASSERT_EQ(series[counter].size(), 1u);
  EXPECT_EQ(series[counter][0].v, 7);
}

// Traces and logs land in <data>/spans: a GenAI span and the log record of its message event,
// linked by trace id, with the GenAI fields indexed; a logs-only token cannot send traces.
TEST_F(ServerTest, SpansAndLogsLandInTheSpanStore) {
  StartServer();
  const std::string traces = "Api-Token " + CreateToken("traces", "openTelemetryTrace.ingest");
  const std::string logs = "Api-Token " + CreateToken("logs", "logs.ingest");
  const std::string trace_id = "5b8efff798038103d269b633813fc60c";
  const uint64_t now_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  const std::string resource =
      R"("resource":{"attributes":[{"key":"service.name","value":{"stringValue":"chat-app"}}]})";
  const std::string span_json =
      R"({"resourceSpans":[{)" + resource + R"(,"scopeSpans":[{"spans":[{"traceId":")" +
      trace_id + R"(","spanId":"eee19b7ec3c1b174","name":"chat llama-3.1-8b","kind":3,)"
      R"("startTimeUnixNano":")" + std::to_string(now_ns - 2000000000) +
      R"(","endTimeUnixNano":")" + std::to_string(now_ns) + R"(","attributes":[)"
      R"({"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
      R"({"key":"gen_ai.request.model","value":{"stringValue":"meta/llama-3.1-8b-instruct"}},)"
      R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}},)"
      R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":"7"}}]}]}]}]})";
  const std::string log_json =
      R"({"resourceLogs":[{)" + resource + R"(,"scopeLogs":[{"logRecords":[{"timeUnixNano":")" +
      std::to_string(now_ns - 1000000000) + R"(","traceId":")" + trace_id +
      R"(","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.user.message",)"
      R"("body":{"stringValue":"hello"}}]}]}]})";
  EXPECT_EQ(Send("POST", ports_.otlp_http, "/v1/traces", logs, span_json).status, 403);
  EXPECT_EQ(Send("POST", ports_.otlp_http, "/v1/traces", traces, span_json).status, 200);
  EXPECT_EQ(Send("POST", ports_.otlp_http, "/api/v2/otlp/v1/logs", logs, log_json).status, 200);

  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.Wait(std::chrono::seconds(30)).has_value());
  auto store = spanstore::SpanStore::Open(data_ + "/spans");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  pdata::TraceId id;
  ASSERT_TRUE(pdata::TraceId::FromHex(trace_id, &id));
  auto trace = (*store)->GetTrace(id);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->spans.size(), 1u);
  EXPECT_EQ(trace->spans[0].span.name, "chat llama-3.1-8b");
  EXPECT_EQ(trace->spans[0].genai.model, "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(trace->spans[0].genai.operation, "chat");
  EXPECT_EQ(trace->spans[0].genai.input_tokens, 42);
  EXPECT_EQ(trace->spans[0].genai.output_tokens, 7);
  ASSERT_EQ(trace->logs.size(), 1u);
  ASSERT_EQ(trace->logs[0].record.body.type(), pdata::AnyValue::Type::kString);
  EXPECT_EQ(trace->logs[0].record.body.string_value(), "hello");
}

// The traces API through the server: OTLP/JSON traces and logs posted to :4318 are searched
// and fetched back on the API port with a traces.read token (an ingest token gets 403).
TEST_F(ServerTest, TracesApiServesWhatOtlpIngested) {
  StartServer();
  const std::string ingest =
      "Api-Token " + CreateToken("ingest", "openTelemetryTrace.ingest,logs.ingest");
  const std::string reader = "Bearer " + CreateToken("ui", "traces.read");
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const uint64_t now_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  auto span = [&](const std::string& id, const std::string& parent, const std::string& name,
                  uint64_t start, uint64_t end, const std::string& attributes) {
    return R"({"traceId":")" + trace_id + R"(","spanId":")" + id + R"(",)" +
           (parent.empty() ? "" : R"("parentSpanId":")" + parent + R"(",)") + R"("name":")" + name +
           R"(","kind":3,"startTimeUnixNano":")" + std::to_string(start) +
           R"(","endTimeUnixNano":")" + std::to_string(end) + R"(","attributes":[)" + attributes +
           "]}";
  };
  const std::string resource =
      R"("resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]})";
  const std::string genai =
      R"({"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
      R"({"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},)"
      R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}},)"
      R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":"7"}})";
  const std::string traces =
      R"({"resourceSpans":[{)" + resource + R"(,"scopeSpans":[{"spans":[)" +
      span("00f067aa0ba902b7", "", "support.workflow", now_ns - 3'000'000'000, now_ns,
           R"({"key":"user.id","value":{"stringValue":"user-42"}})") +
      "," +
      span("eee19b7ec3c1b174", "00f067aa0ba902b7", "chat gpt-4o-mini", now_ns - 2'500'000'000,
           now_ns - 500'000'000, genai) +
      "]}]}]}";
  const std::string logs = R"({"resourceLogs":[{)" + resource +
                           R"(,"scopeLogs":[{"logRecords":[{"timeUnixNano":")" +
                           std::to_string(now_ns - 2'000'000'000) + R"(","traceId":")" + trace_id +
                           R"(","spanId":"eee19b7ec3c1b174","eventName":"gen_ai.choice",)"
                           R"("body":{"stringValue":"Use the reset link."}}]}]}]})";
  ASSERT_EQ(Send("POST", ports_.otlp_http, "/v1/traces", ingest, traces).status, 200);
  ASSERT_EQ(Send("POST", ports_.otlp_http, "/v1/logs", ingest, logs).status, 200);

  // The built-in pipeline batches (and the batch processor answers OTLP before the store
  // has the data): wait until both spans and the log are searchable.
  net::HttpResponse search;
  ASSERT_TRUE(Eventually([&] {
    search =
        Send("GET", ports_.http, "/api/v1/spans?service=support-bot&model=gpt-4o-mini", reader);
    return search.body.find("gpt-4o-mini\"") != std::string::npos &&
           Send("GET", ports_.http, "/api/v1/spans?service=support-bot", reader)
                   .body.find("support.workflow") != std::string::npos &&
           Send("GET", ports_.http, "/api/v1/traces/" + trace_id, reader)
                   .body.find("gen_ai.choice") != std::string::npos;
  })) << search.body;
  EXPECT_EQ(search.status, 200) << search.body;
  EXPECT_THAT(search.body, HasSubstr("\"name\":\"chat gpt-4o-mini\""));
  // The cost is the built-in gpt-4o-mini price (0.15 / 0.60 per 1M), which the server's genai
  // processor applied: 42 × 0.15e-6 + 7 × 0.60e-6.
  EXPECT_THAT(search.body, HasSubstr("\"genai\":{\"model\":\"gpt-4o-mini\",\"operation\":"
                                     "\"chat\",\"input_tokens\":42,\"output_tokens\":7,"
                                     "\"cost\":0.0000105}"));
  EXPECT_THAT(search.body, HasSubstr("\"next_cursor\":null"));
  EXPECT_THAT(search.body, Not(HasSubstr("support.workflow")));
  auto by_attr =
      Send("GET", ports_.http, "/api/v1/spans?attr.user.id=user-42&min_duration=3s", reader);
  EXPECT_THAT(by_attr.body, HasSubstr("\"name\":\"support.workflow\""));

  auto trace = Send("GET", ports_.http, "/api/v1/traces/" + trace_id, reader);
  EXPECT_EQ(trace.status, 200) << trace.body;
  EXPECT_THAT(trace.body, HasSubstr("\"trace_id\":\"" + trace_id + "\",\"spans\":[{"));
  EXPECT_THAT(trace.body, HasSubstr("\"attributes\":{\"user.id\":\"user-42\"}"));
  EXPECT_THAT(trace.body, HasSubstr("\"event_name\":\"gen_ai.choice\""));
  EXPECT_THAT(trace.body, HasSubstr("\"body\":\"Use the reset link.\""));
  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/traces/" + std::string(31, 'a') + "b", reader).status,
            404);
  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/traces/nope", reader).status, 400);

  auto services = Send("GET", ports_.http, "/api/v1/services", reader);
  EXPECT_EQ(services.body, "{\"services\":[\"support-bot\"]}");
  auto operations = Send("GET", ports_.http, "/api/v1/services/support-bot/operations", reader);
  EXPECT_EQ(operations.body, "{\"operations\":[\"chat gpt-4o-mini\",\"support.workflow\"]}");

  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/spans", "").status, 401);
  EXPECT_EQ(Send("GET", ports_.http, "/api/v1/spans", ingest).status, 403);
  EXPECT_THAT(Send("GET", ports_.http, "/metrics", "").body,
              HasSubstr("astrolabe_api_traces_requests_total{route=\"trace\","
                        "outcome=\"bad_request\"} 1"));
}

// The OpenTelemetry JS SDK's OTLP/HTTP exporters (tests/js/otlp_emit.js), configured the
// usual way — OTEL_EXPORTER_OTLP_HEADERS — reach the server under the platform's path prefix
// as protobuf and as JSON; without the header they are refused and counted.
TEST_F(ServerTest, JsSdkExportersAuthenticateWithOtelExporterOtlpHeaders) {
  ASSERT_TRUE(std::filesystem::exists("node_modules/@opentelemetry/exporter-trace-otlp-proto"))
      << "tests/node_modules is missing: run scripts/setup (it runs `npm ci` in tests/)";
  StartServer();
  const std::string token = TokenIn(server_.Stdout());
  const std::string base = "http://127.0.0.1:" + std::to_string(ports_.otlp_http) + "/api/v2/otlp";
  auto emit = [&](const std::string& protocol, const std::vector<std::string>& env) {
    Subprocess node;
    EXPECT_TRUE(node.Start({"node", "js/otlp_emit.js", base, protocol}, env));
    auto code = node.Wait(std::chrono::seconds(60));
    return std::make_pair(code.value_or(-1), node.Stderr());
  };
  auto [proto_code, proto_err] =
      emit("proto", {"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Api-Token " + token});
  EXPECT_EQ(proto_code, 0) << proto_err;
  auto [json_code, json_err] = emit("json", {"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer " + token});
  EXPECT_EQ(json_code, 0) << json_err;
  const std::string accepted = HttpGet(ports_.http, "/metrics").body;
  EXPECT_THAT(accepted, HasSubstr("otelcol_receiver_accepted_spans_total{receiver=\"otlp\","
                                  "transport=\"http\"} 4"));
  EXPECT_THAT(accepted, HasSubstr("otelcol_receiver_accepted_log_records_total{receiver=\"otlp\","
                                  "transport=\"http\"} 4"));
  // Without the header the SDK's exporter reports the 401 (otlp_emit.js stops at the first
  // failed flush) and nothing more is accepted.
  auto [none_code, none_err] = emit("proto", {});
  EXPECT_EQ(none_code, 1);
  EXPECT_THAT(none_err, HasSubstr("Unauthorized"));
  const std::string refused = HttpGet(ports_.http, "/metrics").body;
  EXPECT_THAT(refused, HasSubstr("otelcol_receiver_accepted_spans_total{receiver=\"otlp\","
                                 "transport=\"http\"} 4"));
  EXPECT_THAT(refused, Not(HasSubstr("reason=\"missing\"} 0")));
}

}  // namespace
}  // namespace astrolabe::e2e
