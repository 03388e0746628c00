#pragma once
// Postings: for each label pair (name, value), the sorted list of series refs that carry it —
// the inverted index a matcher query walks. MemPostings is the head's mutable index keyed by
// interned symbol ids; the free functions combine sorted ref lists.
//
// Thread-safe: one shared_mutex; Add() takes it exclusively (only when a series is created),
// readers share it. Readers get copies, so nothing they hold changes under them.

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace astrolabe::tsdb {

using Postings = std::vector<uint64_t>;  // sorted ascending, unique

// Sorted-list algebra. Inputs must be sorted and unique; outputs are.
Postings Intersect(const Postings& a, const Postings& b);
Postings Union(std::vector<Postings> lists);
Postings Difference(const Postings& a, const Postings& b);  // a \ b

class MemPostings {
 public:
  // Indexes series `ref` under each (name, value) symbol pair and under the all-series list.
  // `pairs` holds name0, value0, name1, value1, ... Refs normally arrive in increasing order
  // (append at the end); a ref created concurrently may arrive late and is inserted in place.
  void Add(uint64_t ref, std::span<const uint32_t> pairs);

  Postings Get(uint32_t name, uint32_t value) const;
  Postings All() const;
  // Union of the lists of every value of `name` for which pred(value) is true.
  Postings UnionWhere(uint32_t name, const std::function<bool(uint32_t value)>& pred) const;
  // Symbol ids of every label name, and of every value of `name` (unordered).
  std::vector<uint32_t> Names() const;
  std::vector<uint32_t> Values(uint32_t name) const;
  // Calls fn(value, refs) for each value of `name` under the shared lock; fn returns false to
  // stop. fn must not call back into this object.
  void ForEachValue(uint32_t name,
                    const std::function<bool(uint32_t value, const Postings& refs)>& fn) const;

  // Removes the series `refs` (sorted) from every list; lists left empty disappear.
  void Delete(const Postings& refs);

  size_t num_pairs() const;
  // Bytes held by lists and maps (estimated from sizes and capacities).
  size_t MemoryBytes() const;

 private:
  static void Insert(Postings& list, uint64_t ref);
  mutable std::shared_mutex mu_;
  std::unordered_map<uint32_t, std::unordered_map<uint32_t, Postings>> index_;  // GUARDED_BY(mu_)
  Postings all_;                                                                // GUARDED_BY(mu_)
};

}  // namespace astrolabe::tsdb
