#pragma once
// The chunk encoding: up to 65535 (t, v) samples of one series in one byte string, timestamps as
// delta-of-delta and values as either integer deltas or Gorilla XOR — whichever is shorter
// for each sample. docs/design/tsdb.md ("Chunk encoding") has the bit layout.
//
//   bytes 0-1   sample count, big endian
//   bits        sample 0:  value0 (1 + zigzag varint, or 0 + 64 raw bits); its time t0 is not
//                          stored — every reader already has it as the chunk's min time
//               sample 1:  varint (t1 - t0) | value code
//               sample n:  '0' (same interval, same value — an idle series costs 1 bit)
//                          '1' dod code, then the value code ("changed" form when dod == 0)
// Value codes: '0' same bits; '1' then '0' + integer delta (adaptive Rice code, sign bit only
// once the chunk has seen a decrease) or '1' + Gorilla XOR.
//
// Thread-compatible. A ChunkAppender is the head chunk of one series (the series' mutex
// guards it); a ChunkIterator reads a byte string that must outlive it and stay unchanged.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace astrolabe::tsdb {

// Identifies the encoding of a chunk's bytes (a block writer records it per chunk).
enum class ChunkEncoding : uint8_t { kXorHybrid = 1 };

inline constexpr size_t kChunkHeaderSize = 2;
inline constexpr uint32_t kMaxChunkSamples = 65535;

class ChunkAppender {
 public:
  ChunkAppender();

  // REQUIRES: count() < kMaxChunkSamples and, when count() > 0, t > last_t().
  void Append(int64_t t, double v);

  uint32_t count() const { return count_; }
  int64_t first_t() const { return first_t_; }
  int64_t last_t() const { return t_; }
  double last_v() const;
  // The encoded chunk so far (header included). Valid until the next Append.
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  size_t capacity() const { return buf_.capacity(); }

  // Starts a new, empty chunk; reserves `size_hint` bytes for it.
  void Reset(size_t size_hint = 0);

 private:
  void WriteBits(uint64_t v, int n);
  void WriteBit(bool b) { WriteBits(b ? 1 : 0, 1); }
  void WriteUvarint(uint64_t v);
  void WriteValue(double v, bool known_changed);

  std::vector<uint8_t> buf_;
  int64_t first_t_ = 0;
  int64_t t_ = 0;
  int64_t dt_ = 0;
  uint64_t v_bits_ = 0;
  uint32_t count_ = 0;
  uint8_t bits_free_ = 0;   // unused low-order bits of buf_.back()
  uint64_t acc_ = 0;        // Rice parameter state: ~4 × mean |integer delta|
  uint8_t leading_ = 0xff;  // XOR window of the previous XOR-coded value; 0xff = none yet
  uint8_t trailing_ = 0;
  bool mono_ = true;  // no decrease seen in this chunk: integer deltas carry no sign
};

class ChunkIterator {
 public:
  ChunkIterator() = default;
  // `min_t` is the chunk's first timestamp (ChunkAppender::first_t() when it was built).
  ChunkIterator(const uint8_t* data, size_t size, int64_t min_t) { Reset(data, size, min_t); }
  void Reset(const uint8_t* data, size_t size, int64_t min_t);

  // Advances; false at the end or when the bytes are corrupt (then error() is true).
  bool Next();
  // Advances to the first sample with time >= t (staying if the current one qualifies).
  bool Seek(int64_t t);
  int64_t t() const { return t_; }
  double v() const;
  bool error() const { return error_; }
  uint32_t count() const { return count_; }

 private:
  // REQUIRES: n <= 64.
  uint64_t ReadBits(int n);
  bool ReadBit() {
    if (pos_ >= nbits_) return ReadBits(1) != 0;  // marks the error
    const bool bit = ((data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1) != 0;
    ++pos_;
    return bit;
  }
  uint64_t ReadUvarint();
  bool ReadValue(bool known_changed);

  const uint8_t* data_ = nullptr;
  size_t nbits_ = 0;
  size_t pos_ = 0;  // bit position
  uint32_t count_ = 0;
  uint32_t read_ = 0;  // samples decoded so far
  int64_t t_ = 0;
  int64_t dt_ = 0;
  uint64_t v_bits_ = 0;
  uint64_t acc_ = 0;
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
  bool mono_ = true;
  bool error_ = false;
  bool valid_ = false;  // At is valid
};

}  // namespace astrolabe::tsdb
