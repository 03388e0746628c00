#pragma once
// SymbolTable interns the label names and values of the head: each distinct string is stored
// once (in 64 KiB arena blocks) and named by a dense uint32 id, so a series holds its labels as
// 2 × 4 bytes per pair instead of two strings.
//
// Thread-safe. Intern() and Find() take a mutex; Lookup() is lock-free: ids live in a segmented
// array that never moves (segment k holds 256·2^k ids), published with release stores. A reader
// must have obtained the id through a happens-before edge (the head publishes ids under its
// series and postings locks). Strings are never freed while the table lives.

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace astrolabe::tsdb {

class SymbolTable {
 public:
  SymbolTable();
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  uint32_t Intern(std::string_view s);
  // The id of `s` if interned.
  std::optional<uint32_t> Find(std::string_view s) const;
  // REQUIRES: id came from Intern()/Find() of this table.
  std::string_view Lookup(uint32_t id) const {
    unsigned seg = SegmentOf(id);
    return segments_[seg].load(std::memory_order_acquire)[id - SegmentStart(seg)];
  }

  size_t size() const;
  // Bytes held: arena blocks, id segments and the hash index (estimated).
  size_t MemoryBytes() const;

 private:
  static constexpr unsigned kFirstShift = 8;
  static constexpr unsigned kMaxSegments = 25;
  static unsigned SegmentOf(uint32_t id) {
    return static_cast<unsigned>(std::bit_width((uint64_t{id} >> kFirstShift) + 1) - 1);
  }
  static uint64_t SegmentStart(unsigned seg) { return ((uint64_t{1} << seg) - 1) << kFirstShift; }
  static uint64_t SegmentSize(unsigned seg) { return uint64_t{1} << (seg + kFirstShift); }

  std::string_view Store(std::string_view s);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::unordered_map<std::string_view, uint32_t> ids_;       // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<char[]>> blocks_;              // GUARDED_BY(mu_)
  char* block_pos_ = nullptr;                                // GUARDED_BY(mu_)
  size_t block_left_ = 0;                                    // GUARDED_BY(mu_)
  size_t arena_bytes_ = 0;                                   // GUARDED_BY(mu_)
  uint32_t next_id_ = 0;                                     // GUARDED_BY(mu_)
  std::unique_ptr<std::string_view[]> owned_[kMaxSegments];  // GUARDED_BY(mu_)
  std::atomic<std::string_view*> segments_[kMaxSegments];    // read lock-free
};

}  // namespace astrolabe::tsdb
