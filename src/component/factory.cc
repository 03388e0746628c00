#include "component/factory.h"

#include <algorithm>

namespace astrolabe::component {

std::string_view StabilityName(Stability s) {
  switch (s) {
    case Stability::kDevelopment: return "development";
    case Stability::kAlpha: return "alpha";
    case Stability::kBeta: return "beta";
    case Stability::kStable: return "stable";
    case Stability::kDeprecated: return "deprecated";
  }
  return "unknown";
}

void Registry::Add(std::unique_ptr<Factory> factory) { factories_.push_back(std::move(factory)); }

void Registry::AddAlias(Kind kind, std::string alias, std::string type) {
  aliases_.push_back({kind, std::move(alias), std::move(type)});
}

const Factory* Registry::Find(Kind kind, std::string_view type, bool* alias_used) const {
  if (alias_used) *alias_used = false;
  for (const auto& f : factories_) {
    if (f->kind() == kind && f->type() == type) return f.get();
  }
  for (const auto& a : aliases_) {
    if (a.kind == kind && a.alias == type) {
      if (alias_used) *alias_used = true;
      return Find(kind, a.type);
    }
  }
  return nullptr;
}

std::vector<std::string> Registry::Types(Kind kind) const {
  std::vector<std::string> out;
  for (const auto& f : factories_) {
    if (f->kind() == kind) out.emplace_back(f->type());
  }
  // An alias is a valid value only when the type it names is built in.
  for (const auto& a : aliases_) {
    if (a.kind == kind && Find(kind, a.type) != nullptr) out.push_back(a.alias);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace astrolabe::component
