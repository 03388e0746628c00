// Our OTLP protobuf codec checked against code nobody here wrote.
//
// Our encoder, against two decoders:
//   - protobufjs, as shipped in @opentelemetry/otlp-transformer@0.203.0 (tests/js/), which
//     decodes our bytes, verifies them and encodes them again;
//   - `protoc --decode_raw` (Debian protobuf-compiler), which prints the raw field tree.
// Our bytes and protobufjs' re-encoding must print the same field tree (protobufjs drops
// what it does not understand, so every field we write must be one it knows, in the
// place it expects), and our decoder must read protobufjs' bytes back to exactly the
// pdata we started from.
//
// Our decoder, against the OpenTelemetry JS SDK 3.x exporters (tests/js/otlp_emit.js): what
// they send decodes in ours to what the script emitted, field by field, and to the same
// content protobufjs reads from the same bytes.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <signal.h>

#include <mutex>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "process.h"
#include "wire/gzip.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"

namespace astrolabe::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class OtlpCrossCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("node_modules/@opentelemetry/otlp-transformer"))
        << "tests/node_modules is missing: run scripts/setup (it runs `npm ci` in tests/)";
    dir_ = fs::path(WriteTempFile("placeholder", "")).parent_path();
  }

  // Writes `bytes`, has protobufjs decode and re-encode them; returns the re-encoding.
  std::string Reencode(const std::string& signal, const std::string& name,
                       const std::string& bytes) {
    const fs::path in = dir_ / (name + ".pb");
    const fs::path out = dir_ / (name + ".protobufjs.pb");
    std::ofstream(in, std::ios::binary) << bytes;
    RunResult run = RunProcess({"node", "js/otlp_protobufjs.js", "reencode", signal, in, out},
                               seconds(60));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return ReadFile(out);
  }

  // protoc's raw field tree of `bytes`.
  std::string DecodeRaw(const std::string& name, const std::string& bytes) {
    const fs::path in = dir_ / (name + ".raw.pb");
    std::ofstream(in, std::ios::binary) << bytes;
    RunResult run =
        RunProcess({"sh", "-c", "protoc --decode_raw < '" + in.string() + "'"}, seconds(60));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out;
  }

  // Both decoders must see the same fields in `ours`; returns protobufjs' re-encoding.
  std::string CrossCheck(const std::string& signal, const std::string& name,
                         const std::string& ours) {
    const std::string theirs = Reencode(signal, name, ours);
    EXPECT_FALSE(theirs.empty());
    const std::string ours_raw = DecodeRaw(name + ".ours", ours);
    EXPECT_GT(ours_raw.size(), 100u);
    EXPECT_EQ(DecodeRaw(name + ".theirs", theirs), ours_raw)
        << "protobufjs did not keep every field we wrote (left: after its re-encoding)";
    return theirs;
  }

  fs::path dir_;
};

TEST_F(OtlpCrossCheck, RichMetrics) {
  const pdata::Metrics meant = wire::testdata::RichMetrics();
  const std::string theirs = CrossCheck("metrics", "rich_metrics", wire::EncodeMetricsRequest(meant));
  auto decoded = wire::DecodeMetricsRequest(theirs);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->resource_metrics == meant.resource_metrics);
  EXPECT_EQ(wire::EncodeMetricsRequest(*decoded), theirs);
}

TEST_F(OtlpCrossCheck, NimShapedMetrics) {
  const pdata::Metrics meant = wire::testdata::NimMetrics(2000);
  const std::string theirs = CrossCheck("metrics", "nim_metrics", wire::EncodeMetricsRequest(meant));
  auto decoded = wire::DecodeMetricsRequest(theirs);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->resource_metrics == meant.resource_metrics);
}

