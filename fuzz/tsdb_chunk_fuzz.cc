// libFuzzer target for the chunk decoder (src/tsdb/chunk.h), which will read chunk bytes from
// block files. Two checks per input:
//  1. decode: the input's first 8 bytes are min_t, the rest chunk bytes; decoding must end
//     (at most the header's count samples), report corruption through error(), never crash;
//  2. round trip: the input read as (t delta, value bits) pairs is encoded and must decode to
//     exactly the same samples, bit for bit.
// Seed corpus: fuzz/corpus/tsdb_chunk/.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tsdb/chunk.h"

using astrolabe::tsdb::ChunkAppender;
using astrolabe::tsdb::ChunkIterator;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  if (size >= 8) {
    int64_t min_t;
    std::memcpy(&min_t, data, 8);
    ChunkIterator it(data + 8, size - 8, min_t);
    uint32_t n = 0;
    while (it.Next()) {
      ++n;
      if (n > it.count()) std::abort();
    }
    (void)it.Seek(min_t);
  }
  // Round trip.
  ChunkAppender app;
  std::vector<std::pair<int64_t, uint64_t>> in;
  int64_t t = 0;
  for (size_t off = 0; off + 10 <= size && in.size() < 2000; off += 10) {
    uint16_t dt;
    uint64_t vb;
    std::memcpy(&dt, data + off, 2);
    std::memcpy(&vb, data + off + 2, 8);
    // Make values integral often so that the integer path is exercised.
    if (vb & 1) vb = std::bit_cast<uint64_t>(static_cast<double>(static_cast<int32_t>(vb >> 16)));
    t += 1 + dt;
    double v;
    std::memcpy(&v, &vb, 8);
    app.Append(t, v);
    in.emplace_back(t, vb);
  }
  ChunkIterator it(app.data(), app.size(), in.empty() ? 0 : in[0].first);
  for (const auto& [et, evb] : in) {
    if (!it.Next()) std::abort();
    double v = it.v();
    uint64_t got;
    std::memcpy(&got, &v, 8);
    if (it.t() != et || got != evb) std::abort();
  }
  if (it.Next() || it.error()) std::abort();
  return 0;
}
