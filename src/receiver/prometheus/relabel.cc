#include "receiver/prometheus/relabel.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace astrolabe::receiver::prometheus {

// ---- Labels ----

Labels::Labels(std::vector<Label> labels) {
  // Stable sort keeps input order among equal names, so "last one wins" is the last of
  // each run.
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  for (Label& l : labels) {
    if (!items_.empty() && items_.back().name == l.name) {
      items_.back().value = std::move(l.value);
    } else {
      items_.push_back(std::move(l));
    }
  }
}

namespace {

std::vector<Label>::const_iterator FindLabel(const std::vector<Label>& items,
                                             std::string_view name) {
  auto it = std::lower_bound(items.begin(), items.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  return (it != items.end() && it->name == name) ? it : items.end();
}

}  // namespace

std::string_view Labels::Get(std::string_view name) const {
  auto it = FindLabel(items_, name);
  return it == items_.end() ? std::string_view() : std::string_view(it->value);
}

bool Labels::Has(std::string_view name) const { return FindLabel(items_, name) != items_.end(); }

void Labels::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != items_.end() && it->name == name) {
    it->value.assign(value);
  } else {
    items_.insert(it, Label{std::string(name), std::string(value)});
  }
}

void Labels::Del(std::string_view name) {
  auto it = FindLabel(items_, name);
  if (it != items_.end()) items_.erase(it);
}

void Labels::Compact() {
  std::erase_if(items_, [](const Label& l) { return l.value.empty(); });
}

std::string Labels::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i > 0) out += ", ";
    out += items_[i].name + "=\"" + items_[i].value + "\"";
  }
  return out + "}";
}

uint64_t Labels::Hash() const { return LabelVectorHash()(items_); }

size_t LabelVectorHash::operator()(const std::vector<Label>& labels) const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // a byte that cannot occur in UTF-8 separates fields
    h *= 1099511628211ULL;
  };
  for (const Label& l : labels) {
    mix(l.name);
    mix(l.value);
  }
  return h;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok) return false;
  }
  return true;
}

// ---- Regex ----

namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Translates RE2 syntax to ECMAScript with Prometheus' flags (see the header). Sets
// *icase for a leading (?i).
Result<std::string> TranslateRegex(std::string_view re, bool* icase) {
  std::string out;
  out.reserve(re.size() + 16);
  size_t i = 0;
  if (re.substr(0, 4) == "(?i)") {
    *icase = true;
    i = 4;
  } else if (re.substr(0, 4) == "(?s)") {
    i = 4;
  }
  while (i < re.size()) {
    char c = re[i];
    if (c == '\\') {
      if (i + 1 >= re.size()) return InvalidArgument("trailing backslash at end of expression");
      char n = re[i + 1];
      if (n == 'z') {
        out += "$";
      } else if (n == 'A') {
        out += "^";
      } else if (n == 'Q' || n == 'p' || n == 'P' || n == 'C') {
        return InvalidArgument(std::string("unsupported escape sequence: \\") + n);
      } else {
        out += c;
        out += n;
      }
      i += 2;
      continue;
    }
    if (c == '[') {
      // Copy a bracket expression verbatim; a leading ']' is a literal in RE2.
      out += '[';
      ++i;
      if (i < re.size() && re[i] == '^') out += re[i++];
      if (i < re.size() && re[i] == ']') {
        out += "\\]";
        ++i;
      }
      bool closed = false;
      while (i < re.size()) {
        char d = re[i];
        if (d == '\\' && i + 1 < re.size()) {
          out += d;
          out += re[i + 1];
          i += 2;
          continue;
        }
        if (d == '[' && i + 1 < re.size() && re[i + 1] == ':') {
          size_t end = re.find(":]", i + 2);
          if (end != std::string_view::npos) {
            out.append(re.substr(i, end + 2 - i));
            i = end + 2;
            continue;
          }
        }
        out += d;
        ++i;
        if (d == ']') {
          closed = true;
          break;
        }
      }
      if (!closed) return InvalidArgument("missing closing ]");
      continue;
    }
    if (c == '.') {
      out += "[\\s\\S]";
      ++i;
      continue;
    }
    if (c == '(' && i + 1 < re.size() && re[i + 1] == '?') {
      std::string_view rest = re.substr(i);
      if (rest.substr(0, 3) == "(?:") {
        out += "(?:";
        i += 3;
        continue;
      }
      if (rest.substr(0, 4) == "(?P<" ||
          (rest.substr(0, 3) == "(?<" && rest.size() > 3 && rest[3] != '=' && rest[3] != '!')) {
        size_t close = re.find('>', i);
        if (close == std::string_view::npos) return InvalidArgument("invalid named capture");
        out += '(';
        i = close + 1;
        continue;
      }
      if (rest.substr(0, 4) == "(?s:") {
        out += "(?:";
        i += 4;
        continue;
      }
      return InvalidArgument("invalid or unsupported Perl syntax: `" +
                             std::string(rest.substr(0, 3)) + "`");
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

Result<Regex> Regex::Compile(std::string_view pattern) {
  bool icase = false;
  auto translated = TranslateRegex(pattern, &icase);
  auto fail = [&](const std::string& why) {
    return InvalidArgument("error parsing regexp: " + why + ": `" + std::string(pattern) + "`");
  };
  if (!translated.ok()) return fail(translated.status().message());
  Regex r;
  r.pattern_ = std::string(pattern);
  try {
    auto flags = std::regex::ECMAScript | std::regex::optimize;
    if (icase) flags |= std::regex::icase;
    r.re_ = std::make_shared<const std::regex>(*translated, flags);
  } catch (const std::regex_error& e) {
    return fail(e.what());
  }
  return r;
}

bool Regex::Match(std::string_view s) const {
  if (!re_) return false;
  try {
    return std::regex_match(s.begin(), s.end(), *re_);
  } catch (const std::regex_error&) {
    return false;  // complexity or stack limits: treat as no match
  }
}

std::optional<std::string> Regex::MatchAndExpand(std::string_view s, std::string_view tmpl) const {
  if (!re_) return std::nullopt;
  std::match_results<std::string_view::const_iterator> m;
  try {
    if (!std::regex_match(s.begin(), s.end(), m, *re_)) return std::nullopt;
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    // Go's Regexp.Expand: ${name} or $name with name = longest [A-Za-z0-9_]+ run.
    std::string_view name;
    size_t next = 0;
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      size_t j = i + 2;
      while (j < tmpl.size() && IsWordChar(tmpl[j])) ++j;
      if (j < tmpl.size() && tmpl[j] == '}' && j > i + 2) {
        name = tmpl.substr(i + 2, j - i - 2);
        next = j + 1;
      }
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() && IsWordChar(tmpl[j])) ++j;
      if (j > i + 1) {
        name = tmpl.substr(i + 1, j - i - 1);
        next = j;
      }
    }
    if (name.empty()) {  // malformed: the '$' is kept as text
      out += '$';
      ++i;
      continue;
    }
    bool numeric = std::all_of(name.begin(), name.end(),
                               [](char d) { return std::isdigit(static_cast<unsigned char>(d)); });
    if (numeric && name.size() < 9) {
      size_t group = std::stoul(std::string(name));
      if (group < m.size() && m[group].matched) out.append(m[group].first, m[group].second);
    }
    // Named groups are not kept by the translation: they expand to "".
    i = next;
  }
  return out;
}

// ---- Actions ----

std::optional<RelabelAction> ParseRelabelAction(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, RelabelAction> kActions[] = {
      {"replace", RelabelAction::kReplace},     {"keep", RelabelAction::kKeep},
      {"drop", RelabelAction::kDrop},           {"keepequal", RelabelAction::kKeepEqual},
      {"dropequal", RelabelAction::kDropEqual}, {"hashmod", RelabelAction::kHashMod},
      {"labelmap", RelabelAction::kLabelMap},   {"labeldrop", RelabelAction::kLabelDrop},
      {"labelkeep", RelabelAction::kLabelKeep}, {"lowercase", RelabelAction::kLowercase},
      {"uppercase", RelabelAction::kUppercase},
  };
  for (const auto& [n, a] : kActions) {
    if (lower == n) return a;
  }
  return std::nullopt;
}

Result<std::vector<RelabelRule>> CompileRelabelRules(const std::vector<RelabelConfig>& configs,
                                                     std::string_view what) {
  std::vector<RelabelRule> rules;
  rules.reserve(configs.size());
  for (size_t i = 0; i < configs.size(); ++i) {
    const RelabelConfig& c = configs[i];
    std::string where = std::string(what) + "[" + std::to_string(i) + "]";
    Status valid = c.Validate();
    if (!valid.ok()) return valid.Annotate(where);
    RelabelRule r;
    r.action = *ParseRelabelAction(c.action);  // Validate() checked it
    r.source_labels = c.source_labels;
    r.separator = c.separator;
    auto re = Regex::Compile(c.regex);
    if (!re.ok()) return re.status().Annotate(where);
    r.regex = std::move(*re);
    r.modulus = static_cast<uint64_t>(c.modulus);
    r.target_label = c.target_label;
    r.replacement = c.replacement;
    rules.push_back(std::move(r));
  }
  return rules;
}

namespace {

std::string SourceValue(const RelabelRule& r, const Labels& labels) {
  std::string val;
  for (size_t i = 0; i < r.source_labels.size(); ++i) {
    if (i > 0) val += r.separator;
    val += labels.Get(r.source_labels[i]);
  }
  return val;
}

std::string MapCase(std::string s, int (*f)(int)) {
  for (char& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return s;
}

// Returns false when the rule drops the label set.
bool Apply(const RelabelRule& r, Labels& labels) {
  switch (r.action) {
    case RelabelAction::kDrop:
      return !r.regex.Match(SourceValue(r, labels));
    case RelabelAction::kKeep:
      return r.regex.Match(SourceValue(r, labels));
    case RelabelAction::kDropEqual:
      return labels.Get(r.target_label) != SourceValue(r, labels);
    case RelabelAction::kKeepEqual:
      return labels.Get(r.target_label) == SourceValue(r, labels);
    case RelabelAction::kReplace: {
      std::string val = SourceValue(r, labels);
      auto target = r.regex.MatchAndExpand(val, r.target_label);
      if (!target || !IsValidLabelName(*target)) break;
      auto res = r.regex.MatchAndExpand(val, r.replacement);
      if (res->empty()) {
        labels.Del(*target);
      } else {
        labels.Set(*target, *res);
      }
      break;
    }
    case RelabelAction::kLowercase:
      labels.Set(r.target_label, MapCase(SourceValue(r, labels), ::tolower));
      break;
    case RelabelAction::kUppercase:
      labels.Set(r.target_label, MapCase(SourceValue(r, labels), ::toupper));
      break;
    case RelabelAction::kHashMod: {
      std::array<uint8_t, 16> sum = Md5(SourceValue(r, labels));
      uint64_t h = 0;
      for (int i = 8; i < 16; ++i) h = (h << 8) | sum[i];
      labels.Set(r.target_label, std::to_string(h % r.modulus));
      break;
    }
    case RelabelAction::kLabelMap: {
      std::vector<Label> snapshot = labels.items();
      for (const Label& l : snapshot) {
        auto res = r.regex.MatchAndExpand(l.name, r.replacement);
        if (res) labels.Set(*res, l.value);
      }
      break;
    }
    case RelabelAction::kLabelDrop:
    case RelabelAction::kLabelKeep: {
      bool keep_matching = r.action == RelabelAction::kLabelKeep;
      std::vector<Label> snapshot = labels.items();
      for (const Label& l : snapshot) {
        if (r.regex.Match(l.name) != keep_matching) labels.Del(l.name);
      }
      break;
    }
  }
  return true;
}

}  // namespace

bool Relabel(const std::vector<RelabelRule>& rules, Labels& labels) {
  for (const RelabelRule& r : rules) {
    if (!Apply(r, labels)) return false;
  }
  labels.Compact();
  return true;
}

// ---- MD5 (RFC 1321) ----

std::array<uint8_t, 16> Md5(std::string_view data) {
  static const uint32_t kShift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                      5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                      4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                      6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  // K[i] = floor(2^32 * |sin(i + 1)|), computed once.
  static const std::array<uint32_t, 64> kSine = [] {
    std::array<uint32_t, 64> k{};
    for (int i = 0; i < 64; ++i) {
      k[i] =
          static_cast<uint32_t>(static_cast<uint64_t>(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
    }
    return k;
  }();
  uint32_t a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;

  std::string msg(data);
  uint64_t bit_len = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 0; i < 8; ++i) msg.push_back(static_cast<char>((bit_len >> (8 * i)) & 0xff));

  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) {
      const auto* p =
          reinterpret_cast<const unsigned char*>(msg.data() + off + 4 * static_cast<size_t>(i));
      w[i] =
          uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    }
    uint32_t a = a0, b = b0, c = c0, d = d0;
    for (uint32_t i = 0; i < 64; ++i) {
      uint32_t f, g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      f = f + a + kSine[i] + w[g];
      a = d;
      d = c;
      c = b;
      b = b + ((f << kShift[i]) | (f >> (32 - kShift[i])));
    }
    a0 += a;
    b0 += b;
    c0 += c;
    d0 += d;
  }
  std::array<uint8_t, 16> out{};
  uint32_t parts[4] = {a0, b0, c0, d0};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>((parts[i] >> (8 * j)) & 0xff);
  }
  return out;
}

}  // namespace astrolabe::receiver::prometheus
