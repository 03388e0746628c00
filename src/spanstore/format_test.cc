#include "spanstore/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "common/crc32c.h"
#include "spanstore/span_store_internal.h"
#include "spanstore/test_util.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"

namespace astrolabe::spanstore::internal {
namespace {

RowFields SampleRow(int i, std::string* storage) {
  *storage = "record-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x');
  RowFields r;
  r.kind = i % 3 == 0 ? RowKind::kLog : RowKind::kSpan;
  r.status = static_cast<uint8_t>(i % 3);
  r.span_kind = 3;
  r.trace_id.bytes[0] = static_cast<uint8_t>(i);
  r.trace_id.bytes[15] = 0xab;
  r.span_id.bytes[7] = static_cast<uint8_t>(i + 1);
  r.parent_span_id.bytes[1] = 9;
  r.start = 1'700'000'000'000'000'000ull + static_cast<uint64_t>(i);
  r.end = r.start + 5;
  r.service = "svc";
  r.name = "chat gpt-4o";
  r.model = i % 2 ? "gpt-4o" : "";
  r.provider = "openai";
  r.operation = "chat";
  r.finish_reason = "stop,length";
  r.input_tokens = i % 4 == 0 ? -1 : i * 10;
  r.output_tokens = 7;
  r.cost = i % 5 == 0 ? std::nan("") : 0.25 * i;
  r.context = "ctx";
  r.record = *storage;
  return r;
}

void ExpectSameRow(const RowFields& a, const RowFields& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.span_kind, b.span_kind);
  EXPECT_EQ(a.trace_id, b.trace_id);
  EXPECT_EQ(a.span_id, b.span_id);
  EXPECT_EQ(a.parent_span_id, b.parent_span_id);
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.provider, b.provider);
  EXPECT_EQ(a.operation, b.operation);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.input_tokens, b.input_tokens);
  EXPECT_EQ(a.output_tokens, b.output_tokens);
  if (std::isnan(a.cost)) {
    EXPECT_TRUE(std::isnan(b.cost));
  } else {
    EXPECT_EQ(a.cost, b.cost);
  }
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.record, b.record);
}

TEST(FormatTest, RowRoundTrip) {
  std::string raw;
  std::vector<std::string> storage(100);
  std::vector<RowFields> rows;
  for (int i = 0; i < 100; ++i) {
    rows.push_back(SampleRow(i, &storage[static_cast<size_t>(i)]));
    EncodeRow(rows.back(), &raw);
  }
  size_t pos = 0;
  for (int i = 0; i < 100; ++i) {
    RowFields got;
    size_t next;
    ASSERT_TRUE(DecodeRow(raw, pos, &got, &next).ok()) << i;
    ExpectSameRow(rows[static_cast<size_t>(i)], got);
    pos = next;
  }
  EXPECT_EQ(pos, raw.size());
}

