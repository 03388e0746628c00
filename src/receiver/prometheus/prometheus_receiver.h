#pragma once
// The prometheus receiver: scrapes every target of its scrape_configs on its own schedule
// and pushes OTLP metrics to the pipeline (contrib receiver/prometheusreceiver).
//
// Start(): resolves the scrape configs, discovers targets through a TargetProvider
// (static_configs and file_sd_configs by default), applies relabel_configs, creates one
// HttpClient per scrape config (TLS, proxy, redirects and compression are per config) and
// one ScrapeLoop per target, all driven by one ScrapeScheduler (a timer thread and a
// worker pool of `workers` threads; scheduler.h). Target errors (a target relabeled to a
// bad interval) are logged and the target skipped, as Prometheus does; config errors were
// caught by Validate(). When the provider says a job's targets can change
// (file_sd_configs), a discovery thread polls it every discovery_poll_interval and
// reconciles that job's loops: a target is identified by its URL and labels; new ones
// start scraping, removed ones stop and their series get stale markers once, at the
// instant of their first missed scrape; unchanged ones keep their loop.
// Shutdown(): stops the discovery thread and the scheduler, cancels in-flight scrapes,
// joins the threads; nothing is pushed after it returns (and no stale markers: the
// receiver stopping is not a target going away). Idempotent, valid without Start.
// Config reloads (SIGHUP): under a Supervisor (Host::handoff() set), Shutdown leaves its
// targets' loops, with their staleness memory, to the next instance with the same id;
// that instance's Start() pushes stale markers, once, for every series of the targets it
// no longer scrapes (a target dropped from static_configs, a whole job removed), as
// Prometheus does when a reload removes targets. Targets the new config keeps start afresh
// (a series they stop exposing across the reload gets no marker). A receiver removed from
// the config entirely leaves no successor, so its series get none.
//
// Thread-safety: Start and Shutdown are called by the pipeline, not concurrently.
// targets() may be called from any thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "net/http_client.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/scheduler.h"
#include "receiver/prometheus/scrape.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::component {
class Handoff;
}

namespace astrolabe::receiver::prometheus {

class PrometheusReceiver : public component::Receiver {
 public:
  // `provider` null: DiscoveryTargetProvider. `clock` null: the real clock.
  PrometheusReceiver(const component::CreateSettings& settings, const Config& config,
                     component::Consumer* next, std::unique_ptr<TargetProvider> provider = nullptr,
                     Clock* clock = nullptr);
  ~PrometheusReceiver() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // The targets being scraped now.
  std::vector<Target> targets() const;

  // How often dynamic providers are polled (default 1 s). REQUIRES: before Start.
  // Kubernetes discovery makes the default 200 ms (a watch event becomes a target change
  // within that); file discovery alone keeps 1 s.
  void set_discovery_poll_interval(Duration d) {
    poll_interval_ = d;
    poll_interval_set_ = true;
  }
  // Threads parsing and pushing scrapes (default 0: min(4, hardware threads)).
  // REQUIRES: before Start.
  void set_workers(size_t n) { workers_ = n; }
  // The scheduler, once started (for tests and diagnostics); null before Start.
  const ScrapeScheduler* scheduler() const { return scheduler_.get(); }

 private:
  // One scrape config and what its loops share.
  struct Job {
    ScrapeConfig config;  // resolved
    std::vector<RelabelRule> relabel;
    std::vector<RelabelRule> metric_relabel;
    net::HttpClient* client = nullptr;  // owned by clients_
    // For targets that discovery marks insecure_skip_verify (Kubernetes annotations): made
    // on first use from client_options, owned by clients_.
    net::HttpClientOptions client_options;
    net::HttpClient* insecure_client = nullptr;
  };

  // Makes job `j`'s loops match `discovered`: removes loops of targets that are gone (their
  // series get stale markers), adds loops for new ones. `log_changes`: log the counts.
  void Sync(size_t j, const std::vector<Labels>& discovered, bool log_changes);
  void DiscoveryLoop();

  component::CreateSettings settings_;
  Config config_;
  component::Consumer* next_;
  std::unique_ptr<TargetProvider> provider_;
  Clock* clock_;
  std::vector<std::unique_ptr<net::HttpClient>> clients_;
  component::ReceiverInstruments instruments_;
  component::Counter* scrapes_refused_ = nullptr;
  std::shared_ptr<RefusalLog> refusal_log_ = std::make_shared<RefusalLog>();
  // Pushed batches come back here for the next scrape of any target to build into: a few
  // per worker (each worker pushes one batch at a time), so the pool's memory stays bounded
  // by the worker count, not the target count (Start()).
  std::shared_ptr<pdata::Recycler<pdata::Metrics>> recycler_;
  std::shared_ptr<pdata::Recycler<std::string>> bodies_;  // the same for scraped bodies
  ScrapeFailureCounters failures_;
  std::string log_name_;
  std::vector<Job> jobs_;
  std::unique_ptr<ScrapeScheduler> scheduler_;
  // A target being scraped: its job index, identity (URL + labels) and scheduler id.
  struct Active {
    size_t job;
    std::string key;
    ScrapeScheduler::LoopId id;
    Target target;
  };
  mutable std::mutex mu_;  // guards active_ changes against targets()
  std::vector<Active> active_;
  Duration poll_interval_ = std::chrono::seconds(1);
  bool poll_interval_set_ = false;
  size_t workers_ = 0;
  std::thread discovery_;
  std::mutex discovery_mu_;
  std::condition_variable discovery_cv_;
  bool discovery_stopping_ = false;  // GUARDED_BY(discovery_mu_)
  bool shut_down_ = false;
  component::Handoff* handoff_ = nullptr;  // Host::handoff(), from Start
  // Pushes stale markers for the handed-over loops of targets this instance does not scrape.
  void EndRetiredTargets();
};

}  // namespace astrolabe::receiver::prometheus
