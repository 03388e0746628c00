#include "config/node.h"

namespace astrolabe::config {

std::string Mark::ToString() const {
  std::string out = file ? *file : "<unknown>";
  // append() rather than `":" + std::to_string()`: g++ 12 -O3 reports a false -Wrestrict.
  if (line > 0) {
    out.push_back(':');
    out.append(std::to_string(line));
    if (column > 0) {
      out.push_back(':');
      out.append(std::to_string(column));
    }
  }
  return out;
}

Node Node::Null(Mark mark) {
  Node n;
  n.kind_ = Kind::kNull;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::Scalar(std::string value, Mark mark, bool quoted) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.mark_ = std::move(mark);
  n.scalar_ = std::move(value);
  n.quoted_ = quoted;
  return n;
}

Node Node::Sequence(Mark mark, Style style) {
  Node n;
  n.kind_ = Kind::kSequence;
  n.style_ = style;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::Map(Mark mark, Style style) {
  Node n;
  n.kind_ = Kind::kMap;
  n.style_ = style;
  n.mark_ = std::move(mark);
  return n;
}

const Node* Node::Find(std::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Node* Node::FindMutable(std::string_view key) {
  if (kind_ != Kind::kMap) return nullptr;
  for (auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Mark& Node::KeyMark(std::string_view key) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first != key) continue;
    // Callers may have grown entries_ through mutable_entries(); key_marks_ then lags.
    if (i < key_marks_.size() && key_marks_[i].line > 0) return key_marks_[i];
    return entries_[i].second.mark();
  }
  return mark_;
}

void Node::Set(std::string key, Node value, Mark key_mark) {
  key_marks_.resize(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == key) {
      entries_[i].second = std::move(value);
      if (key_mark.line > 0) key_marks_[i] = std::move(key_mark);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  key_marks_.push_back(std::move(key_mark));
}

bool Node::Erase(std::string_view key) {
  key_marks_.resize(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == key) {
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      key_marks_.erase(key_marks_.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

std::string_view Node::KindName() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "scalar";
    case Kind::kSequence:
      return "sequence";
    case Kind::kMap:
      return "map";
  }
  return "unknown";
}

}  // namespace astrolabe::config
