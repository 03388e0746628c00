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

namespace astrolabe::tsdb {

// A full chunk: immutable once built; its bytes live in the head's ChunkArena and never move.
struct CompletedChunk {
  int64_t min_t = 0;
  int64_t max_t = 0;
  const uint8_t* data = nullptr;
  uint32_t size = 0;
};

// The bytes of completed chunks, bump-allocated in 64 KiB blocks instead of one malloc per
// chunk (which cost 16–31 bytes of header and rounding on ~110-byte chunks, and fragmented the
// heap as truncation freed them one by one). Chunks are cut as time passes, so a block holds
// chunks of neighbouring times: a block is released whole once every chunk in it ends before
// the truncation point (Head::Truncate hands it to the reclaimer, so readers finish first).
// Thread-safe (a mutex per Store: once per completed chunk).
class ChunkArena {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  // Copies the chunk in; the pointer stays valid until its block is released.
  const uint8_t* Store(const uint8_t* data, size_t size, int64_t max_t) {
    std::lock_guard lock(mu_);
    if (size > kBlockSize / 4) {
      // A large chunk gets a block of its own, kept before the block being filled.
      Block big{std::make_unique_for_overwrite<uint8_t[]>(size), size, size, max_t};
      std::memcpy(big.data.get(), data, size);
      const uint8_t* out = big.data.get();
      blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(big));
      bytes_ += size;
      return out;
    }
    if (blocks_.empty() || blocks_.back().used + size > blocks_.back().capacity) {
      blocks_.push_back(Block{std::make_unique_for_overwrite<uint8_t[]>(kBlockSize), kBlockSize,
                              0, storage::kMinTime});
      bytes_ += kBlockSize;
    }
    Block& b = blocks_.back();
    uint8_t* out = b.data.get() + b.used;
    std::memcpy(out, data, size);
    b.used += size;
    b.max_t = std::max(b.max_t, max_t);
    return out;
  }

  // Removes the blocks all of whose chunks end before `mint` and returns their memory (to be
  // freed once no reader can hold a pointer into it).
  std::vector<std::unique_ptr<uint8_t[]>> Release(int64_t mint) {
    std::vector<std::unique_ptr<uint8_t[]>> out;
    std::lock_guard lock(mu_);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->used > 0 && it->max_t < mint) {
        bytes_ -= it->capacity;
        out.push_back(std::move(it->data));
        it = blocks_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  // Bytes allocated for chunks.
  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  struct Block {
    std::unique_ptr<uint8_t[]> data;
    size_t capacity = 0;
    size_t used = 0;
    int64_t max_t = storage::kMinTime;  // newest sample of any chunk in it
  };
  mutable std::mutex mu_;
  std::vector<Block> blocks_;  // GUARDED_BY(mu_); the last one is filled
  size_t bytes_ = 0;           // GUARDED_BY(mu_)
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
  // Appenders holding this series in an uncommitted batch; Head::Truncate never removes a
  // series while this is non-zero. An appender increments it before locking mu and then
  // checks `deleted`, so the two cannot miss each other.
  std::atomic<uint32_t> pending{0};

  mutable std::mutex mu;
  // Guarded by mu:
  std::vector<CompletedChunk> chunks;                 // time order
  ChunkAppender head;                                 // head.count() == 0: no head chunk yet
  int64_t max_t = storage::kMinTime;                  // newest in-order sample
  std::unique_ptr<std::vector<storage::Sample>> ooo;  // sorted by t; null until needed
  bool deleted = false;  // removed from the head by Truncate (freed once no reader can see it)
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
  struct Newest {
    int64_t t = storage::kMinTime;
    double v = 0;
  };
  struct Slot {
    MemSeries* s = nullptr;
    Newest n;
  };
  std::vector<Pending> pending;
  std::vector<Slot> slots;     // open addressing, size a power of two, at most half full
  std::vector<uint32_t> used;  // occupied slot indexes
};

}  // namespace astrolabe::tsdb
