#pragma once
// Runs Prometheus' PromQL test scripts (promql/promqltest/testdata/*.test) against our engine,
// with a tsdb::Head as the storage. Test support only (links src/tsdb); not part of the query
// library.
//
// Script format (as Prometheus' promqltest reads it):
//   load <step>                      then indented `<series> <values>` lines;
//   load_with_nhcb <step>            the same (we load the classic series only);
//   clear                            drops every series;
//   eval[_fail|_ordered|_warn|_info] instant at <time> <expr>
//   eval[...] range from <t> to <t> step <d> <expr>
//     followed by indented expectations: `<series> <value(s)>`, a bare number (scalar),
//     `expect fail [msg: …|regex: …]`, `expect ordered`, `expect string "…"`,
//     `expect range vector from <t> to <t> step <d>`, `expect warn|no_warn|info|no_info`.
// Values: numbers, Inf, NaN, `stale`, `_` (none), `a+bxn`/`a-bxn` (n+1 values), `axn`, `_xn`.
//
// Every eval counts once as passed, failed (with a reason) or skipped (with the reason that
// applied, from SkipReason()).

#include <string>
#include <string_view>
#include <vector>

#include "query/engine.h"

namespace astrolabe::query {

struct ScriptStats {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::vector<std::string> failures;  // "line N: <query>: <why>"
  std::vector<std::string> skips;     // "line N: <reason>"
};

// Runs one script. `file` is its base name (the skip list is keyed by it).
ScriptStats RunScript(std::string_view file, std::string_view content,
                      const EngineOptions& options = {});

// Why an eval is skipped, or "" to run it: the one skip list (see script_runner.cc).
std::string SkipReason(std::string_view file, std::string_view query,
                       std::string_view expectations);

}  // namespace astrolabe::query
