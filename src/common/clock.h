#pragma once
// Clock: the one source of "now" for code whose behaviour depends on time, so tests can
// substitute a FakeClock. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace astrolabe {

using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in nanoseconds since the Unix epoch.
  virtual int64_t NowUnixNanos() const = 0;
  // Monotonic time for measuring intervals.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t unix_nanos = 1'700'000'000'000'000'000) : now_(unix_nanos) {}
  int64_t NowUnixNanos() const override { return now_.load(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now_.load()));
  }
  void Advance(Duration d) { now_ += d.count(); }
  void Set(int64_t unix_nanos) { now_ = unix_nanos; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace astrolabe
