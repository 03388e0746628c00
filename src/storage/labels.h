#pragma once
// Labels: the identity of a series — an immutable, sorted set of name/value pairs
// (`__name__` included). Compact: all pairs live in one buffer as
// <varint name_len><name><varint value_len><value>..., sorted by name, so a set of 7 labels
// costs one allocation plus 40 bytes; the 64-bit hash is computed once at construction.
//
// Thread-compatible: a Labels value is immutable, so concurrent readers are safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/utf8.h"

namespace astrolabe::storage {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const Label&, const Label&) = default;
};

class Labels {
 public:
  // Iterates the pairs in name order. Views point into the Labels and live as long as it.
  class Iterator {
   public:
    using value_type = Label;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Label operator*() const { return current_; }
    const Label* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.pos_ == b.pos_; }

   private:
    friend class Labels;
    Iterator(const char* pos, const char* end);
    void Decode();
    const char* pos_ = nullptr;
    const char* next_ = nullptr;
    const char* end_ = nullptr;
    Label current_;
  };

  Labels();  // the empty set

  // Builds from pairs in any order. Pairs with an empty value are dropped (an empty value
  // means "label absent" in Prometheus); for a name given twice the last value wins.
  static Labels FromPairs(std::vector<std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromPairs(
      std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  // REQUIRES: pairs sorted by name, names unique, values non-empty (not checked in release).
  static Labels FromSorted(const std::vector<Label>& pairs);

  Iterator begin() const;
  Iterator end() const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // The value of __name__, or "".
  std::string_view MetricName() const { return Get(kMetricName); }

  // 64-bit hash of the pairs, computed once. Equal sets have equal hashes.
  uint64_t Hash() const { return hash_; }

  // Sizes for memory accounting: bytes of the encoded pairs.
  size_t EncodedSize() const { return data_.size(); }

  // Prometheus order: pairwise by name, then by value; a prefix sorts first.
  static int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) {
    return a.hash_ == b.hash_ && a.data_ == b.data_;
  }
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

  // `name{a="b", c="d"}` with values escaped as in PromQL; `{}` for the empty set.
  std::string ToString() const;

 private:
  void Finish();
  std::string data_;
  uint32_t size_ = 0;
  uint64_t hash_ = 0;
};

// LabelsBuilder collects pairs and builds a Labels; reusable after Reset().
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base);

  // Sets name=value; an empty value deletes the label.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  void Reset();
  void Reset(const Labels& base);
  Labels Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Stored label names and values must be well-formed UTF-8: Prometheus rejects others, and regex
// matching (RE2 here, Go's regexp there) only agrees on well-formed text.
using ::astrolabe::IsValidUtf8;  // common/utf8.h

// The hash Labels uses, over arbitrary bytes (seeded 64-bit multiply-mix; not cryptographic).
uint64_t HashBytes(const void* data, size_t size, uint64_t seed = 0);

}  // namespace astrolabe::storage
