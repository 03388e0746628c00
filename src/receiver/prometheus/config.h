#pragma once
// Config of the prometheus receiver; keys as upstream's (contrib receiver/prometheusreceiver
// config.go), with the embedded Prometheus configuration under `config:` decoded strictly
// with Prometheus' own key names (prometheus config/config.go):
//
//   receivers:
//     prometheus:
//       trim_metric_suffixes: false
//       report_extra_scrape_metrics: false
//       config:
//         global: {scrape_interval: 1m, scrape_timeout: 10s, external_labels: {...}}
//         scrape_configs:
//           - job_name: nim
//             scrape_interval: 10s
//             static_configs: [{targets: ["nim:8000"], labels: {team: ai}}]
//             relabel_configs: [...]
//             metric_relabel_configs: [...]
//
// Every key is decoded by config::Decoder, so a typo anywhere is reported as
// `x.yaml:7:13: receivers.prometheus.config.scrape_configs[0].scrape_intervall: unknown
// key (did you mean scrape_interval?)`. Values that need their position to be reported
// (relabel actions, regexes, protocols, schemes) are checked while decoding; cross-field
// rules are checked by Validate() with Prometheus' messages.
//
// Value type; immutable once validated.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "component/factory.h"
#include "config/node.h"
#include "config/prometheus_http.h"
#include "discovery/kubernetes/config.h"

namespace astrolabe::receiver::prometheus {

// One entry of relabel_configs / metric_relabel_configs (prometheus model/relabel).
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  int64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  std::string action = "replace";  // lower-cased while decoding

  // Reports an unknown action (`unknown relabel action "x"`) and a regex that does not
  // compile, at their positions.
  void Visit(config::Visitor& v);
  // Prometheus' per-action rules ("relabel configuration for replace action requires
  // 'target_label' value", ...).
  Status Validate() const;
};

struct StaticConfig {
  std::vector<std::string> targets;  // host:port, becomes __address__
  std::map<std::string, std::string> labels;
  void Visit(config::Visitor& v);
};

// One entry of file_sd_configs (prometheus discovery/file): target groups read from files
// whose names match `files` (a glob in the last path element only), re-read when a file
// changes and every refresh_interval. See file_sd.h.
struct FileSdConfig {
  std::vector<std::string> files;  // each must end in .json, .yml or .yaml
  Duration refresh_interval = std::chrono::minutes(5);
  // Reports Prometheus' messages at their positions: "file service discovery config must
  // contain at least one path name", "path name \"x\" is not valid for file discovery".
  void Visit(config::Visitor& v);
};

// Prometheus' HTTP client blocks, shared with kubernetes_sd_configs (config/prometheus_http.h).
using BasicAuth = config::PromBasicAuth;
using Authorization = config::PromAuthorization;
using TlsConfig = config::PromTlsConfig;

// The five scrape protocols Prometheus knows (config.go ScrapeProtocolsHeaders).
inline constexpr const char* kScrapeProtocols[] = {"PrometheusProto", "OpenMetricsText0.0.1",
                                                   "OpenMetricsText1.0.0", "PrometheusText0.0.4",
                                                   "PrometheusText1.0.0"};

// The limits Prometheus accepts both under `global` and in each scrape config; a scrape
// config's 0 takes the global value (InheritLimits). 0 everywhere means no limit.
struct ScrapeLimits {
  // Bytes; "10MB" means 10 MiB, as in Prometheus (base-2 units).
  uint64_t body_size_limit = 0;
  int64_t sample_limit = 0;
  int64_t label_limit = 0;
  int64_t label_name_length_limit = 0;
  int64_t label_value_length_limit = 0;
  int64_t target_limit = 0;
  // Visits the six keys at the level of the enclosing config.
  void VisitLimits(config::Visitor& v);
  // Replaces every limit left at 0 by the one in `global`.
  void InheritLimits(const ScrapeLimits& global);
};

struct ScrapeConfig : ScrapeLimits {
  std::string job_name;
  Duration scrape_interval{0};  // 0: global
  Duration scrape_timeout{0};   // 0: min(global timeout, interval)
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  // URL parameters; only the first value of each name is used for __param_<name>, all
  // are sent.
  std::map<std::string, std::vector<std::string>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  bool enable_compression = true;
  bool follow_redirects = true;
  bool enable_http2 = true;
  int64_t keep_dropped_targets = 0;
  std::vector<std::string> scrape_protocols;  // empty: global, then Prometheus' default
  std::string fallback_scrape_protocol;       // the receiver forces PrometheusText0.0.4
  bool scrape_classic_histograms = false;
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  int64_t native_histogram_bucket_limit = 0;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  // Kubernetes discovery (discovery/kubernetes/config.h): Prometheus' roles and Astrolabe's
  // `annotations` role.
  std::vector<discovery::kubernetes::SdConfig> kubernetes_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  BasicAuth basic_auth;
  Authorization authorization;
  std::string bearer_token;  // secret; legacy spelling of authorization.credentials
  std::string bearer_token_file;
  TlsConfig tls_config;
  std::string proxy_url;
  std::string no_proxy;
  bool proxy_from_environment = false;
  void Visit(config::Visitor& v);
};

struct GlobalConfig : ScrapeLimits {
  Duration scrape_interval = std::chrono::minutes(1);
  Duration scrape_timeout = std::chrono::seconds(10);
  Duration evaluation_interval = std::chrono::minutes(1);  // accepted, unused
  std::map<std::string, std::string> external_labels;
  std::vector<std::string> scrape_protocols;
  std::string query_log_file;  // accepted, unused
  void Visit(config::Visitor& v);
};

// The Prometheus configuration under `config:`.
struct PromConfig {
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
  std::vector<std::string> scrape_config_files;
  // Sections Prometheus knows but the receiver refuses (Validate: "unsupported features").
  std::vector<std::string> unsupported_sections;
  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  PromConfig prom;  // key `config`
  bool trim_metric_suffixes = false;
  bool use_start_time_metric = false;   // deprecated upstream; accepted, unused
  std::string start_time_metric_regex;  // deprecated upstream; accepted, unused
  bool report_extra_scrape_metrics = false;
  bool target_allocator_set = false;  // `target_allocator:` present (unsupported here)
  bool api_server_set = false;        // `api_server:` present (unsupported here)

  // Decoding reports "no Prometheus scrape_configs or target_allocator set" (upstream
  // checks it in Validate; see config.cc for why it moved).
  void Visit(config::Visitor& v) override;
  // Upstream's messages: "unsupported features:\n\t...", `job_name is empty`, `found multiple
  // scrape configs with job name "x"`, `scrape timeout greater than scrape interval for scrape
  // config with job name "x"`, relabel rules, target addresses.
  Status Validate() const override;

  // The scrape configs with global defaults applied (interval, timeout, limits, protocols,
  // fallback protocol PrometheusText0.0.4 as the receiver forces). REQUIRES: Validate() OK.
  std::vector<ScrapeConfig> ResolvedScrapeConfigs() const;
};

// Prometheus' default scrape_protocols (config.go DefaultScrapeProtocols).
std::vector<std::string> DefaultScrapeProtocols();

}  // namespace astrolabe::receiver::prometheus
