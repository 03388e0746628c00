#pragma once
// ScrapeScheduler: drives every ScrapeLoop of a receiver with one timer thread and a small
// worker pool, so hundreds of targets cost a few threads, not one each.
//
//   timer thread ── min-heap of (next scrape instant, loop) ──► loop.StartFetch()
//                                                                  │ async, on the loop's
//                                                                  ▼ HttpClient thread
//   worker pool ◄── queue of fetched responses ◄──────────── callback (queues only)
//     └─► loop.Complete(): parse, relabel, limits, staleness, build, ConsumeMetrics
//
// - Each loop keeps its own phase: its first instant is ScrapeLoop::NextScrapeDelay() from
//   now (unix time, spread by the target's hash), then one every interval on the steady
//   clock. Instants missed while the process was stopped are skipped, not caught up.
// - A loop has at most one scrape in flight. When its next instant comes while the previous
//   scrape still runs (a fetch that takes as long as the interval, or busy workers), that
//   instant is skipped, as Prometheus' ticker drops ticks. The fetch itself is bounded by
//   the target's scrape_timeout (the HttpClient's request timeout) and never holds a thread
//   of ours, so a slow or hanging target delays no other target.
// - Remove(): the loop is scraped no more. With `end_of_run_staleness`, at its next instant
//   (after a scrape in flight has finished) ScrapeLoop::EndOfRun() pushes a stale marker
//   for each of its series once, then the loop is destroyed (Prometheus' endOfRunStaleness
//   writes them at the first missed scrape's time too).
// - RequestStop(): no new scrape or end-of-run starts and responses that arrive later are
//   dropped unpushed. Stop(): RequestStop(), joins the timer thread, waits until every
//   fetch in flight has called back (shut the HttpClients down first to cancel them; a
//   fetch otherwise ends within its scrape_timeout), drains the queue and joins the
//   workers. Nothing is pushed after Stop() returns. No stale markers on Stop: the
//   receiver shutting down is not a target going away (Prometheus does the same).
//
// Threads: every method may be called from any thread; Stop() not from a worker, nor from
// an HttpClient callback. Calls on one loop never overlap (the in-flight rule above), so a
// ScrapeLoop needs no locking of its own.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "receiver/prometheus/scrape.h"

namespace astrolabe::receiver::prometheus {

struct ScrapeSchedulerOptions {
  size_t workers = 0;  // 0: min(4, hardware threads), at least 1
  std::string log_name = "receiver/prometheus";
};

class ScrapeScheduler {
 public:
  using LoopId = uint64_t;

  explicit ScrapeScheduler(ScrapeSchedulerOptions options = {});
  // Stop().
  ~ScrapeScheduler();
  ScrapeScheduler(const ScrapeScheduler&) = delete;
  ScrapeScheduler& operator=(const ScrapeScheduler&) = delete;

  // Starts the timer thread and the workers. Loops added before are scheduled from now.
  // REQUIRES: called at most once.
  void Start();
  // Takes `loop`; it is scraped from its next instant on. REQUIRES: the loop's HttpClient
  // and consumer outlive the scheduler's Stop().
  LoopId Add(std::unique_ptr<ScrapeLoop> loop);
  // Stops scraping loop `id` (unknown ids are ignored); see the header comment.
  void Remove(LoopId id, bool end_of_run_staleness = true);
  void RequestStop();
  void Stop();
  // Stop(), handing back the loops still scheduled (not removed) instead of destroying them,
  // so their staleness memory can outlive the scheduler (a config reload hands it to the
  // next receiver). Empty when already stopped.
  std::map<LoopId, std::unique_ptr<ScrapeLoop>> StopAndTakeLoops();

  // Loops added and not removed.
  size_t size() const;
  size_t workers() const { return workers_count_; }
  // Scrape instants skipped because the loop's previous scrape was still running.
  uint64_t skipped() const;

 private:
  struct Entry {
    LoopId id = 0;
    std::unique_ptr<ScrapeLoop> loop;
    // All GUARDED_BY(mu_):
    bool in_flight = false;
    bool removed = false;
    bool end_of_run = false;
  };
  struct Due {
    std::chrono::steady_clock::time_point when;
    LoopId id;
    std::shared_ptr<Entry> entry;
  };
  struct Job {
    std::shared_ptr<Entry> entry;
    bool end_of_run = false;
    std::optional<Result<net::HttpResponse>> response;
    int64_t scrape_unix_ms = 0;
    std::chrono::steady_clock::time_point started;
  };
  static bool Later(const Due& a, const Due& b);

  void Schedule(std::shared_ptr<Entry> entry, std::chrono::steady_clock::time_point when);
  void TimerLoop();
  void WorkerLoop();
  void Enqueue(Job job);

  ScrapeSchedulerOptions options_;
  size_t workers_count_;
  mutable std::mutex mu_;
  std::condition_variable timer_cv_;  // heap_ changed or stopping_
  std::condition_variable work_cv_;   // jobs_ changed or workers_stopping_
  std::condition_variable idle_cv_;   // in_flight_ reached 0
  // All GUARDED_BY(mu_):
  std::map<LoopId, std::shared_ptr<Entry>> entries_;  // added, not removed
  std::vector<Due> heap_;                             // min-heap by `when`
  std::deque<Job> jobs_;
  size_t in_flight_ = 0;  // fetches started and not yet called back
  LoopId next_id_ = 1;
  uint64_t skipped_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool workers_stopping_ = false;

  std::thread timer_;
  std::vector<std::thread> workers_;
};

}  // namespace astrolabe::receiver::prometheus
