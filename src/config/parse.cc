#include "config/parse.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <unordered_set>

namespace astrolabe::config {
namespace {

class Converter {
 public:
  Converter(std::string_view text, const ParseOptions& options, Diagnostics& diag)
      : options_(options), diag_(diag) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      Line line{text.substr(start, end - start), {}};
      // Lines with multi-byte characters get checkpoints; ASCII lines need none.
      bool ascii = true;
      for (char c : line.text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
      if (!ascii) {
        uint32_t chars = 0;
        for (size_t i = 0; i < line.text.size(); ++i) {
          if (i % kStride == 0) line.chars_before.push_back(chars);
          if (!Continuation(line.text[i])) ++chars;
        }
      }
      lines_.push_back(std::move(line));
      start = end + 1;
    }
  }

  // yaml-cpp marks are 0-based with byte columns; ours are 1-based character columns in
  // the user's original text. Constant time per mark (at most kStride bytes counted): a
  // file_sd file with 10,000 target groups on one line has ~80,000 nodes on that line, and
  // counting from the line's start for each took minutes.
  Mark ToMark(int line0, int col0) const {
    Mark m;
    m.file = options_.file;
    if (line0 < 0) return m;
    m.line = line0 + 1;
    int col = col0 < 0 ? 0 : col0;
    if (static_cast<size_t>(line0) < lines_.size()) {
      const Line& l = lines_[static_cast<size_t>(line0)];
      const size_t bytes = std::min(static_cast<size_t>(col), l.text.size());
      size_t chars = bytes;
      if (!l.chars_before.empty()) {
        const size_t k = bytes / kStride;
        if (k < l.chars_before.size()) {
          chars = l.chars_before[k];
          for (size_t i = k * kStride; i < bytes; ++i) chars += Continuation(l.text[i]) ? 0 : 1;
        } else {  // bytes == the line's size, a multiple of kStride
          chars = l.chars_before.back();
          for (size_t i = (k - 1) * kStride; i < bytes; ++i) {
            chars += Continuation(l.text[i]) ? 0 : 1;
          }
        }
      }
      col = static_cast<int>(chars) + (col - static_cast<int>(bytes));
    }
    if (static_cast<size_t>(line0) < options_.column_shift.size()) {
      col += options_.column_shift[static_cast<size_t>(line0)];
    }
    m.column = col + 1;
    return m;
  }

  Mark ToMark(const YAML::Mark& ym) const { return ToMark(ym.line, ym.column); }

  bool Convert(const YAML::Node& y, const Mark& fallback, int depth, Node& out) {
    if (++nodes_ > kMaxNodes) {
      if (!too_many_reported_) {
        diag_.Error(
            fallback, "",
            "document has more than " + std::to_string(kMaxNodes) + " nodes (aliases expanded)");
        too_many_reported_ = true;
      }
      return false;
    }
    if (depth > kMaxDepth) {
      diag_.Error(fallback, "", "nesting is deeper than " + std::to_string(kMaxDepth) + " levels");
      return false;
    }
    Mark mark = y.Mark().line >= 0 ? ToMark(y.Mark()) : fallback;
    Node::Style style =
        y.Style() == YAML::EmitterStyle::Flow ? Node::Style::kFlow : Node::Style::kBlock;
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = Node::Null(mark);
        return true;
      case YAML::NodeType::Scalar:
        out = Node::Scalar(y.Scalar(), mark, y.Tag() == "!");
        return true;
      case YAML::NodeType::Sequence: {
        out = Node::Sequence(mark, style);
        for (const auto& item : y) {
          Node child;
          if (!Convert(item, mark, depth + 1, child)) return false;
          out.Append(std::move(child));
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out = Node::Map(mark, style);
        std::unordered_set<std::string> seen;
        bool ok = true;
        for (const auto& kv : y) {
          Mark key_mark = kv.first.Mark().line >= 0 ? ToMark(kv.first.Mark()) : mark;
          if (!kv.first.IsScalar()) {
            diag_.Error(
                key_mark, "",
                "map keys must be strings, got a " + std::string(kv.first.IsNull()  ? "null"
                                                                 : kv.first.IsMap() ? "map"
                                                                                    : "sequence"));
            ok = false;
            continue;
          }
          const std::string& key = kv.first.Scalar();
          if (!seen.insert(key).second) {
            diag_.Error(key_mark, "", "duplicate key \"" + key + "\"");
            ok = false;
            continue;
          }
          Node child;
          if (!Convert(kv.second, key_mark, depth + 1, child)) return false;
          out.Set(key, std::move(child), key_mark);
        }
        return ok;
      }
    }
    return false;
  }

 private:
  static constexpr size_t kStride = 64;
  struct Line {
    std::string_view text;
    // Characters in text[0, i * kStride) at index i; empty for an ASCII line.
    std::vector<uint32_t> chars_before;
  };
  static bool Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

  const ParseOptions& options_;
  Diagnostics& diag_;
  std::vector<Line> lines_;
  size_t nodes_ = 0;
  bool too_many_reported_ = false;
};

}  // namespace

std::optional<Node> ParseYaml(std::string_view text, const ParseOptions& options,
                              Diagnostics& diag) {
  Converter conv(text, options, diag);
  Mark start = conv.ToMark(0, 0);
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg.empty() ? std::string(e.what()) : e.msg;
    diag.Error(e.mark.line >= 0 ? conv.ToMark(e.mark) : start, "", "invalid YAML: " + msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    diag.Error(start, "", std::string("invalid YAML: ") + e.what());
    return std::nullopt;
  }
  try {
    Node root;
    if (!conv.Convert(doc, start, 0, root)) return std::nullopt;
    return root;
  } catch (const std::exception& e) {
    diag.Error(start, "", std::string("invalid YAML: ") + e.what());
    return std::nullopt;
  }
}

Node Remark(const Node& node, const Mark& mark) {
  switch (node.kind()) {
    case Node::Kind::kNull:
      return Node::Null(mark);
    case Node::Kind::kScalar:
      return Node::Scalar(node.scalar(), mark, node.quoted());
    case Node::Kind::kSequence: {
      Node out = Node::Sequence(mark, node.style());
      for (const auto& item : node.items()) out.Append(Remark(item, mark));
      return out;
    }
    case Node::Kind::kMap: {
      Node out = Node::Map(mark, node.style());
      for (const auto& [k, v] : node.entries()) out.Set(k, Remark(v, mark), mark);
      return out;
    }
  }
  return Node::Null(mark);
}

}  // namespace astrolabe::config
