#pragma once
// OtlpHttpExporter: sends metrics, traces and logs to an OTLP/HTTP endpoint, as upstream's
// otlphttp exporter does (core exporter/otlphttpexporter/otlp.go and exporterhelper).
//
// Each Consume* call becomes one request: the batch is encoded as an
// Export<Signal>ServiceRequest (protobuf), gzip-compressed unless compression is none, and
// POSTed to SignalUrl(config, signal) with Content-Type application/x-protobuf, the
// configured headers (which override ours, User-Agent included) and net::DefaultUserAgent().
//
// Outcome of one attempt:
//   2xx                      delivered; counted sent. A protobuf body holding a
//                            partial_success with rejected > 0 or a message logs the
//                            warning "Partial success response" (at most one per second);
//                            never retried. A protobuf body that does not parse is a
//                            permanent error.
//   429, 502, 503, 504       retryable; for 429 and 503 a Retry-After header (seconds or
//                            RFC 1123 date) is a lower bound on the next delay.
//   connection errors,       retryable.
//   timeouts
//   anything else            permanent: dropped, counted failed, logged "Exporting
//                            failed. Dropping data." with the status and the
//                            google.rpc.Status message (protobuf bodies) or a body excerpt.
// Retries follow retry_on_failure (retry.h) and give up after max_elapsed_time.
//
// With sending_queue enabled (the default) Consume* only enqueues: it returns OK, or the
// retryable kResourceExhausted "sending queue is full" (counted in
// otelcol_exporter_enqueue_failed_<items>_total and logged "Exporting failed. Rejecting
// data." at most once per 10 s), and num_consumers threads send. With it disabled
// Consume* sends on the caller's thread, retries included, and returns the final error.
//
// With sending_queue.storage naming a storage extension, the queue is persistent
// (persistent_queue.h): Start opens one client per signal and queues what a previous
// run left before anything new; Consume* returns OK only once the request is stored;
// a request leaves storage once its export finished (delivered, or dropped as a
// permanent failure or after the last retry). Shutdown does not drain a persistent queue:
// requests being sent finish their current attempt (until the deadline) without retries,
// and whatever is not finished stays stored for the next start, not counted failed. Start fails
// when the extension is missing or is not a storage extension.
//
// Telemetry (when CreateSettings::telemetry or the host's is available), label exporter=<id>:
// otelcol_exporter_sent_<items>_total, otelcol_exporter_send_failed_<items>_total,
// otelcol_exporter_enqueue_failed_<items>_total, and the gauges
// otelcol_exporter_queue_size / otelcol_exporter_queue_capacity while started.
//
// Shutdown(deadline): stops accepting (later Consume* → kUnavailable), lets the queue drain
// until the deadline — a retry whose delay would end after the deadline is not attempted —
// then cancels requests in flight and drops what is left, counting it failed. Returns by
// the deadline plus the time to join threads that are being cancelled.
//
// Thread-safe: Consume* may be called from any number of threads, concurrently with each
// other and with Shutdown. Start and Shutdown are called by the service's thread.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "exporter/otlp_http/config.h"
#include "exporter/otlp_http/persistent_queue.h"
#include "exporter/otlp_http/sending_queue.h"
#include "net/http_client.h"

namespace spdlog {
class logger;
}

namespace astrolabe::exporter::otlp_http {

struct OtlpHttpExporterOptions {
  // Seeds the backoff jitter; 0 picks a random seed.
  uint64_t seed = 0;
};

class OtlpHttpExporter : public component::Exporter {
 public:
  // REQUIRES: config.Validate() is OK.
  OtlpHttpExporter(const component::CreateSettings& settings, const Config& config,
                   OtlpHttpExporterOptions options = {});
  ~OtlpHttpExporter() override;

  OtlpHttpExporter(const OtlpHttpExporter&) = delete;
  OtlpHttpExporter& operator=(const OtlpHttpExporter&) = delete;

  // Creates the HTTP client, opens the persistent queue if configured, and starts the
  // queue's workers. Fails only when the persistent queue cannot be opened.
  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  Status ConsumeMetrics(component::MetricsBatch batch) override;
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;

  // Requests waiting in the queue (0 when the queue is disabled).
  size_t queue_size() const;

 private:
  struct Instruments {
    component::Counter* sent = nullptr;
    component::Counter* failed = nullptr;
    component::Counter* enqueue_failed = nullptr;
  };
  // The result of one HTTP attempt.
  struct Attempt {
    Status status;                     // OK, retryable (kUnavailable) or permanent
    std::optional<Duration> throttle;  // Retry-After of a 429/503
  };

  const Instruments& Inst(component::Signal s) const;
  Status Consume(ExportRequest request);
  // Opens the persistent queue's store and the queue on it. REQUIRES: mu_ held.
  Status OpenPersistentQueue(component::Host& host);
  // The status for a request whose export shutdown cut short: with a persistent queue it
  // stays stored (kCancelled, not counted); otherwise it is dropped and counted failed.
  Status Interrupted(const ExportRequest& request, Status status);
  void LogQueueFull(size_t items);
  // Sends `request` with retries; counts the outcome; returns the final status.
  Status Export(ExportRequest& request);
  Attempt SendOnce(const std::string& url, const std::string& body, component::Signal signal);
  Attempt Interpret(const std::string& url, Result<net::HttpResponse> response,
                    component::Signal signal);
  // Sleeps `delay`; false (early) when shutdown aborts, or begins with a deadline before
  // the sleep would end.
  bool Sleep(Duration delay);
  // The shutdown deadline once Shutdown has begun.
  std::optional<component::Deadline> ShutdownDeadline() const;
  bool Aborted() const;
  // True once Shutdown of a persistent queue began: requests are not retried any more.
  bool RetryStopped() const;
  void CountFailed(const ExportRequest& request, const Status& status);
  void WarnPartialSuccess(component::Signal signal, int64_t rejected, const std::string& message);

  // telemetry_, inst_ and client_ are written by Start before any worker exists or any
  // Consume* passes the started_ check, and only read afterwards.
  const std::string id_;
  const Config config_;
  component::Telemetry* telemetry_;
  std::shared_ptr<spdlog::logger> log_;
  std::array<Instruments, 3> inst_{};  // by Signal
  std::atomic<uint64_t> seed_;

  std::unique_ptr<QueueStore> store_;        // persistent queue only; created by Start
  std::unique_ptr<SendingQueue> queue_;      // null when sending_queue is disabled
  std::unique_ptr<net::HttpClient> client_;  // created by Start

  mutable std::mutex mu_;
  std::condition_variable wake_;      // interrupts retry sleeps when shutdown aborts
  bool started_ = false;              // GUARDED_BY(mu_)
  bool shutting_down_ = false;        // GUARDED_BY(mu_)
  bool aborted_ = false;              // GUARDED_BY(mu_)
  bool stop_retrying_ = false;        // GUARDED_BY(mu_): persistent queue shutting down
  bool shut_down_ = false;            // GUARDED_BY(mu_)
  component::Deadline deadline_{};    // GUARDED_BY(mu_): valid when shutting_down_
  int sync_in_flight_ = 0;            // GUARDED_BY(mu_): Consume* sending synchronously
  bool gauges_registered_ = false;    // GUARDED_BY(mu_)
  int64_t last_partial_warning_ = 0;  // GUARDED_BY(mu_): steady nanos of the last warning
  int64_t last_full_log_ = 0;         // GUARDED_BY(mu_): steady nanos of the last "full" log
  uint64_t full_since_log_ = 0;       // GUARDED_BY(mu_): rejections not logged since
};

}  // namespace astrolabe::exporter::otlp_http
