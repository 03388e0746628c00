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

}  // namespace astrolabe::wire
