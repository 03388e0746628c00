#include "receiver/prometheus/config.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "common/strings.h"
#include "receiver/prometheus/relabel.h"

namespace astrolabe::receiver::prometheus {

std::vector<std::string> DefaultScrapeProtocols() {
  return {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
          "PrometheusText0.0.4"};
}

namespace {

bool KnownProtocol(std::string_view p) {
  return std::any_of(std::begin(kScrapeProtocols), std::end(kScrapeProtocols),
                     [p](const char* k) { return p == k; });
}

std::string SupportedProtocols() {
  std::vector<std::string> names(std::begin(kScrapeProtocols), std::end(kScrapeProtocols));
  std::sort(names.begin(), names.end());
  return "[" + Join(names, " ") + "]";
}

void CheckProtocols(config::Visitor& v, std::string_view key,
                    const std::vector<std::string>& protocols) {
  std::set<std::string> seen;
  for (const std::string& p : protocols) {
    if (!KnownProtocol(p)) {
      v.Error(key, "unknown scrape protocol " + p + ", supported: " + SupportedProtocols());
    } else if (!seen.insert(p).second) {
      v.Error(key, "duplicated protocol in scrape_protocols, got [" + Join(protocols, " ") + "]");
    }
  }
}

// body_size_limit as Prometheus reads it (units.Base2Bytes): an integer with an optional
// unit B, KB/KiB, MB/MiB, GB/GiB, TB/TiB, PB/PiB, every multiple a power of 1024.
void Base2BytesField(config::Visitor& v, std::string_view key, uint64_t& value) {
  std::string text = value == 0 ? "" : std::to_string(value);
  v.Field(key, text);
  if (!v.decoding() || text.empty()) return;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(i);
  static const std::pair<const char*, int> kUnits[] = {
      {"", 0},   {"B", 0},   {"KB", 1}, {"KiB", 1}, {"MB", 2}, {"MiB", 2},
      {"GB", 3}, {"GiB", 3}, {"TB", 4}, {"TiB", 4}, {"PB", 5}, {"PiB", 5}};
  int power = -1;
  for (const auto& [name, p] : kUnits) {
    if (unit == name) power = p;
  }
  if (i == 0 || power < 0 || i > 15) {
    v.Error(key, "invalid byte size \"" + text + "\" (expected e.g. 10MB, 512KiB, 1048576)");
    return;
  }
  value = std::stoull(text.substr(0, i)) << (10 * power);
}

}  // namespace

void RelabelConfig::Visit(config::Visitor& v) {
  v.Field("source_labels", source_labels);
  v.Field("separator", separator);
  v.Field("regex", regex);
  v.Field("modulus", modulus);
  v.Field("target_label", target_label);
  v.Field("replacement", replacement);
  v.Field("action", action);
  if (!v.decoding()) return;
  // Prometheus lower-cases the action while unmarshalling.
  std::string lower = action;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty()) {
    v.Error("action", "relabel action cannot be empty");
  } else if (!ParseRelabelAction(lower)) {
    v.Error("action", "unknown relabel action \"" + action + "\"");
  } else {
    action = lower;
  }
  if (auto re = Regex::Compile(regex); !re.ok()) v.Error("regex", re.status().message());
}

