// libFuzzer target for the span store's segment reader (src/spanstore/format.h): the bytes of a
// segment file as Open reads them after a crash or disk damage. Each input is scanned twice:
//  1. as given: the scan must end (clean, torn or corrupt), never crash, and every row it
//     reports must decode to a span or log (what GetTrace does) or fail with an error;
//  2. with every CRC recomputed, so that mutations get past the checksums into the block
//     decompressor and the row and record decoders.
// Invariants: valid_end never exceeds the input; a clean scan ends exactly at its size.
// Seed corpus: fuzz/corpus/spanstore_segment/ (segments written by the store).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spanstore/format.h"

using namespace astrolabe;
using namespace astrolabe::spanstore;

namespace {

void Scan(std::string_view bytes) {
  auto r = internal::ScanSegment(bytes, [](uint64_t, uint32_t, const internal::RowFields& row) {
    if (row.kind == internal::RowKind::kSpan) {
      StoredSpan s;
      (void)internal::DecodeStoredSpan(row, &s);
    } else {
      StoredLog l;
      (void)internal::DecodeStoredLog(row, &l);
    }
    return Status::Ok();
  });
  if (!r.ok()) std::abort();  // the callback never fails, so neither may the scan
  if (r->valid_end > bytes.size()) std::abort();
  if (r->end == internal::ScanResult::End::kClean && r->valid_end != bytes.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  Scan(bytes);
  internal::RepairChecksumsForFuzzing(&bytes);
  Scan(bytes);
  return 0;
}
