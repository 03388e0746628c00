// Fuzzes the store exporter's data path (src/exporter/store): arbitrary bytes decoded as an
// OTLP ExportMetricsServiceRequest (as the otlp receiver does), then written twice through
// one Writer into an in-memory tsdb Head — translation of hostile names, labels, bucket
// layouts, scales, temporalities and timestamps, and delta accumulation (the second write
// sees every delta series known). Any outcome but a crash, a sanitizer report or an error
// without a message is fine. Seeds: fuzz/corpus/store_translate/ (OTLP metric requests).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/store/writer.h"
#include "tsdb/head.h"
#include "wire/otlp_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace astrolabe;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto metrics = wire::DecodeMetricsRequest(bytes, wire::DecodeOptions{});
  if (!metrics.ok()) return 0;
  tsdb::Head head;
  exporter::store::Writer writer({});
  for (int i = 0; i < 2; ++i) {
    Status s = writer.Write(head, *metrics);
    if (!s.ok() && s.message().empty()) std::abort();
  }
  return 0;
}
