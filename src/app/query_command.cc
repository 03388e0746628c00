#include "app/query_command.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <vector>

#include "api/query_params.h"
#include "common/strings.h"
#include "net/http_client.h"
#include "net/url_query.h"
#include "query/parser.h"

namespace astrolabe::app {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Seconds(int64_t ms) {
  std::string out = std::to_string(ms / 1000);
  if (int64_t frac = std::abs(ms % 1000); frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    out += buf;
    if (ms < 0 && ms / 1000 == 0) out = "-" + out;
  }
  return out;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

double ParseValue(std::string_view s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  double v = std::nan("");
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Rows of cells, printed with every column padded to its widest cell.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

struct SeriesRow {
  std::map<std::string, std::string> labels;  // without __name__
  std::string name;
  std::vector<std::string> cells;  // value columns
};

Result<SeriesRow> ReadMetric(simdjson::dom::element series) {
  SeriesRow row;
  simdjson::dom::object metric;
  if (series["metric"].get_object().get(metric)) return InvalidArgument("a result has no metric");
  for (auto field : metric) {
    std::string_view value;
    if (field.value.get_string().get(value)) return InvalidArgument("a label value is no string");
    if (field.key == "__name__") {
      row.name = std::string(value);
    } else {
      row.labels[std::string(field.key)] = std::string(value);
    }
  }
  return row;
}

std::string Table(const std::vector<SeriesRow>& rows,
                  const std::vector<std::string>& value_columns) {
  std::set<std::string> names;
  bool any_name = false;
  for (const auto& r : rows) {
    any_name |= !r.name.empty();
    for (const auto& [k, v] : r.labels) names.insert(k);
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header;
  if (any_name) header.push_back("METRIC");
  header.insert(header.end(), names.begin(), names.end());
  header.insert(header.end(), value_columns.begin(), value_columns.end());
  cells.push_back(header);
  for (const auto& r : rows) {
    std::vector<std::string> line;
    if (any_name) line.push_back(r.name.empty() ? "-" : r.name);
    for (const auto& n : names) {
      auto it = r.labels.find(n);
      line.push_back(it == r.labels.end() ? "-" : it->second);
    }
    line.insert(line.end(), r.cells.begin(), r.cells.end());
    cells.push_back(std::move(line));
  }
  return Table(cells);
}

}  // namespace

Result<int64_t> ParseCliTimeMs(std::string_view text, int64_t now_ms) {
  if (StartsWith(text, "now")) {
    std::string_view rest = text.substr(3);
    if (rest.empty()) return now_ms;
    const char sign = rest[0];
    if (sign != '-' && sign != '+') {
      return InvalidArgument("time \"" + std::string(text) + "\": expected now, now-1h or now+5m");
    }
    Result<int64_t> d = query::ParseDurationMs(rest.substr(1));
    if (!d.ok()) {
      return InvalidArgument("time \"" + std::string(text) + "\": " + d.status().message());
    }
    return sign == '-' ? now_ms - *d : now_ms + *d;
  }
  Result<int64_t> t = api::ParseTimeMs(text);
  if (!t.ok()) return InvalidArgument("time: " + t.status().message());
  return t;
}

Result<std::string> FormatQueryAnswer(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("the answer is not JSON: ") + simdjson::error_message(err));
  }
  std::string_view type;
  simdjson::dom::element result;
  if (root["data"]["resultType"].get_string().get(type) || root["data"]["result"].get(result)) {
    return InvalidArgument("the answer has no data.resultType and data.result");
  }
  if (type == "scalar" || type == "string") {
    std::string_view value;
    if (result.at(1).get_string().get(value))
      return InvalidArgument("a malformed " + std::string(type));
    return std::string(value) + "\n";
  }
  simdjson::dom::array series;
  if (result.get_array().get(series)) return InvalidArgument("data.result is not a list");
  std::vector<SeriesRow> rows;
  for (simdjson::dom::element s : series) {
    ASSIGN_OR_RETURN(SeriesRow row, ReadMetric(s));
    if (type == "vector") {
      std::string_view value;
      if (s["value"].at(1).get_string().get(value)) return InvalidArgument("a sample has no value");
      row.cells.push_back(std::string(value));
    } else {
      simdjson::dom::array values;
      if (s["values"].get_array().get(values)) values = {};
      size_t points = 0;
      std::string first, last;
      double min = INFINITY, max = -INFINITY;
      for (simdjson::dom::element p : values) {
        std::string_view v;
        if (p.at(1).get_string().get(v)) return InvalidArgument("a point has no value");
        if (points++ == 0) first = std::string(v);
        last = std::string(v);
        const double d = ParseValue(v);
        if (!std::isnan(d)) {
          min = std::min(min, d);
          max = std::max(max, d);
        }
      }
      const bool any = min <= max;
      row.cells = {std::to_string(points), first.empty() ? "-" : first, last.empty() ? "-" : last,
                   any ? FormatDouble(min) : "-", any ? FormatDouble(max) : "-"};
    }
    rows.push_back(std::move(row));
  }
  if (type == "vector") return Table(rows, {"VALUE"});
  return Table(rows, {"POINTS", "FIRST", "LAST", "MIN", "MAX"});
}

CLI::App* AddQueryCommand(CLI::App& app, QueryOptions& o) {
  auto* cmd = app.add_subcommand(
      "query",
      "Run a PromQL query against a server's API and print a table (instant: one row per\n"
      "series with its value; with --start/--end/--step, a range query: one row per series\n"
      "with its points, first, last, min and max). Times: now, now-1h, Unix seconds or\n"
      "RFC 3339. The token needs the metrics.read scope. Exit 0 on success, 1 on an error.");
  cmd->add_option("expr", o.expr, "The PromQL expression")->required();
  cmd->add_option("--server", o.server, "The server's API (its --http address)")
      ->type_name("URL")
      ->capture_default_str();
  cmd->add_option("--token", o.token, "API token (default: $ASTROLABE_TOKEN)")->type_name("TOKEN");
  cmd->add_option("--time", o.time, "Evaluation time of an instant query (default: now)")
      ->type_name("TIME");
  cmd->add_option("--start", o.start, "Range query start (default: end - 1h)")->type_name("TIME");
  cmd->add_option("--end", o.end, "Range query end (default: now)")->type_name("TIME");
  cmd->add_option("--step", o.step,
                  "Range query step: a duration (15s, 1m) or seconds (default: range/250, "
                  "at least 1s)")
      ->type_name("STEP");
  cmd->add_option("--timeout", o.timeout, "Query timeout the server applies (e.g. 30s)")
      ->type_name("DURATION");
  cmd->add_flag("--json", o.json, "Print the server's JSON answer as is");
  return cmd;
}

int RunQuery(const QueryOptions& o) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  const int64_t now = NowMs();
  const bool range = !o.start.empty() || !o.end.empty() || !o.step.empty();
  std::string form = "query=" + net::PercentEncode(o.expr);
  std::string summary;
  if (range) {
    auto end = ParseCliTimeMs(o.end.empty() ? "now" : o.end, now);
    if (!end.ok()) return fail("--end: " + end.status().message());
    auto start =
        o.start.empty() ? Result<int64_t>(*end - 3600 * 1000) : ParseCliTimeMs(o.start, now);
    if (!start.ok()) return fail("--start: " + start.status().message());
    std::string step = o.step;
    if (step.empty()) {
      step = Seconds(std::max<int64_t>(1000, (*end - *start) / 250 / 1000 * 1000));
    }
    form += "&start=" + Seconds(*start) + "&end=" + Seconds(*end) + "&step=" + net::PercentEncode(step);
    summary =
        FormatRfc3339(*start * 1000000) + " .. " + FormatRfc3339(*end * 1000000) + ", step " + step;
  } else {
    auto t = ParseCliTimeMs(o.time.empty() ? "now" : o.time, now);
    if (!t.ok()) return fail("--time: " + t.status().message());
    form += "&time=" + Seconds(*t);
    summary = "at " + FormatRfc3339(*t * 1000000);
  }
  if (!o.timeout.empty()) form += "&timeout=" + net::PercentEncode(o.timeout);

