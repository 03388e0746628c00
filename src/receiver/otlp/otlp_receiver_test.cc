#include "receiver/otlp/otlp_receiver.h"

#include <dlfcn.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <cctype>
#include <mutex>
#include <vector>

#include "component/auth.h"
#include "component/partial.h"
#include "component/testing/test_components.h"
#include "net/http_client.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/gzip.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"
#include "wire/zstd.h"

namespace astrolabe::receiver::otlp {
namespace {

using component::test::TestHost;

// Keeps what it is given; answers with `refuse` when set.
class Recorder : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    std::lock_guard lock(mu_);
    if (!refuse.ok()) return refuse;
    metrics.push_back(batch->Clone());
    return Status::Ok();
  }
  Status ConsumeTraces(pdata::TracesBatch batch) override {
    std::lock_guard lock(mu_);
    if (!refuse.ok()) return refuse;
    traces.push_back(batch->Clone());
    return Status::Ok();
  }
  Status ConsumeLogs(pdata::LogsBatch batch) override {
    std::lock_guard lock(mu_);
    if (!refuse.ok()) return refuse;
    logs.push_back(batch->Clone());
    return Status::Ok();
  }
  std::mutex mu_;
  Status refuse;
  std::vector<pdata::Metrics> metrics;
  std::vector<pdata::Traces> traces;
  std::vector<pdata::Logs> logs;
};

