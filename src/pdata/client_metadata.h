#pragma once
// ClientMetadata: what upstream's client.Info.Metadata carries in the request context —
// request headers a receiver chose to keep (its `include_metadata: true`), so that a
// processor can tell tenants apart (the batch processor's `metadata_keys`). It rides with a
// pdata::Batch; nothing else in a pipeline reads it.
//
// Keys are stored lower-cased (HTTP/2 header style, as upstream) and looked up without
// regard to case. Immutable once attached to a Batch (it is shared by every copy).

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace astrolabe::pdata {

class ClientMetadata {
 public:
  // Appends `value` to the values of `key`.
  void Add(std::string_view key, std::string value) {
    std::string lower = AsciiLower(key);
    for (auto& [k, values] : entries_) {
      if (k == lower) {
        values.push_back(std::move(value));
        return;
      }
    }
    entries_.push_back({std::move(lower), {std::move(value)}});
  }

  // The values of `key` (any case); empty when the key is absent.
  const std::vector<std::string>& Get(std::string_view key) const {
    static const std::vector<std::string> kNone;
    std::string lower = AsciiLower(key);
    for (const auto& [k, values] : entries_) {
      if (k == lower) return values;
    }
    return kNone;
  }

  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> entries_;
};

}  // namespace astrolabe::pdata
