#include "storage/merge.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

namespace astrolabe::storage {
namespace {

struct Limit {
  QueryLimits limits;
  uint64_t samples = 0;
};

// Each sub-iterator's current sample is cached when it moves, so picking the next sample
// compares cached times: per merged sample one Next() and one At() of the sub-iterator that
// supplied it (plus those on the same timestamp), not every sub-iterator's At() and Err()
// (a series spread over several blocks and the head merges 3-6 iterators). Blocks cover
// disjoint time ranges, so the sample after the current one nearly always comes from the same
// sub-iterator: while that sub-iterator's next time stays below every other head (`rest_min_`),
// Next() moves only it and skips the scan over the heads.
class MergeSampleIterator final : public SampleIterator {
 public:
  MergeSampleIterator(std::vector<std::unique_ptr<SampleIterator>> its, Limit* limit)
      : its_(std::move(its)), heads_(its_.size()), limit_(limit) {}

  bool Next() override {
    if (!err_.ok()) return false;
    if (have_ && rest_min_ > cur_.t) {
      // Only sub-iterator best_ is at cur_.t; the others wait at rest_min_ or later.
      Moved(best_, its_[best_]->Next());
      const Head& h = heads_[best_];
      if (!h.valid || h.sample.t >= rest_min_) return Pick();  // a tie or a switch: scan
      cur_ = h.sample;
      return Count();
    }
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); ++i) Moved(i, its_[i]->Next());
    } else if (have_) {
      for (size_t i = 0; i < its_.size(); ++i) {
        if (heads_[i].valid && heads_[i].sample.t == cur_.t) Moved(i, its_[i]->Next());
      }
    }
    return Pick();
  }

  bool Seek(int64_t t) override {
    if (!err_.ok()) return false;
    if (started_ && have_ && cur_.t >= t) return true;
    if (started_ && !have_) return false;
    started_ = true;
    for (size_t i = 0; i < its_.size(); ++i) {
      // A never-started sub-iterator seeks from its beginning; a started one only if behind.
      Moved(i, its_[i]->Seek(t));
    }
    return Pick();
  }

  Sample At() const override { return cur_; }
  Status Err() const override { return err_; }

 private:
  struct Head {
    Sample sample;
    bool valid = false;
  };

  // Records where sub-iterator `i` is after a Next()/Seek() that returned `ok`; the first
  // sub-iterator error fails the merge.
  void Moved(size_t i, bool ok) {
    heads_[i].valid = ok;
    if (ok) {
      heads_[i].sample = its_[i]->At();
    } else if (err_.ok()) {
      err_ = its_[i]->Err();
    }
  }

  bool Pick() {
    have_ = false;
    if (!err_.ok()) return false;
    int best = -1;
    int64_t rest_min = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < heads_.size(); ++i) {
      if (!heads_[i].valid) continue;
      // On equal times the earlier sub-iterator wins.
      if (best < 0 || heads_[i].sample.t < cur_.t) {
        if (best >= 0) rest_min = cur_.t;  // the previous best is now one of the rest
        best = static_cast<int>(i);
        cur_ = heads_[i].sample;
      } else {
        rest_min = std::min(rest_min, heads_[i].sample.t);
      }
    }
    if (best < 0) return false;
    best_ = static_cast<size_t>(best);
    rest_min_ = rest_min;
    return Count();
  }

  // Counts the sample just picked against the sample limit; false (and Err()) past it.
  bool Count() {
    have_ = false;
    if (limit_ != nullptr && limit_->limits.max_samples != 0 &&
        ++limit_->samples > limit_->limits.max_samples) {
      err_ =
          ResourceExhausted("sample limit: the query would read more than " +
                            std::to_string(limit_->limits.max_samples) + " samples (max_samples)");
      return false;
    }
    have_ = true;
    return true;
  }

  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<Head> heads_;
  Limit* limit_;
  Sample cur_;
  size_t best_ = 0;       // the sub-iterator cur_ came from
  int64_t rest_min_ = 0;  // the smallest time among the other valid heads (max() if none)
  bool started_ = false;
  bool have_ = false;
  Status err_;
};

// One merged series: the sub-sets' current series with these labels.
class MergedSeries final : public Series {
 public:
  const Labels& labels() const override { return parts_.front()->labels(); }
  std::unique_ptr<SampleIterator> Iterator() const override {
    std::vector<std::unique_ptr<SampleIterator>> its;
    its.reserve(parts_.size());
    for (const Series* s : parts_) its.push_back(s->Iterator());
    return std::make_unique<MergeSampleIterator>(std::move(its), limit_);
  }

  std::vector<const Series*> parts_;
  Limit* limit_ = nullptr;
};

