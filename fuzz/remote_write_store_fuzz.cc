// Fuzzes remote-write ingest end to end, without sockets: the input becomes one HTTP request
// (parsed by net/http_codec.h) that the prometheus_remote_write receiver's handler
// (RemoteWriteReceiver::Serve) answers, in front of the server's real `store` exporter and
// `store` extension (store_fuzz_harness.h) — snappy, 1.0/2.0 decoding, limits, translation to
// pdata, then the store's translation back to series, the tsdb append path and partial
// rejections (duplicate and out-of-order samples, bad names) together. remote_write_receiver_fuzz
// covers the receiver alone with a sink that can refuse; this one has the real store behind.
// Input layout (the same as remote_write_receiver_fuzz, so seeds carry over):
//   byte 0: Content-Type variant (none, 1.0, 1.0 with proto=, 2.0, json, unknown proto)
//   byte 1: bit 0-1 Content-Encoding (snappy, none, gzip, "SNAPPY "), bit 2 compress the
//           body with snappy here (so decoding is reached), bit 4 a version header of 2.0.0,
//           bit 5 a version header of 9.0 (bit 3 is unused here)
//   rest:   the body (protobuf before the optional snappy step)
// Checks: no crash or sanitizer report; the answer is one the receiver documents (204, 400,
// 413, 415, 503) and a failure has a body. Seeds: fuzz/corpus/remote_write_store/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/http_codec.h"
#include "net/http_server.h"
#include "receiver/prometheus_remote_write/receiver.h"
#include "store_fuzz_harness.h"
#include "wire/snappy.h"

namespace {

using namespace astrolabe;

struct Harness {
  fuzz::StoreHarness store;
  struct Forward : component::Consumer {
    fuzz::StoreHarness* store = nullptr;
    Status ConsumeMetrics(pdata::MetricsBatch b) override {
      return store->consumer().ConsumeMetrics(std::move(b));
    }
  } forward;
  std::unique_ptr<receiver::prometheus_remote_write::RemoteWriteReceiver> receiver;
  Harness() {
    forward.store = &store;
    component::CreateSettings settings;
    settings.id = config::ComponentId{"prometheus_remote_write", ""};
    settings.telemetry = &store.telemetry();
    receiver::prometheus_remote_write::Config config;
    config.http.max_request_body_size = 1 << 20;
    config.max_series_per_request = 1000;
    config.max_labels_per_series = 32;
    config.max_label_value_length = 256;
    receiver = std::make_unique<receiver::prometheus_remote_write::RemoteWriteReceiver>(
        settings, config, component::ReceiverConsumers{&forward});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  if (size < 2) return 0;
  h->store.Tick();
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
  h->receiver->Serve(request, response);
  switch (response.status) {
    case 204:
      break;
    case 400:
    case 413:
    case 415:
    case 503:
      if (response.body.empty()) std::abort();
      break;
    default:
      std::fprintf(stderr, "unexpected status %d\n", response.status);
      std::abort();
  }
  return 0;
}
