#pragma once
// ComponentId: "type[/name]", the key of a component in receivers:, processors:, ...
// and in service.pipelines. Also used for pipeline ids ("metrics/nim").

#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::config {

struct ComponentId {
  std::string type;
  std::string name;  // empty when the id has no "/name"

  // Validates as upstream: type matches ^[a-zA-Z][0-9a-zA-Z_]{0,62}$, name is
  // non-empty after a "/" and has no spaces.
  static Result<ComponentId> Parse(std::string_view text);
  std::string ToString() const { return name.empty() ? type : type + "/" + name; }

  friend bool operator==(const ComponentId&, const ComponentId&) = default;
  friend auto operator<=>(const ComponentId&, const ComponentId&) = default;
};

}  // namespace astrolabe::config
