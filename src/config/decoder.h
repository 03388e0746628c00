#pragma once
// Decoder: the config::Visitor that reads a Node into a config struct.
//
//   MyConfig cfg;                       // defaults set by the struct
//   Diagnostics diag;
//   Decode(entry.body, "receivers.prometheus", cfg, diag);
//   if (diag.has_errors()) ...
//
// Rules, as upstream's mapstructure decoding with ErrorUnused:
//   - an absent key, or a key whose value is null ("key:" or "key: ~"), keeps the default;
//   - a value of the wrong type is an error at the value's position, e.g.
//     `x.yaml:4:20: exporters.otlp_http.timeout: expected a duration like 10s, got "ten"`;
//     numbers and bools must be written unquoted (a quoted "true" is a string);
//   - every key of a visited map that the struct never asked for is an error at the key's
//     position: `...: unknown key (did you mean scrape_interval?)`, the suggestion coming
//     from the keys the struct did ask for (common/strings.h ClosestMatch);
//   - nothing stops at the first problem: every one is reported.
// Component type aliases are not the Decoder's business (component::Registry does them).
//
// Thread-compatible. The Node passed in must outlive the Decoder.

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/node.h"
#include "config/visitor.h"

namespace astrolabe::config {

class Decoder final : public Visitor {
 public:
  // `root` is the struct's node: a map, or Null for "all defaults". `path` is its key path
  // ("receivers.prometheus"), prefixed to every reported path; may be empty.
  Decoder(const Node& root, std::string path, Diagnostics& diag);

  // Reports the unknown keys of the root map. Call once after the struct's Visit().
  void Finish();

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
  bool Present(std::string_view key) override;
  bool decoding() const override { return true; }
  void Error(std::string_view key, std::string message) override;

 protected:
  bool EnterObject(std::string_view key) override;
  void LeaveObject() override;
  bool EnterList(std::string_view key, size_t& size) override;
  void EnterItem(size_t index) override;
  void LeaveItem() override;
  void LeaveList() override;

 private:
  struct Frame {
    const Node* node;  // a map, or null for an absent/null object (all defaults)
    std::string path;
    std::vector<std::string> asked;  // keys the struct visited, in order
  };

  // Records `key` as known in the current frame and returns its value node, or nullptr
  // when absent or null.
  const Node* Lookup(std::string_view key);
  std::string PathOf(std::string_view key) const;
  Mark MarkOf(std::string_view key, const Node* value) const;
  void TypeError(std::string_view key, const Node& value, std::string_view expected);
  void CloseFrame();

  Diagnostics& diag_;
  std::vector<Frame> frames_;
  // The sequence being walked by List(), one per nesting level.
  struct ListState {
    const Node* seq;
    std::string path;
  };
  std::vector<ListState> lists_;
  bool finished_ = false;
};

// Decodes `node` into `value` (a struct with Visit(Visitor&)); problems go to `diag`.
template <typename T>
void Decode(const Node& node, std::string path, T& value, Diagnostics& diag) {
  Decoder decoder(node, std::move(path), diag);
  value.Visit(decoder);
  decoder.Finish();
}

// Joins a key path: JoinPath("a.b", "c") == "a.b.c", JoinPath("", "c") == "c".
std::string JoinPath(std::string_view path, std::string_view key);

}  // namespace astrolabe::config
