#include "storage/labels.h"

#include <algorithm>
#include <cstring>

namespace astrolabe::storage {
namespace {

void PutVarint(std::string& out, size_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Decodes a varint written by PutVarint. The buffer is always one we encoded ourselves.
size_t GetVarint(const char*& p) {
  size_t v = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(*p++);
    v |= static_cast<size_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
    shift += 7;
  }
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t Mix(uint64_t a, uint64_t b) {
  // 64x64 -> 128 multiply, folded: a strong, fast mixing step.
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ULL;

void AppendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace

uint64_t HashBytes(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ Mix(size ^ kP0, kP1);
  while (size >= 16) {
    h = Mix(Load64(p) ^ kP1 ^ h, Load64(p + 8) ^ kP2);
    p += 16;
    size -= 16;
  }
  uint64_t a = 0, b = 0;
  if (size >= 8) {
    a = Load64(p);
    b = Load64(p + size - 8);
  } else if (size > 0) {
    // 1..7 bytes: first, middle and last byte plus up to 4 bytes, enough to separate inputs.
    a = (static_cast<uint64_t>(p[0]) << 16) | (static_cast<uint64_t>(p[size / 2]) << 8) |
        p[size - 1];
    if (size >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + size - 4, 4);
      b = (static_cast<uint64_t>(hi) << 32) | lo;
    }
  }
  return Mix(h ^ a ^ kP1, b ^ kP2 ^ size);
}

Labels::Iterator::Iterator(const char* pos, const char* end) : pos_(pos), end_(end) { Decode(); }

void Labels::Iterator::Decode() {
  if (pos_ == end_) return;
  const char* p = pos_;
  size_t nlen = GetVarint(p);
  current_.name = std::string_view(p, nlen);
  p += nlen;
  size_t vlen = GetVarint(p);
  current_.value = std::string_view(p, vlen);
  next_ = p + vlen;
}

Labels::Iterator& Labels::Iterator::operator++() {
  pos_ = next_;
  Decode();
  return *this;
}

Labels::Labels() { Finish(); }

Labels Labels::FromPairs(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  return FromPairs(std::vector<std::pair<std::string_view, std::string_view>>(pairs));
}

Labels Labels::FromPairs(std::vector<std::pair<std::string_view, std::string_view>> pairs) {
  // Stable sort so that, for a repeated name, the last pair given wins below.
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Label> kept;
  kept.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].first == pairs[i].first) continue;
    if (pairs[i].second.empty()) continue;
    kept.push_back(Label{pairs[i].first, pairs[i].second});
  }
  return FromSorted(kept);
}

Labels Labels::FromSorted(const std::vector<Label>& pairs) {
  Labels l;
  size_t total = 0;
  for (const auto& p : pairs) total += p.name.size() + p.value.size() + 4;
  l.data_.reserve(total);
  for (const auto& p : pairs) {
    PutVarint(l.data_, p.name.size());
    l.data_.append(p.name);
    PutVarint(l.data_, p.value.size());
    l.data_.append(p.value);
  }
  l.size_ = static_cast<uint32_t>(pairs.size());
  l.Finish();
  return l;
}

void Labels::Finish() { hash_ = HashBytes(data_.data(), data_.size()); }

Labels::Iterator Labels::begin() const {
  return Iterator(data_.data(), data_.data() + data_.size());
}
Labels::Iterator Labels::end() const {
  const char* e = data_.data() + data_.size();
  return Iterator(e, e);
}

std::string_view Labels::Get(std::string_view name) const {
  for (Label l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;
  }
  return {};
}

bool Labels::Has(std::string_view name) const {
  for (Label l : *this) {
    if (l.name == name) return true;
    if (l.name > name) break;
  }
  return false;
}

int Labels::Compare(const Labels& a, const Labels& b) {
  auto ia = a.begin(), ib = b.begin();
  auto ea = a.end(), eb = b.end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    if (int c = ia->name.compare(ib->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = ia->value.compare(ib->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (ia != ea) return 1;
  if (ib != eb) return -1;
  return 0;
}

std::string Labels::ToString() const {
  std::string out;
  out.append(MetricName());
  out.push_back('{');
  bool first = true;
  for (Label l : *this) {
    if (l.name == kMetricName) continue;
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.append("=\"");
    AppendEscaped(out, l.value);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

LabelsBuilder::LabelsBuilder(const Labels& base) { Reset(base); }

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  for (auto& p : pairs_) {
    if (p.first == name) {
      p.second = std::string(value);
      return *this;
    }
  }
  pairs_.emplace_back(std::string(name), std::string(value));
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  std::erase_if(pairs_, [&](const auto& p) { return p.first == name; });
  return *this;
}

void LabelsBuilder::Reset() { pairs_.clear(); }

void LabelsBuilder::Reset(const Labels& base) {
  pairs_.clear();
  for (Label l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

Labels LabelsBuilder::Build() const {
  std::vector<std::pair<std::string_view, std::string_view>> views;
  views.reserve(pairs_.size());
  for (const auto& p : pairs_) views.emplace_back(p.first, p.second);
  return Labels::FromPairs(std::move(views));
}

}  // namespace astrolabe::storage