class MergeSeriesSet final : public SeriesSet {
 public:
  MergeSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets, Limit* limit,
                 std::unique_ptr<Limit> owned = nullptr)
      : sets_(std::move(sets)), valid_(sets_.size(), false), owned_(std::move(owned)) {
    if (limit == nullptr) limit = owned_.get();
    merged_.limit_ = limit;
    max_series_ = limit->limits.max_series;
  }

  bool Next() override {
    if (!err_.ok()) return false;
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); ++i) {
        valid_[i] = sets_[i]->Next();
        if (!Check(i)) return false;
      }
    } else {
      for (size_t i : current_) {
        valid_[i] = sets_[i]->Next();
        if (!Check(i)) return false;
      }
    }
    current_.clear();
    merged_.parts_.clear();
    const Labels* best = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (!valid_[i]) continue;
      const Labels& l = sets_[i]->At().labels();
      int c = best == nullptr ? -1 : Labels::Compare(l, *best);
      if (c < 0) {
        best = &l;
        current_.clear();
      }
      if (c <= 0) current_.push_back(i);
    }
    if (current_.empty()) return false;
    for (size_t i : current_) merged_.parts_.push_back(&sets_[i]->At());
    if (max_series_ != 0 && ++count_ > max_series_) {
      err_ = ResourceExhausted("series limit: the query selects more than " +
                               std::to_string(max_series_) + " series (max_series)");
      return false;
    }
    return true;
  }

  const Series& At() const override { return merged_; }
  Status Err() const override { return err_; }

 private:
  bool Check(size_t i) {
    if (!valid_[i]) {
      Status st = sets_[i]->Err();
      if (!st.ok()) {
        err_ = st;
        return false;
      }
    }
    return true;
  }

  std::vector<std::unique_ptr<SeriesSet>> sets_;
  std::vector<bool> valid_;
  std::unique_ptr<Limit> owned_;
  std::vector<size_t> current_;
  MergedSeries merged_;
  size_t max_series_ = 0;
  size_t count_ = 0;
  bool started_ = false;
  Status err_;
};

class MergeQuerier final : public Querier {
 public:
  MergeQuerier(std::vector<std::unique_ptr<Querier>> queriers, const QueryLimits& limits)
      : queriers_(std::move(queriers)), limit_(std::make_unique<Limit>()) {
    limit_->limits = limits;
  }

  Result<std::unique_ptr<SeriesSet>> Select(std::span<const Matcher> matchers, int64_t mint,
                                            int64_t maxt, const SelectHints& hints) override {
    SelectHints sub = hints;
    sub.sort_series = true;
    std::vector<std::unique_ptr<SeriesSet>> sets;
    sets.reserve(queriers_.size());
    for (auto& q : queriers_) {
      ASSIGN_OR_RETURN(auto set, q->Select(matchers, mint, maxt, sub));
      sets.push_back(std::move(set));
    }
    return std::unique_ptr<SeriesSet>(
        std::make_unique<MergeSeriesSet>(std::move(sets), limit_.get()));
  }

  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers, int64_t mint,
                                              int64_t maxt) override {
    std::set<std::string> all;
    for (auto& q : queriers_) {
      ASSIGN_OR_RETURN(auto names, q->LabelNames(matchers, mint, maxt));
      all.insert(names.begin(), names.end());
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers, int64_t mint,
                                               int64_t maxt) override {
    std::set<std::string> all;
    for (auto& q : queriers_) {
      ASSIGN_OR_RETURN(auto values, q->LabelValues(name, matchers, mint, maxt));
      all.insert(values.begin(), values.end());
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

  std::vector<FamilyMetadata> Metadata(std::string_view family) override {
    std::map<std::string, MetricMetadata> all;
    for (auto& q : queriers_) {
      for (FamilyMetadata& f : q->Metadata(family)) all.emplace(std::move(f.family), f.metadata);
    }
    std::vector<FamilyMetadata> out;
    out.reserve(all.size());
    for (auto& [f, md] : all) out.push_back({f, md});
    return out;
  }

 private:
  std::vector<std::unique_ptr<Querier>> queriers_;
  std::unique_ptr<Limit> limit_;
};

}  // namespace

std::unique_ptr<Querier> NewMergeQuerier(std::vector<std::unique_ptr<Querier>> queriers,
                                         const QueryLimits& limits) {
  if (queriers.size() == 1) return std::move(queriers.front());
  return std::make_unique<MergeQuerier>(std::move(queriers), limits);
}

std::unique_ptr<SeriesSet> NewMergeSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets,
                                             const QueryLimits& limits) {
  auto limit = std::make_unique<Limit>();
  limit->limits = limits;
  return std::make_unique<MergeSeriesSet>(std::move(sets), nullptr, std::move(limit));
}

std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> its) {
  return std::make_unique<MergeSampleIterator>(std::move(its), nullptr);
}

}  // namespace astrolabe::storage
