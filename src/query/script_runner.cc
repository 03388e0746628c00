#include "query/script_runner.h"

#include <re2/re2.h>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "query/functions.h"
#include "query/parser.h"
#include "tsdb/head.h"

namespace astrolabe::query {

// ---- the skip list: every eval we do not run, and why, in one place ----------------------
std::string SkipReason(std::string_view file, std::string_view query,
                       std::string_view expectations) {
  struct FileSkip {
    std::string_view file;
    std::string_view reason;
  };
  static const FileSkip kFiles[] = {
      {"native_histograms.test", "native histograms are not supported (float samples only)"},
      {"extended_vectors.test",
       "the experimental `anchored`/`smoothed` range modifiers (newer than Prometheus 3.0)"},
      {"info.test", "the experimental info() function needs target_info joins we do not have yet"},
      {"type_and_unit.test", "the experimental type-and-unit labels (__type__, __unit__)"},
      {"start_timestamps.test", "created/start timestamps (experimental) are not stored"},
  };
  for (const FileSkip& f : kFiles) {
    if (file == f.file) return std::string(f.reason);
  }
  if (expectations.find("{{") != std::string_view::npos) {
    return "native histogram in the expected result";
  }
  struct QuerySkip {
    std::string_view needle;
    std::string_view reason;
  };
  static const QuerySkip kQueries[] = {
      {"histogram_count(", "native-histogram function"},
      {"histogram_sum(", "native-histogram function"},
      {"histogram_avg(", "native-histogram function"},
      {"histogram_stddev(", "native-histogram function"},
      {"histogram_stdvar(", "native-histogram function"},
  };
  for (const QuerySkip& q : kQueries) {
    if (query.find(q.needle) != std::string_view::npos) return std::string(q.reason);
  }
  return "";
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  const double kMinNormal = 2.2250738585072014e-308;
  const double eps = 1e-6;
  const double abs_sum = std::fabs(a) + std::fabs(b);
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < eps * kMinNormal;
  return diff / std::min(abs_sum, 1.7976931348623157e308) < eps;
}

Result<int64_t> ParseTime(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  auto d = ParseDurationMs(s);
  int64_t ms = 0;
  if (d.ok()) {
    ms = *d;
  } else {
    std::string str(s);
    char* end = nullptr;
    double v = std::strtod(str.c_str(), &end);
    if (str.empty() || end != str.c_str() + str.size()) return InvalidArgument("bad time " + str);
    ms = static_cast<int64_t>(std::llround(v * 1000));
  }
  return neg ? -ms : ms;
}

std::optional<double> ParseNumber(std::string_view s) {
  std::string str(s);
  std::string lower;
  for (char c : str)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "inf" || lower == "+inf") return INFINITY;
  if (lower == "-inf") return -INFINITY;
  if (lower == "nan") return NAN;
  if (lower == "stale") return StaleNaN();
  if (str.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return std::nullopt;
  return v;
}

// Splits `<series> <values>` at the end of the series description.
std::pair<std::string_view, std::string_view> SplitSeries(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  if (i < line.size() && line[i] == '{') {
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (quote) {
        if (c == '\\') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'' || c == '`') {
        quote = c;
      } else if (c == '}') {
        ++i;
        break;
      }
    }
  }
  return {line.substr(0, i), Trim(line.substr(std::min(i, line.size())))};
}

// Value tokens; a native histogram `{{…}}[xN]` is one token.
std::vector<std::string_view> ValueTokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    if (s.substr(i, 2) == "{{") {
      size_t close = s.find("}}", i);
      i = close == std::string_view::npos ? s.size() : close + 2;
    }
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

struct Values {
  std::vector<std::optional<double>> v;  // nullopt: omitted
  bool histogram = false;
};

