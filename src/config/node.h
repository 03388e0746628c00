#pragma once
// Node: a YAML document as Astrolabe reads it — maps keep file order, every node keeps
// the position it came from so that any error can name file:line:column. Loaded by
// config/loader.h; consumed by the Visitor decoders (config/visitor.h).
// Value type: copyable, immutable once built (builders are for the loader and fixups).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace astrolabe::config {

// Where a node came from. Lines and columns are 1-based; 0 means unknown.
struct Mark {
  std::shared_ptr<const std::string> file;  // shared by every node of one document
  int line = 0;
  int column = 0;

  // "nim.yaml:12:5", or "<unknown>" when no file is known.
  std::string ToString() const;
};

class Node {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };
  enum class Style { kBlock, kFlow };

  Node() = default;
  static Node Null(Mark mark);
  // `quoted` is true when the scalar was written in quotes (so it is a string, never a
  // number, bool or null).
  static Node Scalar(std::string value, Mark mark, bool quoted = false);
  static Node Sequence(Mark mark, Style style = Style::kBlock);
  static Node Map(Mark mark, Style style = Style::kBlock);

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }
  const Mark& mark() const { return mark_; }
  Style style() const { return style_; }

  // REQUIRES: IsScalar().
  const std::string& scalar() const { return scalar_; }
  bool quoted() const { return quoted_; }

  // REQUIRES: IsSequence().
  const std::vector<Node>& items() const { return items_; }
  std::vector<Node>& mutable_items() { return items_; }

  // REQUIRES: IsMap(). Entries in file order; keys are unique (the loader rejects
  // duplicates).
  const std::vector<std::pair<std::string, Node>>& entries() const { return entries_; }
  std::vector<std::pair<std::string, Node>>& mutable_entries() { return entries_; }

  // The value for `key` in a map, or nullptr (also for non-maps).
  const Node* Find(std::string_view key) const;
  Node* FindMutable(std::string_view key);

  // Where the key itself was written (maps only); the value's mark when unknown.
  const Mark& KeyMark(std::string_view key) const;

  void Append(Node item) { items_.push_back(std::move(item)); }
  // Adds or replaces `key`.
  void Set(std::string key, Node value, Mark key_mark = {});
  // Removes `key`; returns whether it was present.
  bool Erase(std::string_view key);

  // A short name of the kind for messages: "null", "scalar", "sequence", "map".
  std::string_view KindName() const;

 private:
  Kind kind_ = Kind::kNull;
  Style style_ = Style::kBlock;
  Mark mark_;
  std::string scalar_;
  bool quoted_ = false;
  std::vector<Node> items_;
  std::vector<std::pair<std::string, Node>> entries_;
  std::vector<Mark> key_marks_;  // parallel to entries_
};

}  // namespace astrolabe::config
