// The head's read path: matcher → postings, HeadQuerier, series sets and sample iterators.
#include <algorithm>
#include <optional>
#include <set>

#include "tsdb/head.h"
#include "tsdb/mem_series.h"
#include "tsdb/snapshot_series.h"

namespace astrolabe::tsdb {

using storage::Labels;
using storage::Matcher;
using storage::MatchType;
using storage::Sample;

Result<Postings> Head::PostingsForMatchers(std::span<const Matcher> matchers) const {
  Postings result;
  bool have = false;
  std::vector<Postings> subtract;
  auto lookup_all = [&](uint32_t name, const std::vector<std::string>& values) {
    std::vector<Postings> lists;
    for (const std::string& v : values) {
      if (auto sym = symbols_.Find(v)) lists.push_back(postings_.Get(name, *sym));
    }
    return Union(std::move(lists));
  };
  for (const Matcher& m : matchers) {
    std::optional<uint32_t> name = symbols_.Find(m.name());
    const std::vector<std::string>* lit = m.LiteralSet();
    bool negative = m.type() == MatchType::kNotEqual || m.type() == MatchType::kRegexNoMatch;
    if (m.MatchesEmpty()) {
      // Series without the label match; drop those whose value does not.
      if (!name) continue;
      if (lit != nullptr && negative) {
        subtract.push_back(lookup_all(*name, *lit));
      } else {
        subtract.push_back(postings_.UnionWhere(
            *name, [&](uint32_t v) { return !m.Matches(symbols_.Lookup(v)); }));
      }
      continue;
    }
    // Only series carrying a matching value qualify.
    if (!name) return Postings{};
    Postings p = lit != nullptr && !negative ? lookup_all(*name, *lit)
                                             : postings_.UnionWhere(*name, [&](uint32_t v) {
                                                 return m.Matches(symbols_.Lookup(v));
                                               });
    result = have ? Intersect(result, p) : std::move(p);
    have = true;
    if (result.empty()) return result;
  }
  if (!have) result = postings_.All();
  for (const Postings& s : subtract) result = Difference(result, s);
  return result;
}

bool SnapshotHasData(const SeriesSnapshot& snap, int64_t mint, int64_t maxt) {
  if (!snap.ooo.empty()) return true;
  for (const ChunkView& c : snap.chunks) {
    if (c.min_t >= mint || c.max_t <= maxt) return true;
    ChunkIterator it(c.data, c.size, c.min_t);
    if (it.Seek(mint) && it.t() <= maxt) return true;
  }
  return false;
}

namespace {

class HeadSampleIterator final : public storage::SampleIterator {
 public:
  HeadSampleIterator(const SeriesSnapshot* snap, int64_t mint, int64_t maxt, QueryState* state)
      : snap_(snap), mint_(mint), maxt_(maxt), state_(state) {}

  bool Next() override {
    if (!err_.ok()) return false;
    if (!started_) {
      started_ = true;
      SeekSources(mint_);
    } else if (valid_) {
      if (a_valid_ && cit_.t() == cur_.t) AdvanceA();
      if (oi_ < snap_->ooo.size() && snap_->ooo[oi_].t == cur_.t) ++oi_;
    }
    return Pick();
  }

  bool Seek(int64_t t) override {
    if (!err_.ok()) return false;
    if (started_ && valid_ && cur_.t >= t) return true;
    if (started_ && !valid_) return false;
    started_ = true;
    SeekSources(std::max(t, mint_));
    return Pick();
  }

  Sample At() const override { return cur_; }
  Status Err() const override { return err_; }

 private:
  void SeekSources(int64_t t) {
    SeekA(t);
    auto& o = snap_->ooo;
    oi_ = static_cast<size_t>(std::lower_bound(o.begin() + static_cast<std::ptrdiff_t>(oi_),
                                               o.end(), t,
                                               [](const Sample& s, int64_t x) { return s.t < x; }) -
                              o.begin());
  }

