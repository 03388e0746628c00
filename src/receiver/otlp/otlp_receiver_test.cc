#include "receiver/otlp/otlp_receiver.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

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
    ASSERT_TRUE(receiver_->Start(host_).ok());
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
                    bool gzip = false) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
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

}  // namespace
}  // namespace astrolabe::receiver::otlp
