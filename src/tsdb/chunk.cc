#include "tsdb/chunk.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace astrolabe::tsdb {
namespace {

inline uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
inline double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
// Wrapping arithmetic: timestamps may be anywhere in int64 and decoded bytes may be corrupt,
// so differences are computed modulo 2^64 (no signed-overflow UB); the decoder mirrors it.
inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// An integral double whose int64 conversion is exact and round-trips bit-exactly
// (|v| <= 2^53, and not -0.0, whose sign an integer would lose).
inline bool IsSmallInt(uint64_t bits) {
  double v = FromBits(bits);
  if (!(std::fabs(v) <= 9007199254740992.0)) return false;  // also rejects NaN
  if (v != std::trunc(v)) return false;
  return !(v == 0 && std::signbit(v));
}

// Delta-of-delta classes after a '1': prefix bits, prefix length, payload width (two's
// complement). dod == 0 is a single '0'.
struct DodClass {
  uint32_t prefix;
  int prefix_len;
  int width;
};
constexpr DodClass kDodClasses[4] = {
    {0b10, 2, 5}, {0b110, 3, 14}, {0b1110, 4, 20}, {0b1111, 4, 64}};

inline bool FitsSigned(int64_t v, int width) {
  if (width >= 64) return true;
  int64_t lim = int64_t{1} << (width - 1);
  return v >= -lim && v < lim;
}

// Rice coding of integer deltas: m = |d| - 1 is written as q = m >> k in unary ('1' × q, '0')
// and the k low bits; q >= kRiceEscape writes kRiceEscape ones, 6 bits of bit length, the bits.
constexpr int kRiceEscape = 20;
inline int RiceK(uint64_t acc) {
  uint64_t mean = acc >> 2;
  return mean == 0 ? 0 : std::bit_width(mean) - 1;
}
inline uint64_t RiceUpdate(uint64_t acc, uint64_t mag) {
  constexpr uint64_t kCap = uint64_t{1} << 50;
  if (mag > kCap) mag = kCap;
  if (acc == 0) return mag << 2;  // the first delta sets the mean
  return acc - (acc >> 2) + mag;
}
inline int RiceCost(uint64_t m, int k, uint64_t acc) {
  if (acc == 0) return 6 + std::bit_width(m);  // first delta: length-prefixed, seeds the state
  uint64_t q = m >> k;
  if (q < kRiceEscape) return static_cast<int>(q) + 1 + k;
  return kRiceEscape + 6 + std::bit_width(m);
}

}  // namespace

ChunkAppender::ChunkAppender() { Reset(); }

void ChunkAppender::Reset(size_t size_hint) {
  buf_.clear();
  if (size_hint > buf_.capacity()) {
    std::vector<uint8_t> fresh;
    fresh.reserve(size_hint);
    buf_.swap(fresh);
  }
  buf_.push_back(0);
  buf_.push_back(0);
  bits_free_ = 0;
  count_ = 0;
  first_t_ = t_ = dt_ = 0;
  v_bits_ = 0;
  acc_ = 0;
  leading_ = 0xff;
  trailing_ = 0;
  mono_ = true;
}

double ChunkAppender::last_v() const { return FromBits(v_bits_); }

void ChunkAppender::WriteBits(uint64_t v, int n) {
  while (n > 0) {
    if (bits_free_ == 0) {
      buf_.push_back(0);
      bits_free_ = 8;
    }
    int take = n < bits_free_ ? n : bits_free_;
    auto piece = static_cast<uint8_t>((v >> (n - take)) & ((1u << take) - 1));
    buf_.back() |= static_cast<uint8_t>(piece << (bits_free_ - take));
    bits_free_ = static_cast<uint8_t>(bits_free_ - take);
    n -= take;
  }
}

void ChunkAppender::WriteUvarint(uint64_t v) {
  while (v >= 0x80) {
    WriteBits(0x80 | (v & 0x7f), 8);  // continuation bit, then 7 payload bits
    v >>= 7;
  }
  WriteBits(v, 8);
}

