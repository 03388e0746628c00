#pragma once
// `astrolabe query 'EXPR'`: runs a PromQL query against a server's HTTP API
// (/api/v1/query or /api/v1/query_range) and prints an aligned table:
//
//   instant:  one row per series — METRIC, one column per label, VALUE
//   range:    one row per series — METRIC, labels, POINTS, FIRST, LAST, MIN, MAX (of the
//             points in the range; NaN points are left out of MIN/MAX)
//   scalar and string results: the value alone.
// A summary line (series count, time or range and step) and any warnings go to stderr, so
// stdout pipes cleanly. `--json` prints the server's answer as is.

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common/status.h"

namespace astrolabe::app {

struct QueryOptions {
  std::string expr;
  std::string server = "http://localhost:8080";
  std::string token;  // --token, else $ASTROLABE_TOKEN
  std::string time;   // instant: "now" when empty
  std::string start, end, step;  // any set: a range query
  std::string timeout;           // passed through (?timeout=)
  bool json = false;
};

// Registers the `query` subcommand on `app`, filling `options`.
CLI::App* AddQueryCommand(CLI::App& app, QueryOptions& options);

// 0 when the query succeeded (even with no series), 1 on any error (printed to stderr).
int RunQuery(const QueryOptions& options);

// The table for a successful Prometheus API answer `json` (exposed for tests).
Result<std::string> FormatQueryAnswer(std::string_view json);

// A CLI time: "now", "now-1h", "now+5m", Unix seconds or RFC 3339, in Unix milliseconds.
Result<int64_t> ParseCliTimeMs(std::string_view text, int64_t now_ms);

}  // namespace astrolabe::app
