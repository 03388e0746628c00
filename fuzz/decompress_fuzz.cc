// Fuzzes the bounded decompressors (src/wire/zstd.h, snappy.h, gzip.h's zlib): the first byte
// picks zstd, snappy block, snappy framed, upstream's snappy auto-detection or zlib; the rest is
// decompressed with a 1 MiB bound. Output past the bound, an error without a message, or a
// successful result that does not survive compress → decompress unchanged aborts.
// Seeds: fuzz/corpus/decompress/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/gzip.h"
#include "wire/snappy.h"
#include "wire/zstd.h"

namespace {

using namespace astrolabe::wire;
constexpr size_t kMax = 1 << 20;

void Check(const astrolabe::Result<std::string>& r) {
  if (!r.ok()) {
    if (r.status().message().empty()) std::abort();
    return;
  }
  if (r->size() > kMax) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto r = ZstdDecompress(bytes, kMax);
      Check(r);
      if (r.ok()) {
        std::string z;
        if (!ZstdCompress(*r, &z).ok()) std::abort();
        auto back = ZstdDecompress(z, kMax);
        if (!back.ok() || *back != *r) std::abort();
      }
      break;
    }
    case 1: {
      auto r = SnappyDecompress(bytes, kMax);
      Check(r);
      if (r.ok()) {
        std::string z;
        SnappyCompress(*r, &z);
        auto back = SnappyDecompress(z, kMax);
        if (!back.ok() || *back != *r) std::abort();
      }
      break;
    }
    case 2: {
      auto r = SnappyFramedDecompress(bytes, kMax);
      Check(r);
      if (r.ok()) {
        std::string z;
        SnappyFramedCompress(*r, &z);
        auto back = SnappyFramedDecompress(z, kMax);
        if (!back.ok() || *back != *r) std::abort();
      }
      break;
    }
    case 3:
      Check(SnappyDecompressAuto(bytes, kMax));
      break;
    default: {
      auto r = ZlibDecompress(bytes, kMax);
      Check(r);
      if (r.ok()) {
        std::string z;
        if (!ZlibCompress(*r, &z).ok()) std::abort();
        auto back = ZlibDecompress(z, kMax);
        if (!back.ok() || *back != *r) std::abort();
      }
      break;
    }
  }
  return 0;
}
