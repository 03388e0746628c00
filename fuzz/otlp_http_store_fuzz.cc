// Fuzzes OTLP/HTTP ingest end to end, without sockets: the input becomes one HTTP request
// (parsed by the HTTP server's own parser, net/http_codec.h) that the otlp receiver's handler
// (OtlpReceiver::ServeHttp) answers, in front of the server's real `store` exporter and
// `store` extension (store_fuzz_harness.h) — content negotiation, decompression with its
// limits, protobuf/JSON decoding, translation to series, delta accumulation, the tsdb's and
// the span store's append paths, partial success, all together. Input layout:
//   byte 0: bits 0-1 signal (metrics, traces, logs, metrics); bits 2-4 Content-Type variant
//           (protobuf, JSON, protobuf with parameters, upper-case JSON, none, text/plain,
//           application/grpc, empty)
//   byte 1: bits 0-2 Content-Encoding (none, gzip, zstd, snappy, deflate, identity, " GZIP",
//           br); bit 3 compress the body here as the header says (so decompression succeeds
//           and decoding is reached)
//   rest:   the body
// Checks: no crash or sanitizer report; the answer is one the receiver documents (200, 400,
// 413, 415, 503); a failure has a body, 503 has Retry-After; a 200 answers in the request's
// encoding (an empty protobuf response or a JSON object). Seeds: fuzz/corpus/otlp_http_store/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http_codec.h"
#include "net/http_server.h"
#include "receiver/otlp/otlp_receiver.h"
#include "store_fuzz_harness.h"
#include "wire/gzip.h"
#include "wire/snappy.h"
#include "wire/zstd.h"

namespace {

using namespace astrolabe;

struct Harness {
  fuzz::StoreHarness store;
  // Hands each signal to the harness's current exporter (it is replaced at each renewal).
  struct Forward : component::Consumer {
    fuzz::StoreHarness* store = nullptr;
    Status ConsumeMetrics(pdata::MetricsBatch b) override {
      return store->consumer().ConsumeMetrics(std::move(b));
    }
    Status ConsumeTraces(pdata::TracesBatch b) override {
      return store->consumer().ConsumeTraces(std::move(b));
    }
    Status ConsumeLogs(pdata::LogsBatch b) override {
      return store->consumer().ConsumeLogs(std::move(b));
    }
  } forward;
  std::unique_ptr<receiver::otlp::OtlpReceiver> receiver;
  Harness() {
    forward.store = &store;
    component::CreateSettings settings;
    settings.id = config::ComponentId{"otlp", ""};
    settings.telemetry = &store.telemetry();
    receiver::otlp::Config config;
    config.protocols.http.emplace();
    config.protocols.http->max_request_body_size = 1 << 20;
    receiver = std::make_unique<receiver::otlp::OtlpReceiver>(
        settings, config, component::ReceiverConsumers{&forward, &forward, &forward});
  }
};

bool Compress(std::string_view encoding, std::string* body) {
  std::string z;
  if (encoding == "gzip") {
    if (!wire::GzipCompress(*body, &z).ok()) return false;
  } else if (encoding == "zstd") {
    if (!wire::ZstdCompress(*body, &z).ok()) return false;
  } else if (encoding == "snappy") {
    wire::SnappyCompress(*body, &z);
  } else if (encoding == "deflate") {
    if (!wire::ZlibCompress(*body, &z).ok()) return false;
  } else {
    return true;
  }
  *body = std::move(z);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  if (size < 2) return 0;
  h->store.Tick();
  static const component::Signal kSignals[] = {component::Signal::kMetrics,
                                               component::Signal::kTraces, component::Signal::kLogs,
                                               component::Signal::kMetrics};
  static const char* kPaths[] = {"/v1/metrics", "/v1/traces", "/v1/logs", "/v1/metrics"};
  static const char* kTypes[] = {"application/x-protobuf",
                                 "application/json",
                                 "application/x-protobuf; charset=utf-8; proto=x",
                                 "Application/JSON",
                                 nullptr,
                                 "text/plain",
                                 "application/grpc",
                                 ""};
  static const char* kEncodings[] = {nullptr,   "gzip",     "zstd",  "snappy",
                                     "deflate", "identity", " GZIP", "br"};
  const uint8_t head = data[0], flags = data[1];
  const int signal = head & 3;
  const char* type = kTypes[(head >> 2) & 7];
  const char* encoding = kEncodings[flags & 7];
  std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  if ((flags & 8) && encoding != nullptr && !Compress(encoding, &body)) return 0;

  std::string req = std::string("POST ") + kPaths[signal] + " HTTP/1.1\r\nHost: x\r\n";
  if (type) req += std::string("Content-Type: ") + type + "\r\n";
  if (encoding) req += std::string("Content-Encoding: ") + encoding + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  net::internal::ParserLimits limits;
  limits.max_body_bytes = 8 << 20;
  net::internal::BufferParse parsed = net::internal::ParseRequestBuffer(req, limits);
  if (parsed.status != 0) std::abort();  // we built a valid request
  net::ServerRequest request(parsed.request.get(), "127.0.0.1:1");
  net::ServerResponse response;
  h->receiver->ServeHttp(kSignals[signal], request, response);
  switch (response.status) {
    case 200: {
      const std::string ct(response.headers.Get("Content-Type").value_or(""));
      if (ct == "application/json") {
        if (response.body.empty() || response.body.front() != '{') std::abort();
      } else if (ct != "application/x-protobuf") {
        std::abort();
      }
      break;
    }
    case 503:
      if (!response.headers.Get("Retry-After")) std::abort();
      [[fallthrough]];
    case 400:
    case 413:
    case 415:
      if (response.body.empty()) std::abort();
      break;
    default:
      std::fprintf(stderr, "unexpected status %d\n", response.status);
      std::abort();
  }
  return 0;
}
