#include "config/encoder.h"

#include <cmath>
#include <cstdio>

#include "common/strings.h"

namespace astrolabe::config {

Encoder::Encoder() { stack_.push_back({"", Node::Map({})}); }

Node Encoder::Take() && { return std::move(stack_.front().node); }

void Encoder::Put(std::string_view key, Node value) {
  stack_.back().node.Set(std::string(key), std::move(value));
}

void Encoder::Field(std::string_view key, std::string& value, FieldOptions opts) {
  std::string v = opts.secret && !value.empty() ? std::string(kRedacted) : value;
  Put(key, Node::Scalar(std::move(v), {}, /*quoted=*/true));
}

void Encoder::Field(std::string_view key, bool& value) {
  Put(key, Node::Scalar(value ? "true" : "false", {}));
}

void Encoder::Field(std::string_view key, int64_t& value) {
  Put(key, Node::Scalar(std::to_string(value), {}));
}

void Encoder::Field(std::string_view key, double& value) {
  std::string text;
  if (std::isnan(value)) {
    text = ".nan";
  } else if (std::isinf(value)) {
    text = value > 0 ? ".inf" : "-.inf";
  } else {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", value);
    // Prefer the shortest text that reads back to the same double.
    for (int prec = 1; prec <= 17; ++prec) {
      char shortbuf[64];
      std::snprintf(shortbuf, sizeof(shortbuf), "%.*g", prec, value);
      if (std::strtod(shortbuf, nullptr) == value) {
        std::snprintf(buf, sizeof(buf), "%s", shortbuf);
        break;
      }
    }
    text = buf;
  }
  Put(key, Node::Scalar(std::move(text), {}));
}

void Encoder::Field(std::string_view key, Duration& value) {
  Put(key, Node::Scalar(FormatDuration(value), {}));
}

void Encoder::ByteSize(std::string_view key, uint64_t& value) {
  Put(key, Node::Scalar(std::to_string(value), {}));
}

void Encoder::Field(std::string_view key, std::vector<std::string>& value) {
  Node seq = Node::Sequence({}, Node::Style::kFlow);
  for (const auto& s : value) seq.Append(Node::Scalar(s, {}, true));
  Put(key, std::move(seq));
}

void Encoder::Field(std::string_view key, std::map<std::string, std::string>& value,
                    FieldOptions opts) {
  Node map = Node::Map({}, value.empty() ? Node::Style::kFlow : Node::Style::kBlock);
  for (const auto& [k, v] : value) {
    std::string text = opts.secret && !v.empty() ? std::string(kRedacted) : v;
    map.Set(k, Node::Scalar(std::move(text), {}, true));
  }
  Put(key, std::move(map));
}

const Node* Encoder::Raw(std::string_view key, Node* raw) {
  if (raw != nullptr && !raw->IsNull()) Put(key, *raw);
  return nullptr;
}

bool Encoder::EnterObject(std::string_view key) {
  stack_.push_back({std::string(key), Node::Map({})});
  return true;
}

void Encoder::LeaveObject() {
  Open top = std::move(stack_.back());
  stack_.pop_back();
  if (top.node.entries().empty()) top.node = Node::Map({}, Node::Style::kFlow);
  Put(top.key, std::move(top.node));
}

bool Encoder::EnterList(std::string_view key, size_t& size) {
  stack_.push_back({std::string(key), Node::Sequence({})});
  return true;
}

void Encoder::EnterItem(size_t) { stack_.push_back({"", Node::Map({})}); }

void Encoder::LeaveItem() {
  Open top = std::move(stack_.back());
  stack_.pop_back();
  stack_.back().node.Append(std::move(top.node));
}

void Encoder::LeaveList() {
  Open top = std::move(stack_.back());
  stack_.pop_back();
  if (top.node.items().empty()) top.node = Node::Sequence({}, Node::Style::kFlow);
  Put(top.key, std::move(top.node));
}

}  // namespace astrolabe::config
