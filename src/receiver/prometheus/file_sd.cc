#include "receiver/prometheus/file_sd.h"

#include <glob.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "config/decoder.h"
#include "config/diagnostics.h"
#include "config/parse.h"

namespace astrolabe::receiver::prometheus {

void TargetGroup::Visit(config::Visitor& v) {
  v.Field("targets", targets);
  v.Field("labels", labels);
}

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsJson(std::string_view path) { return EndsWith(path, ".json") || EndsWith(path, ".JSON"); }

std::string JoinDiagnostics(const config::Diagnostics& diag) {
  std::vector<std::string> parts;
  for (const config::Diagnostic& d : diag.errors()) parts.push_back(d.ToString());
  return Join(parts, "; ");
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetGroups(std::string_view path, std::string_view text) {
  // JSON is read by the YAML parser (JSON is YAML's flow syntax), which gives the same
  // line:column positions for both formats. Prometheus reads .json files with
  // encoding/json, so a .json file must at least be a JSON array.
  if (IsJson(path)) {
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '[') {
      return InvalidArgument(std::string(path) + ": expected a JSON array of target groups");
    }
  }
  config::ParseOptions options;
  options.file = std::make_shared<const std::string>(path);
  config::Diagnostics diag;
  std::optional<config::Node> root = config::ParseYaml(text, options, diag);
  if (!root) return InvalidArgument(JoinDiagnostics(diag));
  std::vector<TargetGroup> groups;
  if (root->IsNull()) return groups;  // an empty YAML file: no targets
  if (!root->IsSequence()) {
    return InvalidArgument(root->mark().ToString() + ": expected a list of target groups, got " +
                           std::string(root->KindName()));
  }
  for (size_t i = 0; i < root->items().size(); ++i) {
    const config::Node& item = root->items()[i];
    const std::string item_path = "[" + std::to_string(i) + "]";
    if (!item.IsMap()) {
      diag.Error(item.mark(), item_path,
                 "expected a target group (a map), got " + std::string(item.KindName()));
      continue;
    }
    TargetGroup group;
    config::Decoder decoder(item, item_path, diag);
    group.Visit(decoder);
    decoder.Finish();
    groups.push_back(std::move(group));
  }
  if (diag.has_errors()) return InvalidArgument(JoinDiagnostics(diag));
  return groups;
}

std::vector<Labels> TargetGroupLabels(const std::vector<TargetGroup>& groups,
                                      std::string_view path) {
  std::vector<Labels> out;
  for (const TargetGroup& group : groups) {
    for (const std::string& address : group.targets) {
      std::vector<Label> labels;
      for (const auto& [k, v] : group.labels) labels.push_back({k, v});
      labels.push_back({"__meta_filepath", std::string(path)});
      labels.push_back({"__address__", address});  // last: wins over a group label
      out.emplace_back(std::move(labels));
    }
  }
  return out;
}

FileSd::FileSd(FileSdConfig config, std::string log_name, component::Counter* read_errors)
    : config_(std::move(config)),
      log_name_(std::move(log_name)),
      read_errors_counter_(read_errors) {}

bool FileSd::Refresh(bool full) {
  // Expand every pattern; a pattern without '*' names one file, which may be absent.
  std::map<std::string, File> next;
  for (const std::string& pattern : config_.files) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) next.emplace(g.gl_pathv[i], File{});
    } else if (rc != GLOB_NOMATCH) {
      GetLogger(log_name_)->error("file_sd: expanding {}: glob error {}", pattern, rc);
    }
    ::globfree(&g);
  }
  bool changed = false;
  for (auto& [path, file] : next) {
    auto it = files_.find(path);
    if (it == files_.end()) {
      Read(path, file);
      changed = changed || !file.targets.empty();
      continue;
    }
    file = std::move(it->second);
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(path, ec);
    auto size = ec ? 0 : std::filesystem::file_size(path, ec);
    if (full || ec || mtime != file.mtime || size != file.size) {
      changed = Read(path, file) || changed;
    }
  }
  // Files no longer matched take their targets with them.
  for (const auto& [path, file] : files_) {
    if (!next.count(path) && !file.targets.empty()) changed = true;
  }
  files_ = std::move(next);
  return changed;
}

bool FileSd::Read(const std::string& path, File& file) {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path, ec);
  uintmax_t size = ec ? 0 : std::filesystem::file_size(path, ec);
  Status error;
  std::vector<Labels> targets;
  if (ec) {
    error = InvalidArgument(path + ": " + ec.message());
  } else {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      error = InvalidArgument(path + ": cannot read the file");
    } else {
      auto groups = ParseTargetGroups(path, text.str());
      if (groups.ok()) {
        targets = TargetGroupLabels(*groups, path);
      } else {
        error = groups.status();
      }
    }
  }
  bool same_version = !ec && file.mtime == mtime && file.size == size;
  if (!error.ok()) {
    // One log line per bad version of a file, though the full refresh re-reads it.
    if (!(file.failed && same_version)) {
      ++read_errors_;
      if (read_errors_counter_ != nullptr) read_errors_counter_->Add();
      GetLogger(log_name_)->error("file_sd: error reading {}, keeping its previous {} targets: {}",
                                  path, file.targets.size(), error.message());
    }
    file.failed = true;
    file.mtime = mtime;
    file.size = size;
    return false;
  }
  file.failed = false;
  file.mtime = mtime;
  file.size = size;
  if (targets == file.targets) return false;
  file.targets = std::move(targets);
  return true;
}

