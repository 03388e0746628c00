#pragma once
// ParseYaml: YAML text → config::Node, the one place yaml-cpp is called. yaml-cpp throws;
// every exception is caught here and becomes a Diagnostic at the position it names.
//
// Rejected with an error (and no tree): YAML syntax errors (yaml-cpp's message at its
// mark), duplicate map keys, keys that are not scalars, nesting deeper than kMaxDepth, and
// documents that expand to more than kMaxNodes nodes through aliases (a "billion laughs"
// document would otherwise exhaust memory). Only the first document of a stream is read,
// as upstream's yaml.Unmarshal does. Merge keys ("<<") are not interpreted.
//
// Positions: lines are 1-based; columns are 1-based and count UTF-8 characters, so that a
// no-break space counts as one column, as editors show it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/node.h"

namespace astrolabe::config {

inline constexpr int kMaxDepth = 200;
inline constexpr size_t kMaxNodes = 200'000;

struct ParseOptions {
  std::shared_ptr<const std::string> file;  // the name put in every Mark
  // Added to the column of nodes on line i+1 (1-based line i+1 ↔ index i): the text was
  // shifted left by a fixup and positions must name the user's original columns.
  std::vector<int> column_shift;
};

// The root of the first document (Null for an empty one), or nullopt after reporting the
// errors to `diag`.
std::optional<Node> ParseYaml(std::string_view text, const ParseOptions& options,
                              Diagnostics& diag);

// A copy of `node` with every mark (nodes and keys) replaced by `mark`; used for values
// that come from an environment variable and so have no position of their own.
Node Remark(const Node& node, const Mark& mark);

}  // namespace astrolabe::config