TEST_F(OtlpCrossCheck, RichTraces) {
  const pdata::Traces meant = wire::testdata::RichTraces();
  const std::string theirs = CrossCheck("traces", "rich_traces", wire::EncodeTracesRequest(meant));
  auto decoded = wire::DecodeTracesRequest(theirs);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->resource_spans == meant.resource_spans);
}

TEST_F(OtlpCrossCheck, RichLogs) {
  const pdata::Logs meant = wire::testdata::RichLogs();
  const std::string theirs = CrossCheck("logs", "rich_logs", wire::EncodeLogsRequest(meant));
  auto decoded = wire::DecodeLogsRequest(theirs);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->resource_logs == meant.resource_logs);
}

// The check itself can fail: a field protobufjs does not know (number 99, a string) is
// dropped by its re-encoding, and the two field trees differ.
TEST_F(OtlpCrossCheck, NoticesAFieldProtobufjsDropped) {
  std::string ours = wire::EncodeLogsRequest(wire::testdata::RichLogs());
  ours += std::string("\x9a\x06\x03" "abc", 6);  // field 99, wire type 2, "abc"
  const std::string theirs = Reencode("logs", "unknown_field", ours);
  ASSERT_FALSE(theirs.empty());
  const std::string ours_raw = DecodeRaw("unknown_field.ours", ours);
  EXPECT_NE(ours_raw.find("99: \"abc\""), std::string::npos) << ours_raw;
  EXPECT_NE(DecodeRaw("unknown_field.theirs", theirs), ours_raw);
}

// --- The JS SDK's exporters into our decoder ---------------------------------------------

struct Received {
  std::string path, content_type, body;
};

// A loopback OTLP/HTTP endpoint that keeps every request it gets.
class Sink {
 public:
  Sink() : server_(Options()) {
    for (const char* path : {"/v1/traces", "/v1/metrics", "/v1/logs"}) {
      server_.Handle("POST", path, [this, path](net::ServerRequest& req, net::ServerResponse& r) {
        Received got{path, std::string(req.header("Content-Type").value_or("")),
                     std::string(req.body())};
        if (req.header("Content-Encoding").value_or("") == "gzip") {
          auto plain = wire::GzipDecompress(req.body(), 64 << 20);
          got.body = plain.ok() ? *plain : "";
        }
        const std::string type = got.content_type;
        {
          std::lock_guard lock(mu_);
          received_.push_back(std::move(got));
        }
        r.Set(200, type, "");
      });
    }
  }
  Status Start() { return server_.Start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  static net::HttpServerOptions Options() {
    net::HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    return options;
  }
  net::HttpServer server_;
  std::mutex mu_;
  std::vector<Received> received_;
};

constexpr uint64_t kT0Ns = 1767225600000000000;  // 2026-01-01T00:00:00Z, as otlp_emit.js
constexpr uint64_t kMs = 1000000;

std::string Attr(const pdata::Attributes& attributes, std::string_view key) {
  const pdata::AnyValue* value = pdata::FindAttribute(attributes, key);
  return value ? std::string(pdata::AnyValueTypeName(value->type())) + ":" +
                     pdata::AnyValueToString(*value)
               : "<absent>";
}

class JsExporters : public OtlpCrossCheck {
 public:
  // Runs otlp_emit.js against the sink; returns the bodies per path, checked to be of
  // `content_type`.
  std::vector<Received> Emit(const std::string& protocol, const std::string& content_type) {
    Sink sink;
    EXPECT_TRUE(sink.Start().ok());
    RunResult run = RunProcess({"node", "js/otlp_emit.js", sink.url(), protocol}, seconds(60));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<Received> received = sink.received();
    for (const Received& r : received) EXPECT_EQ(r.content_type, content_type) << r.path;
    return received;
  }

