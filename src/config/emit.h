#pragma once
// Emit: a Node back to YAML text, for `astrolabe validate` (the resolved config) and for
// `astrolabe validate --fix` (a config whose tree a fixup changed; see config/fixups.h).
//
// Block style with two-space indentation; map entries keep their order; nodes whose
// style() is kFlow are written in flow style (`[a, b]`, `{k: v}`) as they were read.
// Scalars that were quoted (Node::quoted()) are written in double quotes; the others are
// written plain when YAML would read them back as the same string, and in double quotes
// otherwise (empty strings, indicator characters, ": ", " #", control characters,
// leading/trailing spaces). Comments and blank lines are not kept: a Node
// does not hold them.
//
// Guarantee (tested): Emit(n) parsed again yields a tree equal to n in kinds, keys, order
// and scalar values.

#include <string>

#include "config/node.h"

namespace astrolabe::config {

// The YAML document for `node`, ending with a newline. A Null node gives "null\n".
std::string Emit(const Node& node);

// `key` followed by `node` as one map entry, e.g. for the corrected snippet of a warning:
//   EmitEntry("targets", seq) == "targets:\n  - \"host:8000\"\n".
std::string EmitEntry(const std::string& key, const Node& node);

// One scalar as it would appear in a document (plain or double-quoted).
std::string EmitScalar(const std::string& value, bool quoted);

}  // namespace astrolabe::config
