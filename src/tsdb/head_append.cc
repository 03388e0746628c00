// The head's write path: HeadAppender batches samples and applies them at Commit.
#include <vector>

#include "tsdb/head.h"
#include "tsdb/mem_series.h"

namespace astrolabe::tsdb {

using storage::Labels;

class HeadAppender final : public storage::Appender {
 public:
  // The head stays pinned (Head::Pin) from construction to Commit/Rollback: a spent appender
  // touches nothing of the head and may outlive it.
  explicit HeadAppender(Head* head)
      : head_(head),
        epoch_(head->Pin()),
        buffers_(head->TakeAppendBuffers()),
        pending_(buffers_->pending),
        slots_(buffers_->slots),
        used_(buffers_->used) {}
  ~HeadAppender() override {
    if (!done_) Rollback();
  }

  Result<storage::SeriesRef> Append(const Labels& labels, int64_t t, double v) override {
    if (done_) return FailedPrecondition("append after commit or rollback");
    // A series removed by a concurrent Head::Truncate is looked up (and created) again.
    for (int attempt = 0;; ++attempt) {
      bool created = false;
      ASSIGN_OR_RETURN(MemSeries * s, head_->GetOrCreate(labels, &created));
      bool deleted = false;
      RETURN_IF_ERROR(AppendTo(s, t, v, &labels, &deleted));
      if (!deleted) return s->ref;
      if (attempt == 3) return Unavailable("series removed concurrently: " + labels.ToString());
    }
  }

  Status AppendByRef(storage::SeriesRef ref, int64_t t, double v) override {
    if (done_) return FailedPrecondition("append after commit or rollback");
    MemSeries* s = head_->GetByRef(ref);
    if (s == nullptr) return storage::UnknownRefError(ref);
    bool deleted = false;
    RETURN_IF_ERROR(AppendTo(s, t, v, nullptr, &deleted));
    if (deleted) return storage::UnknownRefError(ref);
    return Status::Ok();
  }

  Status UpdateMetadata(std::string_view family, const storage::MetricMetadata& md) override {
    if (done_) return FailedPrecondition("metadata update after commit or rollback");
    if (family.empty()) return InvalidArgument("metadata update with an empty family name");
    metadata_.emplace_back(std::string(family), md);
    return Status::Ok();
  }

