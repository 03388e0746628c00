#include "tsdb/symbols.h"

#include <bit>
#include <cstring>

namespace astrolabe::tsdb {
namespace {
constexpr size_t kBlockSize = 64 * 1024;
}

SymbolTable::SymbolTable() {
  for (auto& s : segments_) s.store(nullptr, std::memory_order_relaxed);
}

std::string_view SymbolTable::Store(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlockSize / 4) {
    // Large strings get their own block so that they do not waste the current one.
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(s.size()));
    std::memcpy(blocks_.back().get(), s.data(), s.size());
    arena_bytes_ += s.size();
    return {blocks_.back().get(), s.size()};
  }
  if (block_left_ < s.size()) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
    block_pos_ = blocks_.back().get();
    block_left_ = kBlockSize;
    arena_bytes_ += kBlockSize;
  }
  char* p = block_pos_;
  std::memcpy(p, s.data(), s.size());
  block_pos_ += s.size();
  block_left_ -= s.size();
  return {p, s.size()};
}

uint32_t SymbolTable::Intern(std::string_view s) {
  std::lock_guard lock(mu_);
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  uint32_t id = next_id_++;
  unsigned seg = SegmentOf(id);
  std::string_view* arr = segments_[seg].load(std::memory_order_relaxed);
  if (arr == nullptr) {
    owned_[seg] = std::make_unique<std::string_view[]>(SegmentSize(seg));
    arr = owned_[seg].get();
    segments_[seg].store(arr, std::memory_order_release);
  }
  std::string_view stored = Store(s);
  arr[id - SegmentStart(seg)] = stored;
  ids_.emplace(stored, id);
  return id;
}

std::optional<uint32_t> SymbolTable::Find(std::string_view s) const {
  std::lock_guard lock(mu_);
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  return std::nullopt;
}

size_t SymbolTable::size() const {
  std::lock_guard lock(mu_);
  return next_id_;
}

size_t SymbolTable::MemoryBytes() const {
  std::lock_guard lock(mu_);
  size_t seg_bytes = 0;
  for (unsigned s = 0; s < kMaxSegments; ++s) {
    if (segments_[s].load(std::memory_order_relaxed) != nullptr) {
      seg_bytes += SegmentSize(s) * sizeof(std::string_view);
    }
  }
  // unordered_map: a node (key + value + next + cached hash) plus a bucket pointer per entry.
  size_t index_bytes = ids_.size() * (sizeof(std::string_view) + 8 + 8 + 8 + 8);
  return arena_bytes_ + seg_bytes + index_bytes;
}

}  // namespace astrolabe::tsdb
