#include "wire/proto_wire.h"

namespace astrolabe::wire {

std::string_view WireTypeName(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kStartGroup:
      return "start-group";
    case WireType::kEndGroup:
      return "end-group";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "invalid";
}

std::string_view ReadErrorText(ReadError error) {
  switch (error) {
    case ReadError::kNone:
      return "no error";
    case ReadError::kTruncatedVarint:
      return "truncated varint";
    case ReadError::kVarintOverflow:
      return "varint longer than 64 bits";
    case ReadError::kTruncatedFixed32:
      return "truncated fixed32 field";
    case ReadError::kTruncatedFixed64:
      return "truncated fixed64 field";
    case ReadError::kTruncatedLength:
      return "truncated length-delimited field";
    case ReadError::kInvalidFieldNumber:
      return "invalid field number";
    case ReadError::kInvalidWireType:
      return "invalid wire type";
    case ReadError::kUnexpectedEndGroup:
      return "unexpected end-group";
    case ReadError::kTruncatedGroup:
      return "truncated group";
    case ReadError::kGroupTooDeep:
      return "groups nested too deep";
  }
  return "unknown error";
}

void AppendVarint(std::string* out, uint64_t v) {
  char buf[kMaxVarintBytes];
  char* end = WriteVarint(buf, v);
  out->append(buf, static_cast<size_t>(end - buf));
}

void AppendFixed32(std::string* out, uint32_t v) {
  char buf[4];
  WriteFixed32(buf, v);
  out->append(buf, 4);
}

void AppendFixed64(std::string* out, uint64_t v) {
  char buf[8];
  WriteFixed64(buf, v);
  out->append(buf, 8);
}

void AppendTag(std::string* out, uint32_t field, WireType type) {
  AppendVarint(out, MakeTag(field, type));
}

void AppendLengthDelimited(std::string* out, uint32_t field, std::string_view bytes) {
  AppendTag(out, field, WireType::kLengthDelimited);
  AppendVarint(out, bytes.size());
  out->append(bytes);
}

bool ProtoReader::ReadVarintSlow(uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (p_ == end_) return Fail(ReadError::kTruncatedVarint);
    uint8_t b = *p_++;
    // The 10th byte holds bit 63 only; protowire (Go) rejects anything more, and so do we.
    if (i == kMaxVarintBytes - 1 && b > 1) return Fail(ReadError::kVarintOverflow);
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      *v = result;
      return true;
    }
  }
  return Fail(ReadError::kVarintOverflow);
}

bool ProtoReader::SkipField(WireType type, int max_group_depth) {
  switch (type) {
    case WireType::kVarint: {
      uint64_t ignored;
      return ReadVarint(&ignored);
    }
    case WireType::kFixed64: {
      uint64_t ignored;
      return ReadFixed64(&ignored);
    }
    case WireType::kLengthDelimited: {
      std::string_view ignored;
      return ReadLengthDelimited(&ignored);
    }
    case WireType::kFixed32: {
      uint32_t ignored;
      return ReadFixed32(&ignored);
    }
    case WireType::kStartGroup: {
      return SkipGroup(last_field_, max_group_depth);
    }
    case WireType::kEndGroup:
      return Fail(ReadError::kUnexpectedEndGroup);
  }
  return Fail(ReadError::kInvalidWireType);
}

bool ProtoReader::SkipGroup(uint32_t group_field, int depth) {
  if (depth <= 0) return Fail(ReadError::kGroupTooDeep);
  while (p_ != end_) {
    uint32_t field;
    WireType type;
    if (!ReadTag(&field, &type)) return false;
    if (type == WireType::kEndGroup) {
      if (field != group_field) return Fail(ReadError::kUnexpectedEndGroup);
      return true;
    }
    if (type == WireType::kStartGroup) {
      if (!SkipGroup(field, depth - 1)) return false;
    } else if (!SkipField(type, depth - 1)) {
      return false;
    }
  }
  return Fail(ReadError::kTruncatedGroup);
}

namespace {

// Bytes of the UTF-8 sequence a lead byte starts, 0 for a byte that cannot lead.
inline int SequenceLength(uint8_t b) {
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF5) return 4;
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII runs are the common case: check eight bytes at a time.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    uint8_t b = *p;
    if (b < 0x80) {
      ++p;
      continue;
    }
    int n = SequenceLength(b);
    if (n == 0 || end - p < n) return false;
    uint8_t b1 = p[1];
    if ((b1 & 0xC0) != 0x80) return false;
    if (n >= 3) {
      // Exclude overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and > U+10FFFF.
      if (b == 0xE0 && b1 < 0xA0) return false;
      if (b == 0xED && b1 > 0x9F) return false;
      if (b == 0xF0 && b1 < 0x90) return false;
      if (b == 0xF4 && b1 > 0x8F) return false;
      if ((p[2] & 0xC0) != 0x80) return false;
      if (n == 4 && (p[3] & 0xC0) != 0x80) return false;
    }
    p += n;
  }
  return true;
}

}  // namespace astrolabe::wire