class OtlpReceiverTest : public ::testing::Test {
 protected:
  void StartReceiver(Config config, component::ReceiverConsumers next) {
    settings_.id = config::ComponentId{"otlp", ""};
    settings_.telemetry = &host_.telemetry();
    receiver_ = std::make_unique<OtlpReceiver>(settings_, config, next);
    Status s = receiver_->Start(host_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void StartReceiver() {
    Config config;
    config.protocols.http->endpoint = "127.0.0.1:0";
    config.protocols.grpc->endpoint = "127.0.0.1:0";
    StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  }
  void TearDown() override {
    if (receiver_) (void)receiver_->Shutdown(std::chrono::steady_clock::now());
  }

  net::HttpResponse Post(const std::string& path, std::string body, std::string content_type,
                         std::string encoding = "") {
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://" + receiver_->http_address() + path;
    request.headers.Set("Content-Type", content_type);
    if (!encoding.empty()) request.headers.Set("Content-Encoding", encoding);
    request.body = std::move(body);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : net::HttpResponse{};
  }

  double Counter(const std::string& name, const std::string& transport = "http") {
    auto* c = host_.telemetry().GetCounter(name, "", {{"receiver", "otlp"}, {"transport", transport}});
    return c->value();
  }

  TestHost host_;
  component::CreateSettings settings_;
  Recorder recorder_;
  std::unique_ptr<OtlpReceiver> receiver_;
  net::HttpClient client_;
};

TEST_F(OtlpReceiverTest, ProtobufOverHttpReachesThePipeline) {
  StartReceiver();
  const pdata::Metrics sent = wire::testdata::RichMetrics();
  net::HttpResponse r = Post("/v1/metrics", wire::EncodeMetricsRequest(sent), "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/x-protobuf");
  EXPECT_EQ(r.body, "");  // an empty ExportMetricsServiceResponse
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  EXPECT_TRUE(recorder_.metrics[0].resource_metrics == sent.resource_metrics);
  EXPECT_EQ(Counter("otelcol_receiver_accepted_metric_points_total"), double(sent.DataPointCount()));
}

// Keeps every second traces batch it is given as is (sharing, not cloning), and writes over
// the spans of the others, as a mutating processor that drops its batch would.
class TracesKeeper : public Recorder {
 public:
  Status ConsumeTraces(pdata::TracesBatch batch) override {
    std::lock_guard lock(mu_);
    if (n_++ % 2 == 0) {
      kept.push_back(batch);
    } else {
      for (auto& rs : batch.Mutable().resource_spans) {
        for (auto& ss : rs.scope_spans) {
          for (auto& span : ss.spans) span.attributes.push_back({"added.by.processor", "x"});
        }
      }
    }
    return Status::Ok();
  }
  std::vector<pdata::TracesBatch> kept;

 private:
  int n_ = 0;
};

// Protobuf trace requests are decoded into pooled pdata (README, "Reusing decoded trace
// requests"): data a consumer still holds is never reused, and data built from the pool
// equals what was sent, whatever the requests before it held.
TEST_F(OtlpReceiverTest, PooledTraceRequestsAreNeverReusedWhileHeld) {
  TracesKeeper keeper;
  Config config;
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.protocols.grpc->endpoint = "127.0.0.1:0";
  StartReceiver(config, {&keeper, &keeper, &keeper});
  std::vector<pdata::Traces> sent;
  for (int i = 0; i < 12; ++i) {
    pdata::Traces t = wire::testdata::RichTraces();
    for (auto& rs : t.resource_spans) {
      for (auto& ss : rs.scope_spans) {
        for (int k = 0; k < i % 5 && !ss.spans.empty(); ++k) {
          pdata::Span copy = ss.spans.front();
          ss.spans.push_back(std::move(copy));
        }
        for (auto& span : ss.spans) {
          span.name += "-" + std::to_string(i);
          span.attributes.push_back({"request.number.long.key", std::string(size_t(20 + i), 'v')});
        }
      }
    }
    EXPECT_EQ(Post("/v1/traces", wire::EncodeTracesRequest(t), "application/x-protobuf").status,
              200);
    sent.push_back(std::move(t));
  }
  ASSERT_EQ(keeper.kept.size(), 6u);
  for (size_t k = 0; k < keeper.kept.size(); ++k) {
    EXPECT_TRUE(keeper.kept[k].get() == sent[2 * k]) << "request " << 2 * k;
  }
}

TEST_F(OtlpReceiverTest, EverySignalOnBothPathFamilies) {
  StartReceiver();
  for (const std::string prefix : {"", "/api/v2/otlp"}) {
    EXPECT_EQ(Post(prefix + "/v1/traces", wire::EncodeTracesRequest(wire::testdata::RichTraces()),
                   "application/x-protobuf").status, 200);
    EXPECT_EQ(Post(prefix + "/v1/logs", wire::EncodeLogsRequest(wire::testdata::RichLogs()),
                   "application/x-protobuf; charset=binary").status, 200);
  }
  EXPECT_EQ(recorder_.traces.size(), 2u);
  EXPECT_EQ(recorder_.logs.size(), 2u);
  EXPECT_TRUE(recorder_.traces[1].resource_spans == wire::testdata::RichTraces().resource_spans);
}

TEST_F(OtlpReceiverTest, JsonInJsonOut) {
  StartReceiver();
  const pdata::Traces sent = wire::testdata::RichTraces();
  net::HttpResponse r = Post("/v1/traces", wire::EncodeTracesJson(sent), "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.body, "{}");
  ASSERT_EQ(recorder_.traces.size(), 1u);
  EXPECT_TRUE(recorder_.traces[0].resource_spans == sent.resource_spans);

  net::HttpResponse bad = Post("/v1/traces", R"({"resourceSpans":[{"scopeSpans":7}]})", "application/json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.headers.Get("Content-Type").value_or(""), "application/json");
  auto status = wire::DecodeRpcStatusJson(bad.body);
  ASSERT_TRUE(status.ok()) << bad.body;
  EXPECT_EQ(status->code, 3);
  EXPECT_NE(status->message.find("resourceSpans[0].scopeSpans"), std::string::npos) << status->message;
}

TEST_F(OtlpReceiverTest, CompressedBodies) {
  StartReceiver();
  const std::string body = wire::EncodeMetricsRequest(wire::testdata::NimMetrics(500));
  std::string gz, zst;
  ASSERT_TRUE(wire::GzipCompress(body, &gz).ok());
  ASSERT_TRUE(wire::ZstdCompress(body, &zst).ok());
  EXPECT_EQ(Post("/v1/metrics", gz, "application/x-protobuf", "gzip").status, 200);
  EXPECT_EQ(Post("/v1/metrics", zst, "application/x-protobuf", "zstd").status, 200);
  EXPECT_EQ(recorder_.metrics.size(), 2u);

  net::HttpResponse corrupt = Post("/v1/metrics", "not gzip", "application/x-protobuf", "gzip");
  EXPECT_EQ(corrupt.status, 400);
  net::HttpResponse unknown = Post("/v1/metrics", body, "application/x-protobuf", "br");
  EXPECT_EQ(unknown.status, 400);
  auto status = wire::DecodeRpcStatus(unknown.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->message, "unsupported Content-Encoding \"br\"");
}

TEST_F(OtlpReceiverTest, ZipBombIsRefusedWith413) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.protocols.http->max_request_body_size = 1 << 20;
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  std::string gz;
  ASSERT_TRUE(wire::GzipCompress(std::string(8 << 20, '\0'), &gz).ok());
  ASSERT_LT(gz.size(), 1u << 20);
  net::HttpResponse r = Post("/v1/metrics", gz, "application/x-protobuf", "gzip");
  EXPECT_EQ(r.status, 413);
  auto status = wire::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->message.find("max_request_body_size"), std::string::npos);
  EXPECT_TRUE(recorder_.metrics.empty());
  auto* bad = host_.telemetry().GetCounter("astrolabe_receiver_otlp_bad_requests_total", "",
                                           {{"receiver", "otlp"}, {"transport", "http"}, {"signal", "metrics"}});
  EXPECT_EQ(bad->value(), 1);
}

TEST_F(OtlpReceiverTest, WrongContentTypeIs415AndWrongMethod405) {
  StartReceiver();
  net::HttpResponse r = Post("/v1/metrics", "x", "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("application/x-protobuf"), std::string::npos);
  net::HttpRequest get;
  get.url = "http://" + receiver_->http_address() + "/v1/metrics";
  auto response = client_.Send(get).get();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(Post("/v2/metrics", "", "application/x-protobuf").status, 404);
}

TEST_F(OtlpReceiverTest, RefusalsMapToRetryableAndPermanentStatuses) {
  StartReceiver();
  const std::string body = wire::EncodeLogsRequest(wire::testdata::RichLogs());
  recorder_.refuse = ResourceExhausted("data refused due to high memory usage");  // memory_limiter
  net::HttpResponse busy = Post("/v1/logs", body, "application/x-protobuf");
  EXPECT_EQ(busy.status, 503);  // as upstream: any retryable pipeline error
  EXPECT_EQ(busy.headers.Get("Retry-After").value_or(""), "1");
  recorder_.refuse = Unavailable("sending queue is full");
  net::HttpResponse down = Post("/v1/logs", body, "application/x-protobuf");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.headers.Get("Retry-After").value_or(""), "1");
  auto status = wire::DecodeRpcStatus(down.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 14);
  EXPECT_EQ(status->message, "sending queue is full");
  recorder_.refuse = InvalidArgument("bad data");
  EXPECT_EQ(Post("/v1/logs", body, "application/x-protobuf").status, 400);
  recorder_.refuse = Internal("exporter misconfigured");  // permanent: 400, not 500, as upstream
  EXPECT_EQ(Post("/v1/logs", body, "application/x-protobuf").status, 400);
  EXPECT_EQ(Counter("otelcol_receiver_refused_log_records_total"),
            4.0 * double(wire::testdata::RichLogs().LogRecordCount()));
}

// A consumer that kept part of the batch: 200 with partial_success (the rejected count and
// the reason), in the request's encoding; a batch refused whole stays 400.
TEST_F(OtlpReceiverTest, PartialRejectionIsSuccessWithPartialSuccess) {
  StartReceiver();
  const std::string body = wire::EncodeLogsRequest(wire::testdata::RichLogs());
  recorder_.refuse = component::PartialRejection(1, 3, "record too large");
  net::HttpResponse partial = Post("/v1/logs", body, "application/x-protobuf");
  EXPECT_EQ(partial.status, 200);
  auto response = wire::DecodeExportResponse(partial.body);
  ASSERT_TRUE(response.ok());
  ASSERT_TRUE(response->partial_success.has_value());
  EXPECT_EQ(response->partial_success->rejected, 1);
  EXPECT_EQ(response->partial_success->error_message, "record too large");
  recorder_.refuse = component::PartialRejection(3, 3, "all too large");
  EXPECT_EQ(Post("/v1/logs", body, "application/x-protobuf").status, 400);
}

TEST_F(OtlpReceiverTest, SignalInNoPipelineIs404) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  StartReceiver(config, {&recorder_, nullptr, nullptr});
  EXPECT_EQ(Post("/v1/traces", wire::EncodeTracesRequest(wire::testdata::RichTraces()),
                 "application/x-protobuf").status, 404);
  EXPECT_EQ(Post("/v1/metrics", "", "application/x-protobuf").status, 200);  // empty: OK
  EXPECT_TRUE(recorder_.metrics.empty());  // ...and reaches nobody
}

TEST_F(OtlpReceiverTest, CorsPreflightAndResponseHeaders) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.protocols.http->cors = CorsConfig{{"https://*.example.com"}, {"X-Custom"}, 600};
  config.protocols.http->response_headers = {{"X-Served-By", "astrolabe"}};
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  net::HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.url = "http://" + receiver_->http_address() + "/v1/traces";
  preflight.headers.Set("Origin", "https://app.example.com");
  preflight.headers.Set("Access-Control-Request-Method", "POST");
  auto r = client_.Send(preflight).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->headers.Get("Access-Control-Allow-Origin").value_or(""), "https://app.example.com");
  EXPECT_NE(r->headers.Get("Access-Control-Allow-Headers").value_or("").find("X-Custom"), std::string::npos);
  EXPECT_EQ(r->headers.Get("Access-Control-Max-Age").value_or(""), "600");
  preflight.headers.Set("Origin", "https://evil.test");
  auto denied = client_.Send(preflight).get();
  ASSERT_TRUE(denied.ok());
  EXPECT_FALSE(denied->headers.Has("Access-Control-Allow-Origin"));
  net::HttpResponse post = Post("/v1/traces", "", "application/x-protobuf");
  EXPECT_EQ(post.headers.Get("X-Served-By").value_or(""), "astrolabe");
}

