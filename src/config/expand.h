#pragma once
// Expand: `${...}` references in scalar values, exactly as the OpenTelemetry Collector's
// confmap resolver does with its default scheme set to "env" (see docs/design/config.md).
//
//   ${env:VAR}, ${VAR}        the variable's value
//   ${env:VAR:-default}       `default` when VAR is unset (an empty VAR is kept)
//   $VAR                      not a reference: stays literal
//   $${env:VAR}               escaped: becomes the literal text ${env:VAR}
//   $$                        becomes $ — after expansion, in every string
//
// A scalar that is exactly one reference takes the value re-read as YAML (a number, a
// bool, a list...); a reference inside a longer string is replaced by the variable's raw
// text. References are expanded one per round, up to 1000 rounds per value (values of
// variables are expanded again). Keys are never expanded.
//
// Errors (at the value's position): invalid variable names (`${1}`), a `$` inside the
// reference, schemes other than env, too many rounds. Warnings: a variable that is unset
// (and has no default) — its value is empty — and a variable that is set but empty.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/node.h"

namespace astrolabe::config {

// Looks up one environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

inline constexpr int kMaxExpansionRounds = 1000;

// Expands every scalar value under `root` in place, then turns `$$` into `$` in every
// scalar. `path` is the key path of `root` ("" for the document). Problems go to `diag`;
// a value whose expansion fails is left as written.
void Expand(Node& root, const EnvLookup& env, Diagnostics& diag, const std::string& path = "");

}  // namespace astrolabe::config
