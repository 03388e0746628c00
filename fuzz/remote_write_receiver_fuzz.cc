// Fuzzes the prometheus_remote_write receiver's request handling end to end, without sockets:
// the input becomes one HTTP request (parsed by the HTTP server's own parser,
// net/http_codec.h) that RemoteWriteReceiver::Serve answers, with its content negotiation,
// snappy, decoding, limits, translation and pipeline hand-off. Input layout:
//   byte 0: Content-Type variant (none, 1.0, 1.0 with proto=, 2.0, json, unknown proto)
//   byte 1: bit 0-1 Content-Encoding (snappy, none, gzip, "SNAPPY "), bit 2 compress the
//           body with snappy here (so decoding is reached), bit 3 the pipeline refuses
//           (retryable), bit 4 a version header of 2.0.0, bit 5 a version header of 9.0
//   rest:   the body (protobuf before the optional snappy step)
// Checks: no crash or sanitizer report, the answer is one of the statuses the receiver
// documents, a 204 follows only a pipeline that accepted (or an empty write), and the
// pipeline never receives a metric without points. Seeds: fuzz/corpus/remote_write_receiver/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "component/telemetry.h"
#include "net/http_codec.h"
#include "pdata/metrics.h"
#include "receiver/prometheus_remote_write/receiver.h"
#include "wire/snappy.h"

namespace {

using namespace astrolabe;

class Sink : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    for (const auto& rm : batch->resource_metrics)
      for (const auto& sm : rm.scope_metrics)
        for (const auto& m : sm.metrics)
          if (m.DataPointCount() == 0) std::abort();
    ++calls;
    return refuse ? Unavailable("refused") : Status::Ok();
  }
  bool refuse = false;
  int calls = 0;
};

struct Harness {
  component::Telemetry telemetry;
  Sink sink;
  std::unique_ptr<receiver::prometheus_remote_write::RemoteWriteReceiver> receiver;
  Harness() {
    component::CreateSettings settings;
    settings.id = config::ComponentId{"prometheus_remote_write", ""};
    settings.telemetry = &telemetry;
    receiver::prometheus_remote_write::Config config;
    config.http.max_request_body_size = 1 << 20;
    config.max_series_per_request = 1000;
    config.max_labels_per_series = 32;
    config.max_label_value_length = 256;
    receiver = std::make_unique<receiver::prometheus_remote_write::RemoteWriteReceiver>(
        settings, config, component::ReceiverConsumers{&sink});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  if (size < 2) return 0;
  const uint8_t type = data[0] % 6, flags = data[1];
  std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  if (flags & 4) {
    std::string z;
    wire::SnappyCompress(body, &z);
    body = std::move(z);
  }
  static const char* kTypes[] = {nullptr,
                                 "application/x-protobuf",
                                 "application/x-protobuf;proto=prometheus.WriteRequest",
                                 "application/x-protobuf; proto=io.prometheus.write.v2.Request",
                                 "application/json",
                                 "application/x-protobuf;proto=foo"};
  static const char* kEncodings[] = {"snappy", nullptr, "gzip", "SNAPPY "};
  std::string req = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\n";
  if (kTypes[type]) req += std::string("Content-Type: ") + kTypes[type] + "\r\n";
  if (const char* e = kEncodings[flags & 3]) req += std::string("Content-Encoding: ") + e + "\r\n";
  if (flags & 16) req += "X-Prometheus-Remote-Write-Version: 2.0.0\r\n";
  if (flags & 32) req += "X-Prometheus-Remote-Write-Version: 9.0\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  net::internal::ParserLimits limits;
  limits.max_body_bytes = 4 << 20;
  net::internal::BufferParse parsed = net::internal::ParseRequestBuffer(req, limits);
  if (parsed.status != 0) std::abort();  // we built a valid request
  net::ServerRequest request(parsed.request.get(), "127.0.0.1:1");
  net::ServerResponse response;
  h->sink.refuse = flags & 8;
  const int calls_before = h->sink.calls;
  h->receiver->Serve(request, response);
  switch (response.status) {
    case 204:
      if (h->sink.refuse && h->sink.calls != calls_before) std::abort();
      break;
    case 400:
    case 413:
    case 415:
    case 503:
      if (response.body.empty()) std::abort();
      break;
    default:
      std::abort();
  }
  return 0;
}
