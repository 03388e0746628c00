#include "common/heap_trim.h"

#include <malloc.h>

namespace astrolabe {

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds quiet)
    : quiet_(quiet), thread_([this] { Run(); }) {}

HeapTrimmer::~HeapTrimmer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HeapTrimmer::NoteRelease() {
  {
    std::lock_guard lock(mu_);
    last_note_ = std::chrono::steady_clock::now();
    if (pending_) return;
    pending_ = true;
  }
  cv_.notify_all();
}

uint64_t HeapTrimmer::trims() const {
  std::lock_guard lock(mu_);
  return trims_;
}

void HeapTrimmer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || pending_; });
    if (stop_) return;
    // Wait until `quiet_` has passed since the last note; every new note pushes it back.
    const auto due = last_note_ + quiet_;
    if (cv_.wait_until(lock, due, [&] { return stop_; })) return;
    if (std::chrono::steady_clock::now() < last_note_ + quiet_) continue;
    pending_ = false;
    lock.unlock();
    malloc_trim(0);
    lock.lock();
    ++trims_;
  }
}

HeapTrimmer& ProcessHeapTrimmer() {
  static HeapTrimmer trimmer;
  return trimmer;
}

}  // namespace astrolabe
