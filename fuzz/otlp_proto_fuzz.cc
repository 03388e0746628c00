// Fuzzes the OTLP protobuf codec (src/wire/otlp_proto.h): arbitrary bytes are decoded as each
// of the five messages a receiver or exporter reads, with and without UTF-8 validation. Where
// a decode succeeds the result is encoded, decoded and encoded again, and the two encodings
// must be equal: the encoder's output is canonical and the decoder accepts all of it. Bytes
// are compared rather than pdata, because NaN != NaN. Inputs that start with the gzip magic
// are also gunzipped (src/wire/gzip.h, bounded at 1 MiB) and the result decoded the same way,
// as a receiver does with Content-Encoding: gzip. Trace requests are also decoded into the
// spares (pdata/spares.h) of the inputs before, as the otlp receiver does, and must give the
// same status and the same encoding as a fresh decode. Seeds: fuzz/corpus/otlp_proto/.
//
// Build by hand (one command; the lead's fuzz/CMakeLists.txt builds it with ASTROLABE_FUZZ):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     fuzz/otlp_proto_fuzz.cc src/wire/proto_wire.cc src/wire/otlp_proto_decode.cc
//     src/wire/otlp_proto_encode.cc src/wire/gzip.cc src/pdata/common.cc src/pdata/metrics.cc
//     src/pdata/traces.cc src/pdata/logs.cc src/pdata/spares.cc src/common/status.cc -lz
//     -o otlp_proto_fuzz
//   ./otlp_proto_fuzz fuzz/corpus/otlp_proto

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/spares.h"
#include "pdata/traces.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"

namespace {

using namespace astrolabe::wire;

template <typename Decode, typename Encode>
void CheckStable(std::string_view bytes, const DecodeOptions& options, Decode decode,
                 Encode encode) {
  auto first = decode(bytes, options);
  if (!first.ok()) {
    if (first.status().message().empty()) std::abort();
    return;
  }
  std::string once = encode(*first);
  auto second = decode(once, options);
  if (!second.ok()) std::abort();  // the encoder wrote something the decoder rejects
  if (encode(*second) != once) std::abort();
}

// Decodes `bytes` into the spares of every input before (they live as long as the process)
// and compares with a fresh decode.
void CheckReuse(std::string_view bytes, const DecodeOptions& options) {
  static astrolabe::pdata::TracesSpares spares;
  static astrolabe::pdata::Traces reused;
  spares.Harvest(reused);
  if (!reused.empty()) std::abort();
  astrolabe::Status s = DecodeTracesRequest(bytes, &reused, &spares, options);
  auto fresh = DecodeTracesRequest(bytes, options);
  if (s.ok() != fresh.ok()) std::abort();
  if (!s.ok()) {
    if (s.message() != fresh.status().message()) std::abort();
    return;
  }
  if (EncodeTracesRequest(reused) != EncodeTracesRequest(*fresh)) std::abort();
}

void DecodeAll(std::string_view bytes) {
  for (bool utf8 : {false, true}) {
    DecodeOptions options{.max_depth = 100, .validate_utf8 = utf8};
    CheckStable(bytes, options, DecodeMetricsRequest,
                [](const astrolabe::pdata::Metrics& m) { return EncodeMetricsRequest(m); });
    CheckStable(
        bytes, options,
        [](std::string_view b, const DecodeOptions& o) { return DecodeTracesRequest(b, o); },
        [](const astrolabe::pdata::Traces& t) { return EncodeTracesRequest(t); });
    CheckReuse(bytes, options);
    CheckStable(bytes, options, DecodeLogsRequest,
                [](const astrolabe::pdata::Logs& l) { return EncodeLogsRequest(l); });
    CheckStable(bytes, options, DecodeExportResponse, EncodeExportResponse);
    CheckStable(bytes, options, DecodeRpcStatus, EncodeRpcStatus);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  DecodeAll(bytes);
  if (bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b') {
    constexpr size_t kMax = 1 << 20;
    auto plain = GzipDecompress(bytes, kMax);
    if (plain.ok()) {
      if (plain->size() > kMax) std::abort();
      DecodeAll(*plain);
    } else if (plain.status().message().empty()) {
      std::abort();
    }
  }
  return 0;
}