Status RelabelConfig::Validate() const {
  auto parsed = ParseRelabelAction(action);
  if (action.empty()) return InvalidArgument("relabel action cannot be empty");
  if (!parsed) return InvalidArgument("unknown relabel action \"" + action + "\"");
  RelabelAction a = *parsed;
  if (modulus == 0 && a == RelabelAction::kHashMod) {
    return InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  bool needs_target = a == RelabelAction::kReplace || a == RelabelAction::kHashMod ||
                      a == RelabelAction::kLowercase || a == RelabelAction::kUppercase ||
                      a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual;
  if (needs_target && target_label.empty()) {
    return InvalidArgument("relabel configuration for " + action +
                           " action requires 'target_label' value");
  }
  bool templated = target_label.find('$') != std::string::npos;
  if (needs_target && !IsValidLabelName(target_label) &&
      !(a == RelabelAction::kReplace && templated)) {
    return InvalidArgument("\"" + target_label + "\" is invalid 'target_label' for " + action +
                           " action");
  }
  if (a == RelabelAction::kLabelDrop || a == RelabelAction::kLabelKeep) {
    if (!source_labels.empty() || !target_label.empty() || modulus != 0 || separator != ";" ||
        replacement != "$1") {
      return InvalidArgument(action + " action requires only 'regex', and no other fields");
    }
  }
  if (a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual) {
    if (regex != "(.*)" || modulus != 0 || separator != ";" || replacement != "$1") {
      return InvalidArgument(action +
                             " action requires only 'source_labels' and `target_label`, and no "
                             "other fields");
    }
  }
  return Status::Ok();
}

void StaticConfig::Visit(config::Visitor& v) {
  v.Field("targets", targets);
  v.Field("labels", labels);
}

namespace {

// Prometheus' patFileSDName: a '*' only in the last path element, and one of the three
// extensions (which also decides the format: .json is JSON, the others YAML).
bool ValidFileSdPattern(const std::string& f) {
  static const std::regex kPattern(R"(^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$)");
  return std::regex_match(f, kPattern);
}

// The first problem of `c` in Prometheus' words, or empty.
std::string FileSdProblem(const FileSdConfig& c, std::string* key) {
  *key = "files";
  if (c.files.empty()) return "file service discovery config must contain at least one path name";
  for (const std::string& f : c.files) {
    if (!ValidFileSdPattern(f)) return "path name \"" + f + "\" is not valid for file discovery";
  }
  *key = "refresh_interval";
  if (c.refresh_interval.count() <= 0) return "refresh_interval must be greater than 0";
  return "";
}

}  // namespace

void FileSdConfig::Visit(config::Visitor& v) {
  v.Field("files", files);
  v.Field("refresh_interval", refresh_interval);
  if (!v.decoding()) return;
  std::string key;
  if (std::string problem = FileSdProblem(*this, &key); !problem.empty()) v.Error(key, problem);
}

void ScrapeConfig::Visit(config::Visitor& v) {
  v.Field("job_name", job_name);
  v.Field("scrape_interval", scrape_interval);
  v.Field("scrape_timeout", scrape_timeout);
  v.Field("metrics_path", metrics_path);
  v.Field("scheme", scheme);
  // params: map of name → list of values, which no Visitor field type describes.
  if (const config::Node* node = v.Raw("params"); node != nullptr && v.decoding()) {
    if (!node->IsMap()) {
      v.Error("params", "expected a map of lists of strings, got " + std::string(node->KindName()));
    } else {
      for (const auto& [name, values] : node->entries()) {
        std::vector<std::string>& out = params[name];
        if (values.IsScalar()) {
          out.push_back(values.scalar());
        } else if (values.IsSequence()) {
          for (const config::Node& item : values.items()) {
            if (item.IsScalar()) {
              out.push_back(item.scalar());
            } else {
              v.Error("params", "params." + name + ": expected a string, got " +
                                    std::string(item.KindName()));
            }
          }
        } else if (!values.IsNull()) {
          v.Error("params", "params." + name + ": expected a list of strings");
        }
      }
    }
  }
  v.Field("honor_labels", honor_labels);
  v.Field("honor_timestamps", honor_timestamps);
  v.Field("track_timestamps_staleness", track_timestamps_staleness);
  v.Field("enable_compression", enable_compression);
  v.Field("follow_redirects", follow_redirects);
  v.Field("enable_http2", enable_http2);
  VisitLimits(v);
  v.Field("keep_dropped_targets", keep_dropped_targets);
  v.Field("scrape_protocols", scrape_protocols);
  v.Field("fallback_scrape_protocol", fallback_scrape_protocol);
  v.Field("scrape_classic_histograms", scrape_classic_histograms);
  v.Field("scrape_native_histograms", scrape_native_histograms);
  v.Field("always_scrape_classic_histograms", always_scrape_classic_histograms);
  v.Field("native_histogram_bucket_limit", native_histogram_bucket_limit);
  v.List("static_configs", static_configs);
  v.List("file_sd_configs", file_sd_configs);
  v.List("kubernetes_sd_configs", kubernetes_sd_configs);
  v.List("relabel_configs", relabel_configs);
  v.List("metric_relabel_configs", metric_relabel_configs);
  v.Object("basic_auth", basic_auth);
  v.Object("authorization", authorization);
  v.Field("bearer_token", bearer_token, {.secret = true});
  v.Field("bearer_token_file", bearer_token_file);
  v.Object("tls_config", tls_config);
  v.Field("proxy_url", proxy_url);
  v.Field("no_proxy", no_proxy);
  v.Field("proxy_from_environment", proxy_from_environment);
  if (!v.decoding()) return;
  CheckProtocols(v, "scrape_protocols", scrape_protocols);
  if (!fallback_scrape_protocol.empty() && !KnownProtocol(fallback_scrape_protocol)) {
    v.Error("fallback_scrape_protocol", "unknown scrape protocol " + fallback_scrape_protocol +
                                            ", supported: " + SupportedProtocols());
  }
  if (scheme != "http" && scheme != "https") {
    v.Error("scheme", "unsupported scheme \"" + scheme + "\" (http and https are supported)");
  }
}

void ScrapeLimits::VisitLimits(config::Visitor& v) {
  Base2BytesField(v, "body_size_limit", body_size_limit);
  v.Field("sample_limit", sample_limit);
  v.Field("label_limit", label_limit);
  v.Field("label_name_length_limit", label_name_length_limit);
  v.Field("label_value_length_limit", label_value_length_limit);
  v.Field("target_limit", target_limit);
}

void ScrapeLimits::InheritLimits(const ScrapeLimits& global) {
  auto inherit = [](auto& mine, auto theirs) {
    if (mine == 0) mine = theirs;
  };
  inherit(body_size_limit, global.body_size_limit);
  inherit(sample_limit, global.sample_limit);
  inherit(label_limit, global.label_limit);
  inherit(label_name_length_limit, global.label_name_length_limit);
  inherit(label_value_length_limit, global.label_value_length_limit);
  inherit(target_limit, global.target_limit);
}

void GlobalConfig::Visit(config::Visitor& v) {
  v.Field("scrape_interval", scrape_interval);
  v.Field("scrape_timeout", scrape_timeout);
  v.Field("evaluation_interval", evaluation_interval);
  v.Field("external_labels", external_labels);
  VisitLimits(v);
  v.Field("scrape_protocols", scrape_protocols);
  v.Field("query_log_file", query_log_file);
  if (v.decoding()) CheckProtocols(v, "scrape_protocols", scrape_protocols);
}

void PromConfig::Visit(config::Visitor& v) {
  v.Object("global", global);
  v.List("scrape_configs", scrape_configs);
  v.Field("scrape_config_files", scrape_config_files);
  // Known to Prometheus, refused by the receiver (Validate) or ignored as upstream does.
  auto present = [](const config::Node* n) {
    if (n == nullptr || n->IsNull()) return false;
    if (n->IsSequence()) return !n->items().empty();
    if (n->IsMap()) return !n->entries().empty();
    return true;
  };
  if (const config::Node* n = v.Raw("remote_write"); present(n)) {
    unsupported_sections.push_back("remote_write");
  }
  if (const config::Node* n = v.Raw("remote_read"); present(n)) {
    unsupported_sections.push_back("remote_read");
  }
  if (const config::Node* n = v.Raw("rule_files"); present(n)) {
    unsupported_sections.push_back("rule_files");
  }
  if (const config::Node* n = v.Raw("alerting"); n != nullptr && n->IsMap()) {
    if (present(n->Find("alert_relabel_configs"))) {
      unsupported_sections.push_back("alert_config.relabel_configs");
    }
    if (present(n->Find("alertmanagers"))) {
      unsupported_sections.push_back("alert_config.alertmanagers");
    }
  }
  for (const char* ignored : {"storage", "tracing", "otlp", "runtime"}) v.Raw(ignored);
}

void Config::Visit(config::Visitor& v) {
  v.Object("config", prom);
  v.Field("trim_metric_suffixes", trim_metric_suffixes);
  v.Field("use_start_time_metric", use_start_time_metric);
  v.Field("start_time_metric_regex", start_time_metric_regex);
  v.Field("report_extra_scrape_metrics", report_extra_scrape_metrics);
  if (const config::Node* n = v.Raw("target_allocator"); n != nullptr && !n->IsNull()) {
    target_allocator_set = true;
  }
  if (const config::Node* n = v.Raw("api_server"); n != nullptr && !n->IsNull()) {
    api_server_set = true;
  }
  // Upstream checks this in Validate(); here it is a decode error (with the position of
  // the receiver's entry) so that the default config, which has no scrape configs, still
  // validates as the lifecycle contract asks. Every user-written config goes through
  // decoding, so the user sees upstream's message either way.
  if (v.decoding() && prom.scrape_configs.empty() && !target_allocator_set) {
    v.Error("config", "no Prometheus scrape_configs or target_allocator set");
  }
}

Status Config::Validate() const {
  if (!prom.unsupported_sections.empty()) {
    return InvalidArgument("unsupported features:\n\t" + Join(prom.unsupported_sections, "\n\t"));
  }
  if (target_allocator_set) {
    return InvalidArgument("target_allocator is not supported by this receiver yet");
  }
  if (api_server_set) return InvalidArgument("api_server is not supported by this receiver yet");
  if (!prom.scrape_config_files.empty()) {
    return InvalidArgument("scrape_config_files is not supported by this receiver yet");
  }
  if (prom.global.scrape_timeout > prom.global.scrape_interval) {
    return InvalidArgument("global scrape timeout greater than scrape interval");
  }
  std::set<std::string> jobs;
  for (const ScrapeConfig& sc : prom.scrape_configs) {
    if (sc.job_name.empty()) return InvalidArgument("job_name is empty");
    if (!jobs.insert(sc.job_name).second) {
      return InvalidArgument("found multiple scrape configs with job name \"" + sc.job_name + "\"");
    }
    Duration interval =
        sc.scrape_interval.count() != 0 ? sc.scrape_interval : prom.global.scrape_interval;
    if (sc.scrape_timeout > interval) {
      return InvalidArgument(
          "scrape timeout greater than scrape interval for scrape config with job name \"" +
          sc.job_name + "\"");
    }
    if (sc.basic_auth.set() &&
        (sc.authorization.set() || !sc.bearer_token.empty() || !sc.bearer_token_file.empty())) {
      return InvalidArgument(
          "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be "
          "configured");
    }
    if (!sc.bearer_token.empty() && !sc.bearer_token_file.empty()) {
      return InvalidArgument("at most one of bearer_token & bearer_token_file must be configured");
    }
    if (sc.authorization.set() && (!sc.bearer_token.empty() || !sc.bearer_token_file.empty())) {
      return InvalidArgument(
          "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!sc.basic_auth.password.empty() && !sc.basic_auth.password_file.empty()) {
      return InvalidArgument(
          "at most one of basic_auth password & password_file must be configured");
    }
    for (const StaticConfig& group : sc.static_configs) {
      for (const std::string& t : group.targets) {
        if (t.find('/') != std::string::npos) {
          return InvalidArgument("\"" + t + "\" is not a valid hostname");
        }
      }
    }
    for (const FileSdConfig& fs : sc.file_sd_configs) {
      std::string key;
      if (std::string problem = FileSdProblem(fs, &key); !problem.empty()) {
        return InvalidArgument(problem);
      }
    }
    for (const auto& k8s : sc.kubernetes_sd_configs) RETURN_IF_ERROR(k8s.Validate());
    for (const auto* list : {&sc.relabel_configs, &sc.metric_relabel_configs}) {
      for (const RelabelConfig& rc : *list) RETURN_IF_ERROR(rc.Validate());
    }
  }
  return Status::Ok();
}

std::vector<ScrapeConfig> Config::ResolvedScrapeConfigs() const {
  std::vector<ScrapeConfig> out = prom.scrape_configs;
  const GlobalConfig& g = prom.global;
  for (ScrapeConfig& sc : out) {
    if (sc.scrape_interval.count() == 0) sc.scrape_interval = g.scrape_interval;
    if (sc.scrape_timeout.count() == 0) {
      sc.scrape_timeout = std::min(g.scrape_timeout, sc.scrape_interval);
    }
    sc.InheritLimits(g);
    if (sc.scrape_protocols.empty()) {
      sc.scrape_protocols =
          g.scrape_protocols.empty() ? DefaultScrapeProtocols() : g.scrape_protocols;
    }
    // Upstream's receiver forces a fallback so targets without a Content-Type still work.
    if (sc.fallback_scrape_protocol.empty()) sc.fallback_scrape_protocol = "PrometheusText0.0.4";
  }
  return out;
}

}  // namespace astrolabe::receiver::prometheus