  std::string server = o.server;
  if (server.find("://") == std::string::npos) server = "http://" + server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  std::string token = o.token;
  if (token.empty()) {
    if (const char* env = std::getenv("ASTROLABE_TOKEN")) token = env;
  }

  net::HttpClient client;
  net::HttpRequest request;
  request.method = "POST";
  request.url = server + (range ? "/api/v1/query_range" : "/api/v1/query");
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
  request.body = form;
  request.timeout = std::chrono::minutes(3);
  auto response = client.Send(std::move(request)).get();
  if (!response.ok()) return fail("querying " + server + ": " + response.status().message());

  simdjson::dom::parser parser;
  simdjson::padded_string padded(response->body);
  simdjson::dom::element root;
  const bool is_json = !parser.parse(padded).get(root);
  if (response->status != 200) {
    std::string_view type, error;
    if (is_json && !root["errorType"].get_string().get(type) &&
        !root["error"].get_string().get(error)) {
      return fail(std::string(type) + ": " + std::string(error) + " (HTTP " +
                  std::to_string(response->status) + ")");
    }
    std::string_view message;
    if (is_json && !root["error"]["message"].get_string().get(message)) {
      return fail(std::string(message) + " (HTTP " + std::to_string(response->status) + ")");
    }
    return fail("HTTP " + std::to_string(response->status) + " from " + server + ": " +
                response->body.substr(0, 200));
  }
  if (o.json) {
    std::cout << response->body << "\n";
    return 0;
  }
  if (is_json) {
    simdjson::dom::array warnings;
    if (!root["warnings"].get_array().get(warnings)) {
      for (simdjson::dom::element w : warnings) {
        std::string_view text;
        if (!w.get_string().get(text)) std::cerr << "warning: " << text << "\n";
      }
    }
  }
  Result<std::string> table = FormatQueryAnswer(response->body);
  if (!table.ok()) return fail(table.status().message());
  std::cout << *table;
  size_t series = 0;
  if (is_json) {
    simdjson::dom::array result;
    if (!root["data"]["result"].get_array().get(result)) series = result.size();
    std::string_view type;
    if (!root["data"]["resultType"].get_string().get(type) &&
        (type == "vector" || type == "matrix")) {
      std::cerr << series << " series " << summary << "\n";
    }
  }
  return 0;
}

}  // namespace astrolabe::app
