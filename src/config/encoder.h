#pragma once
// Encoder: the config::Visitor that writes a config struct to a Node, for printing the
// resolved configuration (`astrolabe validate`) with every default filled in.
//
//   Encoder enc;
//   cfg.Visit(enc);
//   Node tree = std::move(enc).Take();   // a map, keys in Visit() order
//
// Values of fields marked FieldOptions::secret are written as "[REDACTED]" (empty values
// stay empty, so that "not set" remains visible). Durations are written as Go writes them
// ("10s", "1h0m0s"), byte sizes as integers, Raw() nodes as they were decoded. Empty
// lists and maps are written as [] and {}. Error() is ignored.
//
// Thread-compatible.

#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"
#include "config/visitor.h"

namespace astrolabe::config {

inline constexpr std::string_view kRedacted = "[REDACTED]";

class Encoder final : public Visitor {
 public:
  Encoder();

  // The encoded map. REQUIRES: every Enter* has been matched by its Leave*.
  Node Take() &&;

  void Field(std::string_view key, std::string& value, FieldOptions opts = {}) override;
  void Field(std::string_view key, bool& value) override;
  void Field(std::string_view key, int64_t& value) override;
  void Field(std::string_view key, double& value) override;
  void Field(std::string_view key, Duration& value) override;
  void Field(std::string_view key, std::vector<std::string>& value) override;
  void Field(std::string_view key, std::map<std::string, std::string>& value,
             FieldOptions opts = {}) override;
  void ByteSize(std::string_view key, uint64_t& value) override;
  const Node* Raw(std::string_view key, Node* raw = nullptr) override;
  bool decoding() const override { return false; }
  void Error(std::string_view, std::string) override {}

 protected:
  bool EnterObject(std::string_view key) override;
  void LeaveObject() override;
  bool EnterList(std::string_view key, size_t& size) override;
  void EnterItem(size_t index) override;
  void LeaveItem() override;
  void LeaveList() override;

 private:
  void Put(std::string_view key, Node value);

  struct Open {
    std::string key;  // key in the parent map; unused for list items
    Node node;
  };
  std::vector<Open> stack_;  // stack_[0] is the root map
};

// Encodes a struct with Visit(Visitor&). Visit() is non-const by design, hence T&.
template <typename T>
Node Encode(T& value) {
  Encoder enc;
  value.Visit(enc);
  return std::move(enc).Take();
}

}  // namespace astrolabe::config
