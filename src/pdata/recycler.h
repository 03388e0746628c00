#pragma once
// Recycler<T>: a producer's pool of pdata containers that come back when the pipeline lets
// go of them, so that the next batch reuses their vectors' and strings' capacity instead of
// allocating (and the consumer's release frees nothing).
//
//   auto recycler = std::make_shared<pdata::Recycler<pdata::Metrics>>(4);
//   std::unique_ptr<pdata::Metrics> md = recycler->Take();   // a returned one, or new
//   ... overwrite *md completely (its content is whatever the pipeline left) ...
//   next->ConsumeMetrics(recycler->Wrap(std::move(md)));
//
// Wrap() makes a Batch whose shared data has a deleter that, when the last Batch sharing it
// is destroyed — on whatever thread, maybe long after, maybe after a processor changed or
// moved out its content — puts it back into the pool instead of deleting it (at most
// `capacity` are kept; the rest are deleted). Nothing changes for consumers: a Batch is
// still the sole owner after the producer lets go, so Mutable() still changes it in place.
// What a consumer must not do it could not do before either: keep a pointer or view into the
// data after its last Batch is gone (before, freed memory; now, memory the next batch
// overwrites).
//
// Thread-safe. The pool outlives the Recycler while Batches of it are in flight; once the
// Recycler is destroyed, data coming back is deleted.

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "pdata/batch.h"

namespace astrolabe::pdata {

template <typename T>
class Recycler {
 public:
  explicit Recycler(size_t capacity) : pool_(std::make_shared<Pool>(capacity)) {}
  ~Recycler() {
    std::vector<std::unique_ptr<T>> drop;
    std::lock_guard lock(pool_->mu);
    pool_->open = false;
    drop.swap(pool_->free);
  }
  Recycler(const Recycler&) = delete;
  Recycler& operator=(const Recycler&) = delete;

  // A container to fill: one that came back (content unspecified), or a new empty one.
  std::unique_ptr<T> Take() {
    {
      std::lock_guard lock(pool_->mu);
      if (!pool_->free.empty()) {
        std::unique_ptr<T> data = std::move(pool_->free.back());
        pool_->free.pop_back();
        return data;
      }
    }
    return std::make_unique<T>();
  }

  // Hands back a container that was taken and not wrapped.
  void Return(std::unique_ptr<T> data) { pool_->Put(std::move(data)); }

  // `data`, shared: it returns here when the last holder lets it go (an aliasing shared_ptr
  // may hand out a part of it, as the otlp receiver's pooled trace requests do).
  // REQUIRES: data != nullptr.
  std::shared_ptr<T> Share(std::unique_ptr<T> data) {
    std::shared_ptr<Pool> pool = pool_;
    return std::shared_ptr<T>(data.release(), [pool = std::move(pool)](T* p) {
      pool->Put(std::unique_ptr<T>(p));
    });
  }

  // A Batch sharing `data` that returns it here when the last holder lets it go.
  // REQUIRES: data != nullptr.
  Batch<T> Wrap(std::unique_ptr<T> data) { return Batch<T>(Share(std::move(data))); }

  // Containers waiting in the pool.
  size_t pooled() const {
    std::lock_guard lock(pool_->mu);
    return pool_->free.size();
  }

 private:
  struct Pool {
    explicit Pool(size_t c) : capacity(c) {}
    void Put(std::unique_ptr<T> data) {
      {
        std::lock_guard lock(mu);
        if (open && free.size() < capacity) {
          free.push_back(std::move(data));
          return;
        }
      }
      // Deleted outside the lock (data, when not kept, dies here).
    }
    mutable std::mutex mu;
    const size_t capacity;
    bool open = true;                         // GUARDED_BY(mu)
    std::vector<std::unique_ptr<T>> free;     // GUARDED_BY(mu)
  };
  std::shared_ptr<Pool> pool_;
};

}  // namespace astrolabe::pdata