  Status Commit() override {
    if (done_) return FailedPrecondition("commit after commit or rollback");
    done_ = true;
    if (CommitLog* log = head_->commit_log_.load(std::memory_order_acquire);
        log != nullptr && (!pending_.empty() || !metadata_.empty())) {
      Status st = LogBatch(*log);
      if (!st.ok()) {
        Finish();
        return st;
      }
    }
    MemSeries* locked = nullptr;
    std::unique_lock<SeriesMutex> lock;
    for (const Pending& p : pending_) {
      if (p.s != locked) {
        lock = std::unique_lock(p.s->mu);
        locked = p.s;
      }
      if (head_->ApplyLocked(*p.s, p.t, p.v)) {
        head_->NoteCommitted(p.t);
      } else {
        head_->dropped_at_commit_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (lock.owns_lock()) lock.unlock();
    if (!metadata_.empty()) {
      std::lock_guard mlock(head_->meta_mu_);
      for (auto& [family, md] : metadata_) head_->metadata_.insert_or_assign(family, md);
    }
    Finish();
    return Status::Ok();
  }

  void Rollback() override {
    done_ = true;
    Finish();
  }

 private:
  using Pending = AppendBuffers::Pending;
  using Slot = AppendBuffers::Slot;

  // This batch's newest sample of `s`, created empty on first use. An open-addressing table
  // reused across the batch: a scrape touches each of its series once, so a node-based map
  // would allocate once per sample.
  // A new entry pins `s` against removal (MemSeries::pending) until Clear().
  Slot& SlotFor(MemSeries* s, bool pin = true) {
    if ((used_.size() + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>((s->ref * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
    while (slots_[i].s != nullptr && slots_[i].s != s) i = (i + 1) & mask;
    if (slots_[i].s == nullptr) {
      if (pin) s->pending.fetch_add(1);
      slots_[i] = Slot{s, AppendBuffers::kNoPending};
      used_.push_back(static_cast<uint32_t>(i));
    }
    return slots_[i];
  }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    used_.clear();
    for (const Slot& o : old) {
      if (o.s != nullptr) SlotFor(o.s, /*pin=*/false).newest = o.newest;
    }
  }

  Status AppendTo(MemSeries* s, int64_t t, double v, const Labels* labels, bool* deleted) {
    Slot& slot = SlotFor(s);
    int64_t newest_t = storage::kMinTime;
    double newest_v = 0;
    if (slot.newest != AppendBuffers::kNoPending) {
      newest_t = pending_[slot.newest].t;
      newest_v = pending_[slot.newest].v;
    }
    bool ignore = false;
    Status st;
    {
      std::lock_guard lock(s->mu);
      if (s->deleted) {
        *deleted = true;
        return Status::Ok();
      }
      st = head_->CheckAppendable(*s, t, v, newest_t, newest_v, &ignore);
    }
    if (!st.ok()) {
      // Name the series in the error; built only on this (rare) path.
      Labels named = labels != nullptr ? *labels : head_->LabelsOf(*s);
      return Status(st.code(), st.message() + " series " + named.ToString());
    }
    if (ignore) return Status::Ok();
    pending_.push_back(Pending{s, t, v});
    if (t > newest_t) slot.newest = static_cast<uint32_t>(pending_.size() - 1);
    return Status::Ok();
  }

  Status LogBatch(CommitLog& log) {
    std::vector<Labels> labels;
    std::vector<MemSeries*> unlogged;
    for (uint32_t i : used_) {
      MemSeries* s = slots_[i].s;
      if (!s->logged.load(std::memory_order_acquire)) unlogged.push_back(s);
    }
    labels.reserve(unlogged.size());
    std::vector<SeriesRecord> series;
    series.reserve(unlogged.size());
    for (MemSeries* s : unlogged) {
      labels.push_back(head_->LabelsOf(*s));
      series.push_back(SeriesRecord{s->ref, &labels.back()});
    }
    std::vector<SampleRecord> samples;
    samples.reserve(pending_.size());
    for (const Pending& p : pending_) samples.push_back(SampleRecord{p.s->ref, p.t, p.v});
    std::vector<MetadataRecord> meta;
    meta.reserve(metadata_.size());
    for (const auto& [family, md] : metadata_) meta.push_back(MetadataRecord{family, &md});
    Status st = log.Log(CommitBatch{series, samples, meta});
    if (!st.ok()) {
      Clear();
      return st.Annotate("logging the commit");
    }
    for (MemSeries* s : unlogged) s->logged.store(true, std::memory_order_release);
    return Status::Ok();
  }

  void Finish() {
    Clear();
    if (!unpinned_) {
      unpinned_ = true;
      head_->ReturnAppendBuffers(std::move(buffers_));
      head_->Unpin(epoch_);
    }
  }

  void Clear() {
    pending_.clear();
    for (uint32_t i : used_) {
      slots_[i].s->pending.fetch_sub(1);
      slots_[i].s = nullptr;
    }
    used_.clear();
    metadata_.clear();
  }

  Head* head_;
  const uint64_t epoch_;
  bool done_ = false;
  bool unpinned_ = false;
  std::unique_ptr<AppendBuffers> buffers_;  // from the head; returned (empty) by Finish
  std::vector<Pending>& pending_;
  std::vector<Slot>& slots_;     // open addressing, size a power of two, at most half full
  std::vector<uint32_t>& used_;  // occupied slot indexes
  std::vector<std::pair<std::string, storage::MetricMetadata>> metadata_;
};

std::unique_ptr<AppendBuffers> Head::TakeAppendBuffers() {
  {
    std::lock_guard lock(buffers_mu_);
    if (!spare_buffers_.empty()) {
      std::unique_ptr<AppendBuffers> b = std::move(spare_buffers_.back());
      spare_buffers_.pop_back();
      return b;
    }
  }
  return std::make_unique<AppendBuffers>();
}

void Head::ReturnAppendBuffers(std::unique_ptr<AppendBuffers> b) {
  // Keep a few sets, none larger than a request of ~64k series needs.
  constexpr size_t kMaxSpare = 2;
  constexpr size_t kMaxSlots = size_t{1} << 16;
  if (b == nullptr || b->slots.size() > kMaxSlots || b->pending.capacity() > kMaxSlots) return;
  std::lock_guard lock(buffers_mu_);
  if (spare_buffers_.size() < kMaxSpare) spare_buffers_.push_back(std::move(b));
}

std::unique_ptr<storage::Appender> Head::NewAppender() {
  return std::make_unique<HeadAppender>(this);
}

}  // namespace astrolabe::tsdb
