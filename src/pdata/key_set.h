#pragma once
// KeySet: the first value of each of a few known attribute keys, found in one pass over an
// attribute list instead of one FindAttribute scan per key. For code that reads a fixed set
// of keys from every span it sees (the span store's index hook, genaimetrics): an attribute
// is compared only with the known keys of its own length, and those are told apart by their
// last eight bytes before the full comparison.
//
//   constexpr pdata::KeySet<3> kKeys({"gen_ai.request.model", "gen_ai.system", "error.type"});
//   const pdata::AnyValue* found[3];
//   kKeys.FindFirst(span.attributes, found);  // found[i]: the first value of key i, or null
//
// Built at compile time: a key shorter than 8 bytes or of 32 bytes or more, or more than
// kPerLength keys of one length, fails to compile.

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pdata/common.h"

namespace astrolabe::pdata {

template <size_t N>
class KeySet {
 public:
  static constexpr size_t kMaxLength = 32;
  static constexpr size_t kPerLength = 4;

  consteval explicit KeySet(const std::array<std::string_view, N>& names) : names_(names) {
    for (auto& ids : by_length_) ids.fill(-1);
    for (size_t k = 0; k < N; ++k) {
      const std::string_view name = names_[k];
      if (name.size() < 8 || name.size() >= kMaxLength) throw "KeySet: key length out of range";
      tails_[k] = Tail(name);
      auto& ids = by_length_[name.size()];
      size_t i = 0;
      while (ids[i] >= 0) {
        if (++i == kPerLength) throw "KeySet: too many keys of one length";
      }
      ids[i] = static_cast<int8_t>(k);
    }
  }

  // found[k] = the value of the first attribute named names[k], or nullptr (as
  // FindAttribute: the first of repeated keys).
  void FindFirst(const Attributes& attrs, const AnyValue* (&found)[N]) const {
    for (auto& v : found) v = nullptr;
    for (const KeyValue& kv : attrs) {
      const std::string_view key = kv.key;
      if (key.size() >= kMaxLength || by_length_[key.size()][0] < 0) continue;
      uint64_t tail;
      std::memcpy(&tail, key.data() + key.size() - 8, 8);  // a listed length is >= 8
      for (int8_t k : by_length_[key.size()]) {
        if (k < 0) break;
        if (tail == tails_[k] && key == names_[k]) {
          if (found[k] == nullptr) found[k] = &kv.value;
          break;
        }
      }
    }
  }

 private:
  // The last eight bytes as the machine loads them (FindFirst's memcpy).
  static constexpr uint64_t Tail(std::string_view k) {
    uint64_t x = 0;
    for (size_t i = 0; i < 8; ++i) {
      const uint64_t byte = static_cast<unsigned char>(k[k.size() - 8 + i]);
      x |= byte << (std::endian::native == std::endian::little ? 8 * i : 8 * (7 - i));
    }
    return x;
  }

  std::array<std::string_view, N> names_;
  std::array<uint64_t, N> tails_{};
  std::array<std::array<int8_t, kPerLength>, kMaxLength> by_length_{};
};

}  // namespace astrolabe::pdata
