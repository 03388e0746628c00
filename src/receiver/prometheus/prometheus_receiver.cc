#include "receiver/prometheus/prometheus_receiver.h"

#include <map>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "component/handoff.h"
#include "component/host.h"
#include "discovery/kubernetes/targets.h"
#include "receiver/prometheus/file_sd.h"

namespace astrolabe::receiver::prometheus {

PrometheusReceiver::PrometheusReceiver(const component::CreateSettings& settings,
                                       const Config& config, component::Consumer* next,
                                       std::unique_ptr<TargetProvider> provider, Clock* clock)
    : settings_(settings),
      config_(config),
      next_(next),
      provider_(provider ? std::move(provider) : std::make_unique<DiscoveryTargetProvider>()),
      clock_(clock ? clock : &Clock::Real()) {}

namespace {

// What a receiver leaves its successor on a reload (component/handoff.h): the loops of the
// targets it scraped, by target identity (URL + labels), with their staleness memory.
struct Retired {
  std::vector<std::pair<std::string, std::unique_ptr<ScrapeLoop>>> loops;
};

std::string HandoffKey(const config::ComponentId& id) {
  return "receiver/prometheus/" + id.ToString();
}

}  // namespace

void PrometheusReceiver::EndRetiredTargets() {
  if (handoff_ == nullptr) return;
  auto retired = std::static_pointer_cast<Retired>(handoff_->Take(HandoffKey(settings_.id)));
  if (!retired) return;
  std::set<std::string> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Active& a : active_) kept.insert(a.key);
  }
  const int64_t now_ms = clock_->NowUnixNanos() / 1'000'000;
  size_t gone = 0, markers = 0;
  for (auto& [key, loop] : retired->loops) {
    if (kept.count(key)) continue;
    loop->Reattach(next_, instruments_, scrapes_refused_);
    markers += loop->EndOfRun(now_ms).stale_markers;
    ++gone;
  }
  if (gone > 0) {
    GetLogger(log_name_)->info(
        "config reload removed {} targets; wrote stale markers for their {} series", gone, markers);
  }
}

PrometheusReceiver::~PrometheusReceiver() { (void)Shutdown(component::Deadline::max()); }

Status PrometheusReceiver::Start(component::Host& host) {
  const std::string id = settings_.id.ToString();
  log_name_ = "receiver/" + id;
  auto log = GetLogger(log_name_);
  instruments_ = component::ReceiverInstruments::Create(host.telemetry(), id, "metrics", "http");
  scrapes_refused_ = host.telemetry().GetCounter(
      "astrolabe_receiver_prometheus_scrapes_refused_total",
      "Scrapes whose data the pipeline refused (e.g. memory_limiter); they are skipped",
      {{"receiver", id}});
  failures_ = ScrapeFailureCounters::Create(host.telemetry(), id);
  scheduler_ = std::make_unique<ScrapeScheduler>(
      ScrapeSchedulerOptions{.workers = workers_, .log_name = log_name_});
  recycler_ = std::make_shared<pdata::Recycler<pdata::Metrics>>(2 * scheduler_->workers());
  bodies_ = std::make_shared<pdata::Recycler<std::string>>(2 * scheduler_->workers());
  provider_->Attach(host.telemetry(), id);
  std::vector<std::vector<Labels>> discovered;
  for (const ScrapeConfig& sc : config_.ResolvedScrapeConfigs()) {
    auto relabel = CompileRelabelRules(sc.relabel_configs, "relabel_configs");
    if (!relabel.ok()) return relabel.status().Annotate("job " + sc.job_name);
    auto metric_relabel = CompileRelabelRules(sc.metric_relabel_configs, "metric_relabel_configs");
    if (!metric_relabel.ok()) return metric_relabel.status().Annotate("job " + sc.job_name);
    auto labels = provider_->Discover(sc);
    if (!labels.ok()) return labels.status().Annotate("job " + sc.job_name);
    discovered.push_back(std::move(*labels));

    net::HttpClientOptions opts;
    opts.decompress_responses = sc.enable_compression;
    opts.follow_redirects = sc.follow_redirects;
    opts.proxy_url = sc.proxy_url;
    opts.tls.ca_file = sc.tls_config.ca_file;
    opts.tls.cert_file = sc.tls_config.cert_file;
    opts.tls.key_file = sc.tls_config.key_file;
    opts.tls.insecure_skip_verify = sc.tls_config.insecure_skip_verify;
    if (sc.body_size_limit > 0) opts.max_response_bytes = sc.body_size_limit;
    clients_.push_back(std::make_unique<net::HttpClient>(opts));
    jobs_.push_back(
        {sc, std::move(*relabel), std::move(*metric_relabel), clients_.back().get(), opts});
    if (!sc.kubernetes_sd_configs.empty() && !poll_interval_set_) {
      poll_interval_ = std::chrono::milliseconds(200);
    }
  }
  bool dynamic = false;
  for (size_t j = 0; j < jobs_.size(); ++j) {
    Sync(j, discovered[j], /*log_changes=*/false);
    dynamic = dynamic || provider_->Dynamic(jobs_[j].config);
  }
  handoff_ = host.handoff();
  EndRetiredTargets();
  scheduler_->Start();
  log->info("scraping {} targets with {} worker threads", scheduler_->size(),
            scheduler_->workers());
  if (dynamic) discovery_ = std::thread([this] { DiscoveryLoop(); });
  return Status::Ok();
}

