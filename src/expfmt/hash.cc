#include "expfmt/hash.h"

#include <cstring>

namespace astrolabe::expfmt {

namespace {

constexpr uint64_t kK0 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kK1 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kK2 = 0x165667B19E3779F9ull;
constexpr uint64_t kK3 = 0xD6E8FEB86659FD93ull;
constexpr uint64_t kNameSeed = 0x243F6A8885A308D3ull;
constexpr uint64_t kValueSeed = 0x13198A2E03707344ull;
constexpr uint64_t kSeriesSeed = 0xA4093822299F31D0ull;

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t Load32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// 64x64 -> 128 multiply, folded: the core mixing step.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t HashBytes(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t n = size;
  uint64_t h = seed ^ (static_cast<uint64_t>(size) * kK0);
  while (n > 16) {
    h = Fold(Load64(p) ^ kK1 ^ h, Load64(p + 8) ^ kK2);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0;
  uint64_t b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n >= 4) {
    a = Load32(p);
    b = Load32(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<uint64_t>(p[0]) << 16) | (static_cast<uint64_t>(p[n >> 1]) << 8) | p[n - 1];
  }
  h = Fold(a ^ kK1 ^ h, b ^ kK3);
  return Fold(h ^ kK0, static_cast<uint64_t>(size) ^ kK2);
}

uint64_t LabelPairHash(std::string_view name, std::string_view value) {
  return Fold(HashBytes(name.data(), name.size(), kNameSeed) ^ kK1,
              HashBytes(value.data(), value.size(), kValueSeed) ^ kK3);
}

uint64_t CombineSetHash(std::string_view name, uint64_t pair_hash_sum, size_t count) {
  uint64_t h = HashBytes(name.data(), name.size(), kSeriesSeed);
  return Fold(h ^ kK2, (pair_hash_sum + static_cast<uint64_t>(count) * kK0) ^ kK1);
}

uint64_t SeriesHash(std::string_view name, std::span<const Label> labels) {
  uint64_t sum = 0;
  for (const Label& l : labels) sum += LabelPairHash(l.name, l.value);
  return CombineSetHash(name, sum, labels.size());
}

}  // namespace astrolabe::expfmt
