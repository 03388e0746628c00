#pragma once
// MetricsBuilder: turns the samples of one scrape (after target labels and
// metric_relabel_configs were applied) into OTLP metrics, as the OpenTelemetry Collector's
// prometheus receiver does (contrib receiver/prometheusreceiver/internal: transaction.go,
// metricfamily.go, prom_to_otlp.go; the spec's prometheus_and_openmetrics.md):
//
//   - one ResourceMetrics per (job, instance) of the samples, with service.name,
//     service.instance.id, server.address (only when discernible), server.port (a string)
//     and url.scheme; `target_info` samples become resource attributes instead of metrics;
//   - one ScopeMetrics per otel_scope_name/otel_scope_version (labels removed from points),
//     else the receiver's own scope (kScopeName, the Astrolabe version);
//   - type mapping: counter → monotonic cumulative Sum; gauge, unknown/untyped → Gauge;
//     histogram → cumulative Histogram (bounds from `le`, counts de-cumulated); summary →
//     Summary; info, stateset → non-monotonic cumulative Sum; gaugehistogram → dropped;
//   - `<family>_created` samples of counters, histograms and summaries set the points'
//     start time and are not emitted; otherwise start time stays 0 (upstream ≥ v0.142);
//   - metric metadata `prometheus.type`; description from HELP; unit from OpenMetrics UNIT
//     translated to UCUM (seconds → s, bytes → By, ...);
//   - Prometheus stale markers (kStaleNaN) become points flagged NO_RECORDED_VALUE.
//
// The metric family of a sample is found by its (final) name in the metadata registered
// with SetMetadata(): the name itself, or the name without a suffix its family's type
// allows (_total, _created, _bucket, _count, _sum, _gcount, _gsum, _info). A sample whose
// family is unknown is an unknown-typed Gauge.
//
// Thread-compatible; one builder per scrape.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pdata/metrics.h"
#include "receiver/prometheus/relabel.h"

namespace astrolabe::receiver::prometheus {

// The scope of metrics the receiver produces itself (upstream's metadata.ScopeName).
inline constexpr std::string_view kScopeName =
    "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver";
// The scope version: the Astrolabe version.
std::string_view ScopeVersion();

// Prometheus' staleness marker: a NaN with a distinct bit pattern (value.StaleNaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
double StaleNaN();
bool IsStaleNaN(double v);

enum class FamilyType {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateSet
};
// The Prometheus TYPE word put in `prometheus.type` ("counter", "unknown", ...).
std::string_view FamilyTypeName(FamilyType type);

struct FamilyMetadata {
  FamilyType type = FamilyType::kUnknown;
  std::string help;
  std::string unit;  // OpenMetrics UNIT, as exposed (translated on output)
  friend bool operator==(const FamilyMetadata&, const FamilyMetadata&) = default;
};

struct ExemplarInput {
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct BuilderOptions {
  std::string scheme = "http";  // url.scheme of the target
  bool trim_metric_suffixes = false;
  // Keep resources, scopes, metrics and points (with their label sets and indexes) across
  // Finish() calls, so that the next scrape of the same target reuses them: Add() then only
  // finds what exists, and AddAt() skips even that. Finish() builds only what the current
  // scrape touched, in the order this scrape touched it, so the output is the same as a
  // fresh builder's. Registered metadata is then per scrape (see SetMetadata).
  bool keep_structure = false;
  // Added to every resource after url.scheme (Kubernetes discovery's k8s.* attributes).
  std::vector<std::pair<std::string, std::string>> resource_attributes{};
};

// Where an Add() went: enough to repeat it for a sample with the same final labels in a later
// scrape (AddAt) without resolving family, resource, scope, metric and point again. Valid
// while the builder's epoch() is unchanged and the metadata registered before the samples is
// the same as when the slot was made. Opaque to callers except `repeatable`.
struct PointSlot {
  enum class Role : uint8_t { kNone, kIgnore, kValue, kCreated, kCount, kSum, kPart, kBadPart };
  Role role = Role::kNone;  // kNone: not repeatable (target_info); use Add()
  FamilyType type = FamilyType::kUnknown;
  uint32_t resource = 0, scope = 0, metric = 0, point = 0;
  double bound = 0;            // kPart: le or quantile
  const void* meta = nullptr;  // the family's registered metadata
  bool repeatable() const { return role != Role::kNone; }
};

class MetricsBuilder {
 public:
  explicit MetricsBuilder(BuilderOptions options);
  ~MetricsBuilder();
  MetricsBuilder(const MetricsBuilder&) = delete;
  MetricsBuilder& operator=(const MetricsBuilder&) = delete;

  // Registers the metadata of a family; the first registration of a name wins. With
  // keep_structure, registrations last one scrape (until Finish): a family not registered
  // again is unknown in the next one.
  void SetMetadata(std::string_view family, FamilyMetadata metadata);

  // Adds one sample. `labels` holds __name__, job, instance and the point's labels.
  // `time_ms`: the sample's timestamp (honored) or the scrape time. Returns where it went.
  PointSlot Add(const Labels& labels, double value, int64_t time_ms,
                const ExemplarInput* exemplar = nullptr);
  // Adds one sample whose labels are those of the Add() that returned `slot`.
  // REQUIRES: slot.repeatable(), made by this builder in the current epoch(), and the
  // metadata registered before it the same as when the slot was made.
  void AddAt(const PointSlot& slot, double value, int64_t time_ms,
             const ExemplarInput* exemplar = nullptr);

  // Forgets every kept resource, scope, metric and point (and registered metadata); slots
  // made before are invalid from now on, which epoch() tells.
  void Clear();
  uint64_t epoch() const;
  // Points held (kept ones included), and points the last Finish() built from: with
  // keep_structure, the difference is what series that left cost in memory.
  size_t stored_points() const;
  size_t last_built_points() const;

  // Points dropped so far because they were malformed (histogram without +Inf or _count,
  // inconsistent timestamps, ...). Upstream logs them; so does the scrape loop.
  int64_t dropped_points() const;

  // The metrics built from every Add(). The builder is left empty.
  pdata::Metrics Finish();
  // The same, built into `out` whatever it holds (a recycled batch, pdata/recycler.h): its
  // vectors and strings are overwritten in place and truncated, so a steady-state scrape
  // into the previous scrape's output allocates nothing. `out` ends equal to Finish()'s.
  void FinishInto(pdata::Metrics& out);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// UCUM unit for an OpenMetrics unit word ("seconds" → "s"); unknown words unchanged.
std::string UnitToUcum(std::string_view unit);

// Splits "host:port" / "[v6]:port"; port is "" when absent.
void SplitHostPort(std::string_view address, std::string* host, std::string* port);

}  // namespace astrolabe::receiver::prometheus
