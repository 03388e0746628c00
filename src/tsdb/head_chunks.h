#pragma once
// Where the head's completed chunks live. Internal to src/tsdb (head*.cc, db.cc, the fuzz
// target).
//
// A completed chunk never changes, so its bytes need not stay on the heap: with a directory
// (Db uses <dir>/chunks_head), ChunkArena appends each one to an append-only segment file
// mapped into memory, and the series keeps only the chunk's times, size and mapped address
// (its (file, offset) on disk). The kernel writes the pages back and may evict them; they are
// page cache, not anonymous memory. Without a directory (a Head on its own: tests, benches)
// the bytes go to 64 KiB heap blocks, as before.
//
// Segment file (docs/design/tsdb.md, "Head chunk files"):
//   header  "ALHC" | version 1 | 3 zero bytes
//   entry   uvarint series ref (≥ 1) | varint min_t | uvarint max_t − min_t
//           | uvarint min_t − previous chunk's max_t (0: no previous chunk in the head)
//           | encoding (1 B) | uvarint data length | data
//           | CRC-32C of everything before it in the entry (4 B BE)
//   end     a zero byte (the preallocated tail is zeros) or the end of the file
//
// The WAL stays the source of truth: these files are never fsynced. At open, ChunkArena::Load
// checks every entry's bounds and CRC; at the first damaged one the file is cut there and every
// later file deleted (one log line), so each series keeps a time prefix of its chunks and WAL
// replay rebuilds the rest. Nothing damaged is ever handed to a reader.
//
// Segments are released whole: Release(mint) takes every segment whose chunks all end before
// mint (Head::Truncate frees them once no reader is older); Cut() starts a new file, so the
// next truncation can release the current one. Thread-safe (one mutex, taken once per chunk).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/storage.h"

namespace astrolabe::tsdb {

// One chunk as ScanHeadChunks finds it in a segment file.
struct HeadChunkEntry {
  uint64_t ref = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  // max_t of the series' previous chunk when this one was cut (kMinTime: none in the head).
  // Load uses it to accept only an unbroken chain of chunks per series.
  int64_t prev_max_t = storage::kMinTime;
  const uint8_t* data = nullptr;  // the chunk.h bytes, inside the scanned buffer
  uint32_t size = 0;
  size_t offset = 0;  // of the entry in the file
};

inline constexpr size_t kHeadChunkFileHeaderSize = 8;

struct HeadChunkScan {
  size_t end = 0;     // offset after the last valid entry (where the next one would go)
  std::string error;  // empty: stopped at the end marker or the end of the file
};

// Parses a segment file's bytes (header included), calling fn for every valid entry in order,
// and stops at the end marker, the end of the bytes, or the first damaged entry (bad header,
// truncated entry, impossible field, CRC mismatch: `error` says which, with the offset).
// Never reads outside [data, data + size).
HeadChunkScan ScanHeadChunks(const uint8_t* data, size_t size,
                             const std::function<void(const HeadChunkEntry&)>& fn);

// Appends one entry for `chunk` to *out (used by ChunkArena and the fuzz target's seeds).
void EncodeHeadChunkEntry(uint64_t ref, int64_t min_t, int64_t max_t, int64_t prev_max_t,
                          const uint8_t* data, uint32_t size, std::string* out);

// A block of chunk bytes: heap memory or a mapped segment file. Frees (unmaps) itself when
// destroyed, and deletes its file too once Release() has handed it out (delete_file_).
class ArenaSegment {
 public:
  ArenaSegment() = default;
  ~ArenaSegment();
  ArenaSegment(const ArenaSegment&) = delete;
  ArenaSegment& operator=(const ArenaSegment&) = delete;

  std::unique_ptr<uint8_t[]> heap_;
  uint8_t* base_ = nullptr;
  size_t mapped_ = 0;     // capacity of the block or length of the mapping
  size_t used_ = 0;       // bytes written (header included for files)
  size_t allocated_ = 0;  // file bytes reserved with fallocate
  size_t dropped_ = 0;    // file pages before this were dropped from our mapping (DONTNEED)
  int64_t max_t_ = storage::kMinTime;
  bool has_chunks_ = false;
  int fd_ = -1;       // open while the file is appended to
  std::string path_;  // empty for heap blocks
  bool delete_file_ = false;
};

struct ArenaStats {
  size_t heap_bytes = 0;        // heap blocks' capacity
  size_t file_bytes = 0;        // bytes written to segment files still held
  size_t files = 0;             // segment files held
  uint64_t heap_fallbacks = 0;  // chunks stored on the heap because a file could not be used
};

struct ArenaLoadStats {
  uint64_t files = 0;
  uint64_t chunks = 0;
  uint64_t files_deleted = 0;  // all of their chunks older than min_valid_time, or after damage
  uint64_t damaged = 0;        // files found damaged (cut at the damage)
};

class ChunkArena {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;    // heap blocks
  static constexpr size_t kSegmentSize = 128 << 20;  // a file is cut at this size
  static constexpr size_t kAllocateStep = 1 << 20;   // files grow (fallocate) by this

  // `dir` empty: heap blocks only. Otherwise segment files in `dir` (created when missing).
  explicit ChunkArena(std::string dir = {}, size_t segment_size = kSegmentSize);
  ~ChunkArena();
  ChunkArena(const ChunkArena&) = delete;
  ChunkArena& operator=(const ChunkArena&) = delete;

  bool file_backed() const { return !dir_.empty(); }

  // Maps the segment files already in the directory and calls fn for every valid chunk whose
  // max_t >= min_valid_time (the rest is covered by blocks); files holding only older chunks
  // are deleted, damage is cut off as described above. The chunk pointers stay valid until
  // their segment is released. REQUIRES: before the first Store.
  Result<ArenaLoadStats> Load(int64_t min_valid_time,
                              const std::function<void(const HeadChunkEntry&)>& fn);

  // Copies a completed chunk of series `ref` in; returns where its bytes now live (valid until
  // its segment is released). Falls back to a heap block when the file cannot take it.
  // `prev_max_t`: the series' previous chunk's max_t (kMinTime when it has none).
  // REQUIRES: prev_max_t < min_t <= max_t.
  const uint8_t* Store(uint64_t ref, const uint8_t* data, uint32_t size, int64_t min_t,
                       int64_t max_t, int64_t prev_max_t = storage::kMinTime);

  // Removes the segments all of whose chunks end before `mint` and returns them (destroy them
  // once no reader can hold a pointer into them; a file is deleted then).
  std::vector<std::unique_ptr<ArenaSegment>> Release(int64_t mint);

  // The next Store starts a new segment file.
  void Cut();

  ArenaStats stats() const;
  // Heap bytes allocated for chunks.
  size_t bytes() const { return stats().heap_bytes; }

 private:
  Status OpenNewFileLocked();
  void CutLocked();
  const uint8_t* StoreHeapLocked(const uint8_t* data, uint32_t size, int64_t max_t);

  const std::string dir_;
  const size_t segment_size_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<ArenaSegment>> segments_;  // GUARDED_BY(mu_), oldest first
  ArenaSegment* heap_open_ = nullptr;                    // heap block being filled; GUARDED_BY(mu_)
  ArenaSegment* file_open_ = nullptr;                    // file being appended to; GUARDED_BY(mu_)
  uint32_t next_seq_ = 1;                                // GUARDED_BY(mu_)
  uint64_t heap_fallbacks_ = 0;                          // GUARDED_BY(mu_)
  bool warned_ = false;                                  // GUARDED_BY(mu_)
};

}  // namespace astrolabe::tsdb
