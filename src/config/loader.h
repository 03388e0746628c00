#pragma once
// Loader: collector config files → config::Config. The one entry point for
// `astrolabe collector --config ...` and `astrolabe validate [--fix] --config ...`.
//
// Steps (docs/design/config.md):
//   1. read each source; forgive the text-level slips (fixups.h (a), (d));
//   2. parse YAML into Nodes with positions (parse.h);
//   3. forgive the tree-level slips (fixups.h (b), (c));
//   4. merge the sources in order, as upstream confmap: maps merge recursively, the later
//      source wins for everything else (sequences are replaced, not appended);
//   5. expand ${env:VAR} references in values (expand.h);
//   6. decode the top level and check it as upstream does (DecodeConfig below).
// Every problem of every step is reported, with file:line:column and key path, before
// giving up; warnings (forgiven slips, unset variables) are returned with the result.
//
// Thread-safe: no shared state; `env` is called on the caller's thread.

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "config/diagnostics.h"
#include "config/expand.h"

namespace astrolabe::config {

struct ConfigSource {
  std::string name;                 // a path, or the name used in positions
  std::optional<std::string> text;  // the document itself; nullopt: read the file `name`

  static ConfigSource File(std::string path) { return {std::move(path), std::nullopt}; }
  static ConfigSource Memory(std::string name, std::string text) {
    return {std::move(name), std::move(text)};
  }
};

struct LoadOptions {
  std::vector<ConfigSource> sources;  // merged in order; at least one
  EnvLookup env = ProcessEnv();       // tests pass a map-backed lookup
  bool fix_slips = true;              // false: the four slips are errors, as upstream
};

// A source whose text a fixup corrected: what `validate --fix` writes back.
struct FixedSource {
  std::string name;
  std::string text;  // re-printed from the tree (no comments) if a tree-level fix applied
};

struct LoadResult {
  Config config;
  std::vector<Diagnostic> warnings;
  std::vector<FixedSource> fixed;  // only sources that needed a fix
};

// Loads and checks the configuration. On any error returns InvalidArgument whose message
// lists every error, one per line ("nim.yaml:3:5: receivers.x: ...").
Result<LoadResult> Load(const LoadOptions& options);

// As Load(), for callers that print diagnostics themselves: errors and warnings go to
// `diag`; the result is complete only when !diag.has_errors().
LoadResult Load(const LoadOptions& options, Diagnostics& diag);

// Step 6 alone: the top level of a merged, expanded tree → Config. Checks, with
// upstream's messages: top-level and service keys, component ids, pipeline ids and keys,
// references to unconfigured components, at least one pipeline / receiver / exporter,
// duplicate processors in a pipeline, empty configuration, telemetry levels.
// `empty_mark` names the position for "empty configuration file".
Config DecodeConfig(const Node& root, const Mark& empty_mark, Diagnostics& diag);

// Merges `src` into `dst` as upstream confmap does (maps recursively; otherwise src wins).
void MergeInto(Node& dst, const Node& src);

}  // namespace astrolabe::config
