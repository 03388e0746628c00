#pragma once
// SendingQueue: the otlp_http exporter's sending_queue. A bounded FIFO of export
// requests (one per Consume* call; the bound counts requests waiting to be sent, as
// upstream's `sizer: requests`) drained by num_consumers worker threads. In memory by
// default; with a RequestStore (persistent_queue.h) every request is also stored
// before Offer returns OK and removed once the handler says it is finished.
//
// Life of a queue:
//   Start(handler)     starts the workers; each takes the oldest request and calls
//                      handler(request) on its own thread. The handler returns true
//                      when the request is finished (delivered, or dropped for good),
//                      false when it was interrupted by shutdown and must stay stored
//                      for the next start.
//   Offer(request)     from any thread; OK, or kResourceExhausted "sending queue is
//                      full" (non-blocking mode), or kUnavailable once closed or when
//                      the store fails to write.
//   Restore(requests)  before Start: puts requests recovered from the store at the
//                      front, even beyond the capacity.
//   Close()            stops accepting; queued requests stay and are still handled.
//   WaitIdle(deadline) waits until the queue is empty and no handler runs.
//   Stop()             wakes and joins the workers (a running handler is awaited: the
//                      owner makes it return quickly) and returns the requests never
//                      handled, oldest first.
//
// Threads: every method may be called from any thread except that Stop() must not be
// called from a handler. Thread-safe. The destructor calls Close() and Stop() and drops
// what is left.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "common/status.h"
#include "component/component.h"

namespace astrolabe::exporter::otlp_http {

// What one Consume* call hands the queue. The batch is shared, not copied.
struct ExportRequest {
  component::Signal signal = component::Signal::kMetrics;
  std::variant<component::MetricsBatch, component::TracesBatch, component::LogsBatch> batch;
  size_t items = 0;  // data points, spans or log records: for counting
  // Set by a RequestStore that holds a copy of this request.
  bool stored = false;
  uint64_t store_index = 0;
};

// The persistence behind a SendingQueue. Encode runs on the offering thread outside the
// queue's lock; Add runs under it (so stored order is queue order) and must not call
// back into the queue; Remove runs on a worker after its handler finished the request.
// Thread-safe.
class RequestStore {
 public:
  virtual ~RequestStore() = default;
  virtual std::string Encode(const ExportRequest& request) const = 0;
  // Stores `encoded` (the bytes of `request`) and marks the request stored.
  virtual Status Add(ExportRequest& request, std::string_view encoded) = 0;
  // Deletes the stored copy; failures are logged (the request may come back once).
  virtual void Remove(const ExportRequest& request) = 0;
};

struct SendingQueueOptions {
  size_t capacity = 1000;
  int num_consumers = 10;
  bool block_on_overflow = false;  // Offer waits for room instead of failing
  RequestStore* store = nullptr;   // not owned; outlives the queue. null: in memory
};

class SendingQueue {
 public:
  using Handler = std::function<bool(ExportRequest&)>;

  // REQUIRES: capacity > 0, num_consumers > 0.
  explicit SendingQueue(SendingQueueOptions options);
  ~SendingQueue();

  SendingQueue(const SendingQueue&) = delete;
  SendingQueue& operator=(const SendingQueue&) = delete;

  // REQUIRES: called at most once, before Stop().
  void Start(Handler handler);

  Status Offer(ExportRequest request);
  // REQUIRES: before Start.
  void Restore(std::vector<ExportRequest> requests);

  void Close();
  // True when the queue emptied and every handler returned by `deadline`.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  // Workers take no more requests (they end after their current one); what is queued stays
  // for Stop() to return. For a persistent queue, which does not drain on shutdown.
  void StopTaking();
  // True when no handler runs by `deadline`.
  bool WaitHandlers(std::chrono::steady_clock::time_point deadline);
  std::vector<ExportRequest> Stop();

  size_t size() const;
  size_t capacity() const { return options_.capacity; }

 private:
  void Work();

  const SendingQueueOptions options_;
  Handler handler_;

  mutable std::mutex mu_;
  std::condition_variable not_empty_;  // workers wait for requests (or stop)
  std::condition_variable not_full_;   // blocking Offer waits for room (or close)
  std::condition_variable idle_;       // WaitIdle
  std::deque<ExportRequest> items_;    // GUARDED_BY(mu_)
  int busy_ = 0;                       // GUARDED_BY(mu_): handlers running
  bool closed_ = false;                // GUARDED_BY(mu_)
  bool stopping_ = false;              // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;   // touched by Start and Stop only
};

}  // namespace astrolabe::exporter::otlp_http
