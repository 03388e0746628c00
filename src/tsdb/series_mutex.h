#pragma once
// SeriesMutex: the lock of one head series in 4 bytes (std::mutex is 40 on glibc, a tenth of
// what an active series may cost). Internal to src/tsdb.
//
// A futex mutex with three states (0 free, 1 locked, 2 locked with possible waiters; U. Drepper,
// "Futexes Are Tricky", mutex #3): an uncontended lock/unlock is one atomic each, a contended
// lock spins briefly (series locks are held for microseconds) and then sleeps in the kernel.
// Not recursive, not fair. Satisfies Lockable (std::lock_guard, std::unique_lock).

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace astrolabe::tsdb {

class SeriesMutex {
 public:
  SeriesMutex() = default;
  SeriesMutex(const SeriesMutex&) = delete;
  SeriesMutex& operator=(const SeriesMutex&) = delete;

  void lock() {
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    LockSlow();
  }
  bool try_lock() {
    uint32_t c = 0;
    return state_.compare_exchange_strong(c, 1, std::memory_order_acquire);
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) {
      ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr,
                nullptr, 0);
    }
  }

 private:
  void LockSlow() {
    for (int i = 0; i < 64; ++i) {
      uint32_t c = 0;
      if (state_.load(std::memory_order_relaxed) == 0 &&
          state_.compare_exchange_weak(c, 1, std::memory_order_acquire)) {
        return;
      }
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    // Mark "waiters" and sleep until the holder's unlock wakes us; whoever takes the lock on
    // this path leaves it at 2, so its unlock wakes the next sleeper.
    while (state_.exchange(2, std::memory_order_acquire) != 0) {
      ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 2, nullptr,
                nullptr, 0);
    }
  }

  std::atomic<uint32_t> state_{0};
};

static_assert(sizeof(SeriesMutex) == 4);

}  // namespace astrolabe::tsdb
