#pragma once
// Writes Prometheus text 0.0.4 or OpenMetrics 1.0 expositions: for our own telemetry endpoint and
// for simulators and tests. The output is what the parser (parser.h) reads back to the same
// samples.
//
//   std::string body;
//   Writer w(Format::kOpenMetrics, &body);
//   w.BeginFamily({.name = "http_requests", .type = MetricType::kCounter, .help = "Requests."});
//   Label labels[] = {{"code", "200"}};
//   w.WriteSample("http_requests_total", labels, 1027);
//   w.Finish();  // "# EOF\n"
//
// Formatting: values as Go's exposition writers (AppendFloat in number.h: "1", "0.25",
// "1e+06", "NaN", "+Inf", "-Inf"); timestamps as integer milliseconds in text and exact decimal
// seconds in OpenMetrics; label values escaped (\\, \", \n); HELP escaped (\\, \n, and \" in
// OpenMetrics); names outside the legacy character sets quoted ({"my.metric", "label.x"="v"}).
// Metadata order: HELP, TYPE in text; TYPE, UNIT, HELP in OpenMetrics. Empty help and unit are
// not written. Text has no UNIT lines and no exemplars: they are dropped there.
//
// The writer does not check OpenMetrics semantics (suffixes, histogram rules); callers write
// well-formed families. Thread-compatible. Appends to the caller's string only.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "expfmt/format.h"

namespace astrolabe::expfmt {

class Writer {
 public:
  // REQUIRES: `out` outlives the writer.
  Writer(Format format, std::string* out) : format_(format), out_(out) {}

  Format format() const { return format_; }

  // Writes the metadata lines of a family. Samples written after it belong to it.
  void BeginFamily(const FamilyInfo& family);

  // Writes one sample line. `name` is the full series name ("x_bucket").
  // REQUIRES: `name` non-empty; names and values valid UTF-8 (the parser rejects anything else).
  void WriteSample(std::string_view name, std::span<const Label> labels, double value,
                   std::optional<int64_t> timestamp_ms = std::nullopt,
                   const Exemplar* exemplar = nullptr);

  // Ends the exposition: "# EOF\n" in OpenMetrics, nothing in text.
  void Finish();

 private:
  void AppendName(std::string_view name);
  void AppendLabelSet(std::string_view quoted_name, std::span<const Label> labels);
  void AppendEscaped(std::string_view s, bool quote);

  Format format_;
  std::string* out_;
};

}  // namespace astrolabe::expfmt
