#include "tsdb/postings.h"

#include <algorithm>
#include <mutex>

namespace astrolabe::tsdb {

Postings Intersect(const Postings& a, const Postings& b) {
  Postings out;
  const Postings& small = a.size() <= b.size() ? a : b;
  const Postings& large = a.size() <= b.size() ? b : a;
  out.reserve(small.size());
  // When one list is much shorter, galloping through the longer one beats a linear merge.
  if (small.size() * 16 < large.size()) {
    auto it = large.begin();
    for (uint64_t r : small) {
      it = std::lower_bound(it, large.end(), r);
      if (it == large.end()) break;
      if (*it == r) out.push_back(r);
    }
    return out;
  }
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Union(std::vector<Postings> lists) {
  std::erase_if(lists, [](const Postings& p) { return p.empty(); });
  if (lists.empty()) return {};
  if (lists.size() == 1) return std::move(lists[0]);
  if (lists.size() == 2) {
    Postings out;
    out.reserve(lists[0].size() + lists[1].size());
    std::set_union(lists[0].begin(), lists[0].end(), lists[1].begin(), lists[1].end(),
                   std::back_inserter(out));
    return out;
  }
  size_t total = 0;
  for (const auto& l : lists) total += l.size();
  Postings out;
  out.reserve(total);
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Postings Difference(const Postings& a, const Postings& b) {
  if (b.empty()) return a;
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void MemPostings::Delete(const Postings& refs) {
  if (refs.empty()) return;
  std::unique_lock lock(mu_);
  for (auto name = index_.begin(); name != index_.end();) {
    for (auto value = name->second.begin(); value != name->second.end();) {
      value->second = Difference(value->second, refs);
      value = value->second.empty() ? name->second.erase(value) : std::next(value);
    }
    name = name->second.empty() ? index_.erase(name) : std::next(name);
  }
  all_ = Difference(all_, refs);
}

void MemPostings::Insert(Postings& list, uint64_t ref) {
  if (list.empty() || list.back() < ref) {
    list.push_back(ref);
    return;
  }
  auto it = std::lower_bound(list.begin(), list.end(), ref);
  if (it == list.end() || *it != ref) list.insert(it, ref);
}

void MemPostings::Add(uint64_t ref, std::span<const uint32_t> pairs) {
  std::unique_lock lock(mu_);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) Insert(index_[pairs[i]][pairs[i + 1]], ref);
  Insert(all_, ref);
}

Postings MemPostings::Get(uint32_t name, uint32_t value) const {
  std::shared_lock lock(mu_);
  auto n = index_.find(name);
  if (n == index_.end()) return {};
  auto v = n->second.find(value);
  if (v == n->second.end()) return {};
  return v->second;
}

Postings MemPostings::All() const {
  std::shared_lock lock(mu_);
  return all_;
}

Postings MemPostings::UnionWhere(uint32_t name,
                                 const std::function<bool(uint32_t value)>& pred) const {
  std::vector<Postings> lists;
  {
    std::shared_lock lock(mu_);
    auto n = index_.find(name);
    if (n == index_.end()) return {};
    for (const auto& [value, refs] : n->second) {
      if (pred(value)) lists.push_back(refs);
    }
  }
  return Union(std::move(lists));
}

std::vector<uint32_t> MemPostings::Names() const {
  std::shared_lock lock(mu_);
  std::vector<uint32_t> out;
  out.reserve(index_.size());
  for (const auto& [name, values] : index_) out.push_back(name);
  return out;
}

std::vector<uint32_t> MemPostings::Values(uint32_t name) const {
  std::shared_lock lock(mu_);
  std::vector<uint32_t> out;
  auto n = index_.find(name);
  if (n == index_.end()) return out;
  out.reserve(n->second.size());
  for (const auto& [value, refs] : n->second) out.push_back(value);
  return out;
}

void MemPostings::ForEachValue(
    uint32_t name, const std::function<bool(uint32_t value, const Postings& refs)>& fn) const {
  std::shared_lock lock(mu_);
  auto n = index_.find(name);
  if (n == index_.end()) return;
  for (const auto& [value, refs] : n->second) {
    if (!fn(value, refs)) return;
  }
}

size_t MemPostings::num_pairs() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [name, values] : index_) n += values.size();
  return n;
}

size_t MemPostings::MemoryBytes() const {
  std::shared_lock lock(mu_);
  // Per map node: key, value, next pointer, cached hash; plus one bucket pointer.
  size_t bytes = all_.capacity() * sizeof(uint64_t);
  for (const auto& [name, values] : index_) {
    bytes += 8 + sizeof(values) + 24;
    for (const auto& [value, refs] : values) {
      bytes += 8 + sizeof(refs) + 24 + refs.capacity() * sizeof(uint64_t);
    }
  }
  return bytes;
}

}  // namespace astrolabe::tsdb
