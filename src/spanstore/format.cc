#include "spanstore/format.h"

#include <zstd.h>

#include <bit>
#include <cassert>
#include <cstring>
#include <memory>

#include "common/crc32c.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"

namespace astrolabe::spanstore::internal {
namespace {

constexpr char kFileMagic[8] = {'A', 'S', 'T', 'S', 'P', 'A', 'N', '1'};
// 1: every row holds its context; 2: a row may refer to an earlier row's (kRowContextRef);
// 3: a row's record leaves out the keys its row holds (format.h). Version 3 reads all three.
constexpr uint32_t kFileVersion = 3;
// A row body is at least the fixed fields; see EncodeRow.
constexpr size_t kRowFixedBytes = 3 + 16 + 8 + 8 + 8 + 8 + 8;

uint32_t Load32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t Load64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// A bounds-checked reader over one row body.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Bytes(size_t n, const char** p) {
    if (data_.size() - pos_ < n) return false;
    *p = data_.data() + pos_;
    pos_ += n;
    return true;
  }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool String(std::string_view* s) {
    uint64_t n;
    const char* p;
    if (!Varint(&n) || n > data_.size() || !Bytes(static_cast<size_t>(n), &p)) return false;
    *s = std::string_view(p, static_cast<size_t>(n));
    return true;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

size_t StringSize(std::string_view v) { return wire::VarintSize(v.size()) + v.size(); }

size_t BodySize(const RowFields& row, size_t record_size) {
  return kRowFixedBytes + StringSize(row.service) + StringSize(row.name) + StringSize(row.model) +
         StringSize(row.provider) + StringSize(row.operation) + StringSize(row.finish_reason) +
         wire::VarintSize(wire::ZigZagEncode64(row.input_tokens)) +
         wire::VarintSize(wire::ZigZagEncode64(row.output_tokens)) + StringSize(row.context) +
         wire::VarintSize(record_size) + record_size;
}

}  // namespace

size_t RowSize(const RowFields& row, size_t record_size) {
  const size_t len = BodySize(row, record_size);
  return wire::VarintSize(len) + len;
}

char* AppendRowForRecord(const RowFields& row, size_t record_size, std::string* out,
                         ContextSpan* context) {
  // The body's size is known up front, so the row is written in place with one resize.
  const size_t len = BodySize(row, record_size);
  const size_t start = out->size();
  out->resize(start + wire::VarintSize(len) + len);
  char* p = wire::WriteVarint(out->data() + start, len);
  *p++ = static_cast<char>(row.kind);
  *p++ = static_cast<char>(row.status);
  *p++ = static_cast<char>(row.span_kind);
  std::memcpy(p, row.trace_id.bytes.data(), 16);
  std::memcpy(p + 16, row.span_id.bytes.data(), 8);
  std::memcpy(p + 24, row.parent_span_id.bytes.data(), 8);
  p = wire::WriteFixed64(p + 32, row.start);
  p = wire::WriteFixed64(p, row.end);
  p = wire::WriteFixed64(p, std::bit_cast<uint64_t>(row.cost));
  auto put = [&](std::string_view v) {
    p = wire::WriteVarint(p, v.size());
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  put(row.service);
  put(row.name);
  put(row.model);
  put(row.provider);
  put(row.operation);
  put(row.finish_reason);
  p = wire::WriteVarint(p, wire::ZigZagEncode64(row.input_tokens));
  p = wire::WriteVarint(p, wire::ZigZagEncode64(row.output_tokens));
  if (context != nullptr) {
    context->at = static_cast<uint32_t>(p - (out->data() + start));
    context->size = static_cast<uint32_t>(StringSize(row.context));
  }
  put(row.context);
  p = wire::WriteVarint(p, record_size);
  assert(p + record_size == out->data() + out->size());
  return p;
}

void EncodeRow(const RowFields& row, std::string* out, ContextSpan* context) {
  char* p = AppendRowForRecord(row, row.record.size(), out, context);
  if (!row.record.empty()) std::memcpy(p, row.record.data(), row.record.size());
}

void AppendRowWithContextRef(std::string_view row, ContextSpan context, uint64_t distance,
                             std::string* out) {
  assert(distance > 0 && context.at + context.size <= row.size());
  // The old length prefix ends where the body starts: its last byte has no continuation bit.
  size_t body_at = 0;
  while (static_cast<uint8_t>(row[body_at]) & 0x80) ++body_at;
  ++body_at;
  const std::string_view head = row.substr(body_at, context.at - body_at);
  const std::string_view tail = row.substr(context.at + context.size);
  // Appended piece by piece: a resize would zero-fill the ~1 KB first.
  const size_t len = head.size() + wire::VarintSize(distance) + tail.size();
  char varint[10];
  out->append(varint, wire::WriteVarint(varint, len) - varint);
  const size_t kind_at = out->size();
  out->append(head);
  (*out)[kind_at] = static_cast<char>(static_cast<uint8_t>((*out)[kind_at]) | kRowContextRef);
  out->append(varint, wire::WriteVarint(varint, distance) - varint);
  out->append(tail);
}

namespace {

// Decodes the row at `offset`; a row whose context is a reference takes the context of the
// row it names, which must hold its own (`resolve` is false for that one: one hop only).
Status DecodeRowAt(std::string_view raw, size_t offset, RowFields* row, size_t* next,
                   bool resolve) {
  auto bad = [&](std::string_view what) {
    return DataLoss("row at raw offset " + std::to_string(offset) + ": " + std::string(what));
  };
  if (offset >= raw.size()) return bad("past the end of the block");
  Reader outer(raw.substr(offset));
  uint64_t len;
  if (!outer.Varint(&len)) return bad("truncated length");
  const char* body_ptr;
  if (len > raw.size() || !outer.Bytes(static_cast<size_t>(len), &body_ptr)) {
    return bad("length past the end of the block");
  }
  size_t header_len = wire::VarintSize(len);
  *next = offset + header_len + static_cast<size_t>(len);
  std::string_view body(body_ptr, static_cast<size_t>(len));
  if (body.size() < kRowFixedBytes) return bad("shorter than its fixed fields");
  Reader r(body);
  const char* p;
  r.Bytes(kRowFixedBytes, &p);
  const uint8_t kind_byte = static_cast<uint8_t>(p[0]);
  const bool context_ref = (kind_byte & kRowContextRef) != 0;
  const uint8_t kind = kind_byte & static_cast<uint8_t>(~kRowContextRef);
  if (kind != static_cast<uint8_t>(RowKind::kSpan) && kind != static_cast<uint8_t>(RowKind::kLog)) {
    return bad("unknown row kind");
  }
  row->kind = static_cast<RowKind>(kind);
  row->status = static_cast<uint8_t>(p[1]);
  row->span_kind = static_cast<uint8_t>(p[2]);
  std::memcpy(row->trace_id.bytes.data(), p + 3, 16);
  std::memcpy(row->span_id.bytes.data(), p + 19, 8);
  std::memcpy(row->parent_span_id.bytes.data(), p + 27, 8);
  row->start = Load64(p + 35);
  row->end = Load64(p + 43);
  row->cost = std::bit_cast<double>(Load64(p + 51));
  uint64_t in, out;
  if (!r.String(&row->service) || !r.String(&row->name) || !r.String(&row->model) ||
      !r.String(&row->provider) || !r.String(&row->operation) || !r.String(&row->finish_reason) ||
      !r.Varint(&in) || !r.Varint(&out)) {
    return bad("truncated field");
  }
  uint64_t distance = 0;
  if (context_ref ? !r.Varint(&distance) : !r.String(&row->context)) return bad("truncated field");
  if (!r.String(&row->record)) return bad("truncated field");
  if (!r.done()) return bad("trailing bytes");
  row->input_tokens = wire::ZigZagDecode64(in);
  row->output_tokens = wire::ZigZagDecode64(out);
  if (context_ref) {
    if (!resolve) return bad("context refers to a row whose context is a reference too");
    if (distance == 0 || distance > offset) return bad("context reference out of the block");
    RowFields owner;
    size_t owner_next;
    if (Status s = DecodeRowAt(raw, offset - distance, &owner, &owner_next, false); !s.ok()) {
      return bad("context reference to a bad row: " + s.message());
    }
    if (owner_next > offset) return bad("context reference into the middle of a row");
    row->context = owner.context;
  }
  return Status::Ok();
}

}  // namespace

Status DecodeRow(std::string_view raw, size_t offset, RowFields* row, size_t* next) {
  return DecodeRowAt(raw, offset, row, next, /*resolve=*/true);
}

std::string EncodeFileHeader() {
  std::string h(kFileMagic, 8);
  wire::AppendFixed32(&h, kFileVersion);
  wire::AppendFixed32(&h, Crc32c(h));
  return h;
}

Status CheckFileHeader(std::string_view bytes) {
  if (bytes.size() < kFileHeaderSize) return DataLoss("file header truncated");
  if (std::memcmp(bytes.data(), kFileMagic, 8) != 0) return DataLoss("not a span segment (magic)");
  if (Load32(bytes.data() + 12) != Crc32c(bytes.substr(0, 12))) {
    return DataLoss("file header checksum mismatch");
  }
  if (const uint32_t v = Load32(bytes.data() + 8); v == 0 || v > kFileVersion) {
    return DataLoss("unsupported segment version " + std::to_string(Load32(bytes.data() + 8)));
  }
  return Status::Ok();
}

Status AppendBlock(std::string_view raw, uint32_t row_count, int level, std::string* out) {
  if (raw.size() > kMaxBlockRawBytes) return Internal("block larger than kMaxBlockRawBytes");
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  if (!cctx) return ResourceExhausted("zstd: cannot allocate a compression context");
  // zstd writes into a per-thread scratch buffer that keeps its size (up to 4 MiB), and the
  // frame is appended from there: growing `out` by the bound for every block zero-filled the
  // bound first (2.6 % of the server's span ingest instructions) to keep ~a third of it.
  constexpr size_t kKeptScratchBytes = 4 << 20;
  thread_local std::string scratch;
  const size_t bound = ZSTD_compressBound(raw.size());
  std::string large;
  std::string& dst = bound <= kKeptScratchBytes ? scratch : large;
  if (dst.size() < bound) dst.resize(bound);
  const size_t n = ZSTD_compressCCtx(cctx.get(), dst.data(), bound, raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  const size_t start = out->size();
  out->resize(start + kBlockHeaderSize);
  out->append(dst.data(), n);
  char* h = out->data() + start;
  const char* payload = h + kBlockHeaderSize;
  wire::WriteFixed32(h, kBlockMagic);
  h[4] = static_cast<char>(kCodecZstd);
  h[5] = h[6] = h[7] = 0;
  wire::WriteFixed32(h + 8, static_cast<uint32_t>(n));
  wire::WriteFixed32(h + 12, static_cast<uint32_t>(raw.size()));
  wire::WriteFixed32(h + 16, row_count);
  wire::WriteFixed32(h + 20, Crc32cExtend(0, payload, n));
  wire::WriteFixed32(h + 24, Crc32cExtend(0, h, 24));
  return Status::Ok();
}

Status ParseBlockHeader(std::string_view bytes, BlockHeader* header) {
  if (bytes.size() < kBlockHeaderSize) return DataLoss("block header truncated");
  const char* h = bytes.data();
  if (Load32(h) != kBlockMagic) return DataLoss("bad block magic");
  if (Load32(h + 24) != Crc32cExtend(0, h, 24)) return DataLoss("block header checksum mismatch");
  if (static_cast<uint8_t>(h[4]) != kCodecZstd || h[5] != 0 || h[6] != 0 || h[7] != 0) {
    return DataLoss("unknown block codec");
  }
  header->payload_len = Load32(h + 8);
  header->raw_len = Load32(h + 12);
  header->row_count = Load32(h + 16);
  header->payload_crc = Load32(h + 20);
  if (header->raw_len > kMaxBlockRawBytes || header->payload_len > kMaxBlockRawBytes + 65536) {
    return DataLoss("block sizes out of bounds");
  }
  return Status::Ok();
}

Status DecodeBlock(std::string_view block, const BlockHeader& header, std::string* raw) {
  if (block.size() != kBlockHeaderSize + header.payload_len) return DataLoss("block truncated");
  if (Crc32cExtend(0, block.data() + kBlockHeaderSize, header.payload_len) != header.payload_crc) {
    return DataLoss("block checksum mismatch");
  }
  // The frame records its size (AppendBlock writes one frame with it): a header whose size
  // disagrees is refused before raw_len bytes (up to 64 MiB) are allocated and zero-filled.
  const unsigned long long frame_len =
      ZSTD_getFrameContentSize(block.data() + kBlockHeaderSize, header.payload_len);
  if (frame_len != header.raw_len) {
    return DataLoss(frame_len == ZSTD_CONTENTSIZE_ERROR || frame_len == ZSTD_CONTENTSIZE_UNKNOWN
                        ? std::string("block payload is not a zstd frame with its size")
                        : "block header says " + std::to_string(header.raw_len) +
                              " bytes, its zstd frame " + std::to_string(frame_len));
  }
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return ResourceExhausted("zstd: cannot allocate a decompression context");
  raw->resize(header.raw_len);
  size_t n = ZSTD_decompressDCtx(dctx.get(), raw->data(), raw->size(),
                                 block.data() + kBlockHeaderSize, header.payload_len);
  if (ZSTD_isError(n)) return DataLoss(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != header.raw_len) return DataLoss("block decompressed to the wrong size");
  return Status::Ok();
}

Result<ScanResult> ScanSegment(
    std::string_view bytes,
    const std::function<Status(uint64_t, uint32_t, const RowFields&)>& on_row) {
  ScanResult result;
  auto stop = [&](ScanResult::End end, uint64_t at, std::string reason) {
    result.end = end;
    result.bad_offset = at;
    result.reason = std::move(reason);
    return result;
  };
  if (bytes.size() < kFileHeaderSize) {
    // A crash between creating the file and writing its header.
    return stop(ScanResult::End::kTorn, 0, "file header truncated");
  }
  if (Status s = CheckFileHeader(bytes); !s.ok()) {
    return stop(ScanResult::End::kCorrupt, 0, s.message());
  }
  result.valid_end = kFileHeaderSize;
  std::string raw;
  uint64_t off = kFileHeaderSize;
  while (off < bytes.size()) {
    std::string_view rest = bytes.substr(off);
    auto damaged = [&](const std::string& why, uint64_t declared_end) {
      // A write cut short leaves a prefix of a good block at the end of the file: a header
      // that is incomplete, or whole (its own CRC holds) with a payload that reaches past the
      // end. Damage with bytes after it is corruption; zeros after the damage are what a file
      // system leaves for data that never reached the disk.
      bool torn =
          declared_end >= bytes.size() || rest.find_first_not_of('\0') == std::string_view::npos;
      return stop(torn ? ScanResult::End::kTorn : ScanResult::End::kCorrupt, off,
                  "block at offset " + std::to_string(off) + ": " + why);
    };
    BlockHeader h;
    if (rest.size() < kBlockHeaderSize) return damaged("block header truncated", bytes.size());
    if (Status s = ParseBlockHeader(rest, &h); !s.ok()) return damaged(s.message(), 0);
    uint64_t end = off + kBlockHeaderSize + h.payload_len;
    if (end > bytes.size()) return damaged("block truncated", end);
    if (Status s = DecodeBlock(rest.substr(0, kBlockHeaderSize + h.payload_len), h, &raw);
        !s.ok()) {
      return damaged(s.message(), end);
    }
    // Decode every row before reporting any, so that a bad block reports none.
    size_t pos = 0;
    uint32_t n = 0;
    RowFields row;
    while (pos < raw.size()) {
      size_t next;
      if (Status s = DecodeRow(raw, pos, &row, &next); !s.ok()) return damaged(s.message(), end);
      pos = next;
      ++n;
    }
    if (n != h.row_count) return damaged("row count mismatch", end);
    pos = 0;
    while (pos < raw.size()) {
      size_t next;
      (void)DecodeRow(raw, pos, &row, &next);
      RETURN_IF_ERROR(on_row(off, static_cast<uint32_t>(pos), row));
      pos = next;
    }
    ++result.blocks;
    result.rows += n;
    off = end;
    result.valid_end = off;
  }
  return result;
}

namespace {

// Wraps one Span / LogRecord message in a request with one (empty) resource and scope, so that
// the wire decoder reads it: request.1 → resource_*.2 → scope_*.2 → the record.
std::string WrapRecord(std::string_view record) {
  std::string inner, mid, req;
  wire::AppendTag(&inner, 2, wire::WireType::kLengthDelimited);
  wire::AppendVarint(&inner, record.size());
  inner.append(record);
  wire::AppendTag(&mid, 2, wire::WireType::kLengthDelimited);
  wire::AppendVarint(&mid, inner.size());
  mid += inner;
  wire::AppendTag(&req, 1, wire::WireType::kLengthDelimited);
  wire::AppendVarint(&req, mid.size());
  req += mid;
  return req;
}

}  // namespace

Status DecodeStoredSpan(const RowFields& row, StoredSpan* out) {
  if (row.kind != RowKind::kSpan) return DataLoss("not a span row");
  ASSIGN_OR_RETURN(pdata::Traces ctx, wire::DecodeTracesRequest(row.context));
  ASSIGN_OR_RETURN(pdata::Traces rec, wire::DecodeTracesRequest(WrapRecord(row.record)));
  if (ctx.resource_spans.size() != 1 || ctx.resource_spans[0].scope_spans.size() != 1 ||
      rec.resource_spans.size() != 1 || rec.resource_spans[0].scope_spans.size() != 1 ||
      rec.resource_spans[0].scope_spans[0].spans.size() != 1) {
    return DataLoss("span row with a malformed context or record");
  }
  pdata::ResourceSpans& rs = ctx.resource_spans[0];
  out->resource = std::move(rs.resource);
  out->resource_schema_url = std::move(rs.schema_url);
  out->scope = std::move(rs.scope_spans[0].scope);
  out->scope_schema_url = std::move(rs.scope_spans[0].schema_url);
  out->span = std::move(rec.resource_spans[0].scope_spans[0].spans[0]);
  // The row's copies of the record's keys; a version 1 or 2 record holds them too, equal.
  out->span.trace_id = row.trace_id;
  out->span.span_id = row.span_id;
  out->span.parent_span_id = row.parent_span_id;
  out->span.name = row.name;
  out->span.start_time_unix_nano = row.start;
  out->span.end_time_unix_nano = row.end;
  out->genai.model = row.model;
  out->genai.provider = row.provider;
  out->genai.operation = row.operation;
  out->genai.finish_reason = row.finish_reason;
  out->genai.input_tokens = row.input_tokens;
  out->genai.output_tokens = row.output_tokens;
  out->genai.cost = row.cost;
  return Status::Ok();
}

Status DecodeStoredLog(const RowFields& row, StoredLog* out) {
  if (row.kind != RowKind::kLog) return DataLoss("not a log row");
  ASSIGN_OR_RETURN(pdata::Logs ctx, wire::DecodeLogsRequest(row.context));
  ASSIGN_OR_RETURN(pdata::Logs rec, wire::DecodeLogsRequest(WrapRecord(row.record)));
  if (ctx.resource_logs.size() != 1 || ctx.resource_logs[0].scope_logs.size() != 1 ||
      rec.resource_logs.size() != 1 || rec.resource_logs[0].scope_logs.size() != 1 ||
      rec.resource_logs[0].scope_logs[0].log_records.size() != 1) {
    return DataLoss("log row with a malformed context or record");
  }
  pdata::ResourceLogs& rl = ctx.resource_logs[0];
  out->resource = std::move(rl.resource);
  out->resource_schema_url = std::move(rl.schema_url);
  out->scope = std::move(rl.scope_logs[0].scope);
  out->scope_schema_url = std::move(rl.scope_logs[0].schema_url);
  out->record = std::move(rec.resource_logs[0].scope_logs[0].log_records[0]);
  out->record.trace_id = row.trace_id;  // as for a span, above
  out->record.span_id = row.span_id;
  out->record.event_name = row.name;
  return Status::Ok();
}

void RepairChecksumsForFuzzing(std::string* bytes) {
  if (bytes->size() < kFileHeaderSize) return;
  wire::WriteFixed32(bytes->data() + 12, Crc32cExtend(0, bytes->data(), 12));
  uint64_t off = kFileHeaderSize;
  while (off + kBlockHeaderSize <= bytes->size()) {
    char* h = bytes->data() + off;
    uint64_t payload = Load32(h + 8);
    uint64_t avail = bytes->size() - off - kBlockHeaderSize;
    if (payload > avail) payload = avail;
    wire::WriteFixed32(h + 20, Crc32cExtend(0, h + kBlockHeaderSize, payload));
    wire::WriteFixed32(h + 24, Crc32cExtend(0, h, 24));
    off += kBlockHeaderSize + payload;
  }
}

}  // namespace astrolabe::spanstore::internal
