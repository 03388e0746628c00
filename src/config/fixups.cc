#include "config/fixups.h"

#include <algorithm>

#include "config/component_id.h"
#include "config/decoder.h"
#include "config/emit.h"

namespace astrolabe::config {
namespace {

constexpr std::string_view kNbsp = "\xC2\xA0";

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

int Indent(std::string_view line) {
  int n = 0;
  while (static_cast<size_t>(n) < line.size() && line[static_cast<size_t>(n)] == ' ') ++n;
  return n;
}

bool Blank(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  return i == line.size() || line[i] == '#';
}

// The position of the ':' ending a simple (plain or quoted) key at the start of `s`, or
// npos. "key:", "key: value", "\"k\": v" qualify; "- x", "[a]", "# c" do not.
size_t KeyColon(std::string_view s) {
  if (s.empty()) return std::string_view::npos;
  static constexpr std::string_view kBadStart = "-?:,[]{}#&*!|>%@`";
  if (kBadStart.find(s[0]) != std::string_view::npos) return std::string_view::npos;
  size_t i = 0;
  if (s[0] == '"' || s[0] == '\'') {
    size_t close = s.find(s[0], 1);
    if (close == std::string_view::npos) return std::string_view::npos;
    i = close + 1;
    if (i < s.size() && s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return i;
    return std::string_view::npos;
  }
  for (; i < s.size(); ++i) {
    if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\r')) return i;
    if (s[i] == ' ' && i + 1 < s.size() && s[i + 1] == '#') return std::string_view::npos;
  }
  return std::string_view::npos;
}

// True when `v` (a value after "key: ") is complete on its line: a flow collection whose
// brackets balance, a closed quoted string, or a plain scalar. Block scalars (| >),
// anchors and tags alone, and open flow collections may continue on deeper lines.
bool CompleteValue(std::string_view v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
  if (size_t hash = v.find(" #"); hash != std::string_view::npos) v = v.substr(0, hash);
  if (v.empty()) return false;
  char c = v[0];
  if (c == '|' || c == '>' || c == '&' || c == '!' || c == '#') return false;
  if (c == '"' || c == '\'') return v.size() >= 2 && v.back() == c;
  if (c == '[' || c == '{') {
    int depth = 0;
    char quote = 0;
    for (char ch : v) {
      if (quote) {
        if (ch == quote) quote = 0;
        continue;
      }
      if (ch == '"' || ch == '\'') quote = ch;
      if (ch == '[' || ch == '{') ++depth;
      if (ch == ']' || ch == '}') --depth;
    }
    return depth == 0 && quote == 0;
  }
  return true;
}

struct KeyLine {
  int key_col = 0;  // 0-based column of the key
  std::string key;
  bool has_value = false;
};

std::optional<KeyLine> ParseKeyLine(std::string_view line) {
  int col = Indent(line);
  std::string_view s = line.substr(static_cast<size_t>(col));
  while (s.size() >= 2 && s[0] == '-' && s[1] == ' ') {
    size_t skip = 2;
    while (skip < s.size() && s[skip] == ' ') ++skip;
    col += static_cast<int>(skip);
    s.remove_prefix(skip);
  }
  size_t colon = KeyColon(s);
  if (colon == std::string_view::npos) return std::nullopt;
  KeyLine k;
  k.key_col = col;
  k.key = std::string(s.substr(0, colon));
  std::string_view rest = s.substr(colon + 1);
  k.has_value = CompleteValue(rest.substr(std::min(rest.size(), rest.find_first_not_of(' '))));
  return k;
}

int ErrorLine(const Diagnostics& d) {
  return d.errors().empty() ? 0 : d.errors().front().mark.line;
}

std::string Snippet(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < lines.size(); ++i) {
    if (Blank(lines[i])) continue;
    out += lines[i];
    out += '\n';
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace

bool FixNbspIndentation(std::string& text, const std::shared_ptr<const std::string>& file,
                        Diagnostics& diag) {
  std::vector<std::string> lines = SplitLines(text);
  int first_line = 0, count = 0;
  std::string example;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string& l = lines[i];
    size_t pos = 0;
    std::string fixed;
    bool changed = false;
    while (pos < l.size()) {
      if (l[pos] == ' ' || l[pos] == '\t') {
        fixed += l[pos++];
      } else if (l.compare(pos, kNbsp.size(), kNbsp) == 0) {
        fixed += ' ';
        pos += kNbsp.size();
        changed = true;
      } else {
        break;
      }
    }
    if (!changed) continue;
    fixed.append(l, pos);
    l = std::move(fixed);
    ++count;
    if (first_line == 0) {
      first_line = static_cast<int>(i) + 1;
      example = l;
    }
  }
  if (count == 0) return false;
  text = JoinLines(lines);
  Mark mark{file, first_line, 1};
  diag.Warning(mark, "",
               "indentation uses no-break spaces (U+00A0) on " + std::to_string(count) +
                   (count == 1 ? " line" : " lines") + "; read as spaces",
               "line " + std::to_string(first_line) + " read as:\n" + example);
  return true;
}

bool FixOverIndentation(std::string& text, ParseOptions* options, Diagnostics& diag) {
  std::vector<std::string> lines = SplitLines(text);
  std::vector<int> shift = options->column_shift;
  shift.resize(lines.size(), 0);
  Diagnostics warnings;
  for (int attempt = 0; attempt < 50; ++attempt) {
    Diagnostics scratch;
    ParseOptions opts{options->file, shift};
    std::string candidate = JoinLines(lines);
    if (ParseYaml(candidate, opts, scratch)) {
      if (attempt == 0) return false;  // it parsed already: nothing to fix
      text = std::move(candidate);
      options->column_shift = std::move(shift);
      diag.Merge(warnings);
      return true;
    }
    int error_line = ErrorLine(scratch);  // 1-based; 0 when unknown
    // The over-indented key line nearest before (or at) the error.
    size_t found = lines.size(), above = 0;
    KeyLine above_key;
    int prev = -1;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (error_line > 0 && static_cast<int>(i) + 1 > error_line) break;
      if (Blank(lines[i])) continue;
      if (prev >= 0) {
        std::optional<KeyLine> p = ParseKeyLine(lines[static_cast<size_t>(prev)]);
        std::optional<KeyLine> cur = ParseKeyLine(lines[i]);
        int indent = Indent(lines[i]);
        if (p && p->has_value && cur && indent > p->key_col && indent == cur->key_col) {
          found = i;
          above = static_cast<size_t>(prev);
          above_key = *p;
        }
      }
      prev = static_cast<int>(i);
    }
    if (found == lines.size()) return false;
    int from = Indent(lines[found]);
    int delta = from - above_key.key_col;
    // Where the user wrote the line (earlier passes may have moved it already).
    Mark mark{options->file, static_cast<int>(found) + 1, from + 1 + shift[found]};
    size_t end = found;
    for (; end < lines.size(); ++end) {
      if (end > found && !Blank(lines[end]) && Indent(lines[end]) < from) break;
      if (Indent(lines[end]) >= delta) {
        lines[end].erase(0, static_cast<size_t>(delta));
        shift[end] += delta;
      }
    }
    std::optional<KeyLine> moved = ParseKeyLine(lines[found]);
    // Built with append(): g++ 12 -O3 reports a false -Wrestrict on `"x" + std::string`.
    std::string msg = "\"";
    msg.append(moved ? moved->key : std::string("line"));
    msg.append("\" is indented deeper than \"");
    msg.append(above_key.key);
    msg.append(":\" on line ");
    msg.append(std::to_string(above + 1));
    msg.append(", which already has a value (not valid YAML); read as its sibling");
    warnings.Warning(mark, "", std::move(msg), Snippet(lines, above, std::min(end, found + 6)));
  }
  return false;
}

bool FixNestedTargets(Node& root, Diagnostics& diag) {
  bool changed = false;
  Node* receivers = root.FindMutable("receivers");
  if (receivers == nullptr || !receivers->IsMap()) return false;
  for (auto& [id, body] : receivers->mutable_entries()) {
    auto parsed = ComponentId::Parse(id);
    if (!parsed.ok() || parsed->type != "prometheus") continue;
    Node* scrape = body.FindMutable("config");
    scrape = scrape != nullptr ? scrape->FindMutable("scrape_configs") : nullptr;
    if (scrape == nullptr || !scrape->IsSequence()) continue;
    std::string base = "receivers." + id + ".config.scrape_configs";
    for (size_t i = 0; i < scrape->mutable_items().size(); ++i) {
      Node* statics = scrape->mutable_items()[i].FindMutable("static_configs");
      if (statics == nullptr || !statics->IsSequence()) continue;
      for (size_t j = 0; j < statics->mutable_items().size(); ++j) {
        Node& group = statics->mutable_items()[j];
        Node* targets = group.FindMutable("targets");
        if (targets == nullptr || !targets->IsSequence()) continue;
        std::string path =
            base + "[" + std::to_string(i) + "].static_configs[" + std::to_string(j) + "].targets";
        Node flat = Node::Sequence(targets->mark(), targets->style());
        const Node* first_nested = nullptr;
        size_t first_index = 0;
        bool flattenable = true;
        for (size_t k = 0; k < targets->items().size(); ++k) {
          const Node& item = targets->items()[k];
          if (!item.IsSequence()) {
            flat.Append(item);
            continue;
          }
          if (first_nested == nullptr) {
            first_nested = &item;
            first_index = k;
          }
          for (const Node& inner : item.items()) {
            if (!inner.IsScalar()) flattenable = false;
            flat.Append(inner);
          }
        }
        if (first_nested == nullptr || !flattenable) continue;
        diag.Warning(first_nested->mark(), path + "[" + std::to_string(first_index) + "]",
                     "a list inside the targets list; flattened (upstream Prometheus rejects "
                     "it: cannot unmarshal !!seq into string)",
                     EmitEntry("targets", flat));
        *targets = std::move(flat);
        changed = true;
      }
    }
  }
  return changed;
}

bool FixBarePipelines(Node& root, Diagnostics& diag) {
  Node* service = root.FindMutable("service");
  if (service == nullptr || !service->IsMap()) return false;
  std::vector<std::string> bare;
  for (const auto& [key, value] : service->entries()) {
    auto id = ComponentId::Parse(key);
    if (!id.ok()) continue;
    if (id->type != "metrics" && id->type != "traces" && id->type != "logs") continue;
    bare.push_back(key);
  }
  if (bare.empty()) return false;
  const Node* existing = service->Find("pipelines");
  if (existing != nullptr && !existing->IsMap() && !existing->IsNull()) return false;
  Node pipelines =
      existing != nullptr && existing->IsMap() ? *existing : Node::Map(service->mark());
  Mark pipelines_key_mark =
      existing != nullptr ? service->KeyMark("pipelines") : service->KeyMark(bare.front());
  bool changed = false;
  // Rebuild service so that a new `pipelines:` takes the place of the first moved key.
  Node rebuilt = Node::Map(service->mark(), service->style());
  bool placed = existing != nullptr;
  for (const auto& [key, value] : service->entries()) {
    bool is_bare = std::find(bare.begin(), bare.end(), key) != bare.end();
    if (is_bare && pipelines.Find(key) == nullptr) {
      Mark key_mark = service->KeyMark(key);
      Node snippet_pipelines = Node::Map({});
      snippet_pipelines.Set(key, value);
      Node snippet = Node::Map({});
      snippet.Set("pipelines", std::move(snippet_pipelines));
      diag.Warning(key_mark, "service." + key,
                   "pipeline written directly under service: without pipelines:; read as "
                   "service.pipelines." +
                       key + " (upstream rejects it: 'service' has invalid keys: " + key + ")",
                   EmitEntry("service", snippet));
      pipelines.Set(key, value, key_mark);
      changed = true;
      if (!placed) {
        rebuilt.Set("pipelines", Node::Null({}), pipelines_key_mark);
        placed = true;
      }
      continue;
    }
    rebuilt.Set(key, value, service->KeyMark(key));
  }
  if (!changed) return false;
  rebuilt.Set("pipelines", std::move(pipelines), pipelines_key_mark);
  *service = std::move(rebuilt);
  return true;
}

}  // namespace astrolabe::config