void ChunkAppender::WriteValue(double value, bool known_changed) {
  uint64_t vb = Bits(value);
  if (!known_changed) {
    if (vb == v_bits_) {
      WriteBit(false);
      return;
    }
    WriteBit(true);
  }
  // Cost of each candidate code, in bits; take the cheaper (integer on a tie).
  int int_cost = 1 << 20;
  int64_t d = 0;
  if (IsSmallInt(v_bits_) && IsSmallInt(vb)) {
    d = static_cast<int64_t>(value) - static_cast<int64_t>(FromBits(v_bits_));
    if (d > 0 || !mono_) {
      uint64_t mag = d < 0 ? static_cast<uint64_t>(-d) : static_cast<uint64_t>(d);
      int_cost = 1 + (mono_ ? 0 : 1) + RiceCost(mag - 1, RiceK(acc_), acc_);
    }
  }
  uint64_t x = vb ^ v_bits_;
  int lz = std::countl_zero(x);
  if (lz > 31) lz = 31;
  int tz = std::countr_zero(x);
  bool reuse = leading_ != 0xff && lz >= leading_ && tz >= trailing_;
  int xor_cost = reuse ? 2 + (64 - leading_ - trailing_) : 2 + 5 + 6 + (64 - lz - tz);
  if (int_cost <= xor_cost) {
    WriteBit(false);
    uint64_t mag = d < 0 ? static_cast<uint64_t>(-d) : static_cast<uint64_t>(d);
    if (!mono_) WriteBit(d < 0);
    uint64_t m = mag - 1;
    int k = RiceK(acc_);
    uint64_t q = m >> k;
    if (acc_ == 0) {
      int len = std::bit_width(m);
      WriteBits(static_cast<uint64_t>(len), 6);
      WriteBits(m, len);
    } else if (q < kRiceEscape) {
      WriteBits((uint64_t{1} << (q + 1)) - 2, static_cast<int>(q) + 1);  // q ones, a zero
      WriteBits(m, k);
    } else {
      WriteBits((uint64_t{1} << kRiceEscape) - 1, kRiceEscape);
      int len = std::bit_width(m);
      WriteBits(static_cast<uint64_t>(len), 6);
      WriteBits(m, len);
    }
    acc_ = RiceUpdate(acc_, mag);
  } else if (reuse) {
    WriteBits(0b10, 2);
    WriteBits(x >> trailing_, 64 - leading_ - trailing_);
  } else {
    int sig = 64 - lz - tz;
    WriteBits(0b11, 2);
    WriteBits(static_cast<uint64_t>(lz), 5);
    WriteBits(static_cast<uint64_t>(sig == 64 ? 0 : sig), 6);
    WriteBits(x >> tz, sig);
    leading_ = static_cast<uint8_t>(lz);
    trailing_ = static_cast<uint8_t>(tz);
  }
  if (value < FromBits(v_bits_)) mono_ = false;
  v_bits_ = vb;
}

void ChunkAppender::Append(int64_t t, double v) {
  if (count_ == 0) {
    first_t_ = t;  // not written: readers get it from the chunk's metadata
    uint64_t vb = Bits(v);
    if (IsSmallInt(vb)) {
      WriteBit(true);
      WriteUvarint(ZigZag(static_cast<int64_t>(v)));
    } else {
      WriteBit(false);
      WriteBits(vb, 64);
    }
    v_bits_ = vb;
  } else if (count_ == 1) {
    dt_ = WrapSub(t, t_);
    WriteUvarint(static_cast<uint64_t>(dt_));
    WriteValue(v, false);
  } else {
    int64_t dt = WrapSub(t, t_);
    int64_t dod = WrapSub(dt, dt_);
    if (dod == 0 && Bits(v) == v_bits_) {
      WriteBit(false);  // idle: same interval, same value
    } else {
      WriteBit(true);
      if (dod == 0) {
        WriteBit(false);
      } else {
        for (const auto& c : kDodClasses) {
          if (FitsSigned(dod, c.width)) {
            WriteBits(c.prefix, c.prefix_len);
            WriteBits(static_cast<uint64_t>(dod), c.width);
            break;
          }
        }
      }
      WriteValue(v, dod == 0);
    }
    dt_ = dt;
  }
  t_ = t;
  ++count_;
  buf_[0] = static_cast<uint8_t>(count_ >> 8);
  buf_[1] = static_cast<uint8_t>(count_);
}

// ---- reading --------------------------------------------------------------------------------

void ChunkIterator::Reset(const uint8_t* data, size_t size, int64_t min_t) {
  *this = ChunkIterator();
  data_ = data;
  t_ = min_t;
  if (size < kChunkHeaderSize) {
    error_ = size != 0;  // an empty byte string is an empty chunk; 1 byte is corrupt
    return;
  }
  count_ = (static_cast<uint32_t>(data[0]) << 8) | data[1];
  pos_ = kChunkHeaderSize * 8;
  nbits_ = size * 8;
}

double ChunkIterator::v() const { return FromBits(v_bits_); }

