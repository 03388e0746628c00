#pragma once
// `a == b` for bytes, always inlined.

#include <cstring>
#include <string_view>

namespace astrolabe {

// In large functions GCC 12 calls string_view::compare out of line for `==` (~45 instructions
// a call); the per-attribute key and value comparisons of the span ingest path use this.
[[gnu::always_inline]] inline bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (b.empty() || std::memcmp(a.data(), b.data(), b.size()) == 0);
}

}  // namespace astrolabe
