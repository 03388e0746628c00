#include "receiver/prometheus/scheduler.h"

#include <algorithm>

#include "common/log.h"

namespace astrolabe::receiver::prometheus {

namespace {

size_t DefaultWorkers() {
  unsigned hw = std::thread::hardware_concurrency();
  return std::clamp<size_t>(hw == 0 ? 1 : hw, 1, 4);
}

}  // namespace

ScrapeScheduler::ScrapeScheduler(ScrapeSchedulerOptions options)
    : options_(std::move(options)),
      workers_count_(options_.workers > 0 ? options_.workers : DefaultWorkers()) {}

ScrapeScheduler::~ScrapeScheduler() { Stop(); }

bool ScrapeScheduler::Later(const Due& a, const Due& b) {
  return a.when != b.when ? a.when > b.when : a.id > b.id;
}

void ScrapeScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  timer_ = std::thread([this] { TimerLoop(); });
  for (size_t i = 0; i < workers_count_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ScrapeScheduler::LoopId ScrapeScheduler::Add(std::unique_ptr<ScrapeLoop> loop) {
  const Target& t = loop->target();
  // The first instant keeps the target's phase in unix time; later ones follow the steady
  // clock, so a wall-clock step moves no scrape.
  auto first = std::chrono::steady_clock::now() +
               ScrapeLoop::NextScrapeDelay(t.Hash(), t.interval, loop->clock().NowUnixNanos());
  auto entry = std::make_shared<Entry>();
  entry->loop = std::move(loop);
  std::lock_guard<std::mutex> lock(mu_);
  entry->id = next_id_++;
  entries_.emplace(entry->id, entry);
  Schedule(entry, first);
  return entry->id;
}

void ScrapeScheduler::Schedule(std::shared_ptr<Entry> entry,
                               std::chrono::steady_clock::time_point when) {
  LoopId id = entry->id;
  heap_.push_back({when, id, std::move(entry)});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  if (heap_.front().id == id) timer_cv_.notify_one();
}

void ScrapeScheduler::Remove(LoopId id, bool end_of_run_staleness) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second->removed = true;
  it->second->end_of_run = end_of_run_staleness;
  // The heap still holds the entry: its next instant runs the end of run (or just drops it).
  entries_.erase(it);
}

size_t ScrapeScheduler::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

uint64_t ScrapeScheduler::skipped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_;
}

void ScrapeScheduler::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (heap_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (const auto when = heap_.front().when; when > now) {
      timer_cv_.wait_until(lock, when);  // a copy: the heap may grow while waiting
      continue;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Due due = std::move(heap_.back());
    heap_.pop_back();
    Entry& e = *due.entry;
    const Duration interval = e.loop->target().interval;
    auto next = due.when + interval;
    if (interval <= Duration(0)) next = now + std::chrono::seconds(1);
    while (next <= now) next += interval;  // skip instants missed while not running

    if (e.removed) {
      if (e.in_flight) {
        Schedule(std::move(due.entry), next);  // its end of run comes after the scrape
      } else if (e.end_of_run) {
        Job job;
        job.entry = std::move(due.entry);
        job.end_of_run = true;
        job.scrape_unix_ms = job.entry->loop->clock().NowUnixNanos() / 1'000'000;
        jobs_.push_back(std::move(job));
        work_cv_.notify_one();
      }
      // Otherwise the last reference goes with `due`: the loop is destroyed here.
      continue;
    }
    Schedule(due.entry, next);
    if (e.in_flight) {
      ++skipped_;
      GetLogger(options_.log_name)
          ->debug("target {}: scrape skipped, the previous one is still running",
                  e.loop->target().url);
      continue;
    }
    e.in_flight = true;
    ++in_flight_;
    lock.unlock();
    std::shared_ptr<Entry> entry = std::move(due.entry);
    ScrapeLoop* loop = entry->loop.get();
    loop->StartFetch(
        [this, entry = std::move(entry)](Result<net::HttpResponse> response, int64_t scrape_unix_ms,
                                         std::chrono::steady_clock::time_point started) {
          Job job;
          job.entry = entry;
          job.response.emplace(std::move(response));
          job.scrape_unix_ms = scrape_unix_ms;
          job.started = started;
          Enqueue(std::move(job));
        });
    lock.lock();
  }
}

// On an HttpClient thread (or the timer thread when the client is shut down): queue only.
void ScrapeScheduler::Enqueue(Job job) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.push_back(std::move(job));
  --in_flight_;
  work_cv_.notify_one();
  if (in_flight_ == 0) idle_cv_.notify_all();
}

void ScrapeScheduler::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return !jobs_.empty() || workers_stopping_; });
    if (jobs_.empty()) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    const bool drop = stopping_;
    lock.unlock();
    ScrapeLoop& loop = *job.entry->loop;
    if (drop) {
      // Shutting down: nothing more is pushed.
    } else if (job.end_of_run) {
      loop.EndOfRun(job.scrape_unix_ms);
    } else {
      loop.Complete(std::move(*job.response), job.scrape_unix_ms, job.started);
    }
    lock.lock();
    if (!job.end_of_run) job.entry->in_flight = false;
    // A removed loop whose last reference this job held is destroyed here, under mu_; a
    // ScrapeLoop owns no thread, so that is only freeing memory.
    job.entry.reset();
  }
}

void ScrapeScheduler::RequestStop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  timer_cv_.notify_all();
}

void ScrapeScheduler::Stop() { (void)StopAndTakeLoops(); }

std::map<ScrapeScheduler::LoopId, std::unique_ptr<ScrapeLoop>> ScrapeScheduler::StopAndTakeLoops() {
  RequestStop();
  if (timer_.joinable()) timer_.join();
  {
    // Every fetch started calls back exactly once (the HttpClient contract); after that no
    // callback refers to this scheduler.
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return in_flight_ == 0; });
    workers_stopping_ = true;
    work_cv_.notify_all();
  }
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.clear();
  heap_.clear();
  std::map<LoopId, std::unique_ptr<ScrapeLoop>> loops;
  for (auto& [id, entry] : entries_) {
    if (!entry->removed && entry->loop) loops.emplace(id, std::move(entry->loop));
  }
  entries_.clear();
  return loops;
}

}  // namespace astrolabe::receiver::prometheus