// A version 3 record leaves out its keys and the reader takes them from the row; a version 2
// record (the whole record) reads the same.
TEST(FormatTest, StoredRecordsTakeTheirKeysFromTheRow) {
  std::mt19937_64 rng(7);
  pdata::Traces traces = testing::MakeGenAiTraces(rng, 3);
  pdata::Logs logs = testing::MakeMessageLogs(traces);
  wire::RecordEncoder whole, keyless(wire::RecordEncoder::Fields::kWithoutKeys);
  auto encode = [](wire::RecordEncoder& e, const auto& record) {
    std::string buf(e.Size(record), '\0');
    e.Write(record, buf.data());
    return buf;
  };
  // Encodes a row of `record` (its keys in `row`), decodes it and returns what DecodeStored*
  // gave.
  auto store = [&](RowFields row, const std::string& context, const std::string& record,
                   auto* out) {
    row.context = context;
    row.record = record;
    std::string raw;
    EncodeRow(row, &raw);
    RowFields got;
    size_t next;
    ASSERT_TRUE(DecodeRow(raw, 0, &got, &next).ok());
    Status s;
    if constexpr (std::is_same_v<decltype(out), StoredSpan*>) {
      s = DecodeStoredSpan(got, out);
    } else {
      s = DecodeStoredLog(got, out);
    }
    ASSERT_TRUE(s.ok()) << s.message();
  };
  int spans = 0;
  for (const auto& rs : traces.resource_spans) {
    pdata::Traces ctx;
    ctx.resource_spans.emplace_back().resource = rs.resource;
    ctx.resource_spans[0].scope_spans.emplace_back().scope = rs.scope_spans[0].scope;
    const std::string context = wire::EncodeTracesRequest(ctx);
    for (const pdata::Span& span : rs.scope_spans[0].spans) {
      RowFields row;
      row.trace_id = span.trace_id;
      row.span_id = span.span_id;
      row.parent_span_id = span.parent_span_id;
      row.name = span.name;
      row.start = span.start_time_unix_nano;
      row.end = span.end_time_unix_nano;
      const std::string without = encode(keyless, span), with = encode(whole, span);
      EXPECT_LT(without.size() + 50, with.size());
      StoredSpan v3, v2;
      store(row, context, without, &v3);
      store(row, context, with, &v2);
      EXPECT_EQ(v3.span, span);
      EXPECT_EQ(v2.span, span);
      EXPECT_EQ(v3.resource, rs.resource);
      ++spans;
    }
  }
  int records = 0;
  for (const auto& rl : logs.resource_logs) {
    pdata::Logs ctx;
    ctx.resource_logs.emplace_back().resource = rl.resource;
    ctx.resource_logs[0].scope_logs.emplace_back().scope = rl.scope_logs[0].scope;
    const std::string context = wire::EncodeLogsRequest(ctx);
    for (pdata::LogRecord record : rl.scope_logs[0].log_records) {
      record.event_name = "gen_ai.user.message";
      RowFields row;
      row.kind = RowKind::kLog;
      row.trace_id = record.trace_id;
      row.span_id = record.span_id;
      row.name = record.event_name;
      row.start = row.end = record.time_unix_nano;
      StoredLog v3, v2;
      store(row, context, encode(keyless, record), &v3);
      store(row, context, encode(whole, record), &v2);
      EXPECT_EQ(v3.record, record);
      EXPECT_EQ(v2.record, record);
      ++records;
    }
  }
  EXPECT_EQ(spans, 12);
  EXPECT_GE(records, 6);
}

TEST(FormatTest, LongRowUsesLongLengthPrefix) {
  std::string big(300000, 'r');
  RowFields r;
  r.record = big;
  std::string raw;
  EncodeRow(r, &raw);
  RowFields got;
  size_t next;
  ASSERT_TRUE(DecodeRow(raw, 0, &got, &next).ok());
  EXPECT_EQ(got.record.size(), big.size());
  EXPECT_EQ(next, raw.size());
}

// RowSize is what EncodeRow appends, and AppendRowForRecord leaves the record's bytes at the
// row's end and the row reads back whole, around every length at which a varint grows (the
// record's and the body's).
TEST(FormatTest, RowSizeAndRoomForTheRecordMatchEncodeRow) {
  std::string storage;
  const RowFields sample = SampleRow(3, &storage);
  const size_t head = RowSize(sample, 0);  // about what the row holds besides its record
  std::vector<size_t> sizes;
  for (size_t boundary : {size_t{128}, size_t{16384}, size_t{2097152}}) {
    for (size_t d = 0; d < 8; ++d) {
      sizes.push_back(boundary + d - 4);  // the record's length varint grows
      if (boundary + d > head + 4) sizes.push_back(boundary + d - 4 - head);  // the body's
    }
  }
  sizes.push_back(0);
  for (size_t n : sizes) {
    std::string record(n, 'x');
    for (size_t i = 0; i < n; i += 97) record[i] = char('a' + i % 26);
    RowFields row = sample;
    row.record = record;
    std::string encoded = "lead";
    EncodeRow(row, &encoded);
    EXPECT_EQ(encoded.size() - 4, RowSize(row, n)) << n;
    std::string in_place = "lead";
    char* at = AppendRowForRecord(row, n, &in_place);
    ASSERT_EQ(at + n, in_place.data() + in_place.size()) << n;
    std::memcpy(at, record.data(), n);
    EXPECT_EQ(in_place, encoded) << n;
    // EncodeRow is these two steps, so the bytes are checked by reading them back too.
    RowFields got;
    size_t next = 0;
    ASSERT_TRUE(DecodeRow(in_place, 4, &got, &next).ok()) << n;
    ExpectSameRow(row, got);
    EXPECT_EQ(next, in_place.size()) << n;
  }
}

