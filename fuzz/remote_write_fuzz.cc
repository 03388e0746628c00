// Fuzzes the Prometheus remote-write codec (src/wire/remote_write.h). Arbitrary bytes are
// decoded as a 1.0 WriteRequest and as a 2.0 Request; where a decode succeeds the result is
// encoded, decoded and encoded again and the two encodings must be equal (the encoder is
// canonical and the decoder accepts all of it; bytes are compared because NaN != NaN). A 1.0
// request is also carried through the 2.0 encoding (symbols table) and back, and must come
// out as it went in. Inputs are also snappy-block-decompressed (bounded at 1 MiB), as the
// receiver does, and the result decoded the same way. Seeds: fuzz/corpus/remote_write/ (real
// vmagent 1.79 and Prometheus 2.42 requests, as received, and hand-built 1.0/2.0 requests).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace {

using namespace astrolabe::wire;

std::string V1(const prw::WriteRequest& r) {
  std::string out;
  prw::AppendWriteRequest(r, &out);
  return out;
}
std::string V2(const prw::WriteRequest& r) {
  std::string out;
  prw::AppendWriteRequestV2(r, &out);
  return out;
}

void DecodeAll(std::string_view bytes) {
  for (prw::Version v : {prw::Version::k1, prw::Version::k2}) {
    auto encode = v == prw::Version::k1 ? V1 : V2;
    auto first = prw::Decode(v, bytes);
    if (!first.ok()) {
      if (first.status().message().empty()) std::abort();
      continue;
    }
    std::string once = encode(*first);
    auto second = prw::Decode(v, once);
    if (!second.ok()) std::abort();  // the encoder wrote something the decoder rejects
    if (encode(*second) != once) std::abort();
    if (v == prw::Version::k1) {
      // 1.0 → 2.0 → 1.0 keeps every series (the family metadata list is 1.0-only).
      first->metadata.clear();
      std::string v2 = V2(*first);
      auto back = prw::DecodeWriteRequestV2(v2);
      if (!back.ok()) std::abort();
      if (V1(*back) != V1(*first)) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  DecodeAll(bytes);
  constexpr size_t kMax = 1 << 20;
  auto plain = SnappyDecompress(bytes, kMax);
  if (plain.ok()) {
    if (plain->size() > kMax) std::abort();
    DecodeAll(*plain);
  } else if (plain.status().message().empty()) {
    std::abort();
  }
  return 0;
}
