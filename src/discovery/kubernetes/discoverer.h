#pragma once
// A Discoverer runs the informers one kubernetes_sd_configs entry needs and turns what they
// hold into target label sets (targets.h):
//
//   role            informers (per namespace, or one for all namespaces)
//   pod             pods
//   service         services
//   node            nodes (cluster-scoped)
//   endpoints       endpoints, services, pods
//   endpointslice   endpointslices, services, pods
//   annotations     pods, services, endpointslices
//
// Selectors apply to the informer of their role. namespaces.own_namespace adds the
// namespace of the service account (or kubeconfig context).
//
// generation() moves on every change any informer sees, so the prometheus receiver's
// discovery thread can poll it cheaply and call Targets() only after a change. Annotation
// problems are logged once each (a warning naming the object and the annotation) while
// they last, and counted.
//
// Threads: Start/Stop from one owner thread; generation(), Targets() and the counters from
// any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "discovery/kubernetes/api_client.h"
#include "discovery/kubernetes/config.h"
#include "discovery/kubernetes/informer.h"
#include "discovery/kubernetes/targets.h"

namespace astrolabe::discovery::kubernetes {

struct DiscovererOptions {
  std::string log_name = "discovery/kubernetes";
  // Informer timing (tests shorten them).
  std::chrono::milliseconds watch_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds backoff_initial{std::chrono::milliseconds(500)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  // The service account directory for in-cluster configuration and own_namespace.
  std::string service_account_dir = kServiceAccountDir;
  // Called once per newly logged annotation problem (a counter), from Targets()' caller.
  std::function<void()> on_problem;
};

class Discoverer {
 public:
  // Resolves the API configuration (errors: no cluster found, a bad kubeconfig).
  static Result<std::unique_ptr<Discoverer>> Create(const SdConfig& config,
                                                    DiscovererOptions options = {});
  ~Discoverer();

  // Starts the informers (each lists, then watches, on its own thread). Idempotent.
  void Start();
  // Stops and joins them. Idempotent.
  void Stop();

  uint64_t generation() const { return generation_.load(); }
  // True once every informer has listed once.
  bool synced() const;
  // The targets now. Logs annotation problems that are new.
  std::vector<LabelSet> Targets();
  // Annotation problems (objects skipped) seen in the last Targets() call.
  std::vector<std::string> problems() const;
  // Informer counters, summed.
  InformerStats stats() const;
  const std::vector<std::unique_ptr<Informer>>& informers() const { return informers_; }

 private:
  Discoverer(const SdConfig& config, DiscovererOptions options, ApiConfig api);

  SdConfig config_;
  DiscovererOptions options_;
  std::unique_ptr<ApiClient> client_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::atomic<uint64_t> generation_{0};
  bool started_ = false;
  bool stopped_ = false;
  mutable std::mutex mu_;
  std::set<std::string> problems_;  // GUARDED_BY(mu_): logged and still present
};

}  // namespace astrolabe::discovery::kubernetes
