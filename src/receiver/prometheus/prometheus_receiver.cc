#include "receiver/prometheus/prometheus_receiver.h"

#include <map>
#include <set>

#include "common/log.h"
#include "component/host.h"
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
    jobs_.push_back({sc, std::move(*relabel), std::move(*metric_relabel), clients_.back().get()});
  }
  bool dynamic = false;
  for (size_t j = 0; j < jobs_.size(); ++j) {
    Sync(j, discovered[j], /*start=*/false);
    dynamic = dynamic || provider_->Dynamic(jobs_[j].config);
  }
  for (auto& loop : loops_) loop->Start();
  log->info("scraping {} targets", loops_.size());
  if (dynamic) discovery_ = std::thread([this] { DiscoveryLoop(); });
  return Status::Ok();
}

void PrometheusReceiver::Sync(size_t j, const std::vector<Labels>& discovered, bool start) {
  const Job& job = jobs_[j];
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

  std::vector<std::unique_ptr<ScrapeLoop>> removed;
  std::vector<ScrapeLoop*> added;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::unique_ptr<ScrapeLoop>> kept_loops;
    std::vector<std::pair<size_t, std::string>> kept_keys;
    for (size_t i = 0; i < loops_.size(); ++i) {
      auto& [loop_job, key] = loop_keys_[i];
      if (loop_job == j) {
        auto it = wanted.find(key);
        if (it == wanted.end()) {
          removed.push_back(std::move(loops_[i]));
          continue;
        }
        wanted.erase(it);  // already scraped
      }
      kept_loops.push_back(std::move(loops_[i]));
      kept_keys.push_back(std::move(loop_keys_[i]));
    }
    for (auto& [key, target] : wanted) {
      ScrapeLoopOptions lo;
      lo.config = sc;
      lo.target = std::move(target);
      lo.metric_relabel = job.metric_relabel;
      lo.external_labels = config_.prom.global.external_labels;
      lo.trim_metric_suffixes = config_.trim_metric_suffixes;
      lo.report_extra_scrape_metrics = config_.report_extra_scrape_metrics;
      lo.client = job.client;
      lo.next = next_;
      lo.instruments = instruments_;
      lo.scrapes_refused = scrapes_refused_;
      lo.refusal_log = refusal_log_;
      lo.clock = clock_;
      lo.log_name = log_name_;
      kept_loops.push_back(std::make_unique<ScrapeLoop>(std::move(lo)));
      kept_keys.emplace_back(j, key);
      added.push_back(kept_loops.back().get());
    }
    loops_ = std::move(kept_loops);
    loop_keys_ = std::move(kept_keys);
  }
  // A removed loop may be waiting on a scrape; Stop() waits for it (at most scrape_timeout).
  for (auto& loop : removed) loop->RequestStop();
  for (auto& loop : removed) loop->Stop();
  if (start) {
    for (ScrapeLoop* loop : added) loop->Start();
    if (!added.empty() || !removed.empty()) {
      log->info("job {}: targets changed: {} added, {} removed", sc.job_name, added.size(),
                removed.size());
    }
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
      Sync(j, *labels, /*start=*/true);
    }
    lock.lock();
  }
}

std::vector<Target> PrometheusReceiver::targets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Target> out;
  for (const auto& loop : loops_) out.push_back(loop->target());
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
  for (auto& loop : loops_) loop->RequestStop();
  for (auto& client : clients_) client->Shutdown();  // cancels in-flight scrapes
  for (auto& loop : loops_) loop->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    loops_.clear();
    loop_keys_.clear();
  }
  jobs_.clear();
  clients_.clear();
  return Status::Ok();
}

}  // namespace astrolabe::receiver::prometheus