namespace {

// Metric relabel rules for a target's `__astrolabe_filter_*__` labels (Kubernetes
// annotation `<domain>/filter`): keep (include) or drop (exclude) the metric names matching
// any pattern, '*' matching any run of characters.
std::vector<RelabelRule> FilterRules(const Target& target) {
  std::string_view mode = target.labels.Get(discovery::kubernetes::kFilterModeLabel);
  if (mode.empty()) return {};
  std::string regex;
  for (std::string_view name :
       Split(target.labels.Get(discovery::kubernetes::kFilterNamesLabel), ',')) {
    if (name.empty()) continue;
    if (!regex.empty()) regex += '|';
    for (char c : name) {
      if (c == '*') {
        regex += ".*";
      } else {
        if (c == '.') regex += '\\';
        regex += c;
      }
    }
  }
  RelabelConfig rc;
  rc.source_labels = {"__name__"};
  rc.regex = regex.empty() ? "" : "(" + regex + ")";
  rc.action = mode == "include" ? "keep" : "drop";
  auto rules = CompileRelabelRules({rc}, "filter");
  return rules.ok() ? std::move(*rules) : std::vector<RelabelRule>{};
}

}  // namespace

void PrometheusReceiver::Sync(size_t j, const std::vector<Labels>& discovered, bool log_changes) {
  Job& job = jobs_[j];
  const ScrapeConfig& sc = job.config;
  auto log = GetLogger(log_name_);
  // The wanted targets, by identity; the first of duplicates wins, as in Prometheus.
  std::map<std::string, Target> wanted;
  for (const Labels& labels : discovered) {
    auto target = PopulateTarget(sc, job.relabel, labels);
    if (!target.ok()) {
      log->warn("job {}: dropping target {}: {}", sc.job_name, labels.ToString(),
                target.status().message());
      continue;
    }
    if (!target->has_value()) continue;  // dropped by relabel_configs
    std::string key = (*target)->url + " " + (*target)->labels.ToString();
    if (wanted.count(key)) continue;
    if (sc.target_limit > 0 && wanted.size() >= static_cast<size_t>(sc.target_limit)) {
      log->warn("job {}: target_limit {} exceeded, not scraping {}", sc.job_name, sc.target_limit,
                (*target)->url);
      continue;
    }
    wanted.emplace(std::move(key), std::move(**target));
  }

  size_t added = 0, removed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Active> kept;
    for (Active& a : active_) {
      if (a.job == j) {
        auto it = wanted.find(a.key);
        if (it == wanted.end()) {
          // Gone: its series get stale markers at its next instant, then it is destroyed.
          scheduler_->Remove(a.id, /*end_of_run_staleness=*/true);
          ++removed;
          continue;
        }
        wanted.erase(it);  // already scraped
      }
      kept.push_back(std::move(a));
    }
    for (auto& [key, target] : wanted) {
      ScrapeLoopOptions lo;
      lo.config = sc;
      lo.target = target;
      lo.metric_relabel = job.metric_relabel;
      std::vector<RelabelRule> filter = FilterRules(target);
      lo.metric_relabel.insert(lo.metric_relabel.end(), filter.begin(), filter.end());
      lo.external_labels = config_.prom.global.external_labels;
      lo.trim_metric_suffixes = config_.trim_metric_suffixes;
      lo.report_extra_scrape_metrics = config_.report_extra_scrape_metrics;
      lo.client = job.client;
      if (target.labels.Get(discovery::kubernetes::kInsecureSkipVerifyLabel) == "true") {
        if (job.insecure_client == nullptr) {
          net::HttpClientOptions o = job.client_options;
          o.tls.insecure_skip_verify = true;
          clients_.push_back(std::make_unique<net::HttpClient>(o));
          job.insecure_client = clients_.back().get();
        }
        lo.client = job.insecure_client;
      }
      lo.next = next_;
      lo.instruments = instruments_;
      lo.scrapes_refused = scrapes_refused_;
      lo.refusal_log = refusal_log_;
      lo.recycler = recycler_;
      lo.bodies = bodies_;
      lo.failures = failures_;
      lo.clock = clock_;
      lo.log_name = log_name_;
      ScrapeScheduler::LoopId id = scheduler_->Add(std::make_unique<ScrapeLoop>(std::move(lo)));
      kept.push_back({j, key, id, std::move(target)});
      ++added;
    }
    active_ = std::move(kept);
  }
  if (log_changes && (added > 0 || removed > 0)) {
    log->info("job {}: targets changed: {} added, {} removed", sc.job_name, added, removed);
  }
}

