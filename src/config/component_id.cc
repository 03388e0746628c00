#include "config/component_id.h"

#include "common/strings.h"

namespace astrolabe::config {
namespace {

bool ValidType(std::string_view t) {
  if (t.empty() || t.size() > 63) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(t[0])) return false;
  for (char c : t.substr(1)) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

// Upstream requires ^[^\pZ\pC\pS]+$. We check the ASCII classes exactly and, beyond ASCII,
// reject the no-break space (U+00A0) and the C1 controls, which are what turns up in
// practice (text copied from web pages).
bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(n[i]);
    if (c <= 0x20 || c == 0x7f) return false;
    switch (c) {
      case '$':
      case '+':
      case '<':
      case '=':
      case '>':
      case '^':
      case '`':
      case '|':
      case '~':
        return false;
      default:
        break;
    }
    if (c == 0xC2 && i + 1 < n.size()) {
      unsigned char d = static_cast<unsigned char>(n[i + 1]);
      if (d == 0xA0 || (d >= 0x80 && d <= 0x9F)) return false;
    }
  }
  return true;
}

}  // namespace

Result<ComponentId> ComponentId::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view type_part = TrimSpace(text.substr(0, slash));
  if (slash == std::string_view::npos) {
    if (type_part.empty()) return InvalidArgument("id must not be empty");
    if (!ValidType(type_part)) {
      return InvalidArgument("invalid character(s) in type \"" + std::string(type_part) + "\"");
    }
    return ComponentId{std::string(type_part), ""};
  }
  if (type_part.empty()) {
    return InvalidArgument("in \"" + std::string(text) +
                           "\" id: the part before / should not be empty");
  }
  std::string_view name_part = TrimSpace(text.substr(slash + 1));
  if (name_part.empty()) {
    return InvalidArgument("in \"" + std::string(text) +
                           "\" id: the part after / should not be empty");
  }
  if (!ValidType(type_part)) {
    return InvalidArgument("invalid character(s) in type \"" + std::string(type_part) + "\"");
  }
  if (!ValidName(name_part)) {
    return InvalidArgument("invalid character(s) in name \"" + std::string(name_part) + "\"");
  }
  return ComponentId{std::string(type_part), std::string(name_part)};
}

}  // namespace astrolabe::config
