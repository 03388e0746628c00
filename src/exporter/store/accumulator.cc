#include "exporter/store/accumulator.h"

#include <cmath>
#include <string>

#include "exporter/store/translate.h"

namespace astrolabe::exporter::store {

Result<double> DeltaAccumulator::Apply(const storage::Labels& labels, int64_t t, double v,
                                       const RecoverFn& recover, std::vector<UndoEntry>* undo) {
  if (!IsStaleNaN(v) && !std::isfinite(v)) {
    // NaN or ±Inf would stick to the running total for good.
    return InvalidArgument("delta value " + std::to_string(v) + " of " + labels.ToString() +
                           " is not a finite number: not added to the running total");
  }
  auto it = states_.find(labels);
  std::optional<State> before;
  if (it != states_.end()) {
    before = it->second;
  } else {
    ASSIGN_OR_RETURN(std::optional<Recovered> rec, recover(labels));
    if (rec) {
      // Known to the store: continue from its newest real value; the newest time (also of a
      // stale marker) orders what may follow.
      it = states_.emplace(labels, State{rec->last_t, rec->last_value.value_or(0)}).first;
    }
  }
  if (it != states_.end() && t <= it->second.last_t) {
    return InvalidArgument("delta point at " + std::to_string(t) +
                           " ms is not after the series' last point at " +
                           std::to_string(it->second.last_t) + " ms (" + labels.ToString() +
                           "): a retried or out-of-order delta is not added twice");
  }
  if (it == states_.end()) it = states_.emplace(labels, State{t, 0}).first;
  if (undo) undo->push_back(UndoEntry{labels, before});
  State& s = it->second;
  s.last_t = t;
  if (IsStaleNaN(v)) return v;
  s.total += v;
  return s.total;
}

void DeltaAccumulator::Revert(UndoEntry& entry) {
  if (entry.before) {
    states_[entry.labels] = *entry.before;
  } else {
    // Unknown before this batch: forget it, the next sight recovers from the store again.
    states_.erase(entry.labels);
  }
}

void DeltaAccumulator::Revert(std::vector<UndoEntry>& entries) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) Revert(*it);
  entries.clear();
}

size_t DeltaAccumulator::Forget(int64_t before_t) {
  return std::erase_if(states_, [before_t](const auto& kv) { return kv.second.last_t < before_t; });
}

std::optional<DeltaAccumulator::State> DeltaAccumulator::Get(const storage::Labels& labels) const {
  auto it = states_.find(labels);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

DeltaAccumulator::RecoverFn RecoverFromStorage(storage::Storage& storage) {
  return [&storage](
             const storage::Labels& labels) -> Result<std::optional<DeltaAccumulator::Recovered>> {
    std::vector<storage::Matcher> matchers;
    matchers.reserve(labels.size());
    for (const storage::Label& l : labels) {
      matchers.push_back(storage::Matcher::MustMake(storage::MatchType::kEqual, std::string(l.name),
                                                    std::string(l.value)));
    }
    std::unique_ptr<storage::Querier> q = storage.NewQuerier();
    ASSIGN_OR_RETURN(std::unique_ptr<storage::SeriesSet> set,
                     q->Select(matchers, storage::kMinTime, storage::kMaxTime));
    std::optional<DeltaAccumulator::Recovered> out;
    while (set->Next()) {
      const storage::Series& series = set->At();
      if (series.labels() != labels) continue;  // matchers also select supersets
      std::unique_ptr<storage::SampleIterator> it = series.Iterator();
      DeltaAccumulator::Recovered rec;
      bool any = false;
      while (it->Next()) {
        storage::Sample s = it->At();
        any = true;
        rec.last_t = s.t;
        if (!IsStaleNaN(s.v)) rec.last_value = s.v;
      }
      if (!it->Err().ok()) return it->Err().Annotate("recovering " + labels.ToString());
      if (any) out = rec;
    }
    if (!set->Err().ok()) return set->Err().Annotate("recovering " + labels.ToString());
    return out;
  };
}

}  // namespace astrolabe::exporter::store