void PrometheusReceiver::DiscoveryLoop() {
  std::unique_lock<std::mutex> lock(discovery_mu_);
  while (!discovery_cv_.wait_for(lock, poll_interval_, [this] { return discovery_stopping_; })) {
    lock.unlock();
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const ScrapeConfig& sc = jobs_[j].config;
      if (!provider_->Dynamic(sc) || !provider_->Poll(sc)) continue;
      auto labels = provider_->Discover(sc);
      if (!labels.ok()) {
        GetLogger(log_name_)->error("job {}: discovering targets: {}", sc.job_name,
                                    labels.status().message());
        continue;
      }
      Sync(j, *labels, /*log_changes=*/true);
    }
    lock.lock();
  }
}

std::vector<Target> PrometheusReceiver::targets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Target> out;
  for (const Active& a : active_) out.push_back(a.target);
  return out;
}

Status PrometheusReceiver::Shutdown(component::Deadline) {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    discovery_stopping_ = true;
  }
  discovery_cv_.notify_all();
  if (discovery_.joinable()) discovery_.join();
  provider_->Stop();
  if (scheduler_) scheduler_->RequestStop();
  for (auto& client : clients_) client->Shutdown();  // cancels in-flight scrapes
  auto retired = std::make_shared<Retired>();
  if (scheduler_) {
    auto loops = scheduler_->StopAndTakeLoops();
    std::lock_guard<std::mutex> lock(mu_);
    for (const Active& a : active_) {
      auto it = loops.find(a.id);
      if (it != loops.end()) retired->loops.emplace_back(a.key, std::move(it->second));
    }
  }
  if (handoff_ != nullptr) handoff_->Put(HandoffKey(settings_.id), std::move(retired));
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.clear();
  }
  scheduler_.reset();
  jobs_.clear();
  clients_.clear();
  return Status::Ok();
}

}  // namespace astrolabe::receiver::prometheus
