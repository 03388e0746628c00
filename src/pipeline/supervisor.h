#pragma once
// Supervisor: owns the running Service and its config, and swaps them on reload
// (SIGHUP, or a config file change the app watches).
//
// Reload(next):
//   1. Build the new graph completely — every component created, every config
//      validated — while the old one keeps running. If that fails, nothing changes: the
//      old graph keeps serving and the error is returned.
//   2. Shut down the old graph (receivers first, so what they accepted drains through its
//      processors into its exporters, which drain their queues within
//      settings.shutdown_timeout).
//   3. Start the new graph. Receivers bind the same ports the old ones just released,
//      which is why the old graph stops before the new one starts.
//   4. If the new graph fails to start, the previous config is built and started again
//      (fresh instances) and the start error is returned; if even that fails, the
//      fatal-error callback fires and the supervisor is left with no running service.
//
// What a reload can lose (docs/design/pipeline.md, "Reload"):
//   - nothing that a receiver had accepted before step 2 and that its exporters sent
//     within the shutdown budget; exporters with in-memory queues drop what is still
//     queued at the deadline (counted as failed); with a persistent queue (file_storage)
//     the queued data stays on disk and the new exporter instance sends it;
//   - between steps 2 and 3 no receiver listens: push clients (OTLP SDKs) see refused
//     connections and retry; a scrape due in that window happens late;
//   - state held in processors (cumulativetodelta's last values, a batch being filled is
//     flushed at Shutdown) starts afresh in the new graph.
//
// Threading: every method is called from the control thread; calls are serialized by a
// mutex all the same, so a reload and a shutdown requested from a signal-handling thread
// do not interleave.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "component/handoff.h"
#include "component/resolve.h"
#include "pipeline/service.h"

namespace astrolabe::pipeline {

class Supervisor {
 public:
  explicit Supervisor(ServiceSettings settings);
  // Shuts down a running service with settings.shutdown_timeout.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Builds and starts the first service. REQUIRES: not running.
  Status Start(component::ResolvedConfig config);

  // Replaces the running service by one built from `config` (see above).
  // REQUIRES: running (after a successful Start).
  Status Reload(component::ResolvedConfig config);

  // Shuts the running service down by `deadline`. Idempotent.
  Status Shutdown(component::Deadline deadline);

  bool running() const;
  // Increments with every config put into service (Start, successful Reload).
  uint64_t generation() const;
  // The running service's Describe(), empty when not running.
  std::vector<std::string> Describe() const;

 private:
  Result<std::unique_ptr<Service>> BuildAndStart(
      std::shared_ptr<const component::ResolvedConfig> config);

  ServiceSettings settings_;
  // What components leave their successors across reloads; every service gets it.
  std::unique_ptr<component::Handoff> handoff_ = std::make_unique<component::Handoff>();
  mutable std::mutex mu_;
  // The running service's config (the service holds it too), kept to restore it when a
  // reload fails to start.
  std::shared_ptr<const component::ResolvedConfig> config_;  // GUARDED_BY(mu_)
  std::unique_ptr<Service> service_;                         // GUARDED_BY(mu_)
  uint64_t generation_ = 0;                                  // GUARDED_BY(mu_)
};

}  // namespace astrolabe::pipeline