std::vector<Labels> FileSd::Targets() const {
  std::vector<Labels> out;
  for (const auto& [path, file] : files_) {
    out.insert(out.end(), file.targets.begin(), file.targets.end());
  }
  return out;
}

DiscoveryTargetProvider::DiscoveryTargetProvider(std::string log_name,
                                                 component::Counter* read_errors)
    : log_name_(std::move(log_name)), read_errors_(read_errors) {}

void DiscoveryTargetProvider::Attach(component::Telemetry& telemetry,
                                     const std::string& receiver_id) {
  log_name_ = "receiver/" + receiver_id;
  if (read_errors_ == nullptr) {
    read_errors_ = telemetry.GetCounter("astrolabe_receiver_prometheus_sd_file_read_errors_total",
                                        "file_sd_configs files that could not be read or parsed",
                                        {{"receiver", receiver_id}});
  }
  annotation_errors_ = telemetry.GetCounter(
      "astrolabe_receiver_prometheus_sd_kubernetes_annotation_errors_total",
      "Pods and services whose scrape annotations are invalid (logged, not scraped)",
      {{"receiver", receiver_id}});
}

Result<std::vector<DiscoveryTargetProvider::KubeWatch>*> DiscoveryTargetProvider::KubeWatchesOf(
    const ScrapeConfig& config) {
  auto it = kube_.find(config.job_name);
  if (it != kube_.end()) return &it->second;
  std::vector<KubeWatch> watches;
  for (size_t i = 0; i < config.kubernetes_sd_configs.size(); ++i) {
    discovery::kubernetes::DiscovererOptions o = kube_options_;
    o.log_name = log_name_;
    component::Counter* errors = annotation_errors_;
    o.on_problem = [errors] {
      if (errors != nullptr) errors->Add();
    };
    auto d = discovery::kubernetes::Discoverer::Create(config.kubernetes_sd_configs[i], o);
    if (!d.ok()) {
      return d.status().Annotate("kubernetes_sd_configs[" + std::to_string(i) + "]");
    }
    (*d)->Start();
    watches.push_back({std::move(*d), 0});
  }
  // Wait (bounded) for the first lists, so that the receiver starts with the cluster's
  // targets: after a config reload the new instance then keeps scraping what the old one
  // did instead of ending every Kubernetes target with stale markers and finding it again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (const KubeWatch& w : watches) {
    while (!w.discoverer->synced() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!w.discoverer->synced()) {
      GetLogger(log_name_)->warn(
          "job {}: the Kubernetes API has not answered yet; its targets will appear when it "
          "does",
          config.job_name);
      break;
    }
  }
  return &kube_.emplace(config.job_name, std::move(watches)).first->second;
}

void DiscoveryTargetProvider::Stop() {
  for (auto& [job, watches] : kube_) {
    for (KubeWatch& w : watches) w.discoverer->Stop();
  }
}

std::vector<DiscoveryTargetProvider::Watch>& DiscoveryTargetProvider::WatchesOf(
    const ScrapeConfig& config) {
  auto [it, inserted] = jobs_.try_emplace(config.job_name);
  if (inserted) {
    for (const FileSdConfig& fs : config.file_sd_configs) {
      Watch w{std::make_unique<FileSd>(fs, log_name_, read_errors_),
              std::chrono::steady_clock::now()};
      w.sd->Refresh(/*full=*/true);
      it->second.push_back(std::move(w));
    }
  }
  return it->second;
}

Result<std::vector<Labels>> DiscoveryTargetProvider::Discover(const ScrapeConfig& config) {
  auto out = StaticTargetProvider().Discover(config);
  if (!out.ok()) return out;
  for (const Watch& w : WatchesOf(config)) {
    std::vector<Labels> more = w.sd->Targets();
    out->insert(out->end(), more.begin(), more.end());
  }
  if (!config.kubernetes_sd_configs.empty()) {
    auto kube = KubeWatchesOf(config);
    if (!kube.ok()) return kube.status();
    for (KubeWatch& w : **kube) {
      w.seen = w.discoverer->generation();  // read before the targets: a later change re-polls
      for (auto& set : w.discoverer->Targets()) {
        std::vector<Label> labels;
        labels.reserve(set.size());
        for (auto& [name, value] : set) labels.push_back({name, std::move(value)});
        out->push_back(Labels(std::move(labels)));
      }
    }
  }
  return out;
}

bool DiscoveryTargetProvider::Dynamic(const ScrapeConfig& config) const {
  return !config.file_sd_configs.empty() || !config.kubernetes_sd_configs.empty();
}

bool DiscoveryTargetProvider::Poll(const ScrapeConfig& config) {
  bool changed = false;
  auto now = std::chrono::steady_clock::now();
  for (Watch& w : WatchesOf(config)) {
    bool full = now - w.last_full >= w.sd->config().refresh_interval;
    if (full) w.last_full = now;
    changed = w.sd->Refresh(full) || changed;
  }
  if (auto it = kube_.find(config.job_name); it != kube_.end()) {
    for (const KubeWatch& w : it->second) changed = changed || w.discoverer->generation() != w.seen;
  }
  return changed;
}

uint64_t DiscoveryTargetProvider::read_errors() const {
  uint64_t n = 0;
  for (const auto& [job, watches] : jobs_) {
    for (const Watch& w : watches) n += w.sd->read_errors();
  }
  return n;
}

}  // namespace astrolabe::receiver::prometheus
