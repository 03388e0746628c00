#pragma once
// Giving freed heap back to the kernel once a burst of large allocations is over.
//
// glibc keeps what a large query freed in its arenas for the next allocation: a dashboard's burst
// of range queries reuses it, which is what we want, but the process then sits at its peak
// resident size for good. After a burst, `HeapTrimmer` waits until no large release has been
// noted for a quiet period and calls malloc_trim(0) once, from its own thread, off every request
// path.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace astrolabe {

class HeapTrimmer {
 public:
  explicit HeapTrimmer(std::chrono::milliseconds quiet = std::chrono::seconds(3));
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  // Says a large amount of heap has just been freed (or is about to be): trim once things are
  // quiet. Cheap; safe from any thread.
  void NoteRelease();

  // How many times it has trimmed.
  uint64_t trims() const;

 private:
  void Run();

  const std::chrono::milliseconds quiet_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stop_ = false;
  std::chrono::steady_clock::time_point last_note_;
  uint64_t trims_ = 0;
  std::thread thread_;
};

// The process's trimmer (started on first use, 3 s quiet period).
HeapTrimmer& ProcessHeapTrimmer();

}  // namespace astrolabe
