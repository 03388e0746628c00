// Fuzzes the OTLP/JSON codec (src/wire/otlp_json.h): arbitrary bytes are decoded as each of the
// five documents a receiver or exporter reads. Where a request decodes, the result p must
// survive both codecs unchanged:
//   - JSON: decode(encode_json(p)) succeeds and equals p;
//   - protobuf: decode(encode_proto(p)) succeeds and equals p.
// Equality is checked on the protobuf encoding, which is exact (it keeps every bit of every
// double, so NaN compares as itself) and canonical. Responses and google.rpc.Status are
// checked the same way with their operator==. Seeds: fuzz/corpus/otlp_json/; dictionary:
// fuzz/otlp_json.dict (fuzz/run passes it).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"

namespace {

using namespace astrolabe::wire;

template <typename DecodeJson, typename EncodeJson, typename DecodeProto, typename EncodeProto>
void CheckRequest(std::string_view bytes, DecodeJson decode_json, EncodeJson encode_json,
                  DecodeProto decode_proto, EncodeProto encode_proto) {
  auto first = decode_json(bytes, DecodeOptions{});
  if (!first.ok()) {
    if (first.status().message().empty()) std::abort();
    return;
  }
  std::string proto = encode_proto(*first);
  std::string json = encode_json(*first);
  auto via_json = decode_json(json, DecodeOptions{});
  if (!via_json.ok()) std::abort();  // the encoder wrote JSON the decoder rejects
  if (encode_proto(*via_json) != proto) std::abort();
  auto via_proto = decode_proto(proto, DecodeOptions{});
  if (!via_proto.ok()) std::abort();
  if (encode_proto(*via_proto) != proto) std::abort();
  if (encode_json(*via_proto) != json) std::abort();
}

template <typename T, typename Decode, typename Encode>
void CheckSmall(std::string_view bytes, Decode decode, Encode encode) {
  auto first = decode(bytes, DecodeOptions{});
  if (!first.ok()) {
    if (first.status().message().empty()) std::abort();
    return;
  }
  auto second = decode(encode(*first), DecodeOptions{});
  if (!second.ok() || !(*second == *first)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace astrolabe::pdata;
  CheckRequest(
      bytes, DecodeMetricsJson, [](const Metrics& m) { return EncodeMetricsJson(m); },
      DecodeMetricsRequest, [](const Metrics& m) { return EncodeMetricsRequest(m); });
  CheckRequest(
      bytes, DecodeTracesJson, [](const Traces& t) { return EncodeTracesJson(t); },
      [](std::string_view b, const DecodeOptions& o) { return DecodeTracesRequest(b, o); },
      [](const Traces& t) { return EncodeTracesRequest(t); });
  CheckRequest(
      bytes, DecodeLogsJson, [](const Logs& l) { return EncodeLogsJson(l); }, DecodeLogsRequest,
      [](const Logs& l) { return EncodeLogsRequest(l); });
  CheckSmall<ExportResponse>(bytes, DecodeExportResponseJson, [](const ExportResponse& r) {
    return EncodeExportResponseJson(r, OtlpSignal::kMetrics);
  });
  CheckSmall<RpcStatus>(bytes, DecodeRpcStatusJson, [](const RpcStatus& s) {
    // Details keep only their type (see otlp_json.h), which is what the decoder produced.
    return EncodeRpcStatusJson(s);
  });
  return 0;
}
