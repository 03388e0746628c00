#include "receiver/prometheus/prometheus_receiver.h"

#include "common/log.h"
#include "component/host.h"

namespace astrolabe::receiver::prometheus {

PrometheusReceiver::PrometheusReceiver(const component::CreateSettings& settings,
                                       const Config& config, component::Consumer* next,
                                       std::unique_ptr<TargetProvider> provider, Clock* clock)
    : settings_(settings),
      config_(config),
      next_(next),
      provider_(provider ? std::move(provider) : std::make_unique<StaticTargetProvider>()),
      clock_(clock ? clock : &Clock::Real()) {}

PrometheusReceiver::~PrometheusReceiver() { (void)Shutdown(component::Deadline::max()); }

Status PrometheusReceiver::Start(component::Host& host) {
  const std::string id = settings_.id.ToString();
  const std::string log_name = "receiver/" + id;
  auto log = GetLogger(log_name);
  component::ReceiverInstruments instruments =
      component::ReceiverInstruments::Create(host.telemetry(), id, "metrics", "http");
  for (const ScrapeConfig& sc : config_.ResolvedScrapeConfigs()) {
    auto relabel = CompileRelabelRules(sc.relabel_configs, "relabel_configs");
    if (!relabel.ok()) return relabel.status().Annotate("job " + sc.job_name);
    auto metric_relabel = CompileRelabelRules(sc.metric_relabel_configs, "metric_relabel_configs");
    if (!metric_relabel.ok()) return metric_relabel.status().Annotate("job " + sc.job_name);
    auto discovered = provider_->Discover(sc);
    if (!discovered.ok()) return discovered.status().Annotate("job " + sc.job_name);

    net::HttpClientOptions opts;
    opts.decompress_responses = sc.enable_compression;
    opts.follow_redirects = sc.follow_redirects;
    opts.proxy_url = sc.proxy_url;
    opts.tls.ca_file = sc.tls_config.ca_file;
    opts.tls.cert_file = sc.tls_config.cert_file;
    opts.tls.key_file = sc.tls_config.key_file;
    opts.tls.insecure_skip_verify = sc.tls_config.insecure_skip_verify;
    if (sc.body_size_limit > 0) opts.max_response_bytes = sc.body_size_limit;
    auto client = std::make_unique<net::HttpClient>(opts);

    size_t targets = 0;
    for (const Labels& labels : *discovered) {
      auto target = PopulateTarget(sc, *relabel, labels);
      if (!target.ok()) {
        log->warn("job {}: dropping target {}: {}", sc.job_name, labels.ToString(),
                  target.status().message());
        continue;
      }
      if (!target->has_value()) continue;  // dropped by relabel_configs
      if (sc.target_limit > 0 && targets >= static_cast<size_t>(sc.target_limit)) {
        log->warn("job {}: target_limit {} exceeded, not scraping {}", sc.job_name, sc.target_limit,
                  (*target)->url);
        continue;
      }
      ++targets;
      ScrapeLoopOptions lo;
      lo.config = sc;
      lo.target = std::move(**target);
      lo.metric_relabel = *metric_relabel;
      lo.external_labels = config_.prom.global.external_labels;
      lo.trim_metric_suffixes = config_.trim_metric_suffixes;
      lo.report_extra_scrape_metrics = config_.report_extra_scrape_metrics;
      lo.client = client.get();
      lo.next = next_;
      lo.instruments = instruments;
      lo.clock = clock_;
      lo.log_name = log_name;
      loops_.push_back(std::make_unique<ScrapeLoop>(std::move(lo)));
    }
    clients_.push_back(std::move(client));
  }
  for (auto& loop : loops_) loop->Start();
  log->info("scraping {} targets", loops_.size());
  return Status::Ok();
}

Status PrometheusReceiver::Shutdown(component::Deadline) {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  for (auto& loop : loops_) loop->RequestStop();
  for (auto& client : clients_) client->Shutdown();  // cancels in-flight scrapes
  for (auto& loop : loops_) loop->Stop();
  loops_.clear();
  clients_.clear();
  return Status::Ok();
}

}  // namespace astrolabe::receiver::prometheus