  // Positions the in-order cursor at the first sample >= t.
  void SeekA(int64_t t) {
    if (a_valid_ && cit_.t() >= t) return;
    const auto& chunks = snap_->chunks;
    while (ci_ < chunks.size()) {
      if (!a_open_) {
        if (chunks[ci_].max_t < t) {
          ++ci_;
          continue;
        }
        cit_.Reset(chunks[ci_].data, chunks[ci_].size, chunks[ci_].min_t);
        a_open_ = true;
      }
      if (cit_.Seek(t)) {
        a_valid_ = true;
        return;
      }
      if (CheckCorrupt()) return;
      ++ci_;
      a_open_ = false;
    }
    a_valid_ = false;
  }

  void AdvanceA() {
    const auto& chunks = snap_->chunks;
    while (ci_ < chunks.size()) {
      if (!a_open_) {
        cit_.Reset(chunks[ci_].data, chunks[ci_].size, chunks[ci_].min_t);
        a_open_ = true;
      }
      if (cit_.Next()) {
        a_valid_ = true;
        return;
      }
      if (CheckCorrupt()) return;
      ++ci_;
      a_open_ = false;
    }
    a_valid_ = false;
  }

  bool CheckCorrupt() {
    if (!cit_.error()) return false;
    a_valid_ = false;
    err_ =
        DataLoss("corrupt chunk " + std::to_string(ci_) + " of series " + snap_->labels.ToString());
    return true;
  }

  bool Pick() {
    valid_ = false;
    if (!err_.ok()) return false;
    bool b_valid = oi_ < snap_->ooo.size();
    if (a_valid_ && (!b_valid || cit_.t() <= snap_->ooo[oi_].t)) {
      cur_ = Sample{cit_.t(), cit_.v()};
    } else if (b_valid) {
      cur_ = snap_->ooo[oi_];
    } else {
      return false;
    }
    if (cur_.t > maxt_) return false;
    size_t limit = state_->limits.max_samples;
    if (limit != 0 && ++state_->samples > limit) {
      err_ = ResourceExhausted("sample limit: the query would read more than " +
                               std::to_string(limit) + " samples (max_samples)");
      return false;
    }
    valid_ = true;
    return true;
  }

  const SeriesSnapshot* snap_;
  const int64_t mint_, maxt_;
  QueryState* state_;
  size_t ci_ = 0;
  ChunkIterator cit_;
  bool a_open_ = false;
  bool a_valid_ = false;
  size_t oi_ = 0;
  Sample cur_;
  bool started_ = false;
  bool valid_ = false;
  Status err_;
};

class HeadSeries final : public storage::Series {
 public:
  HeadSeries(SeriesSnapshot snap, int64_t mint, int64_t maxt, std::shared_ptr<QueryState> state)
      : snap_(std::move(snap)), mint_(mint), maxt_(maxt), state_(std::move(state)) {}
  const Labels& labels() const override { return snap_.labels; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<HeadSampleIterator>(&snap_, mint_, maxt_, state_.get());
  }

 private:
  SeriesSnapshot snap_;  // moved in: the head chunk view keeps pointing at snap_.head_chunk
  int64_t mint_, maxt_;
  std::shared_ptr<QueryState> state_;
};

class HeadSeriesSet final : public storage::SeriesSet {
 public:
  explicit HeadSeriesSet(std::vector<std::unique_ptr<storage::Series>> series)
      : series_(std::move(series)) {}
  bool Next() override {
    if (pos_ < series_.size() && started_) ++pos_;
    started_ = true;
    return pos_ < series_.size();
  }
  const storage::Series& At() const override { return *series_[pos_]; }
  Status Err() const override { return Status::Ok(); }

 private:
  std::vector<std::unique_ptr<storage::Series>> series_;
  size_t pos_ = 0;
  bool started_ = false;
};

}  // namespace

std::unique_ptr<storage::Series> NewSnapshotSeries(SeriesSnapshot snap, int64_t mint, int64_t maxt,
                                                   std::shared_ptr<QueryState> state) {
  return std::make_unique<HeadSeries>(std::move(snap), mint, maxt, std::move(state));
}

std::unique_ptr<storage::SeriesSet> NewListSeriesSet(
    std::vector<std::unique_ptr<storage::Series>> series) {
  return std::make_unique<HeadSeriesSet>(std::move(series));
}

class HeadQuerier final : public storage::Querier {
 public:
  HeadQuerier(const Head* head, const storage::QueryLimits& limits)
      : head_(head), epoch_(head->Pin()), state_(std::make_shared<QueryState>()) {
    state_->limits = limits;
  }
  // Chunks truncated while this querier lives stay allocated until here.
  ~HeadQuerier() override { head_->Unpin(epoch_); }

