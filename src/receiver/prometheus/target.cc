#include "receiver/prometheus/target.h"

#include <cctype>
#include <map>

#include "common/strings.h"

namespace astrolabe::receiver::prometheus {

Labels Target::PublicLabels() const {
  std::vector<Label> out;
  for (const Label& l : labels.items()) {
    if (l.name.rfind("__", 0) != 0) out.push_back(l);
  }
  return Labels(std::move(out));
}

uint64_t Target::Hash() const {
  uint64_t h = labels.Hash();
  for (unsigned char c : url) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

Result<std::vector<Labels>> StaticTargetProvider::Discover(const ScrapeConfig& config) {
  std::vector<Labels> out;
  for (const StaticConfig& group : config.static_configs) {
    for (const std::string& address : group.targets) {
      std::vector<Label> labels;
      for (const auto& [k, v] : group.labels) labels.push_back({k, v});
      labels.push_back({"__address__", address});
      out.emplace_back(std::move(labels));
    }
  }
  return out;
}

std::string FormatPromDuration(Duration d) {
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit {
    const char* name;
    int64_t ms;
  };
  static const Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                                {"w", 7LL * 24 * 3600 * 1000},
                                {"d", 24LL * 3600 * 1000},
                                {"h", 3600LL * 1000},
                                {"m", 60LL * 1000},
                                {"s", 1000},
                                {"ms", 1}};
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

namespace {

std::string QueryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

Result<std::optional<Target>> PopulateTarget(const ScrapeConfig& config,
                                             const std::vector<RelabelRule>& relabel,
                                             const Labels& discovered) {
  Labels lb = discovered;
  auto set_default = [&lb](std::string_view name, std::string_view value) {
    if (!lb.Has(name)) lb.Set(name, value);
  };
  set_default("job", config.job_name);
  set_default("__scrape_interval__", FormatPromDuration(config.scrape_interval));
  set_default("__scrape_timeout__", FormatPromDuration(config.scrape_timeout));
  set_default("__metrics_path__", config.metrics_path);
  set_default("__scheme__", config.scheme);
  for (const auto& [name, values] : config.params) {
    if (!values.empty()) set_default("__param_" + name, values.front());
  }
  if (!Relabel(relabel, lb)) return std::optional<Target>();
  std::string address(lb.Get("__address__"));
  if (address.empty()) return InvalidArgument("no address");

  Target t;
  auto interval = ParseDuration(lb.Get("__scrape_interval__"));
  if (!interval.ok()) {
    return InvalidArgument("error parsing scrape interval: " + interval.status().message());
  }
  if (interval->count() == 0) return InvalidArgument("scrape interval cannot be 0");
  auto timeout = ParseDuration(lb.Get("__scrape_timeout__"));
  if (!timeout.ok()) {
    return InvalidArgument("error parsing scrape timeout: " + timeout.status().message());
  }
  if (timeout->count() == 0) return InvalidArgument("scrape timeout cannot be 0");
  if (*timeout > *interval) {
    return InvalidArgument("scrape timeout cannot be greater than scrape interval (\"" +
                           std::string(lb.Get("__scrape_timeout__")) + "\" > \"" +
                           std::string(lb.Get("__scrape_interval__")) + "\")");
  }
  t.interval = *interval;
  t.timeout = *timeout;

  std::vector<Label> kept;
  for (const Label& l : lb.items()) {
    if (l.name.rfind("__meta_", 0) != 0) kept.push_back(l);
  }
  lb = Labels(std::move(kept));
  if (!lb.Has("instance")) lb.Set("instance", address);

  // URL: config params, overridden (first value) by __param_* labels; keys sorted as Go's
  // url.Values.Encode does.
  std::map<std::string, std::vector<std::string>> params(config.params.begin(),
                                                         config.params.end());
  for (const Label& l : lb.items()) {
    if (l.name.rfind("__param_", 0) != 0) continue;
    std::vector<std::string>& v = params[l.name.substr(8)];
    if (v.empty()) {
      v.push_back(l.value);
    } else {
      v[0] = l.value;
    }
  }
  t.scheme = std::string(lb.Get("__scheme__"));
  std::string path(lb.Get("__metrics_path__"));
  if (path.empty() || path.front() != '/') path.insert(0, "/");
  t.url = t.scheme + "://" + address + path;
  std::string query;
  for (const auto& [k, values] : params) {
    for (const std::string& v : values) {
      query += (query.empty() ? "" : "&") + QueryEscape(k) + "=" + QueryEscape(v);
    }
  }
  if (!query.empty()) t.url += (path.find('?') == std::string::npos ? "?" : "&") + query;
  t.labels = std::move(lb);
  return std::optional<Target>(std::move(t));
}

std::vector<std::pair<std::string, std::string>> Target::ResourceAttributes() const {
  constexpr std::string_view kPrefix = "__astrolabe_resource__";
  std::vector<std::pair<std::string, std::string>> out;
  for (const Label& l : labels.items()) {
    if (l.name.size() > kPrefix.size() && l.name.compare(0, kPrefix.size(), kPrefix) == 0) {
      out.emplace_back(l.name.substr(kPrefix.size()), l.value);
    }
  }
  return out;
}

}  // namespace astrolabe::receiver::prometheus
