#include "pdata/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/base64.h"
#include "common/json_string.h"

namespace astrolabe::pdata {

bool operator==(const AnyValue& a, const AnyValue& b) { return a.v_ == b.v_; }

std::string_view AnyValueTypeName(AnyValue::Type type) {
  switch (type) {
    case AnyValue::Type::kEmpty:
      return "Empty";
    case AnyValue::Type::kString:
      return "Str";
    case AnyValue::Type::kBool:
      return "Bool";
    case AnyValue::Type::kInt:
      return "Int";
    case AnyValue::Type::kDouble:
      return "Double";
    case AnyValue::Type::kArray:
      return "Slice";
    case AnyValue::Type::kKvList:
      return "Map";
    case AnyValue::Type::kBytes:
      return "Bytes";
  }
  return "";
}

namespace {

// Go's encoding/json float rendering (also pcommon's float64AsString): shortest
// round-trip digits, fixed notation unless |f| < 1e-6 or >= 1e21, exponent unpadded.
std::string Es6Double(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  double abs = std::fabs(f);
  bool exp = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  auto res = std::to_chars(buf, buf + sizeof buf, f,
                           exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, res.ptr);
  if (exp) {
    // to_chars pads the exponent to two digits ("1e-07"); Go's JSON does not.
    size_t e = out.find('e');
    if (e != std::string::npos && e + 2 < out.size() && out[e + 2] == '0' && e + 3 < out.size()) {
      out.erase(e + 2, 1);
    }
  }
  return out;
}

std::string Base64(std::string_view in) { return Base64Encode(in); }

// A JSON string as Go's encoder writes it with HTML escaping off.
void JsonString(std::string_view s, std::string& out) { AppendJsonString(out, s); }

// Appends `v` as JSON; false when it cannot be represented (NaN, infinities).
bool Json(const AnyValue& v, std::string& out) {
  switch (v.type()) {
    case AnyValue::Type::kEmpty:
      out += "null";
      return true;
    case AnyValue::Type::kString:
      JsonString(v.string_value(), out);
      return true;
    case AnyValue::Type::kBool:
      out += v.bool_value() ? "true" : "false";
      return true;
    case AnyValue::Type::kInt:
      out += std::to_string(v.int_value());
      return true;
    case AnyValue::Type::kDouble:
      if (!std::isfinite(v.double_value())) return false;
      out += Es6Double(v.double_value());
      return true;
    case AnyValue::Type::kBytes:
      JsonString(Base64(v.bytes_value().data), out);
      return true;
    case AnyValue::Type::kArray: {
      out += '[';
      bool first = true;
      for (const AnyValue& e : v.array_value()) {
        if (!first) out += ',';
        first = false;
        if (!Json(e, out)) return false;
      }
      out += ']';
      return true;
    }
    case AnyValue::Type::kKvList: {
      // Go marshals a map with its keys sorted; a duplicate key keeps the last value.
      std::vector<const KeyValue*> kvs;
      for (const KeyValue& kv : v.kvlist_value()) kvs.push_back(&kv);
      std::stable_sort(kvs.begin(), kvs.end(),
                       [](const KeyValue* a, const KeyValue* b) { return a->key < b->key; });
      out += '{';
      bool first = true;
      for (size_t i = 0; i < kvs.size(); ++i) {
        if (i + 1 < kvs.size() && kvs[i + 1]->key == kvs[i]->key) continue;
        if (!first) out += ',';
        first = false;
        JsonString(kvs[i]->key, out);
        out += ':';
        if (!Json(kvs[i]->value, out)) return false;
      }
      out += '}';
      return true;
    }
  }
  return false;
}

// FNV-1a over an explicit little-endian encoding, finished with a splitmix64 mix: the
// same bytes give the same hash on every platform and in every release.
class StableHasher {
 public:
  void Byte(uint8_t b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Str(std::string_view s) {
    U64(s.size());
    for (char c : s) Byte(static_cast<uint8_t>(c));
  }
  uint64_t Finish() const {
    uint64_t z = h_ + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::vector<const KeyValue*> SortedByKey(const KeyValueList& kvs) {
  std::vector<const KeyValue*> out;
  out.reserve(kvs.size());
  for (const KeyValue& kv : kvs) out.push_back(&kv);
  std::stable_sort(out.begin(), out.end(),
                   [](const KeyValue* a, const KeyValue* b) { return a->key < b->key; });
  return out;
}

void HashKvList(const KeyValueList& kvs, StableHasher& h);

void HashValue(const AnyValue& v, StableHasher& h) {
  h.Byte(static_cast<uint8_t>(v.type()));
  switch (v.type()) {
    case AnyValue::Type::kEmpty:
      break;
    case AnyValue::Type::kString:
      h.Str(v.string_value());
      break;
    case AnyValue::Type::kBool:
      h.Byte(v.bool_value() ? 1 : 0);
      break;
    case AnyValue::Type::kInt:
      h.U64(static_cast<uint64_t>(v.int_value()));
      break;
    case AnyValue::Type::kDouble: {
      double d = v.double_value();
      if (d == 0) d = 0;  // -0.0 == 0.0, so they must hash alike
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      h.U64(bits);
      break;
    }
    case AnyValue::Type::kBytes:
      h.Str(v.bytes_value().data);
      break;
    case AnyValue::Type::kArray:
      h.U64(v.array_value().size());
      for (const AnyValue& e : v.array_value()) HashValue(e, h);
      break;
    case AnyValue::Type::kKvList:
      HashKvList(v.kvlist_value(), h);
      break;
  }
}

void HashKvList(const KeyValueList& kvs, StableHasher& h) {
  h.U64(kvs.size());
  for (const KeyValue* kv : SortedByKey(kvs)) {
    h.Str(kv->key);
    HashValue(kv->value, h);
  }
}

bool ValuesEquivalent(const AnyValue& a, const AnyValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case AnyValue::Type::kArray: {
      const ArrayValue& x = a.array_value();
      const ArrayValue& y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!ValuesEquivalent(x[i], y[i])) return false;
      }
      return true;
    }
    case AnyValue::Type::kKvList:
      return AttributesEquivalent(a.kvlist_value(), b.kvlist_value());
    default:
      return a == b;
  }
}

template <size_t N>
std::string ToHexBytes(const std::array<uint8_t, N>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <size_t N>
bool FromHexBytes(std::string_view hex, std::array<uint8_t, N>* out) {
  if (hex.size() != 2 * N) return false;
  std::array<uint8_t, N> bytes{};
  for (size_t i = 0; i < N; ++i) {
    int hi = HexDigit(hex[2 * i]);
    int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *out = bytes;
  return true;
}

}  // namespace

std::string AnyValueToString(const AnyValue& value) {
  switch (value.type()) {
    case AnyValue::Type::kEmpty:
      return "";
    case AnyValue::Type::kString:
      return value.string_value();
    case AnyValue::Type::kBool:
      return value.bool_value() ? "true" : "false";
    case AnyValue::Type::kInt:
      return std::to_string(value.int_value());
    case AnyValue::Type::kDouble:
      return Es6Double(value.double_value());
    case AnyValue::Type::kBytes:
      return Base64(value.bytes_value().data);
    case AnyValue::Type::kArray:
    case AnyValue::Type::kKvList: {
      std::string out;
      if (!Json(value, out)) return "";
      return out;
    }
  }
  return "";
}

namespace {

// Attribute keys share long prefixes ("gen_ai.usage.", "gen_ai.request."), and the
// processors look up dozens of keys per span: comparing the length and the last byte first
// skips most memcmp calls.
inline bool KeyIs(const std::string& key, std::string_view want) {
  return key.size() == want.size() && (want.empty() || key.back() == want.back()) &&
         std::memcmp(key.data(), want.data(), want.size()) == 0;
}

}  // namespace

const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (KeyIs(kv.key, key)) return &kv.value;
  }
  return nullptr;
}

void PutAttribute(Attributes& attributes, std::string_view key, AnyValue value) {
  for (KeyValue& kv : attributes) {
    if (KeyIs(kv.key, key)) {
      kv.value = std::move(value);
      return;
    }
  }
  attributes.push_back(KeyValue{std::string(key), std::move(value)});
}

bool RemoveAttribute(Attributes& attributes, std::string_view key) {
  auto it = std::remove_if(attributes.begin(), attributes.end(),
                           [&](const KeyValue& kv) { return KeyIs(kv.key, key); });
  bool removed = it != attributes.end();
  attributes.erase(it, attributes.end());
  return removed;
}

uint64_t HashAttributes(const Attributes& attributes) {
  StableHasher h;
  HashKvList(attributes, h);
  return h.Finish();
}

bool AttributesEquivalent(const Attributes& a, const Attributes& b) {
  if (a.size() != b.size()) return false;
  std::vector<const KeyValue*> x = SortedByKey(a);
  std::vector<const KeyValue*> y = SortedByKey(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i]->key != y[i]->key || !ValuesEquivalent(x[i]->value, y[i]->value)) return false;
  }
  return true;
}

std::string TraceId::ToHex() const { return ToHexBytes(bytes); }
bool TraceId::FromHex(std::string_view hex, TraceId* out) { return FromHexBytes(hex, &out->bytes); }

std::string SpanId::ToHex() const { return ToHexBytes(bytes); }
bool SpanId::FromHex(std::string_view hex, SpanId* out) { return FromHexBytes(hex, &out->bytes); }

}  // namespace astrolabe::pdata
