#pragma once
// The span store's in-memory index entry and the cursor encoding (internal to src/spanstore;
// tests use them).

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "pdata/common.h"
#include "spanstore/format.h"

namespace astrolabe::spanstore::internal {

// One stored row, as the index keeps it: 96 bytes, a multiple of 32 so that 65,536 of them
// fill three huge pages exactly (ChunkedArray). Strings are symbol ids; the four GenAI strings,
// which repeat together, are one id of a tuple of them (SpanStore::Impl::genai_tuples).
struct Entry {
  uint64_t start = 0;
  uint64_t end = 0;
  pdata::TraceId trace_id;
  pdata::SpanId span_id;
  pdata::SpanId parent_span_id;
  // Where the row is: segment sequence number, the block's offset in the segment (a segment
  // stays below 4 GiB: Options::max_segment_bytes), the row's offset in the raw block.
  uint32_t seq = 0;
  uint32_t block_offset = 0;
  uint32_t row_offset = 0;
  uint32_t service = 0, name = 0;
  uint32_t genai = 0;  // model, provider, operation, finish reason; 0: all four empty
  double cost = 0;
  // Token counts up to kMaxTokens, -1 when not known, each sharing a word with a byte.
  int64_t input_tokens : 56 = -1;
  uint64_t status : 8 = 0;
  int64_t output_tokens : 56 = -1;
  uint64_t span_kind : 7 = 0;
  uint64_t is_log : 1 = 0;  // a log record, not a span
};
static_assert(sizeof(Entry) == 96);

// The total order of rows: start time, then where the row is stored (unique, and stable across
// restarts because segment sequence numbers are never reused).
struct EntryKey {
  uint64_t start = 0;
  uint32_t seq = 0;
  uint64_t block_offset = 0;
  uint32_t row_offset = 0;
  friend bool operator<(const EntryKey& a, const EntryKey& b) {
    return std::tie(a.start, a.seq, a.block_offset, a.row_offset) <
           std::tie(b.start, b.seq, b.block_offset, b.row_offset);
  }
  friend bool operator==(const EntryKey&, const EntryKey&) = default;
};

inline EntryKey KeyOf(const Entry& e) { return {e.start, e.seq, e.block_offset, e.row_offset}; }

// "c1.<start>.<seq>.<block_offset>.<row_offset>"
std::string EncodeCursor(const EntryKey& key);
bool DecodeCursor(std::string_view text, EntryKey* key);

}  // namespace astrolabe::spanstore::internal
