#pragma once
// Internal to src/expfmt: an open-addressing hash map from 64-bit keys (already hashed) to a
// 32-bit value, cleared in O(1) by bumping a generation number so that clearing per family or
// per scrape never costs O(capacity). Keeps its capacity across Clear(). Not thread-safe.

#include <cstdint>
#include <vector>

namespace astrolabe::expfmt::internal {

class FlatMap64 {
 public:
  // Forgets every key; O(1) except once every 2^32 calls.
  void Clear() {
    size_ = 0;
    if (++generation_ == 0) {
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
  }

  size_t size() const { return size_; }

  // Inserts key -> value. Returns false (and leaves the map unchanged) if the key is present.
  bool Insert(uint64_t key, uint32_t value = 0) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = Index(key, mask);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.generation != generation_) {
        s = Slot{key, generation_, value};
        ++size_;
        return true;
      }
      if (s.key == key) return false;
    }
  }

  // The value stored for `key`, or nullptr.
  const uint32_t* Find(uint64_t key) const {
    if (size_ == 0) return nullptr;
    size_t mask = slots_.size() - 1;
    for (size_t i = Index(key, mask);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.generation != generation_) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

  bool Contains(uint64_t key) const { return Find(key) != nullptr; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t generation = 0;
    uint32_t value = 0;
  };

  static size_t Index(uint64_t key, size_t mask) {
    return static_cast<size_t>((key ^ (key >> 31)) * 0x9E3779B97F4A7C15ull >> 20) & mask;
  }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    uint32_t live = generation_;
    generation_ = 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.generation == live) Insert(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  uint32_t generation_ = 1;
};

}  // namespace astrolabe::expfmt::internal
