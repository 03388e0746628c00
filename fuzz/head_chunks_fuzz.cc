// libFuzzer target for the head chunk file reader (src/tsdb/head_chunks.h): the input is the
// bytes of a chunks_head segment file. Two checks per input:
//  1. ScanHeadChunks on the bytes: never reads outside them; every entry it accepts lies
//     inside them, and its chunk decodes to at most its count samples, in time order, within
//     [min_t, max_t] when the chunk is intact;
//  2. the whole open path: the input is written as chunks_head/000001, a Head loads it
//     (ChunkArena::Load: scan, cut at damage, attach by series chain), replays series records
//     for refs 1-4 and a few WAL samples, and a query reads every series back.
// Seed corpus: fuzz/corpus/head_chunks/ (real files written by the head; regenerate with
// ASTROLABE_HEAD_CHUNKS_SEEDS=<dir> build-asan/src/tsdb/tsdb_test --gtest_filter='*FuzzSeeds*').

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_dir.h"
#include "storage/storage.h"
#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/head_chunks.h"

namespace {

using namespace astrolabe;

const std::string& WorkDir() {
  return fuzz::ScratchDir("astrolabe-head-chunks-fuzz");  // every input writes a file
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  // 1. The scanner on the raw bytes.
  tsdb::HeadChunkScan scan = tsdb::ScanHeadChunks(data, size, [&](const tsdb::HeadChunkEntry& e) {
    if (e.data < data || e.data + e.size > data + size || e.max_t < e.min_t) std::abort();
    tsdb::ChunkIterator it(e.data, e.size, e.min_t);
    uint32_t n = 0;
    int64_t prev = storage::kMinTime;
    while (it.Next()) {
      if (++n > it.count()) std::abort();
      if (n > 1 && it.t() <= prev) break;  // corrupt but CRC-valid input: iteration must end
      prev = it.t();
    }
  });
  if (scan.end > size) std::abort();

  // 2. Load, attach, replay, query.
  const std::string dir = WorkDir() + "/chunks_head";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/000001", std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  tsdb::HeadOptions opts;
  opts.chunk_dir = dir;
  opts.out_of_order_window_ms = 60'000;
  tsdb::Head head(opts);
  if (!head.LoadChunks().ok()) return 0;
  for (uint64_t ref = 1; ref <= 4; ++ref) {
    (void)head.ReplaySeries(
        ref, storage::Labels::FromPairs({{"__name__", "m"}, {"ref", std::to_string(ref)}}));
  }
  const tsdb::SampleRecord samples[] = {{1, 0, 1}, {1, 10, 2},        {2, 1000, 3},
                                        {3, 5, 4}, {4, 1'000'000, 5}, {1, 20, 6}};
  head.ReplaySamples(samples);
  head.FinishReplay();
  auto q = head.NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  if (set.ok()) {
    while ((*set)->Next()) {
      auto it = (*set)->At().Iterator();
      uint64_t n = 0;
      while (it->Next() && ++n < 1'000'000) {
      }
    }
  }
  return 0;
}
