#pragma once
// Shared by block_index_fuzz.cc and block_meta_chunks_fuzz.cc: a real block, built once per
// process from a small deterministic head, whose files the targets replace with fuzz input;
// and the reads every opened block must survive (select everything and by matchers, seek, label
// names and values), which must end in an error or in data, never in a crash.
//
// BLOCK_FUZZ_WRITE_SEEDS=<dir>: also copy the real files there (how the seed corpora were made).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/matcher.h"
#include "tsdb/block.h"
#include "tsdb/head.h"

namespace block_fuzz {

namespace fs = std::filesystem;
using namespace astrolabe;

struct RealBlock {
  std::string dir;  // the pristine block
  std::string index, meta, chunks;
  std::string work;  // where inputs are assembled
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void Spit(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

inline const RealBlock& Real() {
  // Never destroyed: the atexit cleanup below still reads it.
  static const RealBlock* real = [] {
    auto* rp = new RealBlock();
    RealBlock& r = *rp;
    std::string base =
        (fs::exists("/dev/shm") ? std::string("/dev/shm") : fs::temp_directory_path().string()) +
        "/astrolabe-blockfuzz-" + std::to_string(getpid());
    fs::remove_all(base);
    fs::create_directories(base);
    tsdb::Head head;
    auto app = head.NewAppender();
    for (int i = 0; i < 12; ++i) {
      storage::Labels l =
          storage::Labels::FromPairs({{"__name__", i % 2 ? "requests_total" : "kv_cache_usage"},
                                      {"model", "m" + std::to_string(i % 3)},
                                      {"pod", "p" + std::to_string(i)}});
      for (int64_t t = 0; t < 40 * 15'000; t += 15'000) {
        (void)app->Append(l, t, i % 2 ? double(t / 1000 * (i + 1)) : 0.25 * double(t % 7 + i));
      }
    }
    (void)app->Commit();
    auto q = head.NewQuerier();
    auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
    tsdb::BlockMeta meta;
    auto written = tsdb::WriteBlock(base, **set, 0, 40 * 15'000, meta, {.samples_per_chunk = 16});
    if (!written.ok()) std::abort();
    r.dir = base + "/" + written->id;
    r.index = Slurp(r.dir + "/index");
    r.meta = Slurp(r.dir + "/meta.json");
    r.chunks = Slurp(r.dir + "/chunks/000001");
    r.work = base + "/work";
    fs::create_directories(r.work + "/chunks");
    if (const char* seeds = std::getenv("BLOCK_FUZZ_WRITE_SEEDS")) {
      fs::create_directories(seeds);
      Spit(std::string(seeds) + "/index", r.index.data(), r.index.size());
      std::string mc;  // the meta+chunks target's format: u16 meta length, meta, chunk file
      mc.push_back(static_cast<char>(r.meta.size() >> 8));
      mc.push_back(static_cast<char>(r.meta.size()));
      mc += r.meta + r.chunks;
      Spit(std::string(seeds) + "/meta_chunks", mc.data(), mc.size());
    }
    std::atexit([] { fs::remove_all(fs::path(Real().work).parent_path()); });
    return rp;
  }();
  return *real;
}

// Opens the work block and reads everything reachable. Aborts only on a broken promise:
// an error status must be DataLoss (or ResourceExhausted for the limit).
inline void Exercise() {
  auto block = tsdb::Block::Open(Real().work);
  if (!block.ok()) {
    if (block.status().code() != StatusCode::kDataLoss &&
        block.status().code() != StatusCode::kNotFound) {
      std::abort();
    }
    return;
  }
  auto q = (*block)->NewQuerier({.max_series = 1000, .max_samples = 100000});
  std::vector<std::vector<storage::Matcher>> cases = {
      {},
      {storage::Matcher::MustMake(storage::MatchType::kEqual, "model", "m1")},
      {storage::Matcher::MustMake(storage::MatchType::kRegexMatch, "pod", "p1.*"),
       storage::Matcher::MustMake(storage::MatchType::kNotEqual, "__name__", "requests_total")},
  };
  for (const auto& m : cases) {
    auto set = q->Select(m, storage::kMinTime, storage::kMaxTime);
    if (set.ok()) {
      while ((*set)->Next()) {
        auto it = (*set)->At().Iterator();
        while (it->Next()) {
        }
        auto again = (*set)->At().Iterator();
        (void)again->Seek(300'000);
      }
    }
    (void)q->LabelNames(m, 0, 100'000);
    (void)q->LabelNames(m, storage::kMinTime, storage::kMaxTime);
    (void)q->LabelValues("pod", m, storage::kMinTime, storage::kMaxTime);
    (void)q->LabelValues("model", m, 100'000, 200'000);
  }
}

}  // namespace block_fuzz