// --- gRPC -------------------------------------------------------------------------------

struct GrpcResult {
  grpc::Status status;
  std::string body;
};

GrpcResult CallGrpc(const std::string& address, const std::string& method, const std::string& body,
                    bool gzip = false, const std::string& authorization = "",
                    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) {
  grpc::ChannelArguments args;
  if (credentials) args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(
      address, credentials ? credentials : grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  if (credentials) context.set_wait_for_ready(false);
  grpc::Slice slice(body.data(), body.size());
  grpc::ByteBuffer request(&slice, 1), response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  GrpcResult result;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   result.status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  std::vector<grpc::Slice> slices;
  if (result.status.ok() && response.Dump(&slices).ok()) {
    for (auto& s : slices) result.body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return result;
}

TEST_F(OtlpReceiverTest, GrpcExportOfEverySignal) {
  StartReceiver();
  const std::string address = receiver_->grpc_address();
  ASSERT_FALSE(address.empty());
  GrpcResult m = CallGrpc(address, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                          wire::EncodeMetricsRequest(wire::testdata::RichMetrics()));
  EXPECT_TRUE(m.status.ok()) << m.status.error_message();
  GrpcResult t = CallGrpc(address, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                          wire::EncodeTracesRequest(wire::testdata::RichTraces()), /*gzip=*/true);
  EXPECT_TRUE(t.status.ok()) << t.status.error_message();
  GrpcResult l = CallGrpc(address, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                          wire::EncodeLogsRequest(wire::testdata::RichLogs()));
  EXPECT_TRUE(l.status.ok()) << l.status.error_message();
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  ASSERT_EQ(recorder_.traces.size(), 1u);
  ASSERT_EQ(recorder_.logs.size(), 1u);
  EXPECT_TRUE(recorder_.traces[0].resource_spans == wire::testdata::RichTraces().resource_spans);
  EXPECT_EQ(Counter("otelcol_receiver_accepted_spans_total", "grpc"),
            double(wire::testdata::RichTraces().SpanCount()));
}

TEST_F(OtlpReceiverTest, GrpcErrors) {
  StartReceiver();
  const std::string address = receiver_->grpc_address();
  GrpcResult garbage = CallGrpc(address, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                                "\xff\xff\xff");
  EXPECT_EQ(garbage.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  GrpcResult unknown = CallGrpc(address, "/x.Y/Z", "");
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  recorder_.refuse = Unavailable("memory_limiter: data refused");
  GrpcResult refused = CallGrpc(address, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                                wire::EncodeLogsRequest(wire::testdata::RichLogs()));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.status.error_message(), "memory_limiter: data refused");
}

TEST_F(OtlpReceiverTest, PortInUseFailsStartNamingTheAddress) {
  StartReceiver();
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = receiver_->http_address();
  OtlpReceiver second(settings_, config, {&recorder_, &recorder_, &recorder_});
  Status s = second.Start(host_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(receiver_->http_address()), std::string::npos) << s.message();
}

// --- auth -------------------------------------------------------------------------------

// An authenticator extension with fixed credentials: "Api-Token all" has every scope,
// "Bearer <scope>" has that one scope, "Api-Token revoked" is refused as revoked.
class FakeAuth : public component::Extension, public component::Authenticator {
 public:
  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }
  Status Authenticate(component::AuthHeaders headers, std::string_view scope) override {
    std::string value;
    for (const auto& [k, v] : headers) {
      if (AsciiLowerForTest(k) == "authorization") value = std::string(v);
    }
    calls++;
    if (value.empty()) return Unauthenticated("missing API token");
    if (value == "Api-Token all") return Status::Ok();
    if (value == "Api-Token revoked") return Unauthenticated("API token was revoked");
    if (value.rfind("Bearer ", 0) == 0 && IsScope(value.substr(7))) {
      if (value.substr(7) == scope) return Status::Ok();
      return PermissionDenied("API token lacks the scope " + std::string(scope));
    }
    return Unauthenticated("unknown API token");
  }
  std::atomic<int> calls{0};

 private:
  static std::string AsciiLowerForTest(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  static bool IsScope(const std::string& s) {
    return s == component::kScopeMetricsIngest || s == component::kScopeTracesIngest ||
           s == component::kScopeLogsIngest;
  }
};

class OtlpAuthTest : public OtlpReceiverTest {
 protected:
  void StartWithAuth() {
    host_.AddExtension({"fake_auth", ""}, &auth_);
    Config config;
    config.protocols.http->endpoint = "127.0.0.1:0";
    config.protocols.http->auth = AuthConfig{"fake_auth"};
    config.protocols.grpc->endpoint = "127.0.0.1:0";
    config.protocols.grpc->auth = AuthConfig{"fake_auth"};
    StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  }
  net::HttpResponse PostWith(const std::string& path, const std::string& authorization,
                             std::string body) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://" + receiver_->http_address() + path;
    request.headers.Set("Content-Type", "application/x-protobuf");
    if (!authorization.empty()) request.headers.Set("Authorization", authorization);
    request.body = std::move(body);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : net::HttpResponse{};
  }
  FakeAuth auth_;
};

struct SignalCase {
  std::string path;
  std::string scope;
  std::string other_scope;
  std::string body;
  std::string grpc_method;
};

std::vector<SignalCase> SignalCases() {
  return {{"/v1/metrics", "metrics.ingest", "logs.ingest",
           wire::EncodeMetricsRequest(wire::testdata::RichMetrics()),
           "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"},
          {"/v1/traces", "openTelemetryTrace.ingest", "metrics.ingest",
           wire::EncodeTracesRequest(wire::testdata::RichTraces()),
           "/opentelemetry.proto.collector.trace.v1.TraceService/Export"},
          {"/v1/logs", "logs.ingest", "openTelemetryTrace.ingest",
           wire::EncodeLogsRequest(wire::testdata::RichLogs()),
           "/opentelemetry.proto.collector.logs.v1.LogsService/Export"}};
}

// The matrix on every HTTP endpoint: none, wrong, wrong scope, revoked, right.
TEST_F(OtlpAuthTest, HttpMatrixOnEverySignalAndBothPrefixes) {
  StartWithAuth();
  size_t accepted = 0;
  for (const std::string prefix : {"", "/api/v2/otlp"}) {
    for (const SignalCase& c : SignalCases()) {
      const std::string path = prefix + c.path;
      SCOPED_TRACE(path);
      net::HttpResponse none = PostWith(path, "", c.body);
      EXPECT_EQ(none.status, 401);
      EXPECT_EQ(none.headers.Get("Content-Type").value_or(""), "application/json");
      EXPECT_EQ(none.body, "{\"error\":{\"code\":401,\"message\":\"missing API token\"}}");
      EXPECT_EQ(none.headers.Get("WWW-Authenticate").value_or(""), "Api-Token realm=\"astrolabe\"");
      net::HttpResponse wrong = PostWith(path, "Api-Token nope", c.body);
      EXPECT_EQ(wrong.status, 401);
      EXPECT_NE(wrong.body.find("unknown API token"), std::string::npos);
      net::HttpResponse scope = PostWith(path, "Bearer " + c.other_scope, c.body);
      EXPECT_EQ(scope.status, 403);
      EXPECT_EQ(scope.body, "{\"error\":{\"code\":403,\"message\":\"API token lacks the scope " +
                                c.scope + "\"}}");
      EXPECT_FALSE(scope.headers.Has("WWW-Authenticate"));
      net::HttpResponse revoked = PostWith(path, "Api-Token revoked", c.body);
      EXPECT_EQ(revoked.status, 401);
      EXPECT_NE(revoked.body.find("revoked"), std::string::npos);
      EXPECT_EQ(PostWith(path, "Bearer " + c.scope, c.body).status, 200);
      EXPECT_EQ(PostWith(path, "Api-Token all", c.body).status, 200);
      accepted += 2;
    }
  }
  EXPECT_EQ(recorder_.metrics.size() + recorder_.traces.size() + recorder_.logs.size(), accepted);
}

// Auth comes before anything else: an unauthenticated client learns nothing about the
// content types or encodings the receiver takes.
TEST_F(OtlpAuthTest, HttpAuthIsCheckedBeforeTheContentType) {
  StartWithAuth();
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://" + receiver_->http_address() + "/v1/metrics";
  request.headers.Set("Content-Type", "text/plain");
  request.body = "x";
  auto r = client_.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
}

TEST_F(OtlpAuthTest, GrpcMatrixOnEverySignal) {
  StartWithAuth();
  const std::string address = receiver_->grpc_address();
  for (const SignalCase& c : SignalCases()) {
    SCOPED_TRACE(c.grpc_method);
    GrpcResult none = CallGrpc(address, c.grpc_method, c.body);
    EXPECT_EQ(none.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(none.status.error_message(), "missing API token");
    EXPECT_EQ(CallGrpc(address, c.grpc_method, c.body, false, "Api-Token nope").status.error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    GrpcResult scope = CallGrpc(address, c.grpc_method, c.body, false, "Bearer " + c.other_scope);
    EXPECT_EQ(scope.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(scope.status.error_message(), "API token lacks the scope " + c.scope);
    EXPECT_EQ(CallGrpc(address, c.grpc_method, c.body, false, "Api-Token revoked").status.error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    GrpcResult right = CallGrpc(address, c.grpc_method, c.body, false, "Bearer " + c.scope);
    EXPECT_TRUE(right.status.ok()) << right.status.error_message();
  }
  EXPECT_EQ(recorder_.metrics.size(), 1u);
  EXPECT_EQ(recorder_.traces.size(), 1u);
  EXPECT_EQ(recorder_.logs.size(), 1u);
}

TEST_F(OtlpAuthTest, AnAuthenticatorThatIsNotStartedFailsTheStart) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.protocols.http->auth = AuthConfig{"token_auth"};
  settings_.id = config::ComponentId{"otlp", ""};
  settings_.telemetry = &host_.telemetry();
  OtlpReceiver receiver(settings_, config, {&recorder_, &recorder_, &recorder_});
  Status s = receiver.Start(host_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("otlp: protocols::http::auth"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("authenticator \"token_auth\" is not a started extension"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(receiver.http_address().empty());
}

// --- gRPC TLS ---------------------------------------------------------------------------

std::string ReadFileForTest(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, made by the
// openssl command (a real peer, not our code).
class GrpcTlsTest : public OtlpReceiverTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string script =
        "cd " + dir_ + " && set -e\n"
        "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
        "key ca.key; openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=test-ca\n"
        "key server.key; openssl req -new -key server.key -out server.csr -subj /CN=localhost\n"
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext\n"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
        "-days 2 -extfile san.ext 2>/dev/null\n"
        "key client.key; openssl req -new -key client.key -out client.csr -subj /CN=client\n"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem "
        "-days 2 2>/dev/null\n";
    ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  }
  void TearDown() override {
    OtlpReceiverTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  Config TlsConfig(bool mutual) {
    Config config;
    config.protocols.http.reset();
    config.protocols.grpc->endpoint = "127.0.0.1:0";
    ServerTlsConfig tls;
    tls.cert_file = dir_ + "/server.pem";
    tls.key_file = dir_ + "/server.key";
    if (mutual) tls.client_ca_file = dir_ + "/ca.pem";
    config.protocols.grpc->tls = tls;
    return config;
  }
  std::shared_ptr<grpc::ChannelCredentials> Tls(bool with_client_cert) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadFileForTest(dir_ + "/ca.pem");
    if (with_client_cert) {
      o.pem_private_key = ReadFileForTest(dir_ + "/client.key");
      o.pem_cert_chain = ReadFileForTest(dir_ + "/client.pem");
    }
    return grpc::SslCredentials(o);
  }
  std::string dir_;
};

constexpr const char* kMetricsExport = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

TEST_F(GrpcTlsTest, ServesTlsAndRefusesPlaintext) {
  Config config = TlsConfig(false);
  ASSERT_TRUE(config.Validate().ok()) << config.Validate().message();
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  const std::string body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
  GrpcResult tls = CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(false));
  EXPECT_TRUE(tls.status.ok()) << tls.status.error_message();
  GrpcResult plain = CallGrpc(receiver_->grpc_address(), kMetricsExport, body);
  EXPECT_EQ(plain.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(recorder_.metrics.size(), 1u);
}

TEST_F(GrpcTlsTest, MutualTlsNeedsAClientCertificate) {
  StartReceiver(TlsConfig(true), {&recorder_, &recorder_, &recorder_});
  const std::string body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
  GrpcResult anonymous = CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(false));
  EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  GrpcResult known = CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(true));
  EXPECT_TRUE(known.status.ok()) << known.status.error_message();
  EXPECT_EQ(recorder_.metrics.size(), 1u);
}

// A renewed certificate (here: from another CA) is served without a restart.
TEST_F(GrpcTlsTest, ARenewedCertificateIsServedWithoutARestart) {
  Config config = TlsConfig(false);
  config.protocols.grpc->tls->reload_interval = std::chrono::seconds(1);
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  const std::string body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
  ASSERT_TRUE(CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(false)).status.ok());

  const std::string script =
      "cd " + dir_ + " && set -e && mkdir next && cd next\n"
      "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
      "key ca.key; openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=next-ca\n"
      "key server.key; openssl req -new -key server.key -out server.csr -subj /CN=localhost\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
      "-days 2 -extfile ../san.ext 2>/dev/null\n"
      "mv server.key ../server.key && mv server.pem ../server.pem && mv ca.pem ../ca.pem\n";
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  // Tls() now trusts only the new CA: it succeeds once the server serves the new certificate.
  bool renewed = false;
  for (int i = 0; i < 100 && !renewed; ++i) {
    renewed = CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(false)).status.ok();
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(renewed);
}

TEST_F(GrpcTlsTest, AMissingCertificateFileFailsTheStartNamingIt) {
  Config config = TlsConfig(false);
  config.protocols.grpc->tls->cert_file = dir_ + "/nope.pem";
  settings_.id = config::ComponentId{"otlp", ""};
  settings_.telemetry = &host_.telemetry();
  OtlpReceiver receiver(settings_, config, {&recorder_, &recorder_, &recorder_});
  Status s = receiver.Start(host_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir_ + "/nope.pem"), std::string::npos) << s.message();
}

// OTLP/HTTP over TLS: an HTTPS post is ingested, plain HTTP gets a clear 400, and with a
// client CA a client without a certificate is refused.
TEST_F(GrpcTlsTest, HttpsPostsAreIngestedAndMutualTlsIsEnforced) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  ServerTlsConfig tls;
  tls.cert_file = dir_ + "/server.pem";
  tls.key_file = dir_ + "/server.key";
  tls.client_ca_file = dir_ + "/ca.pem";
  config.protocols.http->tls = tls;
  ASSERT_TRUE(config.Validate().ok()) << config.Validate().message();
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  const std::string body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
  auto post = [&](const std::string& scheme, bool client_cert) {
    net::HttpClientOptions options;
    options.tls.ca_file = dir_ + "/ca.pem";
    if (client_cert) {
      options.tls.cert_file = dir_ + "/client.pem";
      options.tls.key_file = dir_ + "/client.key";
    }
    net::HttpClient client(options);
    net::HttpRequest request;
    request.method = "POST";
    request.url = scheme + "://" + receiver_->http_address() + "/v1/metrics";
    request.headers.Set("Content-Type", "application/x-protobuf");
    request.body = body;
    return client.Send(std::move(request)).get();
  };
  auto ok = post("https", true);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(recorder_.metrics.size(), 1u);
  EXPECT_FALSE(post("https", false).ok());  // no client certificate: handshake refused
  auto plain = post("http", true);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->status, 400);
  EXPECT_EQ(recorder_.metrics.size(), 1u);
}

