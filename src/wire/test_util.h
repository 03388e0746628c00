#pragma once
// Helpers shared by the wire tests: hex and compressible sample text.

#include <cctype>
#include <string>
#include <string_view>

namespace astrolabe::wire::test {

// "0a 1d ff" (spaces optional) -> bytes.
inline std::string Unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

// bytes -> "0a 1d ff".
inline std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// `n` bytes of exposition-like text ("metric_17 1.5\n" ...): compressible, like real bodies.
inline std::string Sample(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "metric_" + std::to_string(i % 1000) + " 1.5\n";
  s.resize(n);
  return s;
}

}  // namespace astrolabe::wire::test
