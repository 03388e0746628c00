#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of WAL fragments
// (src/tsdb/wal) and of framed snappy chunks (src/wire/snappy).
// Uses the SSE4.2 `crc32` instruction when the CPU has it (checked once at run time) and a
// slicing-by-8 table otherwise; both give the same values. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace astrolabe {

// Extends `crc` (the value returned for the bytes before `data`; 0 to start) over
// `data[0, size)`. Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(std::string_view bytes) {
  return Crc32cExtend(0, bytes.data(), bytes.size());
}

// The table-only implementation, for tests that compare it with the hardware one.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);

// True when Crc32cExtend uses the SSE4.2 instruction on this CPU.
bool Crc32cHardwareAccelerated();

}  // namespace astrolabe
