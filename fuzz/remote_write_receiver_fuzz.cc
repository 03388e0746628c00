// Fuzzes the prometheus_remote_write receiver's request handling end to end, without sockets:
// the input becomes one HTTP request (parsed by the HTTP server's own parser,
// net/http_codec.h) that RemoteWriteReceiver::Serve answers, with its content negotiation,
// snappy, decoding, limits, translation and pipeline hand-off. Input layout:
// remote_write_request.h; bit 3 of byte 1 makes the pipeline refuse (retryable).
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
#include "remote_write_request.h"

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
  uint8_t flags = 0;
  net::internal::BufferParse parsed = fuzz::RemoteWriteRequest(data, size, &flags);
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