TEST(FormatTest, EveryTruncatedRowIsAnError) {
  std::string storage;
  std::string raw;
  EncodeRow(SampleRow(7, &storage), &raw);
  for (size_t n = 0; n < raw.size(); ++n) {
    RowFields got;
    size_t next;
    Status s = DecodeRow(std::string_view(raw).substr(0, n), 0, &got, &next);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "prefix " << n;
  }
}

TEST(FormatTest, UnknownRowKindIsAnError) {
  std::string storage;
  std::string raw;
  EncodeRow(SampleRow(1, &storage), &raw);
  raw[1] = 9;  // the kind byte, after a one-byte length
  RowFields got;
  size_t next;
  Status s = DecodeRow(raw, 0, &got, &next);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("unknown row kind"), std::string::npos) << s.message();
}

TEST(FormatTest, ARowCanReferToAnEarlierRowsContext) {
  std::vector<std::string> storage(3);
  std::vector<RowFields> rows;
  const std::string context_bytes(40, 'c');
  for (int i = 0; i < 3; ++i) {
    rows.push_back(SampleRow(i, &storage[size_t(i)]));
    rows.back().context = context_bytes;
  }
  ASSERT_GT(rows[0].context.size(), 8u);
  // Row 0 holds the context; rows 1 and 2 refer back to it.
  std::string raw, row;
  EncodeRow(rows[0], &raw);
  size_t starts[3] = {0, 0, 0};
  for (int i = 1; i < 3; ++i) {
    row.clear();
    ContextSpan context;
    EncodeRow(rows[size_t(i)], &row, &context);
    EXPECT_EQ(row.substr(context.at, context.size).substr(1), rows[0].context);
    starts[i] = raw.size();
    const size_t before = raw.size();
    AppendRowWithContextRef(row, context, raw.size(), &raw);
    EXPECT_LT(raw.size() - before, row.size() - rows[0].context.size() + 4);
  }
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    RowFields got;
    size_t next;
    ASSERT_EQ(pos, starts[i]);
    ASSERT_TRUE(DecodeRow(raw, pos, &got, &next).ok()) << i;
    ExpectSameRow(rows[size_t(i)], got);
    pos = next;
  }
  EXPECT_EQ(pos, raw.size());
}

TEST(FormatTest, BadContextReferencesAreErrors) {
  std::vector<std::string> storage(2);
  const std::string context_bytes(40, 'c');
  RowFields a = SampleRow(1, &storage[0]);
  RowFields b = SampleRow(2, &storage[1]);
  a.context = b.context = context_bytes;
  std::string first;
  EncodeRow(a, &first);
  std::string second;
  ContextSpan context;
  EncodeRow(b, &second, &context);
  auto decode = [](const std::string& raw, size_t offset) {
    RowFields got;
    size_t next;
    return DecodeRow(raw, offset, &got, &next);
  };
  auto expect_error = [&](uint64_t distance, std::string_view prefix, const char* why) {
    std::string raw(prefix);
    const size_t at = raw.size();
    AppendRowWithContextRef(second, context, distance, &raw);
    Status s = decode(raw, at);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << why;
    EXPECT_NE(s.message().find("context"), std::string::npos) << why << ": " << s.message();
  };
  expect_error(first.size() + 1, first, "before the block's start");
  expect_error(first.size() - 3, first, "to bytes that are no row");
  // A chain: the second row refers to the first, the third to the second.
  std::string chain = first;
  AppendRowWithContextRef(second, context, first.size(), &chain);
  ASSERT_TRUE(decode(chain, first.size()).ok());
  expect_error(chain.size() - first.size(), chain, "to a row that refers on");
  // A reference can never be 0 bytes back: the row itself.
  std::string self;
  AppendRowWithContextRef(second, context, 1, &self);
  self[self.size() - b.record.size() - 2] = 0;  // the distance varint, before the record's
  EXPECT_EQ(decode(self, 0).code(), StatusCode::kDataLoss);
}

