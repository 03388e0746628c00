#pragma once
// MemSeries: one series in the head. Internal to src/tsdb (head*.cc).

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "storage/storage.h"
#include "tsdb/chunk.h"
#include "tsdb/head_chunks.h"
#include "tsdb/series_mutex.h"

namespace astrolabe::tsdb {

// A full chunk: immutable once built; its bytes live in the head's ChunkArena (a mapped
// segment file, or a heap block) and never move. 24 bytes: the span is at most 2^32 - 1 ms
// (ApplyLocked cuts a chunk before it would be longer).
struct CompletedChunk {
  int64_t min_t = 0;
  const uint8_t* data = nullptr;
  uint32_t span = 0;  // max_t - min_t
  uint32_t size = 0;
  int64_t max_t() const { return min_t + span; }
};

class MemSeries {
 public:
  MemSeries(uint64_t ref, uint64_t hash, std::span<const uint32_t> pairs)
      : ref(ref), hash(hash), num_syms(static_cast<uint32_t>(pairs.size())) {
    syms = std::make_unique_for_overwrite<uint32_t[]>(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) syms[i] = pairs[i];
  }

  std::span<const uint32_t> label_syms() const { return {syms.get(), num_syms}; }

  const uint64_t ref;
  const uint64_t hash;
  MemSeries* hash_next = nullptr;    // collision chain; guarded by the hash stripe's mutex
  std::unique_ptr<uint32_t[]> syms;  // name0, value0, name1, ... symbol ids, label order
  const uint32_t num_syms;
  std::atomic<bool> logged{false};  // a Series record reached the commit log
  bool deleted = false;  // guarded by mu: removed from the head by Truncate (freed once no
                         // reader can see it)
  // Appenders holding this series in an uncommitted batch; Head::Truncate never removes a
  // series while this is non-zero. An appender increments it before locking mu and then
  // checks `deleted`, so the two cannot miss each other.
  std::atomic<uint32_t> pending{0};
  mutable SeriesMutex mu;  // 4 bytes (std::mutex: 40)

  // Guarded by mu:
  std::vector<CompletedChunk> chunks;                 // time order
  ChunkAppender head;                                 // head.count() == 0: no head chunk yet
  int64_t max_t = storage::kMinTime;                  // newest in-order sample
  std::unique_ptr<std::vector<storage::Sample>> ooo;  // sorted by t; null until needed
};

// An appender's working memory (head_append.cc), kept by the head between appenders so that
// a request of 20,000 series does not allocate, zero and page-fault a fresh megabyte of tables
// for every batch. Empty (every slot null) whenever it is not in use.
struct AppendBuffers {
  struct Pending {
    MemSeries* s;
    int64_t t;
    double v;
  };
  static constexpr uint32_t kNoPending = UINT32_MAX;
  // 16 bytes: the series' newest pending sample is found through its index in `pending`.
  struct Slot {
    MemSeries* s = nullptr;
    uint32_t newest = kNoPending;  // index in pending of this batch's newest sample of s
  };
  std::vector<Pending> pending;
  std::vector<Slot> slots;     // open addressing, size a power of two, at most half full
  std::vector<uint32_t> used;  // occupied slot indexes
};

}  // namespace astrolabe::tsdb
