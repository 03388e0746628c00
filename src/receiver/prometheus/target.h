#pragma once
// Targets: what a scrape config scrapes. A TargetProvider discovers label sets (each with
// `__address__` and its group's labels); PopulateTarget() turns one into a Target the way
// Prometheus does (prometheus scrape/target.go PopulateLabels):
//
//   1. discovered labels, then (only where absent) job = job_name, __scrape_interval__,
//      __scrape_timeout__, __metrics_path__, __scheme__, __param_<name> = first value;
//   2. relabel_configs run; the target is dropped when they drop it;
//   3. an empty __address__ is an error; interval/timeout labels must parse, be non-zero,
//      and timeout <= interval;
//   4. __meta_* labels are deleted; `instance` defaults to __address__.
// Unlike Prometheus 2.x, no default port is added to an address without one (Prometheus 3
// behaviour, which the current OpenTelemetry Collector vendors).
//
// Providers: StaticTargetProvider (static_configs) and DiscoveryTargetProvider (file_sd.h:
// static_configs plus file_sd_configs, the receiver's default); Kubernetes discovery will be
// another TargetProvider. Thread-compatible value types; a provider is called from the
// receiver's Start and then only from the receiver's discovery thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/telemetry.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/relabel.h"

namespace astrolabe::receiver::prometheus {

struct Target {
  // Every label after relabeling, hidden ones (`__scheme__`, ...) included.
  Labels labels;
  std::string url;  // scheme://address/path?params
  std::string scheme;
  Duration interval{0};
  Duration timeout{0};

  // The labels that go on samples: every label not starting with "__".
  Labels PublicLabels() const;
  // A stable hash of the target (labels and URL), for spreading scrape times.
  uint64_t Hash() const;
  // The resource attributes discovery attached (hidden labels
  // `__astrolabe_resource__<attribute>`, discovery/kubernetes/targets.h), in name order.
  std::vector<std::pair<std::string, std::string>> ResourceAttributes() const;
};

// Finds the label sets of a scrape config's targets.
class TargetProvider {
 public:
  virtual ~TargetProvider() = default;
  // Called once by the receiver's Start, before any Discover, so that a provider can
  // register its own metrics (labelled receiver=<receiver_id>).
  virtual void Attach(component::Telemetry& /*telemetry*/, const std::string& /*receiver_id*/) {}
  // The discovered label sets, each with __address__. Called by Start, and again after
  // Poll() returned true.
  virtual Result<std::vector<Labels>> Discover(const ScrapeConfig& config) = 0;
  // True when `config`'s targets can change after Start; the receiver then calls Poll()
  // for it about once a second.
  virtual bool Dynamic(const ScrapeConfig& /*config*/) const { return false; }
  // Looks for changes; true when Discover(config) may now return other targets.
  virtual bool Poll(const ScrapeConfig& /*config*/) { return false; }
  // Stops background work (Kubernetes watches); called by the receiver's Shutdown. After it,
  // Discover() returns what was known.
  virtual void Stop() {}
};

// static_configs: one label set per target, with the group's labels.
class StaticTargetProvider : public TargetProvider {
 public:
  Result<std::vector<Labels>> Discover(const ScrapeConfig& config) override;
};

// Applies the steps above to one discovered label set; nullopt when relabeling drops it.
// Errors: "no address", "error parsing scrape interval: ...", "scrape interval cannot be 0",
// "scrape timeout cannot be greater than scrape interval (\"20s\" > \"10s\")".
// REQUIRES: `config` resolved (Config::ResolvedScrapeConfigs).
Result<std::optional<Target>> PopulateTarget(const ScrapeConfig& config,
                                             const std::vector<RelabelRule>& relabel,
                                             const Labels& discovered);

// Prometheus' model.Duration text: "10s", "1m", "1h30m", "1w", "0s".
std::string FormatPromDuration(Duration d);

}  // namespace astrolabe::receiver::prometheus
