#include "config/expand.h"

#include <cstdlib>

#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::config {
namespace {

// The first expandable "${...}" in `input`, or "" (confmap expand.go findURI, iterative).
std::string_view FindUri(std::string_view input) {
  while (true) {
    size_t close = input.find('}');
    if (close == std::string_view::npos) return {};
    std::string_view remaining = input.substr(close + 1);
    size_t open = input.substr(0, close + 1).rfind("${");
    if (open == std::string_view::npos) {
      if (remaining.find('}') == std::string_view::npos) return {};
      input = remaining;
      continue;
    }
    // An odd number of '$' right before "${" escapes it. Upstream then stops looking
    // altogether, so "$${a} ${b}" keeps ${b} too; we keep that quirk.
    size_t dollars = 0;
    for (size_t i = open; i > 0 && input[i - 1] == '$'; --i) ++dollars;
    if (dollars % 2 == 1) return {};
    return input.substr(open, close + 1 - open);
  }
}

bool ValidSchemeAndSplit(std::string_view uri, std::string_view& scheme, std::string_view& opaque) {
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  scheme = uri.substr(0, colon);
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(scheme[0])) return false;
  for (char c : scheme.substr(1)) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '.' && c != '-') return false;
  }
  opaque = uri.substr(colon + 1);
  return true;
}

bool ValidEnvName(std::string_view name) {
  if (name.empty()) return false;
  auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!head(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!head(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

class Expander {
 public:
  Expander(const EnvLookup& env, Diagnostics& diag) : env_(env), diag_(diag) {}

  // `budget` is the number of rounds left for the value being expanded; null for the
  // document itself, where every scalar starts with kMaxExpansionRounds. Values produced
  // by a whole-value reference share their parent's budget, so "X=[${env:X}]" ends.
  void Walk(Node& node, const std::string& path, int* budget = nullptr) {
    switch (node.kind()) {
      case Node::Kind::kScalar: {
        int fresh = kMaxExpansionRounds;
        ExpandScalar(node, path, budget != nullptr ? *budget : fresh);
        break;
      }
      case Node::Kind::kSequence:
        for (size_t i = 0; i < node.mutable_items().size(); ++i) {
          Walk(node.mutable_items()[i], path + "[" + std::to_string(i) + "]", budget);
        }
        break;
      case Node::Kind::kMap:
        for (auto& [k, v] : node.mutable_entries()) Walk(v, JoinPath(path, k), budget);
        break;
      case Node::Kind::kNull:
        break;
    }
  }

 private:
  struct Retrieved {
    std::string raw;  // the variable's text (or default); "" when unset
  };

  // Resolves one "${...}"; nullopt after reporting an error.
  std::optional<Retrieved> Retrieve(std::string_view ref, const Mark& mark,
                                    const std::string& path) {
    std::string uri(ref.substr(2, ref.size() - 3));
    if (uri.find(':') == std::string::npos) uri = "env:" + uri;
    std::string_view scheme, opaque;
    if (!ValidSchemeAndSplit(uri, scheme, opaque)) {
      diag_.Error(mark, path, "invalid uri: \"" + uri + "\"");
      return std::nullopt;
    }
    if (opaque.find('$') != std::string_view::npos) {
      diag_.Error(mark, path, "the uri \"" + uri + "\" contains unsupported characters ('$')");
      return std::nullopt;
    }
    if (scheme != "env") {
      diag_.Error(
          mark, path,
          "scheme \"" + std::string(scheme) + "\" is not supported for uri \"" + uri + "\"");
      return std::nullopt;
    }
    std::string_view name = opaque;
    std::optional<std::string_view> fallback;
    if (size_t cut = opaque.find(":-"); cut != std::string_view::npos) {
      name = opaque.substr(0, cut);
      fallback = opaque.substr(cut + 2);
    }
    if (!ValidEnvName(name)) {
      diag_.Error(mark, path,
                  "environment variable \"" + std::string(name) +
                      "\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$");
      return std::nullopt;
    }
    std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
    if (!value) {
      if (fallback) return Retrieved{std::string(*fallback)};
      diag_.Warning(mark, path,
                    "references unset environment variable \"" + std::string(name) +
                        "\"; its value is empty");
      return Retrieved{""};
    }
    if (value->empty()) {
      diag_.Warning(mark, path,
                    "references empty environment variable \"" + std::string(name) + "\"");
    }
    return Retrieved{std::move(*value)};
  }

  // The typed value of a whole-value reference: the text read as a YAML document.
  Node Typed(const std::string& raw, const Mark& mark) {
    Diagnostics scratch;
    ParseOptions opts;
    std::optional<Node> parsed = ParseYaml(raw, opts, scratch);
    if (!parsed) return Node::Scalar(raw, mark, /*quoted=*/true);  // not YAML: a string
    return Remark(*parsed, mark);
  }

  void ExpandScalar(Node& node, const std::string& path, int& budget) {
    while (true) {
      if (!node.IsScalar()) {
        // A whole-value reference produced a list or map: expand inside it.
        if (!node.IsNull()) Walk(node, path, &budget);
        return;
      }
      const std::string& s = node.scalar();
      if (s.find("${") == std::string::npos || s.find('}') == std::string::npos) break;
      std::string_view uri = FindUri(s);
      if (uri.empty()) break;
      if (budget <= 0) {
        diag_.Error(node.mark(), path, "too many recursive expansions");
        return;
      }
      --budget;
      std::optional<Retrieved> r = Retrieve(uri, node.mark(), path);
      if (!r) return;
      if (uri.size() == s.size()) {
        node = Typed(r->raw, node.mark());
      } else {
        std::string out;
        std::string_view rest = s;
        std::string needle(uri);
        for (size_t pos; (pos = rest.find(needle)) != std::string_view::npos;) {
          out.append(rest.substr(0, pos));
          out += r->raw;
          rest.remove_prefix(pos + needle.size());
        }
        out.append(rest);
        node = Node::Scalar(std::move(out), node.mark(), node.quoted());
      }
    }
    Unescape(node);
  }

  // confmap resolver.go escapeDollarSigns: "$$" → "$" once expansion is done.
  static void Unescape(Node& node) {
    switch (node.kind()) {
      case Node::Kind::kScalar: {
        const std::string& s = node.scalar();
        if (s.find("$$") == std::string::npos) return;
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
          out += s[i];
          if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') ++i;
        }
        node = Node::Scalar(std::move(out), node.mark(), node.quoted());
        return;
      }
      case Node::Kind::kSequence:
        for (auto& item : node.mutable_items()) Unescape(item);
        return;
      case Node::Kind::kMap:
        for (auto& [k, v] : node.mutable_entries()) Unescape(v);
        return;
      case Node::Kind::kNull:
        return;
    }
  }

  const EnvLookup& env_;
  Diagnostics& diag_;
};

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

void Expand(Node& root, const EnvLookup& env, Diagnostics& diag, const std::string& path) {
  Expander(env, diag).Walk(root, path);
}

}  // namespace astrolabe::config