// Issue #12: OpenSSL's atexit cleanup ran while libgrpc's detached threads still used OpenSSL,
// and a thread ending after it leaked its error queue (LeakSanitizer, ~968 bytes in 3
// allocations, flaky). The gRPC module initialises OpenSSL first with OPENSSL_INIT_NO_ATEXIT
// (net/openssl_loader.h, "Process exit"). This hook is registered before OpenSSL's first use,
// so it runs after any handler OpenSSL registers; OPENSSL_init_crypto fails once
// OPENSSL_cleanup has run. (Looked up with dlsym: astrolabe_net's lazy loader does not cover it.)
void ExitCodeFromOpenSslState() {
  using InitCrypto = int (*)(uint64_t, const OPENSSL_INIT_SETTINGS*);
  auto init = reinterpret_cast<InitCrypto>(::dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto"));
  if (init == nullptr) std::_Exit(5);
  std::_Exit(init(0, nullptr) == 1 ? 0 : 3);
}

using GrpcTlsDeathTest = GrpcTlsTest;
TEST_F(GrpcTlsDeathTest, OpenSslIsNotCleanedUpUnderLibgrpcsThreadsAtExit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: OpenSSL not yet used
  EXPECT_EXIT(
      {
        std::atexit(ExitCodeFromOpenSslState);
        StartReceiver(TlsConfig(false), {&recorder_, &recorder_, &recorder_});
        const std::string body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
        GrpcResult tls =
            CallGrpc(receiver_->grpc_address(), kMetricsExport, body, false, "", Tls(false));
        (void)receiver_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
        // The child ran SetUp (its own directory) but exits before TearDown.
        std::filesystem::remove_all(dir_);
        std::exit(tls.status.ok() ? 0 : 4);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(OtlpConfig, TlsKeysAreValidatedNamingThem) {
  Config config;
  config.protocols.http->tls = ServerTlsConfig{};
  config.protocols.http->tls->cert_file = "c.pem";
  EXPECT_EQ(config.Validate().message(), "protocols::http::tls::key_file: must be set with cert_file");
  config.protocols.http->tls->key_file = "k.pem";
  EXPECT_TRUE(config.Validate().ok());
  config.protocols.http.reset();
  config.protocols.grpc->tls = ServerTlsConfig{};
  config.protocols.grpc->tls->cert_file = "c.pem";
  config.protocols.grpc->tls->key_file = "k.pem";
  config.protocols.grpc->tls->min_version = "1.3";
  EXPECT_EQ(config.Validate().code(), StatusCode::kUnimplemented);
}

// Issue 6, limits.h: items per request (whole request refused, 413 / RESOURCE_EXHAUSTED),
// attributes per item and attribute value length (those items dropped, partial_success).
double RefusedItems(TestHost& host, const std::string& signal, const std::string& reason,
                    const std::string& transport = "http") {
  return host.telemetry()
      .GetCounter("astrolabe_receiver_refused_items_total", "",
                  {{"receiver", "otlp"}, {"transport", transport}, {"signal", signal}, {"reason", reason}})
      ->value();
}

pdata::Traces TwoSpans(std::string long_value, size_t extra_attributes) {
  pdata::Span plain;
  plain.name = "plain";
  plain.attributes = {{"gen_ai.request.model", "llama-3"}};
  pdata::Span big;
  big.name = "big";
  big.attributes = {{"gen_ai.prompt.0.content", std::move(long_value)}};
  for (size_t i = 0; i < extra_attributes; ++i) {
    big.attributes.push_back({"extra." + std::to_string(i), int64_t(i)});
  }
  pdata::ScopeSpans ss;
  ss.spans.push_back(std::move(plain));
  ss.spans.push_back(std::move(big));
  pdata::ResourceSpans rs;
  rs.scope_spans.push_back(std::move(ss));
  std::vector<pdata::ResourceSpans> all;
  all.push_back(std::move(rs));
  return pdata::Traces(std::move(all));
}

TEST_F(OtlpReceiverTest, TooManyItemsInOneRequestIs413NamingTheLimit) {
  Config config;
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.protocols.grpc->endpoint = "127.0.0.1:0";
  config.limits.max_items_per_request = 2;
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  const pdata::Metrics sent = wire::testdata::RichMetrics();
  ASSERT_GT(sent.DataPointCount(), 2u);
  const std::string body = wire::EncodeMetricsRequest(sent);
  net::HttpResponse r = Post("/v1/metrics", body, "application/x-protobuf");
  EXPECT_EQ(r.status, 413);
  EXPECT_FALSE(r.headers.Get("Retry-After").has_value());
  auto rpc = wire::DecodeRpcStatus(r.body);
  ASSERT_TRUE(rpc.ok());
  EXPECT_EQ(rpc->message, std::to_string(sent.DataPointCount()) +
                              " data points in one request, more than "
                              "limits::max_items_per_request (2); send smaller batches");
  EXPECT_TRUE(recorder_.metrics.empty());
  EXPECT_EQ(RefusedItems(host_, "metrics", "items_per_request"), double(sent.DataPointCount()));
  GrpcResult g = CallGrpc(receiver_->grpc_address(),
                          "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", body);
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(g.status.error_message().find("max_items_per_request"), std::string::npos);
  EXPECT_EQ(RefusedItems(host_, "metrics", "items_per_request", "grpc"),
            double(sent.DataPointCount()));
}

TEST_F(OtlpReceiverTest, ItemsOverAttributeLimitsAreDroppedWithPartialSuccess) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.limits.max_attribute_value_length = 16;
  config.limits.max_attributes_per_item = 4;
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  // A value over the length limit: that span is dropped, the other ingested.
  net::HttpResponse r = Post("/v1/traces", wire::EncodeTracesRequest(TwoSpans(std::string(17, 'x'), 0)),
                             "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  auto response = wire::DecodeExportResponse(r.body);
  ASSERT_TRUE(response.ok());
  ASSERT_TRUE(response->partial_success.has_value());
  EXPECT_EQ(response->partial_success->rejected, 1);
  EXPECT_EQ(response->partial_success->error_message,
            "limits::max_attribute_value_length: span \"big\": attribute "
            "\"gen_ai.prompt.0.content\" has a value of 17 bytes, more than "
            "max_attribute_value_length (16)");
  ASSERT_EQ(recorder_.traces.size(), 1u);
  EXPECT_EQ(recorder_.traces[0].SpanCount(), 1u);
  EXPECT_EQ(recorder_.traces[0].resource_spans[0].scope_spans[0].spans[0].name, "plain");
  EXPECT_EQ(RefusedItems(host_, "traces", "attribute_value_length"), 1);
  // Too many attributes (1 + 4): dropped the same way, counted under its own reason.
  r = Post("/v1/traces", wire::EncodeTracesRequest(TwoSpans("short", 4)), "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  response = wire::DecodeExportResponse(r.body);
  ASSERT_TRUE(response.ok() && response->partial_success.has_value());
  EXPECT_NE(response->partial_success->error_message.find(
                "5 attributes, more than max_attributes_per_item (4)"),
            std::string::npos)
      << response->partial_success->error_message;
  EXPECT_EQ(RefusedItems(host_, "traces", "attributes_per_item"), 1);
  // At the limits exactly: everything is ingested.
  r = Post("/v1/traces", wire::EncodeTracesRequest(TwoSpans(std::string(16, 'x'), 3)),
           "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  response = wire::DecodeExportResponse(r.body);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->partial_success.has_value());
  EXPECT_EQ(recorder_.traces.back().SpanCount(), 2u);
}

TEST_F(OtlpReceiverTest, ARequestWhoseEveryItemBreaksALimitIs400) {
  Config config;
  config.protocols.grpc.reset();
  config.protocols.http->endpoint = "127.0.0.1:0";
  config.limits.max_attribute_value_length = 4;  // "llama-3" is over it too
  StartReceiver(config, {&recorder_, &recorder_, &recorder_});
  net::HttpResponse r = Post("/v1/traces", wire::EncodeTracesRequest(TwoSpans("long value", 0)),
                             "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  auto rpc = wire::DecodeRpcStatus(r.body);
  ASSERT_TRUE(rpc.ok());
  EXPECT_TRUE(rpc->message.starts_with("every item refused: limits::max_attribute_value_length"))
      << rpc->message;
  EXPECT_TRUE(recorder_.traces.empty());
  EXPECT_EQ(RefusedItems(host_, "traces", "attribute_value_length"), 2);
}

}  // namespace
}  // namespace astrolabe::receiver::otlp
