#pragma once
// file_sd_configs: targets read from files (prometheus discovery/file/file.go).
//
// A file holds a list of target groups, in JSON when its name ends in .json and in YAML
// otherwise (.yml, .yaml):
//
//   [{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod"}}]
//
// Each target becomes one label set: the group's labels, `__address__` = the target and
// `__meta_filepath` = the file's path (as the glob returned it).
//
// FileSd watches the files of one FileSdConfig: Refresh() expands every pattern (a glob in
// the last path element only, as Prometheus), re-reads a file whose modification time or
// size changed (or every file when asked for a full refresh), and forgets files that are no
// longer matched. A file that cannot be read or parsed keeps the targets it had at its last
// good read; the error is logged once per bad version of the file (naming the file and,
// for syntax errors, the line and column) and counted.
//
// Prometheus watches with fsnotify plus the refresh_interval re-read; here the receiver
// polls modification times (DiscoveryTargetProvider::Poll, about once a second) and does
// the full re-read every refresh_interval.
//
// Thread-compatible: the receiver calls a provider from Start and then from its one
// discovery thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "component/telemetry.h"
#include "discovery/kubernetes/discoverer.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/relabel.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::receiver::prometheus {

// One element of a file_sd file.
struct TargetGroup {
  std::vector<std::string> targets;
  std::map<std::string, std::string> labels;
  void Visit(config::Visitor& v);
};

// Parses the text of a file_sd file named `path` (the extension picks JSON or YAML).
// Errors name the file and, where known, the line and column:
// `/etc/sd/a.json:3:5: [0].targetz: unknown key (did you mean targets?)`.
Result<std::vector<TargetGroup>> ParseTargetGroups(std::string_view path, std::string_view text);

// The label sets of `groups`, each with __address__ and __meta_filepath = `path`.
std::vector<Labels> TargetGroupLabels(const std::vector<TargetGroup>& groups,
                                      std::string_view path);

class FileSd {
 public:
  // `read_errors` (may be null) is incremented per failed read; not owned, outlives this.
  FileSd(FileSdConfig config, std::string log_name, component::Counter* read_errors);

  // Expands the patterns and re-reads changed files (every matched file when `full`).
  // Returns true when the targets changed.
  bool Refresh(bool full);

  // The targets of every matched file, in file-name order.
  std::vector<Labels> Targets() const;

  const FileSdConfig& config() const { return config_; }
  // Failed reads so far (also counted on `read_errors`).
  uint64_t read_errors() const { return read_errors_; }

 private:
  struct File {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    bool failed = false;          // the version at (mtime, size) did not parse
    std::vector<Labels> targets;  // from the last good read
  };

  // Reads `path` into `file`; returns true when its targets changed.
  bool Read(const std::string& path, File& file);

  FileSdConfig config_;
  std::string log_name_;
  component::Counter* read_errors_counter_;
  uint64_t read_errors_ = 0;
  std::map<std::string, File> files_;
};

// static_configs, file_sd_configs and kubernetes_sd_configs; the receiver's default provider.
// Keeps one FileSd per file_sd_configs entry and one Kubernetes Discoverer (watching the API
// on its own threads) per kubernetes_sd_configs entry of each job (keyed by job_name).
class DiscoveryTargetProvider : public TargetProvider {
 public:
  // `read_errors` as for FileSd.
  explicit DiscoveryTargetProvider(std::string log_name = "receiver/prometheus",
                                   component::Counter* read_errors = nullptr);

  void Attach(component::Telemetry& telemetry, const std::string& receiver_id) override;
  // Static targets, then file targets (read on the first call for a job).
  Result<std::vector<Labels>> Discover(const ScrapeConfig& config) override;
  bool Dynamic(const ScrapeConfig& config) const override;
  // Re-reads changed files, and all of them for a FileSd whose refresh_interval has passed.
  bool Poll(const ScrapeConfig& config) override;

  // Failed file reads over every job.
  uint64_t read_errors() const;
  void Stop() override;
  // Informer timing for tests (shorter backoff); REQUIRES: before the first Discover.
  void set_kubernetes_options(discovery::kubernetes::DiscovererOptions o) { kube_options_ = o; }

 private:
  struct KubeWatch {
    std::unique_ptr<discovery::kubernetes::Discoverer> discoverer;
    uint64_t seen = 0;  // the generation last turned into targets
  };
  // The job's discoverers, created and started on the first call; an error when the API
  // configuration cannot be resolved.
  Result<std::vector<KubeWatch>*> KubeWatchesOf(const ScrapeConfig& config);
  std::map<std::string, std::vector<KubeWatch>> kube_;
  discovery::kubernetes::DiscovererOptions kube_options_;
  component::Counter* annotation_errors_ = nullptr;

  struct Watch {
    std::unique_ptr<FileSd> sd;
    std::chrono::steady_clock::time_point last_full;
  };
  std::vector<Watch>& WatchesOf(const ScrapeConfig& config);

  std::string log_name_;
  component::Counter* read_errors_;
  std::map<std::string, std::vector<Watch>> jobs_;
};

}  // namespace astrolabe::receiver::prometheus
