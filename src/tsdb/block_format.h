#pragma once
// Byte-level pieces of the block format shared by the writer and the reader (internal to
// src/tsdb). The layout is drawn in docs/design/tsdb.md, "Blocks".

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace astrolabe::tsdb::block_internal {

inline constexpr char kIndexMagic[4] = {'A', 'L', 'B', 'I'};
inline constexpr char kChunksMagic[4] = {'A', 'L', 'B', 'C'};
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 8;  // magic, version, 3 zero bytes
// Table of contents at the end of the index: five u64 (symbols, series, postings, offset
// table section offsets; the all-series postings list's offset in the postings body), then
// a CRC-32C of those 40 bytes.
inline constexpr size_t kTocSize = 5 * 8 + 4;
inline constexpr int kMetaVersion = 1;

inline void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}
inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}
inline void PutUvarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
inline void PutVarint(std::string* out, int64_t v) {
  PutUvarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
inline uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t GetU64(const uint8_t* p) { return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4); }

// Bounds-checked reading of varints; after any overrun ok() stays false.
class Decoder {
 public:
  Decoder(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Fail();
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return Fail();
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t Varint() {
    uint64_t u = Uvarint();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  // Reads a length-prefixed byte string.
  std::string_view Bytes() {
    uint64_t n = Uvarint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      Fail();
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  const uint8_t* pos() const { return p_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  uint64_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

inline std::string FileHeader(const char (&magic)[4]) {
  std::string h(magic, 4);
  h.push_back(static_cast<char>(kFormatVersion));
  h.append(3, '\0');
  return h;
}

inline std::string SegmentName(uint32_t n) {
  std::string s = std::to_string(n);
  return std::string(s.size() < 6 ? 6 - s.size() : 0, '0') + s;
}

}  // namespace astrolabe::tsdb::block_internal
