#pragma once
// Internal to src/spanstore: one partition's rows by trace id, for SpanStore::GetTrace.
//
// An open-addressing table of trace ids (linear probing, at most half full) whose slots hold
// the first and the last row of their trace, and a link per row to the next row of its trace,
// so that appending a row is one probe and two stores. The store once kept one
// std::unordered_map<TraceId, std::vector<Ref>> for all partitions: a node and a vector's
// growth (three allocations) per trace, and at retention a lookup per dropped row. Here a
// partition's traces go with the partition.
//
// A row is its index in its kind's array (spans or logs) and its kind; inside, one uint32_t
// with kLogRow set for logs. Thread-compatible.

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <utility>

#include "pdata/common.h"
#include "spanstore/chunked_array.h"

namespace astrolabe::spanstore::internal {

class TraceIndex {
 public:
  // Appends row `index` of spans (or of logs) as the last row of `trace`. Returns false,
  // indexing nothing, for an index the tag cannot hold (2^31 - 1 rows of one kind in one
  // partition). REQUIRES: !trace.empty(), and each row is added once.
  bool Add(const pdata::TraceId& trace, size_t index, bool log) {
    if (index >= kLogRow - 1) return false;
    const uint32_t row = static_cast<uint32_t>(index) | (log ? kLogRow : 0);
    if (2 * (used_ + 1) > slots_.size()) Grow();
    Slot& slot = slots_[Probe(slots_, trace)];
    Link(row) = kNone;
    if (slot.first == kNone) {
      slot.id = trace;
      slot.first = row;
      ++used_;
    } else {
      Link(slot.last) = row;
    }
    slot.last = row;
    return true;
  }

  // Calls f(index, log) for each row of `trace`, in the order they were added.
  template <typename F>
  void ForEach(const pdata::TraceId& trace, F&& f) const {
    if (slots_.empty()) return;
    const Slot& slot = slots_[Probe(slots_, trace)];
    for (uint32_t row = slot.first; row != kNone; row = Link(row)) {
      f(static_cast<size_t>(row & ~kLogRow), (row & kLogRow) != 0);
    }
  }

  size_t traces() const { return used_; }

  // Asks for the slot where a probe for `trace` starts, so that an Add a few rows later does
  // not wait for it: on a table of millions of traces each new trace's slot is a cache miss,
  // most of what indexing a row costs. Only a hint; the table may grow before the Add.
  void Prefetch(const pdata::TraceId& trace) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Home(slots_.size(), trace)]);
  }

 private:
  static constexpr uint32_t kLogRow = 0x80000000u;
  static constexpr uint32_t kNone = 0xFFFFFFFFu;  // never a row: indexes stop below kLogRow - 1

  struct Slot {
    pdata::TraceId id;
    uint32_t first = kNone;  // kNone: the slot is free
    uint32_t last = kNone;
  };

  // A power of two of free slots in their own 2 MiB-aligned mapping (MapAligned), advised for
  // transparent huge pages from 2 MiB on, as ChunkedArray's chunks after the first are: a
  // table of millions of traces spans thousands of 4 KiB pages, so on small pages each new
  // trace's probe missed the TLB as well as the cache, and each doubling faulted its pages in
  // one by one (~16 µs each in the dev VM). A small table touches only the pages it uses.
  class Slots {
   public:
    Slots() = default;
    explicit Slots(size_t n)
        : size_(n), mapped_((n * sizeof(Slot) + kHugePageBytes - 1) & ~(kHugePageBytes - 1)) {
      data_ = static_cast<Slot*>(MapAligned(mapped_, /*huge=*/n * sizeof(Slot) >= kHugePageBytes));
      std::uninitialized_default_construct_n(data_, n);
    }
    Slots(Slots&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)),
          size_(std::exchange(o.size_, 0)),
          mapped_(std::exchange(o.mapped_, 0)) {}
    Slots& operator=(Slots&& o) noexcept {
      if (this != &o) {
        Release();
        data_ = std::exchange(o.data_, nullptr);
        size_ = std::exchange(o.size_, 0);
        mapped_ = std::exchange(o.mapped_, 0);
      }
      return *this;
    }
    ~Slots() { Release(); }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Slot& operator[](size_t i) { return data_[i]; }
    const Slot& operator[](size_t i) const { return data_[i]; }

   private:
    void Release() {
      if (data_ != nullptr) ::munmap(data_, mapped_);
      data_ = nullptr;
      size_ = mapped_ = 0;
    }
    Slot* data_ = nullptr;
    size_t size_ = 0;
    size_t mapped_ = 0;  // bytes mapped: the slots' size rounded up to kHugePageBytes
  };

  // The slot a probe for `trace` starts at in a table of `size` (a power of two) slots.
  static size_t Home(size_t size, const pdata::TraceId& trace) {
    // Both halves, mixed with a seed drawn per process: W3C asks only the right half to be
    // random, and ids a client makes up alike in one half still spread; which ids share a
    // slot differs from one process to the next.
    static const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    uint64_t lo, hi;
    std::memcpy(&lo, trace.bytes.data(), 8);
    std::memcpy(&hi, trace.bytes.data() + 8, 8);
    uint64_t h = ((hi ^ seed) * 0x9E3779B97F4A7C15ull) ^ (lo * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 29;
    return static_cast<size_t>(h * 0x9E3779B97F4A7C15ull >> 32) & (size - 1);
  }

  // Where `trace` is, or the free slot where it would go. REQUIRES: slots has a free slot.
  static size_t Probe(const Slots& slots, const pdata::TraceId& trace) {
    const size_t mask = slots.size() - 1;
    size_t i = Home(slots.size(), trace);
    while (slots[i].first != kNone && slots[i].id != trace) i = (i + 1) & mask;
    return i;
  }

  void Grow() {
    Slots bigger(slots_.empty() ? 1024 : 2 * slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      const Slot& s = slots_[i];
      if (s.first != kNone) bigger[Probe(bigger, s.id)] = s;
    }
    slots_ = std::move(bigger);
  }

  // The link from `row` to the next row of its trace; grows the links to reach it.
  uint32_t& Link(uint32_t row) {
    ChunkedArray<uint32_t>& links = (row & kLogRow) != 0 ? log_links_ : span_links_;
    const size_t i = row & ~kLogRow;
    while (links.size() <= i) links.push_back(kNone);
    return links[i];
  }
  uint32_t Link(uint32_t row) const {
    return ((row & kLogRow) != 0 ? log_links_ : span_links_)[row & ~kLogRow];
  }

  Slots slots_;  // a power of two long, or empty
  size_t used_ = 0;
  ChunkedArray<uint32_t> span_links_, log_links_;
};

}  // namespace astrolabe::spanstore::internal
