#include "config/decoder.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/strings.h"

namespace astrolabe::config {
namespace {

std::string Describe(const Node& n) {
  if (n.IsScalar()) return "\"" + n.scalar() + "\"";
  return std::string("a ") + std::string(n.KindName());
}

bool ParseInt(std::string_view s, int64_t& out) {
  std::string t;
  for (char c : s) {
    if (c != '_') t += c;  // YAML 1.1 allows 1_000
  }
  std::string_view v = t;
  bool neg = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    neg = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
    base = 8;
    v.remove_prefix(2);
  }
  if (v.empty()) return false;
  uint64_t u = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), u, base);
  if (ec != std::errc() || ptr != v.data() + v.size()) return false;
  if (neg) {
    if (u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    out = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(u);
  }
  return true;
}

bool ParseDouble(std::string_view s, double& out) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") {
    out = INFINITY;
    return true;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    out = -INFINITY;
    return true;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    out = NAN;
    return true;
  }
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseBool(std::string_view s, bool& out) {
  if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

std::string JoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

Decoder::Decoder(const Node& root, std::string path, Diagnostics& diag) : diag_(diag) {
  const Node* node = &root;
  if (root.IsNull()) {
    node = nullptr;
  } else if (!root.IsMap()) {
    diag_.Error(root.mark(), path, "expected a map, got " + Describe(root));
    node = nullptr;
  }
  frames_.push_back({node, std::move(path), {}});
}

void Decoder::Finish() {
  if (finished_ || frames_.empty()) return;
  finished_ = true;
  CloseFrame();
}

void Decoder::CloseFrame() {
  Frame& f = frames_.back();
  if (f.node != nullptr) {
    for (const auto& [key, value] : f.node->entries()) {
      bool known = false;
      for (const auto& a : f.asked) {
        if (a == key) {
          known = true;
          break;
        }
      }
      if (known) continue;
      std::string msg = "unknown key";
      if (auto s = ClosestMatch(key, f.asked)) msg += " (did you mean " + *s + "?)";
      diag_.Error(f.node->KeyMark(key), JoinPath(f.path, key), std::move(msg));
    }
  }
  frames_.pop_back();
}

const Node* Decoder::Lookup(std::string_view key) {
  Frame& f = frames_.back();
  f.asked.emplace_back(key);
  if (f.node == nullptr) return nullptr;
  const Node* v = f.node->Find(key);
  if (v == nullptr || v->IsNull()) return nullptr;
  return v;
}

bool Decoder::Present(std::string_view key) {
  Frame& f = frames_.back();
  f.asked.emplace_back(key);
  return f.node != nullptr && f.node->Find(key) != nullptr;
}

std::string Decoder::PathOf(std::string_view key) const {
  return JoinPath(frames_.back().path, key);
}

void Decoder::TypeError(std::string_view key, const Node& value, std::string_view expected) {
  diag_.Error(value.mark(), PathOf(key),
              "expected " + std::string(expected) + ", got " + Describe(value));
}

void Decoder::Error(std::string_view key, std::string message) {
  const Frame& f = frames_.back();
  Mark mark;
  if (f.node != nullptr) {
    const Node* v = f.node->Find(key);
    mark = v != nullptr ? v->mark() : f.node->mark();
  }
  diag_.Error(std::move(mark), key.empty() ? f.path : PathOf(key), std::move(message));
}

void Decoder::Field(std::string_view key, std::string& value, FieldOptions) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar()) return TypeError(key, *v, "a string");
  value = v->scalar();
}

void Decoder::Field(std::string_view key, bool& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar() || v->quoted() || !ParseBool(v->scalar(), value)) {
    TypeError(key, *v, "true or false");
  }
}

void Decoder::Field(std::string_view key, int64_t& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar() || v->quoted() || !ParseInt(v->scalar(), value)) {
    TypeError(key, *v, "an integer");
  }
}

void Decoder::Field(std::string_view key, double& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar() || v->quoted() || !ParseDouble(v->scalar(), value)) {
    TypeError(key, *v, "a number");
  }
}

void Decoder::Field(std::string_view key, Duration& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar()) return TypeError(key, *v, "a duration like 10s");
  auto d = ParseDuration(v->scalar());
  if (!d.ok()) return TypeError(key, *v, "a duration like 10s");
  value = *d;
}

void Decoder::ByteSize(std::string_view key, uint64_t& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsScalar()) return TypeError(key, *v, "a byte size like 512KiB");
  auto b = ParseBytes(v->scalar());
  if (!b.ok()) return TypeError(key, *v, "a byte size like 512KiB");
  value = *b;
}

void Decoder::Field(std::string_view key, std::vector<std::string>& value) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsSequence()) return TypeError(key, *v, "a list of strings");
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Node& item = v->items()[i];
    if (!item.IsScalar()) {
      diag_.Error(item.mark(), PathOf(key) + "[" + std::to_string(i) + "]",
                  "expected a string, got " + Describe(item));
      ok = false;
      continue;
    }
    out.push_back(item.scalar());
  }
  if (ok) value = std::move(out);
}

void Decoder::Field(std::string_view key, std::map<std::string, std::string>& value, FieldOptions) {
  const Node* v = Lookup(key);
  if (v == nullptr) return;
  if (!v->IsMap()) return TypeError(key, *v, "a map of strings");
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& [k, item] : v->entries()) {
    if (item.IsNull()) {
      out[k] = "";
    } else if (!item.IsScalar()) {
      diag_.Error(item.mark(), JoinPath(PathOf(key), k),
                  "expected a string, got " + Describe(item));
      ok = false;
    } else {
      out[k] = item.scalar();
    }
  }
  if (ok) value = std::move(out);
}

const Node* Decoder::Raw(std::string_view key, Node* raw) {
  Frame& f = frames_.back();
  f.asked.emplace_back(key);
  const Node* v = f.node != nullptr ? f.node->Find(key) : nullptr;
  if (v != nullptr && raw != nullptr) *raw = *v;
  return v;
}

bool Decoder::EnterObject(std::string_view key) {
  const Node* v = Lookup(key);
  if (v == nullptr) return false;
  if (!v->IsMap()) {
    TypeError(key, *v, "a map");
    return false;
  }
  frames_.push_back({v, PathOf(key), {}});
  return true;
}

void Decoder::LeaveObject() { CloseFrame(); }

bool Decoder::EnterList(std::string_view key, size_t& size) {
  const Node* v = Lookup(key);
  if (v == nullptr) return false;
  if (!v->IsSequence()) {
    TypeError(key, *v, "a list");
    return false;
  }
  size = v->items().size();
  lists_.push_back({v, PathOf(key)});
  return true;
}

void Decoder::EnterItem(size_t index) {
  const ListState& l = lists_.back();
  const Node& item = l.seq->items()[index];
  std::string path = l.path + "[" + std::to_string(index) + "]";
  const Node* node = &item;
  if (item.IsNull()) {
    node = nullptr;
  } else if (!item.IsMap()) {
    diag_.Error(item.mark(), path, "expected a map, got " + Describe(item));
    node = nullptr;
  }
  frames_.push_back({node, std::move(path), {}});
}

void Decoder::LeaveItem() { CloseFrame(); }

void Decoder::LeaveList() { lists_.pop_back(); }

}  // namespace astrolabe::config