TEST(FormatTest, VersionOneAndTwoSegmentsAreRead) {
  std::string file = EncodeFileHeader();
  wire::WriteFixed32(file.data() + 8, 1);
  wire::WriteFixed32(file.data() + 12, Crc32c(std::string_view(file).substr(0, 12)));
  EXPECT_TRUE(CheckFileHeader(file).ok());
  wire::WriteFixed32(file.data() + 8, 2);
  wire::WriteFixed32(file.data() + 12, Crc32c(std::string_view(file).substr(0, 12)));
  EXPECT_TRUE(CheckFileHeader(file).ok());
  wire::WriteFixed32(file.data() + 8, 4);
  wire::WriteFixed32(file.data() + 12, Crc32c(std::string_view(file).substr(0, 12)));
  Status s = CheckFileHeader(file);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("unsupported segment version 4"), std::string::npos) << s.message();
}

// A segment of `blocks` blocks of 10 rows; *ends gets each block's end offset.
std::string MakeSegment(int blocks, std::vector<uint64_t>* ends) {
  std::string file = EncodeFileHeader();
  for (int b = 0; b < blocks; ++b) {
    std::string raw;
    std::vector<std::string> storage(10);
    for (int i = 0; i < 10; ++i) EncodeRow(SampleRow(b * 10 + i, &storage[size_t(i)]), &raw);
    EXPECT_TRUE(AppendBlock(raw, 10, 1, &file).ok());
    ends->push_back(file.size());
  }
  return file;
}

Result<ScanResult> Scan(std::string_view bytes, int* rows) {
  *rows = 0;
  return ScanSegment(bytes, [&](uint64_t, uint32_t, const RowFields&) {
    ++*rows;
    return Status::Ok();
  });
}

TEST(FormatTest, ScanCleanSegment) {
  std::vector<uint64_t> ends;
  std::string file = MakeSegment(3, &ends);
  int rows;
  auto r = Scan(file, &rows);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, ScanResult::End::kClean);
  EXPECT_EQ(r->valid_end, file.size());
  EXPECT_EQ(r->blocks, 3u);
  EXPECT_EQ(rows, 30);
}

TEST(FormatTest, EveryCutInTheLastBlockIsATornTail) {
  std::vector<uint64_t> ends;
  std::string file = MakeSegment(3, &ends);
  for (uint64_t cut = ends[1] + 1; cut < ends[2]; ++cut) {
    int rows;
    auto r = Scan(std::string_view(file).substr(0, cut), &rows);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ScanResult::End::kTorn) << cut;
    EXPECT_EQ(r->valid_end, ends[1]) << cut;
    EXPECT_EQ(rows, 20) << cut;
  }
}

TEST(FormatTest, ZerosAfterTheLastBlockAreATornTail) {
  std::vector<uint64_t> ends;
  std::string file = MakeSegment(2, &ends);
  file.append(4096, '\0');
  int rows;
  auto r = Scan(file, &rows);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, ScanResult::End::kTorn);
  EXPECT_EQ(r->valid_end, ends[1]);
}