  Result<std::unique_ptr<storage::SeriesSet>> Select(std::span<const Matcher> matchers,
                                                     int64_t mint, int64_t maxt,
                                                     const storage::SelectHints& hints) override {
    std::vector<std::unique_ptr<storage::Series>> out;
    if (mint <= maxt) {
      ASSIGN_OR_RETURN(Postings refs, head_->PostingsForMatchers(matchers));
      size_t limit = state_->limits.max_series;
      for (uint64_t ref : refs) {
        SeriesSnapshot snap;
        if (!head_->Snapshot(ref, mint, maxt, &snap)) continue;
        if (!SnapshotHasData(snap, mint, maxt)) continue;
        if (limit != 0 && out.size() >= limit) {
          return ResourceExhausted("series limit: the query selects more than " +
                                   std::to_string(limit) + " series (max_series)");
        }
        out.push_back(std::make_unique<HeadSeries>(std::move(snap), mint, maxt, state_));
      }
      if (hints.sort_series) {
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a->labels() < b->labels(); });
      }
    }
    return std::unique_ptr<storage::SeriesSet>(std::make_unique<HeadSeriesSet>(std::move(out)));
  }

  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers, int64_t mint,
                                              int64_t maxt) override {
    std::set<std::string, std::less<>> names;
    if (mint > maxt) return std::vector<std::string>{};
    if (matchers.empty()) {
      for (uint32_t name : head_->postings_.Names()) {
        Postings refs = head_->postings_.UnionWhere(name, [](uint32_t) { return true; });
        if (AnyHasData(refs, mint, maxt)) names.emplace(head_->symbols_.Lookup(name));
      }
    } else {
      ASSIGN_OR_RETURN(Postings refs, head_->PostingsForMatchers(matchers));
      for (uint64_t ref : refs) {
        if (!head_->HasSampleIn(ref, mint, maxt)) continue;
        for (storage::Label l : head_->LabelsOf(ref)) {
          if (names.find(l.name) == names.end()) names.emplace(l.name);
        }
      }
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers, int64_t mint,
                                               int64_t maxt) override {
    std::set<std::string, std::less<>> values;
    std::optional<uint32_t> name_sym = head_->symbols_.Find(name);
    if (!name_sym || mint > maxt) return std::vector<std::string>{};
    if (matchers.empty()) {
      for (uint32_t value : head_->postings_.Values(*name_sym)) {
        if (AnyHasData(head_->postings_.Get(*name_sym, value), mint, maxt)) {
          values.emplace(head_->symbols_.Lookup(value));
        }
      }
    } else {
      ASSIGN_OR_RETURN(Postings refs, head_->PostingsForMatchers(matchers));
      for (uint64_t ref : refs) {
        if (!head_->HasSampleIn(ref, mint, maxt)) continue;
        Labels labels = head_->LabelsOf(ref);
        std::string_view v = labels.Get(name);
        if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
      }
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  std::vector<storage::FamilyMetadata> Metadata(std::string_view family) override {
    std::vector<storage::FamilyMetadata> out;
    std::lock_guard lock(head_->meta_mu_);
    if (!family.empty()) {
      auto it = head_->metadata_.find(family);
      if (it != head_->metadata_.end()) out.push_back({it->first, it->second});
      return out;
    }
    for (const auto& [f, md] : head_->metadata_) out.push_back({f, md});
    return out;
  }

 private:
  bool AnyHasData(const Postings& refs, int64_t mint, int64_t maxt) const {
    for (uint64_t ref : refs) {
      if (head_->HasSampleIn(ref, mint, maxt)) return true;
    }
    return false;
  }

  const Head* head_;
  const uint64_t epoch_;
  std::shared_ptr<QueryState> state_;
};

std::unique_ptr<storage::Querier> Head::NewQuerier(const storage::QueryLimits& limits) {
  return std::make_unique<HeadQuerier>(this, limits);
}

}  // namespace astrolabe::tsdb
