#pragma once
// The prometheus receiver: scrapes every target of its scrape_configs on its own schedule
// and pushes OTLP metrics to the pipeline (contrib receiver/prometheusreceiver).
//
// Start(): resolves the scrape configs, discovers targets through a TargetProvider
// (static_configs for now), applies relabel_configs, creates one HttpClient per scrape
// config (TLS, proxy, redirects and compression are per config) and one ScrapeLoop thread
// per target. Target errors (a target relabeled to a bad interval) are logged and the
// target skipped, as Prometheus does; config errors were caught by Validate().
// Shutdown(): stops every loop, cancels in-flight scrapes, joins the threads; nothing is
// pushed after it returns. Idempotent, valid without Start.
//
// Thread-safety: Start and Shutdown are called by the pipeline, not concurrently.

#include <memory>
#include <vector>

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "net/http_client.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/scrape.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::receiver::prometheus {

class PrometheusReceiver : public component::Receiver {
 public:
  // `provider` null: StaticTargetProvider. `clock` null: the real clock.
  PrometheusReceiver(const component::CreateSettings& settings, const Config& config,
                     component::Consumer* next, std::unique_ptr<TargetProvider> provider = nullptr,
                     Clock* clock = nullptr);
  ~PrometheusReceiver() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // The loops created by Start (for tests and diagnostics).
  const std::vector<std::unique_ptr<ScrapeLoop>>& loops() const { return loops_; }

 private:
  component::CreateSettings settings_;
  Config config_;
  component::Consumer* next_;
  std::unique_ptr<TargetProvider> provider_;
  Clock* clock_;
  std::vector<std::unique_ptr<net::HttpClient>> clients_;
  std::vector<std::unique_ptr<ScrapeLoop>> loops_;
  bool shut_down_ = false;
};

}  // namespace astrolabe::receiver::prometheus