uint64_t ChunkIterator::ReadBits(int n) {
  if (n == 0) return 0;
  if (nbits_ - pos_ < static_cast<size_t>(n) || pos_ > nbits_) {
    error_ = true;
    pos_ = nbits_;
    return 0;
  }
  // One 64-bit big-endian load covers the n bits unless they start late in their first byte
  // (off + n > 64); the few bits past the load come from the ninth byte. Near the end of the
  // bytes the load is assembled byte by byte, never reading past `nbits_`.
  const size_t byte = pos_ >> 3;
  const int off = static_cast<int>(pos_ & 7);
  const size_t bytes_left = (nbits_ >> 3) - byte;
  uint64_t w = 0;
  if (bytes_left >= 8) {
    std::memcpy(&w, data_ + byte, 8);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  } else {
    for (size_t k = 0; k < bytes_left; ++k) w |= uint64_t{data_[byte + k]} << (56 - 8 * k);
  }
  uint64_t out = (w << off) >> (64 - n);
  const int extra = off + n - 64;
  if (extra > 0) out |= uint64_t{data_[byte + 8]} >> (8 - extra);
  pos_ += static_cast<size_t>(n);
  return out;
}

uint64_t ChunkIterator::ReadUvarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint64_t group = ReadBits(8);
    if (error_) return 0;
    v |= (group & 0x7f) << shift;
    if ((group & 0x80) == 0) return v;
  }
  error_ = true;  // more than 10 groups
  return 0;
}

bool ChunkIterator::ReadValue(bool known_changed) {
  if (!known_changed && !ReadBit()) return !error_;  // unchanged
  double prev = FromBits(v_bits_);
  if (!ReadBit()) {
    // Integer delta, Rice coded.
    if (!IsSmallInt(v_bits_)) return error_ = true, false;
    bool negative = !mono_ && ReadBit();
    uint64_t q = 0;
    if (acc_ != 0) {
      while (q < kRiceEscape && ReadBit()) ++q;
    }
    uint64_t m;
    if (acc_ == 0) {
      int len = static_cast<int>(ReadBits(6));
      if (len > 54) return error_ = true, false;
      m = ReadBits(len);
    } else if (q < kRiceEscape) {
      int k = RiceK(acc_);
      m = (q << k) | ReadBits(k);
    } else {
      int len = static_cast<int>(ReadBits(6));
      if (len > 54) return error_ = true, false;
      m = ReadBits(len);
    }
    if (error_ || m >= (uint64_t{1} << 54)) return error_ = true, false;
    uint64_t mag = m + 1;
    int64_t d = negative ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
    int64_t next = WrapAdd(static_cast<int64_t>(prev), d);
    v_bits_ = Bits(static_cast<double>(next));
    acc_ = RiceUpdate(acc_, mag);
  } else {
    uint64_t x;
    if (!ReadBit()) {
      if (leading_ == 0xff) return error_ = true, false;
      int sig = 64 - leading_ - trailing_;
      x = ReadBits(sig) << trailing_;
    } else {
      int lz = static_cast<int>(ReadBits(5));
      int sig = static_cast<int>(ReadBits(6));
      if (sig == 0) sig = 64;
      if (lz + sig > 64 || error_) return error_ = true, false;
      int tz = 64 - lz - sig;
      uint64_t bits = ReadBits(sig);
      x = tz == 64 ? 0 : bits << tz;
      leading_ = static_cast<uint8_t>(lz);
      trailing_ = static_cast<uint8_t>(tz);
    }
    if (error_) return false;
    v_bits_ ^= x;
  }
  if (FromBits(v_bits_) < prev) mono_ = false;
  return true;
}

bool ChunkIterator::Next() {
  if (error_ || read_ >= count_) {
    valid_ = false;
    return false;
  }
  if (read_ == 0) {
    if (ReadBit()) {
      v_bits_ = Bits(static_cast<double>(UnZigZag(ReadUvarint())));
    } else {
      v_bits_ = ReadBits(64);
    }
  } else if (read_ == 1) {
    dt_ = static_cast<int64_t>(ReadUvarint());
    t_ = WrapAdd(t_, dt_);
    ReadValue(false);
  } else if (!ReadBit()) {
    t_ = WrapAdd(t_, dt_);  // idle: same interval, same value
  } else {
    int64_t dod = 0;
    if (ReadBit()) {
      int cls = 0;
      while (cls < 3 && ReadBit()) ++cls;
      int width = kDodClasses[cls].width;
      uint64_t raw = ReadBits(width);
      if (width < 64 && (raw >> (width - 1)) != 0) raw |= ~uint64_t{0} << width;  // sign-extend
      dod = static_cast<int64_t>(raw);
    }
    dt_ = WrapAdd(dt_, dod);
    t_ = WrapAdd(t_, dt_);
    ReadValue(dod == 0);
  }
  if (error_) {
    valid_ = false;
    return false;
  }
  ++read_;
  valid_ = true;
  return true;
}

bool ChunkIterator::Seek(int64_t t) {
  if (valid_ && t_ >= t) return true;
  while (Next()) {
    if (t_ >= t) return true;
  }
  return false;
}

}  // namespace astrolabe::tsdb