  // Ours and protobufjs must read the same content from `body`: protobufjs' view of the
  // body equals its view of our re-encoding of what we decoded.
  void SameContentAsProtobufjs(const std::string& signal, const std::string& body,
                               const std::string& our_reencoding) {
    const fs::path theirs = dir_ / ("js_" + signal + ".pb");
    const fs::path ours = dir_ / ("js_" + signal + ".ours.pb");
    std::ofstream(theirs, std::ios::binary) << body;
    std::ofstream(ours, std::ios::binary) << our_reencoding;
    RunResult a = RunProcess({"node", "js/otlp_protobufjs.js", "tojson", signal, theirs}, seconds(60));
    RunResult b = RunProcess({"node", "js/otlp_protobufjs.js", "tojson", signal, ours}, seconds(60));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_GT(a.out.size(), 50u);
    EXPECT_EQ(b.out, a.out);
  }
};

// What otlp_emit.js sent, as our decoder read it.
struct Emitted {
  std::string service, scope;
  std::vector<pdata::Span> spans;
  std::vector<pdata::Metric> metrics;
  std::vector<pdata::LogRecord> logs;
};

// Decodes every body the sink got (protobuf or JSON, by content type) into `out`; when
// `protobufjs` is set, also checks that protobufjs reads each protobuf body as we do.
void Collect(const std::vector<Received>& received, Emitted& out, JsExporters* protobufjs) {
  for (const Received& r : received) {
    const bool json = r.content_type == "application/json";
    if (r.path == "/v1/traces") {
      auto decoded = json ? wire::DecodeTracesJson(r.body) : wire::DecodeTracesRequest(r.body);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      if (protobufjs && !json) {
        protobufjs->SameContentAsProtobufjs("traces", r.body, wire::EncodeTracesRequest(*decoded));
      }
      for (auto& rs : decoded->resource_spans) {
        out.service = Attr(rs.resource.attributes, "service.name");
        for (auto& ss : rs.scope_spans) {
          out.scope = ss.scope.name + "@" + ss.scope.version;
          for (auto& span : ss.spans) out.spans.push_back(span);
        }
      }
    } else if (r.path == "/v1/metrics") {
      auto decoded = json ? wire::DecodeMetricsJson(r.body) : wire::DecodeMetricsRequest(r.body);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      if (protobufjs && !json) {
        protobufjs->SameContentAsProtobufjs("metrics", r.body, wire::EncodeMetricsRequest(*decoded));
      }
      for (auto& rm : decoded->resource_metrics) {
        for (auto& sm : rm.scope_metrics) {
          for (auto& m : sm.metrics) out.metrics.push_back(m);
        }
      }
    } else {
      auto decoded = json ? wire::DecodeLogsJson(r.body) : wire::DecodeLogsRequest(r.body);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      if (protobufjs && !json) {
        protobufjs->SameContentAsProtobufjs("logs", r.body, wire::EncodeLogsRequest(*decoded));
      }
      for (auto& rl : decoded->resource_logs) {
        for (auto& sl : rl.scope_logs) {
          for (auto& record : sl.log_records) out.logs.push_back(record);
        }
      }
    }
  }
}

// Checks, field by field, that `e` is what otlp_emit.js sends.
void ExpectWhatWasSent(const Emitted& e) {
  const std::string& service = e.service;
  const std::string& scope = e.scope;
  const std::vector<pdata::Span>& spans = e.spans;
  const std::vector<pdata::Metric>& metrics = e.metrics;
  const std::vector<pdata::LogRecord>& logs = e.logs;
  EXPECT_EQ(service, "Str:crosscheck-app");
  EXPECT_EQ(scope, "astrolabe-crosscheck@1.2.3");

  // Traces: found by name, since requests sent concurrently may arrive in any order.
  ASSERT_EQ(spans.size(), 2u);
  const bool child_first = spans[0].name == "POST /v1/chat/completions";
  const pdata::Span& child = spans[child_first ? 0 : 1];
  const pdata::Span& parent = spans[child_first ? 1 : 0];
  EXPECT_EQ(parent.name, "chat gpt-4o-mini");
  EXPECT_EQ(parent.kind, pdata::SpanKind::kClient);
  EXPECT_EQ(parent.start_time_unix_nano, kT0Ns);
  EXPECT_EQ(parent.end_time_unix_nano, kT0Ns + 1000 * kMs);
  EXPECT_EQ(Attr(parent.attributes, "gen_ai.system"), "Str:openai");
  EXPECT_EQ(Attr(parent.attributes, "gen_ai.usage.input_tokens"), "Int:42");
  EXPECT_EQ(Attr(parent.attributes, "gen_ai.request.temperature"), "Double:0.25");
  EXPECT_EQ(Attr(parent.attributes, "gen_ai.response.finish_reasons"), R"(Slice:["stop","length"])");
  EXPECT_EQ(Attr(parent.attributes, "llm.is_streaming"), "Bool:false");
  ASSERT_EQ(parent.events.size(), 1u);
  EXPECT_EQ(parent.events[0].name, "gen_ai.content.prompt");
  EXPECT_EQ(parent.events[0].time_unix_nano, kT0Ns + 5 * kMs);
  EXPECT_EQ(Attr(parent.events[0].attributes, "gen_ai.prompt"), "Str:Say hello");
  EXPECT_EQ(child.name, "POST /v1/chat/completions");
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.parent_span_id, parent.span_id);
  EXPECT_EQ(child.status.code, pdata::SpanStatus::Code::kError);
  EXPECT_EQ(child.status.message, "upstream timeout");
  ASSERT_EQ(child.links.size(), 1u);
  EXPECT_EQ(child.links[0].span_id, parent.span_id);
  EXPECT_EQ(Attr(child.links[0].attributes, "link.kind"), "Str:follows");

