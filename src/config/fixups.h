#pragma once
// Fixups: the four slips of the NIM integration page's collector config (see
// ../shared/seeds/README.md and src/config/README.md) that Astrolabe forgives. Each one
// applied gives exactly one warning, at the slip's position, whose `detail` holds the
// corrected YAML. Anything else malformed stays an error.
//
//   (a) FixNbspIndentation    no-break spaces (U+00A0) in indentation → spaces.
//                             Text level; one warning per file.
//   (d) FixOverIndentation    a line indented deeper than the `key: value` line above it
//                             (not valid YAML) → de-indented to that key's column, with
//                             the block under it. Text level; only tried after the strict
//                             parse failed, and only kept when the result parses.
//   (b) FixNestedTargets      `targets:` whose items are lists (`- ["host:8000"]`) under
//                             receivers.prometheus*.config.scrape_configs[*]
//                             .static_configs[*] → flattened. Tree level.
//   (c) FixBarePipelines      `metrics:`/`traces:`/`logs:` (or `metrics/x:`) written
//                             directly under `service:` → moved under service.pipelines.
//                             Tree level.
//
// Text-level fixes keep every line where it was (positions still name the user's file);
// tree-level fixes change the tree only, and the corrected file is then printed from the
// tree (config/emit.h), which loses comments.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/node.h"
#include "config/parse.h"

namespace astrolabe::config {

// (a) Replaces every U+00A0 in the leading whitespace of each line by one space (columns,
// counted in characters, are unchanged). Returns whether anything changed; warns once.
bool FixNbspIndentation(std::string& text, const std::shared_ptr<const std::string>& file,
                        Diagnostics& diag);

// (d) When `text` fails to parse, repeatedly de-indents the over-indented key line nearest
// before the parser's error, until the text parses (at most 50 times). On success replaces
// `text`, adds to `options->column_shift` the columns each line moved (so marks keep
// naming the original columns), warns once per moved line, and returns true. On failure
// changes nothing and returns false.
bool FixOverIndentation(std::string& text, ParseOptions* options, Diagnostics& diag);

// (b) Flattens nested target lists in prometheus receivers. Returns whether it changed
// anything.
bool FixNestedTargets(Node& root, Diagnostics& diag);

// (c) Moves pipelines written directly under `service:` into `service.pipelines`. Returns
// whether it changed anything.
bool FixBarePipelines(Node& root, Diagnostics& diag);

}  // namespace astrolabe::config
