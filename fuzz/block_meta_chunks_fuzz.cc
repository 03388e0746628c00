// libFuzzer target for a block's meta.json parser and chunk segment reader (src/tsdb/block.cc,
// block_writer.cc): the input is a u16 (big endian) meta length, meta.json, then the chunk
// file chunks/000001; a real block's index sits beside them. The block is opened and every
// read path exercised (block_fuzz_util.h). Seed corpus: fuzz/corpus/block_meta_chunks/.

#include <cstddef>
#include <cstdint>

#include "block_fuzz_util.h"
#include "tsdb/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 256 * 1024) return 0;
  size_t meta_len = (size_t{data[0]} << 8) | data[1];
  if (meta_len > size - 2) return 0;
  // The parser on its own first.
  (void)astrolabe::tsdb::DecodeBlockMeta(
      std::string_view(reinterpret_cast<const char*>(data + 2), meta_len));
  const auto& real = block_fuzz::Real();
  block_fuzz::Spit(real.work + "/index", real.index.data(), real.index.size());
  block_fuzz::Spit(real.work + "/meta.json", data + 2, meta_len);
  block_fuzz::Spit(real.work + "/chunks/000001", data + 2 + meta_len, size - 2 - meta_len);
  block_fuzz::Exercise();
  return 0;
}
