#pragma once
// DeltaAccumulator: turns delta samples into cumulative ones, one output series at a time
// (docs/design/otlp-to-series.md, "Delta to cumulative"). A series' running total starts
// from what the store already holds for it — the last sample that is not a stale marker,
// read once on first sight through `recover` — so totals continue across restarts without
// state of their own: the store is the state.
//
//   DeltaAccumulator acc;
//   Result<double> v = acc.Apply(labels, t, delta, recover, &undo);  // value to append
//   ... Append(labels, t, *v) ...; on a failed append acc.Revert(one entry); on a failed
//   Commit acc.Revert(undo) puts every touched series back as it was.
//
// Thread-compatible: the exporter holds one mutex across Apply → Append → Commit, so the
// order of totals is the order of commits.

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/labels.h"
#include "storage/storage.h"

namespace astrolabe::exporter::store {

class DeltaAccumulator {
 public:
  // The newest sample of `labels` in the store and the newest one that is not a stale
  // marker (nullopt when the series is unknown or holds none).
  struct Recovered {
    int64_t last_t = 0;
    std::optional<double> last_value;
  };
  using RecoverFn = std::function<Result<std::optional<Recovered>>(const storage::Labels&)>;

  struct State {
    int64_t last_t = 0;
    double total = 0;
  };
  struct UndoEntry {
    storage::Labels labels;
    std::optional<State> before;  // nullopt: the series was not known before
  };

  // The cumulative value to store for a delta `v` at `t` (ms): the running total plus v,
  // or StaleNaN when v is a stale marker (the total is kept). Errors: kInvalidArgument when
  // t is not after the series' last point (a retried or out-of-order delta: adding it would
  // count it twice) or v is NaN/±Inf (it would poison the total); whatever `recover` returns.
  // Appends the change to *undo.
  Result<double> Apply(const storage::Labels& labels, int64_t t, double v, const RecoverFn& recover,
                       std::vector<UndoEntry>* undo);
  // Puts the series of `entries` back as they were, newest first.
  void Revert(std::vector<UndoEntry>& entries);
  void Revert(UndoEntry& entry);

  // Drops the running totals of series whose last point is older than `before_t` (ms).
  // Lossless: a forgotten series that comes back is recovered from the store. Returns how
  // many were dropped.
  size_t Forget(int64_t before_t);

  size_t size() const { return states_.size(); }
  std::optional<State> Get(const storage::Labels& labels) const;

 private:
  struct Hash {
    size_t operator()(const storage::Labels& l) const { return l.Hash(); }
  };
  std::unordered_map<storage::Labels, State, Hash> states_;
};

// A RecoverFn reading `storage` through a Querier (exact label match, all time).
DeltaAccumulator::RecoverFn RecoverFromStorage(storage::Storage& storage);

}  // namespace astrolabe::exporter::store
