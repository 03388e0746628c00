#pragma once
// A streaming, zero-copy parser for Prometheus text 0.0.4 and OpenMetrics 1.0 bodies.
//
//   Parser parser;                       // one per scrape loop; reuse it for every scrape
//   parser.Reset(body, ParseFormat(content_type));
//   while (parser.Next()) {
//     const Sample& s = parser.sample();  // valid until the next Next() or Reset()
//     ...
//   }
//   if (!parser.status().ok()) { discard what was collected; report parser.status(); }
//
// or, with a callback: Status st = parser.Parse(body, format, [&](const Sample& s) {...});
//
// One pass over the body, line by line. Names, label names and label values are string_views
// into the body; only a value that contains an escape (\\, \", \n) is unescaped, into a scratch
// buffer owned by the parser. Every sample carries its series hash (hash.h), computed once.
// After the first few scrapes the parser allocates nothing per sample: all buffers and sets are
// kept, with their capacity, across Reset() calls.
//
// Validation. Syntax errors end the parse in both formats. OpenMetrics bodies are additionally
// checked against the rules of the OpenMetrics 1.0 conformance suite: # EOF required and last,
// metadata before samples and at most once, no clashing family names, MetricFamilies and
// groups not interleaved, timestamps not going backwards within a group, counter-like values
// not negative or NaN, histogram bucket order/+Inf/_count/_sum rules, summary quantiles,
// stateset/info values, exemplar placement and size. An OpenMetrics exposition that fails is
// erroneous *in its entirety* and some checks (histograms, clashing names, # EOF) can only fail
// after samples of the offending family were returned, so callers must buffer samples and drop
// them all when the parse ends with an error. See docs/design/expfmt.md for the full rules.
//
// Errors are InvalidArgument statuses naming the 1-based line and byte column:
//   line 12, column 7: invalid value "abc" for metric http_requests_total
//
// Any input is safe: no crash, no undefined behaviour, and time and memory linear in the body.
// Thread-compatible: one thread at a time per Parser; distinct Parsers are independent.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/status.h"
#include "expfmt/format.h"

namespace astrolabe::expfmt {

// One sample (one line of the body).
struct Sample {
  FamilyInfo family;
  std::string_view name;  // series name including the suffix: "http_requests_total"
  Suffix suffix = Suffix::kNone;
  std::span<const Label> labels;  // in exposition order; unescaped; names unique
  // The line's bytes from the start of the name (or of `{` for a quoted name) to the end of
  // the label set, as exposed (escapes not undone): the series' identity as written, a cache
  // key that needs no unescaping (Prometheus' scrape cache keys its entries the same way).
  // A view into the body.
  std::string_view series_text;
  double value = 0;
  std::optional<int64_t> timestamp_ms;  // text: as written; OpenMetrics: seconds * 1000
  std::optional<Exemplar> exemplar;     // OpenMetrics only
  // SeriesHash(name, labels).
  uint64_t hash = 0;
  // Hash of the family name and the labels without the one that tells the parts of a metric
  // point apart ("le" on _bucket, "quantile" on a bare summary sample, the family-named label of a
  // stateset): all samples of one histogram/summary point (buckets, _count, _sum, _created)
  // share it. Equal to CombineSetHash(family.name, <pair-hash sum without that label>, <count>).
  uint64_t group_hash = 0;
  uint32_t line = 0;  // 1-based line of the sample in the body
  // True when the known-series filter (Parser::SetKnownSeries) recognised series_text, or the
  // line began with the expected series (Parser::SetExpectedSeries), and the
  // label set was not parsed: `labels` is empty and `hash`/`group_hash` are 0 (not worked
  // out: the caller knows the series by its text).
  bool labels_skipped = false;
};

class Parser {
 public:
  Parser();
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Starts parsing `body` as `format`, forgetting the previous body but keeping buffer capacity.
  // REQUIRES: `body` outlives every use of this parser's samples and the next Reset().
  void Reset(std::string_view body, Format format);

  // Advances to the next sample. Returns true when sample() holds one, false at the end of the
  // body or on an error (then status() is not OK and Next() keeps returning false).
  bool Next();

  // The current sample; the views in it stay valid until the next call to Next() or Reset()
  // (label values and escaped names may live in a scratch buffer that the next line reuses).
  // REQUIRES: the last Next() returned true.
  const Sample& sample() const { return *sample_; }

  // OK while parsing and after a clean end; the error after Next() returned false on bad input.
  const Status& status() const { return *status_; }

  // Text 0.0.4 only: before parsing a sample's label set, the parser finds its end (the closing
  // `}` outside quotes) and asks `known(context, series_text)`; when that returns true the label
  // set is not parsed, unescaped, checked or hashed (Sample::labels_skipped). For a caller that
  // caches series by their text, as a scrape loop does: a text it saw parse cleanly before
  // parses the same way again. Lines whose name is inside the braces are always parsed.
  // OpenMetrics samples are always parsed (its checks need the labels). `known` null: off.
  using KnownSeries = bool (*)(void* context, std::string_view series_text);
  void SetKnownSeries(KnownSeries known, void* context);

  // Text 0.0.4 only, and cheaper than SetKnownSeries: before each sample line the parser asks
  // `expected(context)` for the series text the caller expects there (a series text it saw
  // parse cleanly before; empty: no guess). When the line starts with exactly those bytes and
  // the series ends there (a closing `}`, or a name followed by a blank and no `{`), the line's
  // name and label set are neither scanned nor parsed (Sample::labels_skipped); otherwise the
  // line is parsed as usual (and `known`, when set, still consulted). The caller learns which
  // guess was taken from labels_skipped. `expected` null: off.
  using ExpectedSeries = std::string_view (*)(void* context);
  void SetExpectedSeries(ExpectedSeries expected, void* context);

  // Reset(body, format), then calls `on_sample(const Sample&)` for each sample. `on_sample` may
  // return void or Status; a non-OK Status stops the parse and is returned as is. Returns the
  // parse error if any.
  template <typename F>
  Status Parse(std::string_view body, Format format, F&& on_sample) {
    Reset(body, format);
    while (Next()) {
      if constexpr (std::is_same_v<std::invoke_result_t<F&, const Sample&>, void>) {
        on_sample(sample());
      } else {
        Status st = on_sample(sample());
        if (!st.ok()) return st;
      }
    }
    return status();
  }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  const Sample* sample_;
  const Status* status_;
};

// Parses `body` completely and returns the first error, or OK. Convenience for tests and tools;
// a scrape loop should keep a Parser.
Status Validate(std::string_view body, Format format);

}  // namespace astrolabe::expfmt
