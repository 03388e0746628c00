#pragma once
// Protocol Buffers wire-format primitives: the encoding of tags, varints, zigzag, fixed32/64
// and length-delimited fields (https://protobuf.dev/programming-guides/encoding/). The OTLP
// codec (otlp_proto.h) is built on these; other protobuf codecs in src/wire may use them too.
//
// ProtoReader walks the fields of one message held in a borrowed buffer. It never reads
// outside [data, data + size), never allocates, and reports every malformation (truncation,
// over-long varint, bad wire type, field number 0, unbalanced groups) as a ReadError with the
// byte offset of the offending field's tag. It knows nothing of schemas: callers switch on the
// field number and skip what they do not know with SkipField().
//
// The Append* functions append canonical encodings (shortest varints, little-endian fixed
// values) to a std::string.
//
// Thread-compatible; no global state.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace astrolabe::wire {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,  // deprecated groups: only ever skipped
  kEndGroup = 4,
  kFixed32 = 5,
};
// "varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32".
std::string_view WireTypeName(WireType type);

inline constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
inline constexpr size_t kMaxVarintBytes = 10;

inline constexpr uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline constexpr int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline constexpr uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline constexpr int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1);
}

// Bytes in the shortest varint encoding of `v` (1..10).
inline constexpr size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline constexpr uint32_t MakeTag(uint32_t field, WireType type) {
  return (field << 3) | static_cast<uint32_t>(type);
}

// Writes the varint encoding of `v` at `p` and returns the byte after it.
// REQUIRES: VarintSize(v) bytes are writable at p.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* WriteFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
  return p + 4;
}
inline char* WriteFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
  return p + 8;
}

void AppendVarint(std::string* out, uint64_t v);
void AppendFixed32(std::string* out, uint32_t v);
void AppendFixed64(std::string* out, uint64_t v);
void AppendTag(std::string* out, uint32_t field, WireType type);
// Tag, length, bytes.
void AppendLengthDelimited(std::string* out, uint32_t field, std::string_view bytes);

// What went wrong while reading; kNone while nothing has.
enum class ReadError : uint8_t {
  kNone,
  kTruncatedVarint,  // the buffer ends inside a varint
  kVarintOverflow,   // more than 10 bytes, or a 10th byte above 1
  kTruncatedFixed32,
  kTruncatedFixed64,
  kTruncatedLength,     // a length prefix runs past the end of the message
  kInvalidFieldNumber,  // field number 0 or above 2^29-1
  kInvalidWireType,     // wire type 6 or 7
  kUnexpectedEndGroup,  // end-group without its start-group, or for another field
  kTruncatedGroup,      // the message ends inside a group
  kGroupTooDeep,        // groups nested deeper than the reader's limit
};
// A lowercase phrase such as "truncated length-delimited field".
std::string_view ReadErrorText(ReadError error);

// Reads the fields of one message in place. Typical use:
//   ProtoReader r(bytes, base);
//   uint32_t field; WireType type;
//   while (!r.done()) {
//     if (!r.ReadTag(&field, &type)) return Fail(r);
//     switch (field) { case 1: ...; default: if (!r.SkipField(type)) return Fail(r); }
//   }
// Every Read*/Skip* returns false on malformed input and leaves error() and
// error_offset() set; the reader must not be used after that.
class ProtoReader {
 public:
  // Reads the message `data`. `base` is the start of the outermost buffer that `data` lies
  // in, so that offsets name a byte of what the peer sent.
  // REQUIRES: base <= data.data().
  ProtoReader(std::string_view data, const char* base)
      : p_(reinterpret_cast<const uint8_t*>(data.data())),
        end_(p_ + data.size()),
        base_(reinterpret_cast<const uint8_t*>(base)),
        field_start_(p_) {}
  explicit ProtoReader(std::string_view data) : ProtoReader(data, data.data()) {}

  bool done() const { return p_ == end_; }
  // Offset (from base) of the next unread byte.
  size_t offset() const { return static_cast<size_t>(p_ - base_); }
  // Offset (from base) of the tag of the field read last.
  size_t field_offset() const { return static_cast<size_t>(field_start_ - base_); }

  ReadError error() const { return error_; }
  // Offset (from base) of the tag of the field in which the error was found.
  size_t error_offset() const { return field_offset(); }

  // Reads a tag. REQUIRES: !done(). Always inlined: every field of every message starts here,
  // and as a call it was 4 % of the server's span-ingest instructions.
  [[gnu::always_inline]] bool ReadTag(uint32_t* field, WireType* type) {
    field_start_ = p_;
    uint64_t tag;
    if (p_ < end_ && *p_ < 0x80) {
      tag = *p_++;
    } else if (!ReadVarint(&tag)) {
      return false;
    }
    uint64_t number = tag >> 3;
    uint32_t wt = static_cast<uint32_t>(tag & 7);
    if (number == 0 || number > kMaxFieldNumber) return Fail(ReadError::kInvalidFieldNumber);
    if (wt > 5) return Fail(ReadError::kInvalidWireType);
    *field = last_field_ = static_cast<uint32_t>(number);
    *type = static_cast<WireType>(wt);
    return true;
  }

  // Always inlined (the one-byte case; longer ones call ReadVarintSlow): lengths and small
  // integers are read here for every field.
  [[gnu::always_inline]] bool ReadVarint(uint64_t* v) {
    if (p_ < end_ && *p_ < 0x80) {
      *v = *p_++;
      return true;
    }
    return ReadVarintSlow(v);
  }
  bool ReadFixed32(uint32_t* v) {
    if (end_ - p_ < 4) return Fail(ReadError::kTruncatedFixed32);
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>(p_[i]) << (8 * i);
    p_ += 4;
    *v = r;
    return true;
  }
  bool ReadFixed64(uint64_t* v) {
    if (end_ - p_ < 8) return Fail(ReadError::kTruncatedFixed64);
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    *v = r;
    return true;
  }
  // Reads a length prefix and returns the bytes it covers, borrowed from the buffer.
  [[gnu::always_inline]] bool ReadLengthDelimited(std::string_view* bytes) {
    uint64_t len;
    if (!ReadVarint(&len)) return false;
    if (len > static_cast<uint64_t>(end_ - p_)) return Fail(ReadError::kTruncatedLength);
    *bytes = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(len));
    p_ += len;
    return true;
  }

  // Skips the value of a field whose tag was just read. Groups are skipped with everything
  // inside them, nested at most `max_group_depth` deep.
  bool SkipField(WireType type, int max_group_depth = 32);

 private:
  bool Fail(ReadError e) {
    error_ = e;
    return false;
  }
  bool ReadVarintSlow(uint64_t* v);
  bool SkipGroup(uint32_t field, int depth);

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* base_;
  const uint8_t* field_start_;
  uint32_t last_field_ = 0;
  ReadError error_ = ReadError::kNone;
};

using ::astrolabe::IsValidUtf8;  // common/utf8.h

}  // namespace astrolabe::wire
