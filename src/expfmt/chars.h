#pragma once
// Internal to src/expfmt: byte-class tables used by the parser and the writer. Not part of the
// public API.

#include <array>
#include <cstdint>

namespace astrolabe::expfmt::internal {

enum CharClass : uint8_t {
  kMetricStart = 1,  // [a-zA-Z_:]
  kMetricRest = 2,   // [a-zA-Z0-9_:]
  kLabelStart = 4,   // [a-zA-Z_]
  kLabelRest = 8,    // [a-zA-Z0-9_]
  kBlank = 16,       // ' ' or '\t'
};

constexpr std::array<uint8_t, 256> MakeCharTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || c == '_' || c == ':') v |= kMetricStart;
    if (alpha || digit || c == '_' || c == ':') v |= kMetricRest;
    if (alpha || c == '_') v |= kLabelStart;
    if (alpha || digit || c == '_') v |= kLabelRest;
    if (c == ' ' || c == '\t') v |= kBlank;
    t[c] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharTable = MakeCharTable();

inline bool Is(char c, CharClass cls) {
  return (kCharTable[static_cast<unsigned char>(c)] & cls) != 0;
}

}  // namespace astrolabe::expfmt::internal
