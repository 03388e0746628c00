#pragma once
// Visitor: one description of a config struct serves decoding, defaults and printing.
//
// A config struct lists its keys once, in a Visit() method:
//
//   struct HealthCheckConfig : component::ComponentConfig {
//     std::string endpoint = "localhost:13133";
//     std::string path = "/";
//     void Visit(config::Visitor& v) override {
//       v.Field("endpoint", endpoint);
//       v.Field("path", path);
//     }
//   };
//
// The Decoder (config/decoder.h) walks a Node and fills the fields it finds, leaving
// defaults for absent keys, and reports every problem with file:line:column and the key
// path — including keys the struct never visited (unknown keys, with a "did you mean"
// suggestion). The Encoder writes the struct back to a Node for `astrolabe validate`,
// replacing values of fields marked secret with "[REDACTED]".

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/node.h"

namespace astrolabe::config {

struct FieldOptions {
  // The value (or, for maps, every value) is a credential: printed as "[REDACTED]".
  bool secret = false;
};

class Visitor {
 public:
  virtual ~Visitor() = default;

  virtual void Field(std::string_view key, std::string& value, FieldOptions opts = {}) = 0;
  virtual void Field(std::string_view key, bool& value) = 0;
  virtual void Field(std::string_view key, int64_t& value) = 0;
  virtual void Field(std::string_view key, double& value) = 0;
  // Go-style duration strings ("10s", "1m30s").
  virtual void Field(std::string_view key, Duration& value) = 0;
  virtual void Field(std::string_view key, std::vector<std::string>& value) = 0;
  virtual void Field(std::string_view key, std::map<std::string, std::string>& value,
                     FieldOptions opts = {}) = 0;
  // A byte size ("512KiB", "4MB" or a plain integer). Distinct from int64 fields.
  virtual void ByteSize(std::string_view key, uint64_t& value) = 0;

  // A nested struct with its own Visit(Visitor&).
  template <typename T>
  void Object(std::string_view key, T& value) {
    if (!EnterObject(key)) return;
    value.Visit(*this);
    LeaveObject();
  }

  // A section whose presence means something, as the receivers' `protocols: {grpc:, http:}`
  // upstream: decoding, an absent key leaves `value` empty and a present one (even `grpc:`
  // with no value) holds the defaults overridden by what the file sets; encoding writes the
  // section only when `value` holds one.
  template <typename T>
  void OptionalObject(std::string_view key, std::optional<T>& value) {
    if (decoding()) {
      if (!Present(key)) {
        value.reset();
        return;
      }
      if (!value) value.emplace();
    } else if (!value) {
      return;
    }
    Object(key, *value);
  }

  // A sequence of structs, each with Visit(Visitor&).
  template <typename T>
  void List(std::string_view key, std::vector<T>& values) {
    size_t n = values.size();
    if (!EnterList(key, n)) return;
    values.resize(n);
    for (size_t i = 0; i < n; ++i) {
      EnterItem(i);
      values[i].Visit(*this);
      LeaveItem();
    }
    LeaveList();
  }

  // The raw node under `key` for values no struct describes (e.g. an embedded Prometheus
  // config that its own decoder reads); nullptr when absent or when encoding. Marks the
  // key as known. `raw` stores the node for the encoder to print back.
  virtual const Node* Raw(std::string_view key, Node* raw = nullptr) = 0;

  // True while decoding (fields are written), false while encoding (fields are read).
  virtual bool decoding() const = 0;

  // Decoding: true when `key` is in the current map, whatever its value (null included).
  // Marks the key as known. Encoding: false.
  virtual bool Present(std::string_view key) { return false; }

  // Reports an error at the current position ("<path>: <message>"); decoders collect it,
  // encoders ignore it. For checks that need the node's position (enum values, ranges).
  virtual void Error(std::string_view key, std::string message) = 0;

 protected:
  // Returns false when the key is absent (decode) — the object keeps its defaults.
  virtual bool EnterObject(std::string_view key) = 0;
  virtual void LeaveObject() = 0;
  // Decode: sets `size` from the node and returns false when absent. Encode: uses `size`.
  virtual bool EnterList(std::string_view key, size_t& size) = 0;
  virtual void EnterItem(size_t index) = 0;
  virtual void LeaveItem() = 0;
  virtual void LeaveList() = 0;
};

}  // namespace astrolabe::config
