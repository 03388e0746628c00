#include "exporter/store/writer.h"

#include <algorithm>
#include <vector>

#include "component/partial.h"

namespace astrolabe::exporter::store {

size_t Writer::delta_series() const {
  std::lock_guard lock(delta_mu_);
  return accumulator_.size();
}

Status Writer::Write(storage::Storage& storage, const pdata::Metrics& metrics, WriteStats* stats) {
  Translation tr = Translate(metrics, options_);
  std::vector<bool> refused(tr.points, false);
  uint64_t append_refused = 0;
  std::string first_error = tr.first_error;
  auto refuse = [&](uint32_t point, const Status& why) {
    if (first_error.empty()) first_error = why.message();
    if (point == kNoPoint || point >= refused.size() || refused[point]) return;
    refused[point] = true;
    ++append_refused;
  };

  std::unique_ptr<storage::Appender> app = storage.NewAppender();

  // Metadata only when it changed since we last wrote it (the store keeps the last one).
  std::vector<const storage::FamilyMetadata*> changed;
  {
    std::lock_guard lock(metadata_mu_);
    for (const storage::FamilyMetadata& m : tr.metadata) {
      auto it = metadata_.find(m.family);
      if (it == metadata_.end() || !(it->second == m.metadata)) changed.push_back(&m);
    }
  }
  for (const storage::FamilyMetadata* m : changed) {
    Status s = app->UpdateMetadata(m->family, m->metadata);
    if (!s.ok() && first_error.empty()) first_error = s.message();
  }

  bool has_delta = false;
  for (const SeriesSample& s : tr.samples) has_delta |= s.delta;
  std::unique_lock delta_lock(delta_mu_, std::defer_lock);
  if (has_delta) delta_lock.lock();
  std::vector<DeltaAccumulator::UndoEntry> undo;
  DeltaAccumulator::RecoverFn recover;
  if (has_delta) recover = RecoverFromStorage(storage);

  uint64_t appended = 0;
  for (const SeriesSample& s : tr.samples) {
    double v = s.v;
    if (s.delta) {
      newest_delta_t_ = std::max(newest_delta_t_, s.t);
      Result<double> total = accumulator_.Apply(s.labels, s.t, s.v, recover, &undo);
      if (!total.ok()) {
        refuse(s.point, total.status());
        continue;
      }
      v = *total;
    }
    Result<storage::SeriesRef> ref = app->Append(s.labels, s.t, v);
    if (!ref.ok()) {
      if (s.delta) {
        accumulator_.Revert(undo.back());
        undo.pop_back();
      }
      refuse(s.point, ref.status());
      continue;
    }
    ++appended;
  }

  Status commit = app->Commit();
  if (!commit.ok()) {
    accumulator_.Revert(undo);
    if (stats) *stats = {tr.points, tr.points, 0};
    return Unavailable("committing to the metrics store: " + commit.message());
  }
  if (has_delta && newest_delta_t_ >= next_forget_t_) {
    // Sweep once per forget period of point time: idle series leave memory.
    accumulator_.Forget(newest_delta_t_ - kForgetDeltaSeriesAfterMs);
    next_forget_t_ = newest_delta_t_ + kForgetDeltaSeriesAfterMs / 4;
  }
  if (!changed.empty()) {
    std::lock_guard lock(metadata_mu_);
    for (const storage::FamilyMetadata* m : changed) metadata_[m->family] = m->metadata;
  }
  const uint64_t rejected = tr.rejected + append_refused;
  if (stats) *stats = {tr.points, rejected, appended};
  if (rejected > 0) {
    return component::PartialRejection(rejected, tr.points, first_error);
  }
  return Status::Ok();
}

}  // namespace astrolabe::exporter::store
