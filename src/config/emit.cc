#include "config/emit.h"

#include <cstdio>
#include <optional>
#include <string_view>

namespace astrolabe::config {
namespace {

// True when a plain scalar `s` would be resolved by YAML 1.1/1.2 parsers to a non-string
// (null, bool, int, float) — such strings must be quoted to stay strings.
bool LooksTyped(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "~",     "null", "Null",  "NULL",  "true", "True", "TRUE", "false", "False",
      "FALSE", "yes",  "Yes",   "YES",   "no",   "No",   "NO",   "on",    "On",
      "ON",    "off",  "Off",   "OFF",   "y",    "Y",    "n",    "N",     ".inf",
      ".Inf",  ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN"};
  for (auto w : kWords) {
    if (s == w) return true;
  }
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  bool digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || c == '_') {
      digit = true;
    } else if (c == '.' || c == 'e' || c == 'E' || c == 'x' || c == 'o' || c == '+' || c == '-' ||
               (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':') {
      continue;
    } else {
      return false;
    }
  }
  return digit;
}

bool SafePlain(std::string_view s, bool flow) {
  if (s.empty()) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string_view::npos) {
    // "-x", "?x", ":x" are plain scalars in YAML, but quoting them is simpler and safe.
    return false;
  }
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
    if (flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}')) return false;
  }
  // No-break spaces at either end would be lost by a reader trimming Unicode spaces.
  if (s.size() >= 2 && s.substr(0, 2) == "\xC2\xA0") return false;
  if (s.size() >= 2 && s.substr(s.size() - 2) == "\xC2\xA0") return false;
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

bool IsNullWord(std::string_view s) {
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A plain scalar keeps its text and type, except a null word: the parser reads a plain
// `NULL` as null, so a string that became "NULL" (say through ${env:...}) is quoted.
std::string ScalarText(const std::string& value, bool quoted, bool flow) {
  if (quoted || !SafePlain(value, flow) || IsNullWord(value)) return Quote(value);
  return value;
}

// YAML allows an implicit key ("key: value") of at most 1024 characters; a longer key is
// written in the explicit form ("? key" then ": value"), which has no limit.
constexpr size_t kMaxImplicitKey = 1024;

std::string KeyText(const std::string& key) {
  if (!SafePlain(key, false) || LooksTyped(key)) return Quote(key);
  return key;
}

// The key of a mapping entry up to and including its ':' indicator. `indent` is where the
// explicit form's ':' line starts; flow mappings pass nullopt and stay on one line.
std::string KeyAndIndicator(const std::string& key, std::optional<int> indent) {
  std::string text = KeyText(key);
  if (text.size() <= kMaxImplicitKey) return text + ':';
  std::string out = "? " + text;
  if (indent) {
    out += '\n';
    out.append(static_cast<size_t>(*indent), ' ');
  } else {
    out += ' ';
  }
  out += ':';
  return out;
}

void EmitFlow(const Node& n, std::string& out) {
  switch (n.kind()) {
    case Node::Kind::kNull:
      out += "null";
      return;
    case Node::Kind::kScalar:
      out += ScalarText(n.scalar(), n.quoted(), true);
      return;
    case Node::Kind::kSequence: {
      out += '[';
      bool first = true;
      for (const auto& item : n.items()) {
        if (!first) out += ", ";
        first = false;
        EmitFlow(item, out);
      }
      out += ']';
      return;
    }
    case Node::Kind::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : n.entries()) {
        if (!first) out += ", ";
        first = false;
        out += KeyAndIndicator(k, std::nullopt);
        out += ' ';
        EmitFlow(v, out);
      }
      out += '}';
      return;
    }
  }
}

bool Inline(const Node& n) {
  if (n.IsMap()) return n.style() == Node::Style::kFlow || n.entries().empty();
  if (n.IsSequence()) return n.style() == Node::Style::kFlow || n.items().empty();
  return true;
}

void EmitMapBody(const Node& m, int indent, bool first_inline, std::string& out);
void EmitSeqBody(const Node& s, int indent, bool first_inline, std::string& out);

// Writes what follows "key:" or "-" on the current line and below.
void EmitAfterIndicator(const Node& v, int indent, bool in_sequence, std::string& out) {
  if (v.IsNull()) {
    out += '\n';
  } else if (v.IsScalar()) {
    out += ' ';
    out += ScalarText(v.scalar(), v.quoted(), false);
    out += '\n';
  } else if (Inline(v)) {
    out += ' ';
    EmitFlow(v, out);
    out += '\n';
  } else if (in_sequence) {
    out += ' ';
    if (v.IsMap()) {
      EmitMapBody(v, indent + 2, true, out);
    } else {
      EmitSeqBody(v, indent + 2, true, out);
    }
  } else {
    out += '\n';
    if (v.IsMap()) {
      EmitMapBody(v, indent + 2, false, out);
    } else {
      EmitSeqBody(v, indent + 2, false, out);
    }
  }
}

void EmitMapBody(const Node& m, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& [k, v] : m.entries()) {
    if (!first || !first_inline) out.append(static_cast<size_t>(indent), ' ');
    first = false;
    out += KeyAndIndicator(k, indent);
    EmitAfterIndicator(v, indent, false, out);
  }
}

void EmitSeqBody(const Node& s, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& item : s.items()) {
    if (!first || !first_inline) out.append(static_cast<size_t>(indent), ' ');
    first = false;
    out += '-';
    EmitAfterIndicator(item, indent, true, out);
  }
}

}  // namespace

std::string EmitScalar(const std::string& value, bool quoted) {
  return ScalarText(value, quoted, false);
}

std::string Emit(const Node& node) {
  std::string out;
  if (node.IsNull()) return "null\n";
  if (node.IsScalar() || Inline(node)) {
    if (node.IsScalar()) {
      out = ScalarText(node.scalar(), node.quoted(), false);
    } else {
      EmitFlow(node, out);
    }
    out += '\n';
    return out;
  }
  if (node.IsMap()) {
    EmitMapBody(node, 0, false, out);
  } else {
    EmitSeqBody(node, 0, false, out);
  }
  return out;
}

std::string EmitEntry(const std::string& key, const Node& node) {
  std::string out = KeyAndIndicator(key, 0);
  EmitAfterIndicator(node, 0, false, out);
  return out;
}

}  // namespace astrolabe::config
