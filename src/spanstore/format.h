#pragma once
// The span store's on-disk format (internal; docs/design/spanstore.md draws it):
//
//   segment file := file header (16 bytes) block*
//   file header  := "ASTSPAN1" u32 version(=3) u32 crc32c(first 12 bytes)
//   block        := block header (28 bytes) payload
//   block header := u32 magic(kBlockMagic) u8 codec(1 = zstd) u8[3] zero
//                   u32 payload_len u32 raw_len u32 row_count
//                   u32 payload_crc32c u32 header_crc32c(header bytes 0..24)
//   payload      := zstd frame of raw_len bytes: row*
//   row          := varint body_len body (RowFields, EncodeRow)
//
// A row's kind byte with kRowContextRef set holds, in place of its context, the varint distance
// back to the start of an earlier row of the same block whose context it shares (and which
// holds it itself). Version 2 and 3 files may have such rows; version 1 files have none.
//
// A row's record leaves out its keys, which the row's fixed fields hold (version 3;
// wire::RecordEncoder::Fields::kWithoutKeys): a span's trace_id, span_id, parent_span_id,
// name, start and end times; a log record's trace_id, span_id and event_name. DecodeStoredSpan
// and DecodeStoredLog put them back from the row. Version 1 and 2 records hold them as well,
// equal to the row's. They are ~50 bytes of ids and times per span that compression cannot
// shrink; keeping them once took the benchmark's spans from 117 to 97 bytes each on disk.
//
// All integers little-endian. Everything here is pure: bytes in, bytes or errors out; it never
// touches files, so the fuzz target (fuzz/spanstore_segment_fuzz.cc) can drive it. Malformed
// bytes yield an error naming the offset, never undefined behaviour.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "spanstore/query.h"

namespace astrolabe::spanstore::internal {

inline constexpr size_t kFileHeaderSize = 16;
inline constexpr size_t kBlockHeaderSize = 28;
inline constexpr uint32_t kBlockMagic = 0x31425053;  // "SPB1"
inline constexpr uint8_t kCodecZstd = 1;
// Bounds a block header may declare; anything larger is corruption, not a reason to allocate.
inline constexpr uint32_t kMaxBlockRawBytes = 64u << 20;

enum class RowKind : uint8_t { kSpan = 1, kLog = 2 };
// Set in a row's kind byte: its context is a reference (see the top of this file).
inline constexpr uint8_t kRowContextRef = 0x80;

// The largest token count a row keeps (the index holds counts in 56 bits); a larger or
// negative count is stored as not known (-1).
inline constexpr int64_t kMaxTokens = (int64_t{1} << 55) - 1;
inline int64_t KnownTokens(int64_t n) { return n >= 0 && n <= kMaxTokens ? n : -1; }

// The fixed part of a row: what the index needs, readable without decoding the record.
// For a log: status = severity number (clamped to 0..255), name = event_name, start = end = the
// record's time (observed time when time is 0), no GenAI fields, span_kind 0.
struct RowFields {
  RowKind kind = RowKind::kSpan;
  uint8_t status = 0;
  uint8_t span_kind = 0;
  pdata::TraceId trace_id;
  pdata::SpanId span_id;
  pdata::SpanId parent_span_id;
  uint64_t start = 0;
  uint64_t end = 0;
  std::string_view service, name;
  std::string_view model, provider, operation, finish_reason;
  int64_t input_tokens = -1;
  int64_t output_tokens = -1;
  double cost = 0;  // NaN when unknown
  // ExportTraceServiceRequest / ExportLogsServiceRequest bytes holding one resource and one
  // scope and no records.
  std::string_view context;
  // One Span / LogRecord message, without the keys above (see the top of this file).
  std::string_view record;
};

// Where a row's context is: `at` bytes after the row's first byte, `size` bytes long (its
// length varint included).
struct ContextSpan {
  uint32_t at = 0;
  uint32_t size = 0;
};

// Appends `varint len, body` for `row` to *out, its context in it. `context` (if not null)
// receives where the context went, for AppendRowWithContextRef.
void EncodeRow(const RowFields& row, std::string* out, ContextSpan* context = nullptr);

// How EncodeRow is made of two steps, for a caller whose record is not encoded yet: the size
// of the row `row` is with a record of `record_size` bytes, and the row appended with room for
// that record (row.record is not read by either), returning where the record's bytes go.
size_t RowSize(const RowFields& row, size_t record_size);
char* AppendRowForRecord(const RowFields& row, size_t record_size, std::string* out,
                         ContextSpan* context = nullptr);

// Appends `row` (one row as EncodeRow wrote it, whose context is at `context`) to *out with
// its context replaced by a reference to the row that starts `distance` (> 0) bytes before
// this one in the block and holds the same context.
void AppendRowWithContextRef(std::string_view row, ContextSpan context, uint64_t distance,
                             std::string* out);

// Decodes the row starting at `offset` in a block's raw bytes; the views point into `raw`
// (a context reference is followed: row->context is the referenced row's). *next is set to
// the offset after the row.
Status DecodeRow(std::string_view raw, size_t offset, RowFields* row, size_t* next);

std::string EncodeFileHeader();
Status CheckFileHeader(std::string_view bytes);

// Appends one block holding `raw` (whole rows) to *out. `level` is zstd's.
Status AppendBlock(std::string_view raw, uint32_t row_count, int level, std::string* out);

struct BlockHeader {
  uint32_t payload_len = 0;
  uint32_t raw_len = 0;
  uint32_t row_count = 0;
  uint32_t payload_crc = 0;
};
// Parses the header at the start of `bytes` (at least kBlockHeaderSize long): magic, header
// CRC, codec and bounds. The header has its own CRC so that a damaged length is never trusted.
Status ParseBlockHeader(std::string_view bytes, BlockHeader* header);
// Checks the payload CRC and decompresses. `block` = header + payload.
Status DecodeBlock(std::string_view block, const BlockHeader& header, std::string* raw);

// What a scan of a segment file's bytes found.
struct ScanResult {
  enum class End {
    kClean,    // every byte belongs to a good block
    kTorn,     // the last block is incomplete or damaged and reaches the end of the file:
               // what a crash during a write leaves; truncating at valid_end repairs it
    kCorrupt,  // damage with more bytes after it (or a bad file header)
  };
  End end = End::kClean;
  uint64_t valid_end = 0;  // offset after the last good block (0 for a bad file header)
  uint64_t bad_offset = 0;
  std::string reason;  // for kTorn / kCorrupt
  uint64_t blocks = 0;
  uint64_t rows = 0;
};

// Reads the segment file `bytes`: the header, then each block (CRC, decompression, every row
// decoded), calling on_row(block_offset, row_offset, row) for each row. A row that does not
// decode makes the block bad. A non-OK status from on_row stops the scan and is returned.
Result<ScanResult> ScanSegment(
    std::string_view bytes,
    const std::function<Status(uint64_t block_offset, uint32_t row_offset, const RowFields&)>&
        on_row);

// Decodes a span row's context and record (and its GenAI fields) into *out; a log row's into
// *log. DataLoss/InvalidArgument for bytes that do not hold one resource, one scope and one
// record.
Status DecodeStoredSpan(const RowFields& row, StoredSpan* out);
Status DecodeStoredLog(const RowFields& row, StoredLog* out);

// Recomputes the CRCs of the file header and of every block whose header fits in `bytes`, so
// that a fuzzer's mutations reach the decompressor and the row decoder (fuzz target only).
void RepairChecksumsForFuzzing(std::string* bytes);

}  // namespace astrolabe::spanstore::internal
