#pragma once
// Blocks: immutable on-disk pieces of the metrics store, each holding every series' samples of
// one time range [min_time, max_time) (docs/design/tsdb.md, "Blocks"):
//
//   <id>/meta.json       id, time range, stats, compaction level and sources (JSON)
//   <id>/index           symbols, series (label refs + chunk refs), postings, postings offset
//                        table, table of contents; CRC-32C per section
//   <id>/chunks/000001   chunk segments: the head's chunk encoding (tsdb/chunk.h), CRC per chunk
//
// WriteBlock() builds one from a SeriesSet (the head's samples of one range, or several
// blocks merged) in `<parent>/<id>.tmp`, fsyncs it and renames it to `<parent>/<id>`, so a
// block directory without `.tmp` is always complete. Block::Open() maps the files read-only
// (mmap: readers share the page cache, nothing is copied, and the kernel evicts cold blocks;
// sizes and section CRCs are checked at open so a well-formed mapping never reads past the
// end), and a block querier implements storage::Querier over it. Any damage — bad meta, bad
// CRC, truncated file, a reference out of bounds — is a DataLoss error naming the file and
// offset, never a crash. Chunk CRCs are checked when a query first reads the chunk.
//
// Thread-safe: a Block is immutable; queriers from many threads may share it (each querier
// holds a shared_ptr, so a block deleted by retention stays mapped until its last querier ends).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/storage.h"

namespace astrolabe::tsdb {

struct BlockStats {
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_samples = 0;
};

struct BlockMeta {
  std::string id;        // 26 characters, Crockford base32, sortable by creation time
  int64_t min_time = 0;  // inclusive
  int64_t max_time = 0;  // exclusive
  BlockStats stats;
  int level = 1;                     // 1 = cut from the head; n+1 = merged from level ≤ n
  std::vector<std::string> sources;  // ids of the level-1 blocks this one holds
  std::vector<std::string> parents;  // ids of the blocks merged into this one (empty at level 1)
};

// A new block id: 48-bit milliseconds since the epoch + 80 random bits, as 26 base32 letters.
std::string NewBlockId();
// True for a string NewBlockId() could have made.
bool IsBlockId(std::string_view s);

// meta.json text and its parser (strict: unknown versions and missing keys are errors naming
// the key).
std::string EncodeBlockMeta(const BlockMeta& meta);
Result<BlockMeta> DecodeBlockMeta(std::string_view json);

struct BlockWriteOptions {
  // Samples are re-encoded into chunks of at most this many samples / bytes. Longer chunks than
  // the head's amortise each chunk's header, first value and index entry.
  uint32_t samples_per_chunk = 480;
  uint32_t max_chunk_bytes = 4096;
  uint64_t segment_size = 512ull << 20;  // chunk segment files are cut at this size
};

// Writes the samples in [mint, maxt) of every series of `set` (which must be in label order
// with unique labels) as a block under `parent`. `meta` supplies level, sources and parents;
// id, times and stats are filled in. A series without samples in the range is left out.
// On error nothing but a `<id>.tmp` directory may be left (removed by the next Db::Open).
Result<BlockMeta> WriteBlock(const std::string& parent, storage::SeriesSet& set, int64_t mint,
                             int64_t maxt, BlockMeta meta, const BlockWriteOptions& options = {});

class Block {
 public:
  // Opens and validates `dir` (meta, index sections and CRCs, chunk file headers).
  static Result<std::shared_ptr<Block>> Open(const std::string& dir);
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  const BlockMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }
  // Bytes on disk (index + chunks + meta).
  uint64_t size_bytes() const { return size_bytes_; }

  // A querier over this block; it keeps the block alive.
  std::unique_ptr<storage::Querier> NewQuerier(const storage::QueryLimits& limits = {}) const;

  struct Impl;  // block.cc

 private:
  Block() = default;
  std::string dir_;
  BlockMeta meta_;
  uint64_t size_bytes_ = 0;
  std::shared_ptr<Impl> impl_;
};

}  // namespace astrolabe::tsdb