TEST(FormatTest, DamageBeforeTheLastBlockIsCorruption) {
  std::vector<uint64_t> ends;
  std::string file = MakeSegment(3, &ends);
  std::mt19937 rng(7);
  // Flip one byte anywhere in the first two blocks, headers included (a damaged length must not
  // pass for a torn tail): a CRC catches it, and more bytes follow.
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = file;
    size_t at = kFileHeaderSize + rng() % (ends[1] - kFileHeaderSize);
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    int rows;
    auto r = Scan(bad, &rows);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ScanResult::End::kCorrupt) << "byte " << at;
  }
}

TEST(FormatTest, BadFileHeader) {
  std::vector<uint64_t> ends;
  std::string file = MakeSegment(1, &ends);
  int rows;
  auto torn = Scan(std::string_view(file).substr(0, 10), &rows);
  ASSERT_TRUE(torn.ok());
  EXPECT_EQ(torn->end, ScanResult::End::kTorn);
  EXPECT_EQ(torn->valid_end, 0u);
  file[2] = 'X';
  auto bad = Scan(file, &rows);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->end, ScanResult::End::kCorrupt);
  EXPECT_EQ(rows, 0);
}

TEST(FormatTest, BlockHeaderBoundsAreChecked) {
  std::string h(kBlockHeaderSize, '\0');
  BlockHeader parsed;
  EXPECT_EQ(ParseBlockHeader(h, &parsed).code(), StatusCode::kDataLoss);  // magic
  std::string file;
  ASSERT_TRUE(AppendBlock("", 0, 1, &file).ok());
  ASSERT_TRUE(ParseBlockHeader(file, &parsed).ok());
  file[15] = 0x7f;  // raw_len high byte: 2 GiB
  Status s = ParseBlockHeader(file, &parsed);
  EXPECT_NE(s.message().find("header checksum"), std::string::npos) << s.message();
  wire::WriteFixed32(file.data() + 24, Crc32cExtend(0, file.data(), 24));
  s = ParseBlockHeader(file, &parsed);
  EXPECT_NE(s.message().find("out of bounds"), std::string::npos) << s.message();
}

// A header whose raw size disagrees with its zstd frame's (CRCs made to match, as only a
// crafted file can) is refused without allocating the claimed size (spanstore_segment_fuzz:
// 64 MiB zero-filled per such block).
TEST(FormatTest, BlockSizeMustMatchItsZstdFrame) {
  std::string block;
  ASSERT_TRUE(AppendBlock(std::string(100, 'x'), 0, 1, &block).ok());
  BlockHeader header;
  ASSERT_TRUE(ParseBlockHeader(block, &header).ok());
  std::string raw;
  ASSERT_TRUE(DecodeBlock(block, header, &raw).ok());
  EXPECT_EQ(raw, std::string(100, 'x'));
  header.raw_len = kMaxBlockRawBytes;
  Status s = DecodeBlock(block, header, &raw);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("header says 67108864 bytes, its zstd frame 100"), std::string::npos)
      << s.message();
  EXPECT_LT(raw.capacity(), size_t{1} << 20);
  // A payload that is no zstd frame at all (its CRC fixed up).
  block[kBlockHeaderSize] ^= 0x55;
  header.raw_len = 100;
  header.payload_crc = Crc32cExtend(0, block.data() + kBlockHeaderSize, header.payload_len);
  s = DecodeBlock(block, header, &raw);
  EXPECT_NE(s.message().find("not a zstd frame"), std::string::npos) << s.message();
}

TEST(FormatTest, CursorRoundTripAndMalformed) {
  EntryKey k{1763800000123456789ull, 42, 1234567, 890};
  std::string c = EncodeCursor(k);
  EntryKey back;
  ASSERT_TRUE(DecodeCursor(c, &back));
  EXPECT_EQ(back, k);
  for (const char* bad : {"", "c1", "c1.", "c1.1.2.3", "c1.1.2.3.4.5", "c2.1.2.3.4", "c1.a.2.3.4",
                          "c1.1.99999999999.3.4", "c1.1..3.4", "c1.-1.2.3.4"}) {
    EXPECT_FALSE(DecodeCursor(bad, &back)) << bad;
  }
}

}  // namespace
}  // namespace astrolabe::spanstore::internal
