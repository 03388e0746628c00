#pragma once
// Internal to src/spanstore: an append-only array for the span store's index (one entry per
// stored span or log, 96 bytes each, appended for as long as the server runs).
//
// Elements live in chunks of kPerChunk that never move: an append copies nothing already
// stored (unlike a vector) and allocates once per chunk (unlike std::deque, whose 512-byte
// nodes hold four entries: a malloc per four spans). Each chunk is its own 2 MiB-aligned
// anonymous mapping, and every chunk after a partition's first is advised for transparent huge
// pages (MADV_HUGEPAGE), so a large partition's index grows by one page fault per chunk rather
// than one per 4 KiB. In the dev VM a 4 KiB fault costs ~11 µs (bench/README.md): one per ~34
// spans was ~3 % of the server's span ingest CPU. The first chunk stays on small pages, so a
// small partition costs only the pages it touches (its mapping is a few MiB of address space).
//
// Thread-compatible. T must be trivially copyable and destructible: chunks are unmapped
// without running destructors.

#include <sys/mman.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace astrolabe::spanstore::internal {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// A mapping of `bytes` (a multiple of kHugePageBytes) zeroed bytes aligned to kHugePageBytes
// (huge pages need the alignment), advised for transparent huge pages when `huge`: map more,
// unmap what lies outside the aligned part. Throws std::bad_alloc when it cannot be mapped;
// ::munmap(p, bytes) releases it.
inline void* MapAligned(size_t bytes, bool huge) {
  void* raw = ::mmap(nullptr, bytes + kHugePageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(uintptr_t{kHugePageBytes} - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t tail = start + bytes + kHugePageBytes - (aligned + bytes);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
#ifdef MADV_HUGEPAGE
  // Advice only: without transparent huge pages the mapping simply faults in 4 KiB pages.
  if (huge) ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
#else
  (void)huge;
#endif
  return reinterpret_cast<void*>(aligned);
}

template <typename T>
class ChunkedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(sizeof(T) <= kHugePageBytes);

 public:
  // The mapping that holds n elements: whole huge pages.
  static constexpr size_t HugePagesFor(size_t n) {
    return (n * sizeof(T) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  }
  // Of the powers of two from what fills one huge page up to 8 times that, the one whose
  // chunk wastes the smallest share of its huge pages (the first on a tie). A 96-byte entry
  // fills one huge page only three quarters (16,384 of them), but 65,536 fill three exactly.
  static constexpr size_t PerChunk() {
    const size_t first = std::bit_floor(kHugePageBytes / sizeof(T));
    size_t best = first;
    for (size_t n = first; n <= 8 * first; n *= 2) {
      // Compare used/mapped shares without division: n/HugePagesFor(n) > best/HugePagesFor(best).
      if (n * HugePagesFor(best) > best * HugePagesFor(n)) best = n;
    }
    return best;
  }

  // Elements per chunk: a power of two, so that an index splits with a shift and a mask.
  static constexpr size_t kPerChunk = PerChunk();
  // A whole number of huge pages, since a huge page is cleared whole when first touched.
  static constexpr size_t kChunkBytes = HugePagesFor(kPerChunk);

  ChunkedArray() = default;
  ChunkedArray(ChunkedArray&& other) noexcept
      : chunks_(std::exchange(other.chunks_, {})), size_(std::exchange(other.size_, 0)) {}
  ChunkedArray& operator=(ChunkedArray&& other) noexcept {
    if (this != &other) {
      Release();
      chunks_ = std::exchange(other.chunks_, {});
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;
  ~ChunkedArray() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i / kPerChunk][i % kPerChunk]; }
  const T& operator[](size_t i) const { return chunks_[i / kPerChunk][i % kPerChunk]; }

  // Throws std::bad_alloc when a new chunk cannot be mapped.
  void push_back(const T& value) {
    if (size_ % kPerChunk == 0) {
      chunks_.reserve(chunks_.size() + 1);  // so that the push cannot throw and leak the chunk
      chunks_.push_back(MapChunk(/*huge=*/!chunks_.empty()));
    }
    new (&chunks_.back()[size_ % kPerChunk]) T(value);
    ++size_;
  }

  // Read-only iteration in order (entries are never changed once appended).
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    Iterator() = default;
    Iterator(const ChunkedArray* owner, size_t i) : owner_(owner), i_(i) {}
    const T& operator*() const { return (*owner_)[i_]; }
    const T* operator->() const { return &(*owner_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) { return Iterator(owner_, i_++); }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }

   private:
    const ChunkedArray* owner_ = nullptr;
    size_t i_ = 0;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size_}; }

 private:
  static T* MapChunk(bool huge) { return static_cast<T*>(MapAligned(kChunkBytes, huge)); }

  void Release() {
    for (T* chunk : chunks_) ::munmap(chunk, kChunkBytes);
    chunks_.clear();
    size_ = 0;
  }

  std::vector<T*> chunks_;
  size_t size_ = 0;
};

}  // namespace astrolabe::spanstore::internal