Result<Values> ExpandValues(std::string_view text) {
  Values out;
  for (std::string_view tok : ValueTokens(text)) {
    if (StartsWith(tok, "{{")) {
      out.histogram = true;
      return out;
    }
    size_t x = tok.rfind('x');
    std::optional<uint64_t> times;
    std::string_view base = tok;
    if (x != std::string_view::npos && x + 1 < tok.size() &&
        std::all_of(tok.begin() + static_cast<long>(x) + 1, tok.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      times = std::stoull(std::string(tok.substr(x + 1)));
      base = tok.substr(0, x);
    }
    if (base == "_") {
      uint64_t n = times.value_or(1);
      for (uint64_t k = 0; k < n; ++k) out.v.push_back(std::nullopt);
      continue;
    }
    if (!times) {
      auto n = ParseNumber(base);
      if (!n) return InvalidArgument("bad value \"" + std::string(tok) + "\"");
      out.v.push_back(*n);
      continue;
    }
    // a, a+b or a-b; the sign splitting them is not the first char nor after an exponent.
    size_t split = std::string_view::npos;
    for (size_t k = 1; k < base.size(); ++k) {
      if ((base[k] == '+' || base[k] == '-') && base[k - 1] != 'e' && base[k - 1] != 'E') {
        split = k;
        break;
      }
    }
    std::optional<double> a, b;
    if (split == std::string_view::npos) {
      a = ParseNumber(base);
      b = 0.0;
    } else {
      a = ParseNumber(base.substr(0, split));
      b = ParseNumber(base.substr(split));
    }
    if (!a || !b) return InvalidArgument("bad value \"" + std::string(tok) + "\"");
    double cur = *a;
    out.v.push_back(cur);
    for (uint64_t k = 1; k <= *times; ++k) {
      cur += *b;
      out.v.push_back(cur);
    }
  }
  return out;
}

struct Expectation {
  storage::Labels metric;
  bool scalar = false;
  std::vector<std::optional<double>> values;
};

class Runner {
 public:
  Runner(std::string_view file, const EngineOptions& options) : file_(file), engine_(options) {
    head_ = NewHead();
    shadow_ = NewHead();
  }

  ScriptStats Run(std::string_view content) {
    file_skip_ = SkipReason(file_, "", "");
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos <= content.size()) {
      size_t nl = content.find('\n', pos);
      if (nl == std::string_view::npos) nl = content.size();
      lines.push_back(content.substr(pos, nl - pos));
      pos = nl + 1;
    }
    size_t i = 0;
    while (i < lines.size()) {
      std::string_view line = Trim(lines[i]);
      if (line.empty() || line[0] == '#') {
        ++i;
        continue;
      }
      const size_t header = i;
      std::vector<std::string_view> body;
      ++i;
      while (i < lines.size()) {
        std::string_view raw = lines[i];
        std::string_view t = Trim(raw);
        if (t.empty()) break;
        if (raw[0] != ' ' && raw[0] != '\t') break;
        if (t[0] != '#') body.push_back(t);
        ++i;
      }
      if (!file_skip_.empty()) {
        if (StartsWith(line, "eval")) {
          ++stats_.skipped;
          stats_.skips.push_back("line " + std::to_string(header + 1) + ": " + file_skip_);
        }
        continue;
      }
      if (StartsWith(line, "load")) {
        Load(header + 1, line, body);
      } else if (line == "clear") {
        head_ = NewHead();
        shadow_ = NewHead();
      } else if (StartsWith(line, "eval")) {
        Eval(header + 1, line, body);
      } else {
        Fail(header + 1, std::string(line), "unknown directive");
      }
    }
    return std::move(stats_);
  }

 private:
  void Fail(size_t line, const std::string& what, const std::string& why) {
    ++stats_.failed;
    stats_.failures.push_back("line " + std::to_string(line) + ": " + what + ": " + why);
  }

  void Load(size_t line_no, std::string_view line, const std::vector<std::string_view>& body) {
    std::string_view rest =
        Trim(line.substr(line.find(' ') == std::string_view::npos ? line.size() : line.find(' ')));
    const bool nhcb = StartsWith(line, "load_with_nhcb");
    auto step = ParseTime(rest);
    if (!step.ok()) {
      Fail(line_no, std::string(line), step.status().message());
      return;
    }
    // A later definition of the same series replaces an earlier one (as promqltest does).
    std::map<std::string, std::pair<storage::Labels, std::vector<std::optional<double>>>>
        series_map;
    for (std::string_view l : body) {
      auto [series, values] = SplitSeries(l);
      auto labels = ParseSeriesLabels(series);
      if (!labels.ok()) {
        Fail(line_no, std::string(l), labels.status().message());
        continue;
      }
      auto vals = ExpandValues(values);
      if (!vals.ok()) {
        Fail(line_no, std::string(l), vals.status().message());
        continue;
      }
      if (nhcb && labels->MetricName().ends_with("_bucket") && labels->Has("le")) {
        // load_with_nhcb also makes a native histogram with custom buckets of each classic
        // histogram; that series is not loaded (float samples only).
        storage::LabelsBuilder b(*labels);
        std::string_view name = labels->MetricName();
        b.Set(storage::kMetricName, name.substr(0, name.size() - 7));
        b.Del("le");
        auto shadow_app = shadow_->NewAppender();
        (void)shadow_app->Append(b.Build(), 0, 0);
        (void)shadow_app->Commit();
      }
      if (vals->histogram) {
        // Native histograms are not loaded; the shadow head remembers the series so that evals
        // selecting them are skipped.
        auto shadow_app = shadow_->NewAppender();
        (void)shadow_app->Append(*labels, 0, 0);
        (void)shadow_app->Commit();
        series_map.erase(labels->ToString());
        continue;
      }
      series_map[labels->ToString()] = {*labels, vals->v};
    }
    auto app = head_->NewAppender();
    for (const auto& [key, entry] : series_map) {
      const auto& [labels, values] = entry;
      for (size_t k = 0; k < values.size(); ++k) {
        if (!values[k]) continue;
        auto r = app->Append(labels, static_cast<int64_t>(k) * *step, *values[k]);
        if (!r.ok()) Fail(line_no, labels.ToString(), r.status().message());
      }
    }
    Status st = app->Commit();
    if (!st.ok()) Fail(line_no, std::string(line), st.message());
  }

  // step(), range(), start() and end() depend on the query's parameters by design, so the
  // range-mode cross-check does not apply.
  static bool UsesQueryParameters(const Expr& e) {
    if (e.kind == NodeKind::kCall && (e.func->id == FuncId::kStep || e.func->id == FuncId::kRange ||
                                      e.func->id == FuncId::kStart || e.func->id == FuncId::kEnd)) {
      return true;
    }
    for (const auto& c : e.children) {
      if (UsesQueryParameters(*c)) return true;
    }
    if (e.range_expr || e.step_expr || e.offset_expr) return true;  // uses step()/range()
    return e.param != nullptr && UsesQueryParameters(*e.param);
  }

  // True when a selector of `e` matches a native-histogram series of the current data.
  bool TouchesHistograms(const Expr& e) {
    if (e.kind == NodeKind::kVectorSelector) {
      auto q = shadow_->NewQuerier();
      auto set = q->Select(e.matchers, storage::kMinTime, storage::kMaxTime);
      return set.ok() && (*set)->Next();
    }
    for (const auto& c : e.children) {
      if (TouchesHistograms(*c)) return true;
    }
    return e.param != nullptr && TouchesHistograms(*e.param);
  }

  void Eval(size_t line_no, std::string_view line, const std::vector<std::string_view>& body) {
    std::istringstream in{std::string(line)};
    std::string cmd, kind;
    in >> cmd >> kind;
    bool expect_fail = cmd == "eval_fail";
    bool ordered = cmd == "eval_ordered";
    bool want_warn = cmd == "eval_warn";
    bool want_info = cmd == "eval_info";
    bool no_warn = false, no_info = false;
    std::string fail_msg, fail_regex, warn_msg, warn_regex, info_msg, info_regex;
    bool instant = kind == "instant";
    int64_t start = 0, end = 0, step = 0;
    std::string word;
    if (instant) {
      in >> word;  // at
      in >> word;
      auto t = ParseTime(word);
      if (!t.ok()) return Fail(line_no, std::string(line), t.status().message());
      start = end = *t;
    } else if (kind == "range") {
      std::string a, b, c;
      in >> word >> a >> word >> b >> word >> c;  // from A to B step C
      auto ta = ParseTime(a), tb = ParseTime(b), tc = ParseTime(c);
      if (!ta.ok() || !tb.ok() || !tc.ok()) return Fail(line_no, std::string(line), "bad range");
      start = *ta;
      end = *tb;
      step = *tc;
    } else {
      return Fail(line_no, std::string(line), "unknown eval kind");
    }
    std::string query;
    std::getline(in, query);
    query = std::string(Trim(query));

    std::string expectations;
    for (std::string_view b : body) expectations += std::string(b) + "\n";
    std::string skip = SkipReason(file_, query, expectations);
    if (skip.empty()) {
      auto parsed = ParseExpr(query);
      if (parsed.ok() && TouchesHistograms(**parsed)) {
        skip = "selects native-histogram series (not loaded: float samples only)";
      }
    }
    if (!skip.empty()) {
      ++stats_.skipped;
      stats_.skips.push_back("line " + std::to_string(line_no) + ": " + skip);
      return;
    }

    std::vector<Expectation> expected;
    std::optional<std::string> expect_string;
    bool range_vector = false;
    int64_t rv_start = 0, rv_step = 0;
    for (std::string_view b : body) {
      if (StartsWith(b, "expect ")) {
        std::string_view d = Trim(b.substr(7));
        if (StartsWith(d, "fail")) {
          expect_fail = true;
          std::string_view rest = Trim(d.substr(4));
          if (StartsWith(rest, "msg:")) fail_msg = std::string(Trim(rest.substr(4)));
          if (StartsWith(rest, "regex:")) fail_regex = std::string(Trim(rest.substr(6)));
        } else if (d == "ordered") {
          ordered = true;
        } else if (d == "warn" || StartsWith(d, "warn ")) {
          want_warn = true;
          ParseAnnotationMatch(d.substr(4), &warn_msg, &warn_regex);
        } else if (d == "no_warn") {
          no_warn = true;
        } else if (d == "info" || StartsWith(d, "info ")) {
          want_info = true;
          ParseAnnotationMatch(d.substr(4), &info_msg, &info_regex);
        } else if (d == "no_info") {
          no_info = true;
        } else if (StartsWith(d, "string")) {
          std::string_view s = Trim(d.substr(6));
          if (s.size() >= 2) {
            auto u = UnquoteString(s.substr(1, s.size() - 2), s[0]);
            expect_string = u.ok() ? *u : std::string(s);
          } else {
            expect_string = "";
          }
        } else if (StartsWith(d, "range vector")) {
          std::istringstream rs{std::string(d.substr(12))};
          std::string f, a, t, bb, st, c;
          rs >> f >> a >> t >> bb >> st >> c;
          auto ta = ParseTime(a), tc = ParseTime(c);
          if (!ta.ok() || !tc.ok()) return Fail(line_no, query, "bad expect range vector");
          range_vector = true;
          rv_start = *ta;
          rv_step = *tc;
        } else {
          return Fail(line_no, query, "unknown expectation " + std::string(d));
        }
        continue;
      }
      Expectation e;
      if (auto n = ParseNumber(b)) {
        e.scalar = true;
        e.values.push_back(*n);
        expected.push_back(std::move(e));
        continue;
      }
      auto [series, values] = SplitSeries(b);
      auto labels = ParseSeriesLabels(series);
      if (!labels.ok())
        return Fail(line_no, query, "bad expectation: " + labels.status().message());
      auto vals = ExpandValues(values);
      if (!vals.ok()) return Fail(line_no, query, "bad expectation: " + vals.status().message());
      e.metric = *labels;
      e.values = vals->v;
      expected.push_back(std::move(e));
    }

    Result<QueryResult> r = instant ? engine_.InstantQuery(*head_, query, start)
                                    : engine_.RangeQuery(*head_, query, start, end, step);
    const std::string what = "line " + std::to_string(line_no) + " `" + query + "`";
    (void)what;
    if (expect_fail) {
      if (r.ok()) return Fail(line_no, query, "expected an error, got a result");
      const std::string& msg = r.status().message();
      if (!fail_msg.empty() && msg != fail_msg) {
        return Fail(line_no, query, "error \"" + msg + "\", want \"" + fail_msg + "\"");
      }
      if (!fail_regex.empty() && !RE2::PartialMatch(msg, fail_regex)) {
        return Fail(line_no, query, "error \"" + msg + "\" does not match " + fail_regex);
      }
      ++stats_.passed;
      return;
    }
    if (!r.ok()) return Fail(line_no, query, "unexpected error: " + r.status().message());
    const QueryResult& res = *r;
    if (want_warn && res.warnings.empty()) return Fail(line_no, query, "expected a warning");
    if (no_warn && !res.warnings.empty()) {
      return Fail(line_no, query, "unexpected warning: " + res.warnings[0]);
    }
    if (want_info && res.infos.empty()) return Fail(line_no, query, "expected an info annotation");
    if (std::string w = MatchAnnotation(res.warnings, warn_msg, warn_regex); !w.empty()) {
      return Fail(line_no, query, w);
    }
    if (std::string w = MatchAnnotation(res.infos, info_msg, info_regex); !w.empty()) {
      return Fail(line_no, query, w);
    }
    if (no_info && !res.infos.empty())
      return Fail(line_no, query, "unexpected info: " + res.infos[0]);

    std::string why;
    if (expect_string) {
      if (res.type != ValueType::kString) {
        why = "expected a string result";
      } else if (res.str != *expect_string) {
        why = "got string \"" + res.str + "\"";
      }
    } else if (!instant) {
      why = CompareMatrix(res.matrix, expected, start, step);
    } else if (res.type == ValueType::kScalar) {
      if (expected.size() != 1 || expected[0].values.size() != 1 || !expected[0].values[0]) {
        why = "got scalar " + FormatFloat(res.scalar);
      } else if (!AlmostEqual(*expected[0].values[0], res.scalar)) {
        why = "got scalar " + FormatFloat(res.scalar) + ", want " +
              FormatFloat(*expected[0].values[0]);
      }
    } else if (res.type == ValueType::kMatrix) {
      if (!range_vector && !res.matrix.empty()) {
        why = "got a range vector without `expect range vector`";
      } else {
        why = CompareRangeVector(res.matrix, expected, rv_start, rv_step);
      }
    } else if (res.type == ValueType::kVector) {
      why = CompareVector(res.vector, expected, ordered);
    } else {
      why = "unexpected result type " + std::string(ValueTypeName(res.type));
    }
    if (!why.empty()) return Fail(line_no, query, why);
    auto parsed = ParseExpr(query);
    if (instant && !ordered && parsed.ok() && !UsesQueryParameters(**parsed) &&
        (res.type == ValueType::kVector || res.type == ValueType::kScalar)) {
      // As promqltest does: the same query as a range query from t-1m to t+1m must give the
      // instant result at its middle step.
      auto rr = engine_.RangeQuery(*head_, query, start - 60000, start + 60000, 60000);
      if (!rr.ok()) return Fail(line_no, query, "range mode: " + rr.status().message());
      if (res.type == ValueType::kScalar) {
        double v = NAN;
        for (const Series& s : rr->matrix) {
          for (const Point& p : s.points) {
            if (p.t == start) v = p.v;
          }
        }
        if (!AlmostEqual(v, res.scalar)) {
          return Fail(
              line_no, query,
              "range mode: scalar " + FormatFloat(v) + ", instant " + FormatFloat(res.scalar));
        }
      } else {
        Vector vec;
        for (const Series& s : rr->matrix) {
          for (const Point& p : s.points) {
            if (p.t == start) vec.push_back(Sample{s.metric, p.t, p.v});
          }
        }
        why = CompareVector(vec, expected, false);
        if (!why.empty()) return Fail(line_no, query, "range mode: " + why);
      }
    }
    ++stats_.passed;
  }

  static void ParseAnnotationMatch(std::string_view rest, std::string* msg, std::string* regex) {
    rest = Trim(rest);
    if (StartsWith(rest, "msg:")) *msg = std::string(Trim(rest.substr(4)));
    if (StartsWith(rest, "regex:")) *regex = std::string(Trim(rest.substr(6)));
  }

  // "" when some annotation matches `msg` exactly / `regex` partially (or neither is given).
  static std::string MatchAnnotation(const std::vector<std::string>& got, const std::string& msg,
                                     const std::string& regex) {
    if (msg.empty() && regex.empty()) return "";
    for (const std::string& a : got) {
      if (!msg.empty() && a == msg) return "";
      if (!regex.empty() && RE2::PartialMatch(a, regex)) return "";
    }
    return "no annotation matches \"" + (msg.empty() ? regex : msg) + "\"; got \"" +
           (got.empty() ? std::string() : got[0]) + "\"";
  }

  static std::string CompareVector(const Vector& got, const std::vector<Expectation>& want,
                                   bool ordered) {
    if (got.size() != want.size()) {
      std::string s = "got " + std::to_string(got.size()) + " samples, want " +
                      std::to_string(want.size()) + ":";
      for (size_t i = 0; i < got.size() && i < 8; ++i) {
        s += " " + got[i].metric.ToString() + "=" + FormatFloat(got[i].v);
      }
      return s;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const Expectation& e = want[i];
      if (e.values.size() != 1 || !e.values[0]) return "bad expectation for instant query";
      const Sample* match = nullptr;
      if (ordered) {
        if (got[i].metric == e.metric) match = &got[i];
      } else {
        for (const Sample& s : got) {
          if (s.metric == e.metric) match = &s;
        }
      }
      if (match == nullptr) {
        return "missing " + e.metric.ToString() +
               (ordered ? " at position " + std::to_string(i) : "") + "; got " +
               (got.empty() ? "" : got[ordered ? i : 0].metric.ToString());
      }
      if (!AlmostEqual(*e.values[0], match->v)) {
        return e.metric.ToString() + " = " + FormatFloat(match->v) + ", want " +
               FormatFloat(*e.values[0]);
      }
    }
    return "";
  }

  static std::string CompareSeriesPoints(const Series& s, const Expectation& e, int64_t start,
                                         int64_t step) {
    std::vector<Point> want;
    for (size_t k = 0; k < e.values.size(); ++k) {
      if (e.values[k]) want.push_back({start + static_cast<int64_t>(k) * step, *e.values[k]});
    }
    if (want.size() != s.points.size()) {
      std::string g;
      for (const Point& p : s.points) g += " " + std::to_string(p.t) + ":" + FormatFloat(p.v);
      return s.metric.ToString() + ": got " + std::to_string(s.points.size()) + " points, want " +
             std::to_string(want.size()) + " (got" + g + ")";
    }
    for (size_t k = 0; k < want.size(); ++k) {
      if (want[k].t != s.points[k].t || !AlmostEqual(want[k].v, s.points[k].v)) {
        return s.metric.ToString() + ": point " + std::to_string(k) + " is " +
               std::to_string(s.points[k].t) + ":" + FormatFloat(s.points[k].v) + ", want " +
               std::to_string(want[k].t) + ":" + FormatFloat(want[k].v);
      }
    }
    return "";
  }

  static std::string CompareMatrix(const Matrix& got, const std::vector<Expectation>& want,
                                   int64_t start, int64_t step) {
    if (got.size() != want.size()) {
      std::string s = "got " + std::to_string(got.size()) + " series, want " +
                      std::to_string(want.size()) + ":";
      for (size_t i = 0; i < got.size() && i < 6; ++i) s += " " + got[i].metric.ToString();
      return s;
    }
    for (const Expectation& e : want) {
      const Series* match = nullptr;
      for (const Series& s : got) {
        if (s.metric == e.metric) match = &s;
      }
      if (match == nullptr) return "missing series " + e.metric.ToString();
      std::string why = CompareSeriesPoints(*match, e, start, step);
      if (!why.empty()) return why;
    }
    return "";
  }

  static std::string CompareRangeVector(const Matrix& got, const std::vector<Expectation>& want,
                                        int64_t start, int64_t step) {
    return CompareMatrix(got, want, start, step);
  }

  static std::unique_ptr<tsdb::Head> NewHead() {
    tsdb::HeadOptions o;
    o.out_of_order_window_ms = int64_t{1} << 50;  // a later `load` may go back in time
    return std::make_unique<tsdb::Head>(o);
  }

  std::string file_;
  std::string file_skip_;
  Engine engine_;
  std::unique_ptr<tsdb::Head> head_;
  std::unique_ptr<tsdb::Head> shadow_;  // native-histogram series we did not load
  ScriptStats stats_;
};

}  // namespace

ScriptStats RunScript(std::string_view file, std::string_view content,
                      const EngineOptions& options) {
  Runner r(file, options);
  return r.Run(content);
}

}  // namespace astrolabe::query
