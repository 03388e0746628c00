// Fuzzes remote-write ingest end to end, without sockets: the input becomes one HTTP request
// (parsed by net/http_codec.h) that the prometheus_remote_write receiver's handler
// (RemoteWriteReceiver::Serve) answers, in front of the server's real `store` exporter and
// `store` extension (store_fuzz_harness.h) — snappy, 1.0/2.0 decoding, limits, translation to
// pdata, then the store's translation back to series, the tsdb append path and partial
// rejections (duplicate and out-of-order samples, bad names) together. remote_write_receiver_fuzz
// covers the receiver alone with a sink that can refuse; this one has the real store behind.
// Input layout: remote_write_request.h (as remote_write_receiver_fuzz, so seeds carry over;
// bit 3 is unused here).
// Checks: no crash or sanitizer report; the answer is one the receiver documents (204, 400,
// 413, 415, 503) and a failure has a body. Seeds: fuzz/corpus/remote_write_store/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/http_codec.h"
#include "net/http_server.h"
#include "receiver/prometheus_remote_write/receiver.h"
#include "remote_write_request.h"
#include "store_fuzz_harness.h"

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
  uint8_t flags = 0;
  net::internal::BufferParse parsed = fuzz::RemoteWriteRequest(data, size, &flags);
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
