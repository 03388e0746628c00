#pragma once
// Internal to the expfmt fuzz targets (fuzz/expfmt_*_fuzz.cc): the checks run on every input.
// Header-only so that the targets link against astrolabe_expfmt alone.
//
//   1. Parsing never crashes (the sanitizers check the rest); a failure is an InvalidArgument
//      whose message starts with "line ".
//   2. Every sample satisfies the parser's contract: hash == SeriesHash(name, labels) (0 and 0
//      group hash when labels_skipped), label names unique, name non-empty, exemplars only in
//      OpenMetrics.
//   3. Round trip: an accepted body written back by Writer parses again to the same samples
//      (OpenMetrics: with metadata; text: sample lines only, since text families may be
//      interleaved and repeating their metadata would be an error).
// Any violation aborts.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "expfmt/hash.h"
#include "expfmt/parser.h"
#include "expfmt/writer.h"

namespace astrolabe::expfmt::fuzz {

struct Copy {
  std::string family, help, unit, name;
  MetricType type;
  Suffix suffix;
  std::vector<std::pair<std::string, std::string>> labels, exemplar_labels;
  double value;
  std::optional<int64_t> ts, exemplar_ts;
  bool has_exemplar;
  double exemplar_value;
  std::string series_text;
};

[[noreturn]] inline void Die(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "expfmt fuzz check failed: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

inline bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

inline Status Collect(Parser* parser, std::string_view body, Format format,
                      std::vector<Copy>* out) {
  return parser->Parse(body, format, [&](const Sample& s) {
    if (s.name.empty()) Die("empty sample name");
    const bool hash_ok = s.labels_skipped ? s.hash == 0 && s.group_hash == 0
                                          : s.hash == SeriesHash(s.name, s.labels);
    if (!hash_ok) Die("hash mismatch", s.name);
    for (size_t i = 0; i < s.labels.size(); ++i) {
      for (size_t j = 0; j < i && s.labels.size() <= 64; ++j) {
        if (s.labels[i].name == s.labels[j].name) Die("duplicate label accepted", s.labels[i].name);
      }
    }
    if (s.exemplar && format != Format::kOpenMetrics) Die("exemplar in text");
    Copy c{std::string(s.family.name),
           std::string(s.family.help),
           std::string(s.family.unit),
           std::string(s.name),
           s.family.type,
           s.suffix,
           {},
           {},
           s.value,
           s.timestamp_ms,
           std::nullopt,
           s.exemplar.has_value(),
           0,
           std::string(s.series_text)};
    for (const Label& l : s.labels) c.labels.emplace_back(l.name, l.value);
    if (s.exemplar) {
      for (const Label& l : s.exemplar->labels) c.exemplar_labels.emplace_back(l.name, l.value);
      c.exemplar_value = s.exemplar->value;
      c.exemplar_ts = s.exemplar->timestamp_ms;
    }
    out->push_back(std::move(c));
  });
}

inline std::string Write(const std::vector<Copy>& samples, Format format) {
  std::string out;
  Writer w(format, &out);
  const Copy* prev = nullptr;
  std::vector<Label> labels, ex_labels;
  for (const Copy& s : samples) {
    if (format == Format::kOpenMetrics &&
        (prev == nullptr || prev->family != s.family || prev->type != s.type ||
         prev->help != s.help || prev->unit != s.unit)) {
      w.BeginFamily({s.family, s.type, s.help, s.unit});
    }
    labels.clear();
    for (const auto& [n, v] : s.labels) labels.push_back({n, v});
    ex_labels.clear();
    for (const auto& [n, v] : s.exemplar_labels) ex_labels.push_back({n, v});
    Exemplar ex{ex_labels, s.exemplar_value, s.exemplar_ts};
    w.WriteSample(s.name, labels, s.value, s.ts, s.has_exemplar ? &ex : nullptr);
    prev = &s;
  }
  w.Finish();
  return out;
}

inline void Check(std::string_view body, Format format) {
  static Parser* parser = new Parser();  // reused across inputs, as a scrape loop does
  std::vector<Copy> first;
  Status st = Collect(parser, body, format, &first);
  if (!st.ok()) {
    if (st.code() != StatusCode::kInvalidArgument || st.message().rfind("line ", 0) != 0) {
      Die("unexpected error form", st.message());
    }
    return;
  }
  if (format == Format::kText) {
    // The known-series filter: with every series text of the first parse known, the same
    // body parses the same way, label sets skipped.
    struct Known {
      std::vector<std::string> texts;
    } known;
    for (const Copy& c : first) known.texts.push_back(c.series_text);
    Parser skipping;
    skipping.SetKnownSeries(
        [](void* ctx, std::string_view text) {
          const auto& texts = static_cast<Known*>(ctx)->texts;
          return std::find(texts.begin(), texts.end(), text) != texts.end();
        },
        &known);
    std::vector<Copy> third;
    st = Collect(&skipping, body, format, &third);
    if (!st.ok()) Die("known-series parse failed", st.message());
    if (third.size() != first.size()) Die("known-series parse: sample count differs");
    for (size_t i = 0; i < first.size(); ++i) {
      const Copy& a = first[i];
      const Copy& c = third[i];
      if (a.name != c.name || a.series_text != c.series_text || !SameDouble(a.value, c.value) ||
          a.ts != c.ts || a.family != c.family || a.type != c.type) {
        Die("known-series parse differs", a.name);
      }
    }
  }
  if (format == Format::kText) {
    // The expected series: each line offered the series text the first parse found at its
    // position parses the same way, name and label set skipped.
    struct Expect {
      const std::vector<Copy>* first;
      size_t next = 0;
    } expect{&first};
    Parser expecting;
    expecting.SetExpectedSeries(
        [](void* ctx) -> std::string_view {
          auto* e = static_cast<Expect*>(ctx);
          if (e->next >= e->first->size()) return {};
          return (*e->first)[e->next++].series_text;
        },
        &expect);
    std::vector<Copy> fourth;
    st = Collect(&expecting, body, format, &fourth);
    if (!st.ok()) Die("expected-series parse failed", st.message());
    if (fourth.size() != first.size()) Die("expected-series parse: sample count differs");
    for (size_t i = 0; i < first.size(); ++i) {
      const Copy& a = first[i];
      const Copy& c = fourth[i];
      if (a.name != c.name || a.series_text != c.series_text || !SameDouble(a.value, c.value) ||
          a.ts != c.ts || a.family != c.family || a.type != c.type) {
        Die("expected-series parse differs", a.name);
      }
    }
  }
  std::string written = Write(first, format);
  Parser second_parser;
  std::vector<Copy> second;
  st = Collect(&second_parser, written, format, &second);
  if (!st.ok()) Die("written body does not parse", st.message() + "\n" + written);
  if (first.size() != second.size()) Die("sample count differs after round trip", written);
  bool om = format == Format::kOpenMetrics;
  for (size_t i = 0; i < first.size(); ++i) {
    const Copy& a = first[i];
    const Copy& b = second[i];
    bool same = a.name == b.name && a.labels == b.labels && SameDouble(a.value, b.value) &&
                a.ts == b.ts && a.has_exemplar == b.has_exemplar &&
                a.exemplar_labels == b.exemplar_labels &&
                SameDouble(a.exemplar_value, b.exemplar_value) && a.exemplar_ts == b.exemplar_ts;
    if (om) {
      same = same && a.family == b.family && a.type == b.type && a.help == b.help &&
             a.unit == b.unit && a.suffix == b.suffix;
    }
    if (!same) Die("sample differs after round trip", a.name + "\n" + written);
  }
}

}  // namespace astrolabe::expfmt::fuzz
