// libFuzzer target for the block index reader (src/tsdb/block.cc): the input is a block's
// `index` file, next to a real block's meta.json and chunk file; the block is opened and
// every read path exercised (block_fuzz_util.h). Damage must come back as DataLoss naming
// the file and offset. Seed corpus: fuzz/corpus/block_index/ (a real block's index).

#include <cstddef>
#include <cstdint>

#include "block_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  const auto& real = block_fuzz::Real();
  block_fuzz::Spit(real.work + "/meta.json", real.meta.data(), real.meta.size());
  block_fuzz::Spit(real.work + "/chunks/000001", real.chunks.data(), real.chunks.size());
  block_fuzz::Spit(real.work + "/index", data, size);
  block_fuzz::Exercise();
  return 0;
}
