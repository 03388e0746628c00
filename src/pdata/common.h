#pragma once
// The pieces every OTLP signal shares (opentelemetry-proto common/v1 and resource/v1):
// AnyValue, KeyValue attributes, Resource, InstrumentationScope, and trace/span ids.
//
// Everything in pdata is a plain struct of std::string / std::vector members: cheap to
// move, deep-copied only when copied. The top-level containers (Metrics, Traces, Logs)
// are move-only and copied with an explicit Clone(); inner structs are copyable so that
// processors can duplicate a point or a span when they mean to.
//
// Thread-compatible: no internal synchronisation.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace astrolabe::pdata {

struct KeyValue;
class AnyValue;

using ArrayValue = std::vector<AnyValue>;
using KeyValueList = std::vector<KeyValue>;
// Attributes in wire order. OTLP requires unique keys; pdata does not enforce it.
using Attributes = std::vector<KeyValue>;

// Opaque bytes (AnyValue.bytes_value), distinct from a UTF-8 string.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

// AnyValue: empty, string, bool, int64, double, array, key-value list or bytes.
// Constructible implicitly from the scalar types so that attribute lists read naturally:
//   Attributes attrs = {{"http.method", "GET"}, {"http.status_code", 200}};
class AnyValue {
 public:
  enum class Type { kEmpty, kString, kBool, kInt, kDouble, kArray, kKvList, kBytes };

  AnyValue() = default;
  // The converting constructors are defined below KeyValue: constructing the variant
  // instantiates vector<KeyValue>, which needs KeyValue complete (clang is strict here).
  AnyValue(std::string v);       // NOLINT(google-explicit-constructor)
  AnyValue(std::string_view v);  // NOLINT(google-explicit-constructor)
  AnyValue(const char* v);       // NOLINT(google-explicit-constructor)
  AnyValue(bool v);              // NOLINT(google-explicit-constructor)
  AnyValue(double v);            // NOLINT(google-explicit-constructor)
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) AnyValue(I v);  // NOLINT
  AnyValue(ArrayValue v);    // NOLINT(google-explicit-constructor)
  AnyValue(KeyValueList v);  // NOLINT(google-explicit-constructor)
  AnyValue(Bytes v);         // NOLINT(google-explicit-constructor)

  Type type() const { return static_cast<Type>(v_.index()); }
  bool empty() const { return v_.index() == 0; }

  // Typed access. REQUIRES: type() is the matching type.
  const std::string& string_value() const { return std::get<std::string>(v_); }
  std::string& mutable_string_value() { return std::get<std::string>(v_); }
  bool bool_value() const { return std::get<bool>(v_); }
  int64_t int_value() const { return std::get<int64_t>(v_); }
  double double_value() const { return std::get<double>(v_); }
  const ArrayValue& array_value() const { return std::get<ArrayValue>(v_); }
  ArrayValue& array_value() { return std::get<ArrayValue>(v_); }
  const KeyValueList& kvlist_value() const { return std::get<KeyValueList>(v_); }
  KeyValueList& kvlist_value() { return std::get<KeyValueList>(v_); }
  const Bytes& bytes_value() const { return std::get<Bytes>(v_); }

  // Deep, order-sensitive equality (a double NaN is unequal to itself, as in ==).
  friend bool operator==(const AnyValue& a, const AnyValue& b);

 private:
  // The index order is Type's order.
  std::variant<std::monostate, std::string, bool, int64_t, double, ArrayValue, KeyValueList, Bytes>
      v_;
};

struct KeyValue {
  std::string key;
  AnyValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

inline AnyValue::AnyValue(std::string v) : v_(std::move(v)) {}
inline AnyValue::AnyValue(std::string_view v) : v_(std::string(v)) {}
inline AnyValue::AnyValue(const char* v) : v_(std::string(v)) {}
inline AnyValue::AnyValue(bool v) : v_(v) {}
inline AnyValue::AnyValue(double v) : v_(v) {}
template <typename I>
requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) AnyValue::AnyValue(I v)
    : v_(static_cast<int64_t>(v)) {}
inline AnyValue::AnyValue(ArrayValue v) : v_(std::move(v)) {}
inline AnyValue::AnyValue(KeyValueList v) : v_(std::move(v)) {}
inline AnyValue::AnyValue(Bytes v) : v_(std::move(v)) {}

// The upstream pcommon type names: "Empty", "Str", "Bool", "Int", "Double", "Slice",
// "Map", "Bytes".
std::string_view AnyValueTypeName(AnyValue::Type type);

// The value as text, as upstream pcommon Value.AsString(): strings as is, bools
// "true"/"false", ints in decimal, doubles as JavaScript would print them ("1.5",
// "1e+21", "NaN", "Infinity"), bytes in standard base64, arrays and kvlists as compact
// JSON (kvlist keys sorted; "" when the JSON would hold a NaN or infinity).
std::string AnyValueToString(const AnyValue& value);

// The value of the first attribute named `key`, or nullptr.
const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key);
// Sets `key` to `value`, replacing the first attribute of that name or appending.
void PutAttribute(Attributes& attributes, std::string_view key, AnyValue value);
// Removes every attribute named `key`; returns whether one was removed.
bool RemoveAttribute(Attributes& attributes, std::string_view key);

// A 64-bit hash of an attribute set that ignores order (attributes and nested kvlists
// are hashed sorted by key) and is stable across processes, platforms and releases, so
// it may identify a stream in memory or on disk. Equal sets (as by AttributesEquivalent)
// hash equal; 0.0 and -0.0 hash equal.
uint64_t HashAttributes(const Attributes& attributes);
// Order-insensitive equality of attribute sets (nested kvlists compared the same way).
bool AttributesEquivalent(const Attributes& a, const Attributes& b);

// A 16-byte trace id; all zeros means "unset".
struct TraceId {
  std::array<uint8_t, 16> bytes{};
  bool empty() const {
    uint64_t lo, hi;  // two loads; comparing with TraceId{} calls memcmp
    __builtin_memcpy(&lo, bytes.data(), 8);
    __builtin_memcpy(&hi, bytes.data() + 8, 8);
    return (lo | hi) == 0;
  }
  // 32 lowercase hex digits (also for an unset id).
  std::string ToHex() const;
  // Parses 32 hex digits (either case); false on anything else, leaving *out unchanged.
  static bool FromHex(std::string_view hex, TraceId* out);
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// An 8-byte span id; all zeros means "unset".
struct SpanId {
  std::array<uint8_t, 8> bytes{};
  bool empty() const {
    uint64_t v;
    __builtin_memcpy(&v, bytes.data(), 8);
    return v == 0;
  }
  // 16 lowercase hex digits (also for an unset id).
  std::string ToHex() const;
  // Parses 16 hex digits (either case); false on anything else, leaving *out unchanged.
  static bool FromHex(std::string_view hex, SpanId* out);
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

struct Resource {
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const Resource&, const Resource&) = default;
};

struct InstrumentationScope {
  std::string name;
  std::string version;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const InstrumentationScope&, const InstrumentationScope&) = default;
};

}  // namespace astrolabe::pdata
