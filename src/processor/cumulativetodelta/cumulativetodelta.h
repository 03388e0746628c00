#pragma once
// The cumulativetodelta processor: converts cumulative monotonic sums, cumulative
// histograms and cumulative exponential histograms to delta temporality, as upstream's
// contrib processor/cumulativetodeltaprocessor does. Everything else passes untouched.
//
// Per batch, for every metric the include/exclude filters select:
//   - a cumulative monotonic Sum, Histogram or ExponentialHistogram becomes Delta; each
//     point goes through the Tracker (tracker.h) and is rewritten as the delta since the
//     stream's previous point (start = previous point's time) or removed;
//   - points flagged no-recorded-value (Prometheus stale markers) are removed and leave
//     the tracker untouched; a Sum point whose double value is NaN stays as it is;
//   - histogram min and max are removed from every converted point;
//   - a converted metric left without points is removed, and so is every scope and
//     resource left without metrics (also ones that arrived empty), as upstream.
// Gauges, summaries, delta and non-monotonic sums pass through unchanged.
//
// Staleness: a stream is forgotten when its last point's time (the data's timestamp, not
// arrival time) is older than max_staleness. Upstream sweeps on a ticker every
// max_staleness from creation; here the sweep for every tick that has passed runs at the
// start of the next ConsumeMetrics, against the tick's time. Output is the same (a sweep
// only matters to the points that come after it) and no thread is needed.
//
// Thread-safety: one instance per pipeline, but receivers may call ConsumeMetrics from
// several threads at once. The tracker is guarded by `mu_`, held while a batch is
// converted and released before the next consumer is called, so the conversion of one
// batch is atomic with respect to another.

#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "component/component.h"
#include "processor/cumulativetodelta/config.h"
#include "processor/cumulativetodelta/tracker.h"

namespace astrolabe::processor::cumulativetodelta {

// A compiled include or exclude block. Empty (matches nothing, selects nothing) when the
// block sets neither metrics nor metric_types.
class MetricFilter {
 public:
  // REQUIRES: `m` passed Config::Validate().
  explicit MetricFilter(const MatchMetrics& m);

  // Whether the block constrains names / types at all.
  bool HasNames() const { return !strict_.empty() || !regexps_.empty(); }
  bool HasTypes() const { return !types_.empty(); }
  // Upstream's filterset semantics: strict = equal to one name; regexp = the pattern
  // matches anywhere in the name (unanchored). Names longer than kMaxRegexpInput bytes
  // never match a regexp: std::regex recurses per input character and such a name from
  // a hostile target could exhaust the stack.
  static constexpr size_t kMaxRegexpInput = 4096;
  bool MatchesName(const std::string& name) const;
  bool MatchesType(pdata::MetricType type) const;

 private:
  std::vector<std::string> strict_;
  std::vector<std::regex> regexps_;
  std::vector<pdata::MetricType> types_;
};

class CumulativeToDeltaProcessor final : public component::Processor {
 public:
  // `clock` gives the creation time (initial_value: auto) and the sweep ticks; it and
  // `next` must outlive the processor.
  // REQUIRES: config.Validate() is OK.
  CumulativeToDeltaProcessor(const Config& config, const Clock& clock, component::Consumer& next);

  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }

  // Converts the batch (cloning it first if it is shared) and passes it on, even when
  // nothing is left in it; returns what the next consumer returns.
  Status ConsumeMetrics(component::MetricsBatch batch) override;
  bool MutatesData() const override { return true; }

  // Streams the tracker remembers (for tests).
  size_t TrackedStreams() const;

 private:
  // Whether `metric` is selected by include/exclude (exclude wins). Decisions are cached
  // per (name, type): the same names come back every scrape and regexps are slow.
  // REQUIRES: mu_ held.
  bool ShouldConvert(const pdata::Metric& metric);
  // Runs every sweep tick that has passed. REQUIRES: mu_ held.
  void SweepIfDue();
  // Converts one metric in place; returns whether it should be removed.
  // REQUIRES: mu_ held.
  bool ConvertMetric(const pdata::InstrumentationScope& scope, uint64_t resource_hash,
                     pdata::Metric& metric);

  const Duration max_staleness_;
  const MetricFilter include_;
  const MetricFilter exclude_;
  const Clock& clock_;
  component::Consumer& next_;

  mutable std::mutex mu_;
  Tracker tracker_;        // GUARDED_BY(mu_)
  int64_t next_sweep_ns_;  // GUARDED_BY(mu_); Unix ns of the next sweep tick
  // GUARDED_BY(mu_). Key: metric name + '\0' + type index. Cleared when it reaches
  // kMaxCachedDecisions entries, so a target inventing names cannot grow it unbounded.
  std::unordered_map<std::string, bool> decisions_;
  static constexpr size_t kMaxCachedDecisions = 100'000;
};

}  // namespace astrolabe::processor::cumulativetodelta