  // Metrics: the last export holds the final cumulative values.
  auto find = [&](std::string_view name) -> const pdata::Metric* {
    const pdata::Metric* last = nullptr;
    for (const auto& m : metrics) {
      if (m.name == name) last = &m;
    }
    return last;
  };
  const pdata::Metric* tokens = find("gen_ai.client.token.usage.total");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->unit, "{token}");
  EXPECT_EQ(tokens->description, "tokens used");
  const auto& sum = std::get<pdata::Sum>(tokens->data);
  EXPECT_TRUE(sum.is_monotonic);
  EXPECT_EQ(sum.aggregation_temporality, pdata::AggregationTemporality::kCumulative);
  ASSERT_EQ(sum.data_points.size(), 2u);
  double input = 0, output = 0;
  for (const auto& p : sum.data_points) {
    (Attr(p.attributes, "gen_ai.token.type") == "Str:input" ? input : output) = p.AsDouble();
  }
  EXPECT_EQ(input, 42);
  EXPECT_EQ(output, 7);
  const pdata::Metric* duration = find("gen_ai.client.operation.duration");
  ASSERT_NE(duration, nullptr);
  const auto& histogram = std::get<pdata::Histogram>(duration->data);
  ASSERT_EQ(histogram.data_points.size(), 1u);
  EXPECT_EQ(histogram.data_points[0].count, 3u);
  EXPECT_DOUBLE_EQ(histogram.data_points[0].sum.value_or(-1), 3.0);
  EXPECT_EQ(histogram.data_points[0].min, 0.1);
  EXPECT_EQ(histogram.data_points[0].max, 2.5);
  uint64_t in_buckets = 0;
  for (uint64_t c : histogram.data_points[0].bucket_counts) in_buckets += c;
  EXPECT_EQ(in_buckets, 3u);
  EXPECT_EQ(histogram.data_points[0].bucket_counts.size(),
            histogram.data_points[0].explicit_bounds.size() + 1);
  const pdata::Metric* running = find("requests.running");
  ASSERT_NE(running, nullptr);
  const auto& updown = std::get<pdata::Sum>(running->data);
  EXPECT_FALSE(updown.is_monotonic);
  ASSERT_EQ(updown.data_points.size(), 1u);
  EXPECT_EQ(updown.data_points[0].AsDouble(), 2);

  // Logs, in time order (they may arrive in any order).
  ASSERT_EQ(logs.size(), 2u);
  std::vector<pdata::LogRecord> by_time = logs;
  std::sort(by_time.begin(), by_time.end(),
            [](const auto& a, const auto& b) { return a.time_unix_nano < b.time_unix_nano; });
  EXPECT_EQ(by_time[0].time_unix_nano, kT0Ns + 20 * kMs);
  EXPECT_EQ(by_time[0].severity_number, pdata::SeverityNumber::kWarn);
  EXPECT_EQ(by_time[0].severity_text, "WARN");
  EXPECT_EQ(pdata::AnyValueToString(by_time[0].body), "rate limited by upstream");
  EXPECT_EQ(Attr(by_time[0].attributes, "http.response.status_code"), "Int:429");
  EXPECT_EQ(Attr(by_time[0].attributes, "retry.after"), "Double:1.5");
  EXPECT_EQ(by_time[1].severity_number, pdata::SeverityNumber::kInfo);
  EXPECT_EQ(pdata::AnyValueToString(by_time[1].body), R"({"msg":"structured","n":3})");
}

