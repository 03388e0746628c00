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

// One stored row, as the index keeps it (about 120 bytes). Strings are symbol ids.
struct Entry {
  uint64_t start = 0;
  uint64_t end = 0;
  pdata::TraceId trace_id;
  pdata::SpanId span_id;
  pdata::SpanId parent_span_id;
  uint64_t block_offset = 0;  // where the row is: segment seq, block, offset in the raw block
  uint32_t seq = 0;
  uint32_t row_offset = 0;
  uint32_t service = 0, name = 0, model = 0, provider = 0, operation = 0, finish = 0;
  int64_t input_tokens = -1;
  int64_t output_tokens = -1;
  double cost = 0;
  uint8_t status = 0;
  uint8_t span_kind = 0;
  RowKind kind = RowKind::kSpan;
};

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