TEST_F(JsExporters, ProtobufPayloadsDecodeToWhatWasSent) {
  Emitted emitted;
  Collect(Emit("proto", "application/x-protobuf"), emitted, this);
  ExpectWhatWasSent(emitted);
}

TEST_F(JsExporters, JsonPayloadsDecodeToWhatWasSent) {
  Emitted emitted;
  Collect(Emit("json", "application/json"), emitted, nullptr);
  ExpectWhatWasSent(emitted);
}

// The real clients through `astrolabe collector`: the otlp receiver takes what the JS SDK
// sends (protobuf, then JSON), the otlp_http exporter forwards it to the sink as gzip
// protobuf, and it still reads as what was sent.
TEST_F(JsExporters, ThroughTheCollectorsOtlpReceiver) {
  for (const std::string protocol : {"proto", "json"}) {
    SCOPED_TRACE(protocol);
    Sink sink;
    ASSERT_TRUE(sink.Start().ok());
    const int http_port = FreePort();
    const std::string config = WriteTempFile("otlp.yaml", R"(receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:)" + std::to_string(http_port) + R"(
      grpc:
        endpoint: 127.0.0.1:)" + std::to_string(FreePort()) + R"(
exporters:
  otlp_http:
    endpoint: )" + sink.url() + R"(
    sending_queue: {enabled: false}
extensions:
  health_check:
    endpoint: 127.0.0.1:)" + std::to_string(FreePort()) + R"(
service:
  extensions: [health_check]
  telemetry:
    metrics:
      address: 127.0.0.1:)" + std::to_string(FreePort()) + R"(
  pipelines:
    traces: {receivers: [otlp], exporters: [otlp_http]}
    metrics: {receivers: [otlp], exporters: [otlp_http]}
    logs: {receivers: [otlp], exporters: [otlp_http]}
)");
    Subprocess collector;
    ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
    bool up = false;
    for (int i = 0; i < 1200 && !up && collector.running(); ++i) {  // 30 s at most
      up = HttpGet(http_port, "/").status != 0;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(up) << collector.Stderr();
    RunResult run = RunProcess({"node", "js/otlp_emit.js", "http://127.0.0.1:" + std::to_string(http_port),
                                protocol}, seconds(60));
    ASSERT_EQ(run.exit_code, 0) << run.err << collector.Stderr();
    collector.Signal(SIGTERM);
    ASSERT_TRUE(collector.Wait(seconds(20)).has_value());
    Emitted emitted;
    Collect(sink.received(), emitted, nullptr);
    ExpectWhatWasSent(emitted);
  }
}

}  // namespace
}  // namespace astrolabe::e2e
