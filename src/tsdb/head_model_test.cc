// A randomized model-based test of the head: random batches of appends (in order, out of
// order, repeats, conflicting duplicates; by labels and by ref; committed or rolled back) and
// random queries (matchers of every type, time ranges, label names/values, Seek), each checked
// against a plain std::map reference that applies the documented rules one sample at a time.
// Seeded and reproducible: ASTROLABE_MODEL_SEED=<n> reruns one seed.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "tsdb/head.h"

namespace astrolabe::tsdb {
namespace {

using storage::Labels;
using storage::Matcher;
using storage::MatchType;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

struct ModelSeries {
  Labels labels;
  std::map<int64_t, double> samples;
};

class Model {
 public:
  explicit Model(int64_t window) : window_(window) {}

  // Applies the head's rules to one sample; returns whether it is (or already was) stored.
  // `changed` tells whether it added data.
  bool Apply(const Labels& l, int64_t t, double v) {
    ModelSeries& s = series_[l.ToString()];
    s.labels = l;
    auto& m = s.samples;
    if (m.empty() || t > m.rbegin()->first) return Insert(m, t, v);
    auto it = m.find(t);
    if (t == m.rbegin()->first) return Bits(it->second) == Bits(v);
    if (window_ <= 0) return false;
    if (head_max_ != storage::kMinTime && head_max_ - t > window_) return false;
    if (it != m.end()) return Bits(it->second) == Bits(v);
    return Insert(m, t, v);
  }

  std::map<std::string, ModelSeries>& series() { return series_; }

 private:
  bool Insert(std::map<int64_t, double>& m, int64_t t, double v) {
    m[t] = v;
    head_max_ = std::max(head_max_, t);
    return true;
  }
  int64_t window_;
  int64_t head_max_ = storage::kMinTime;
  std::map<std::string, ModelSeries> series_;
};

bool MatchesAll(const Labels& l, const std::vector<Matcher>& ms) {
  for (const Matcher& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

class ModelTest : public ::testing::TestWithParam<int> {};

void RunSeed(uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with ASTROLABE_MODEL_SEED=" + std::to_string(seed) + ")");
  std::mt19937_64 rng(seed);
  auto rnd = [&](uint64_t n) { return rng() % n; };
  const int64_t window = (seed % 2 == 0) ? 0 : 50;
  HeadOptions opts;
  opts.out_of_order_window_ms = window;
  opts.samples_per_chunk = 4 + static_cast<uint32_t>(rnd(12));  // small: many chunk cuts
  opts.chunk_range_ms = 200 + static_cast<int64_t>(rnd(400));
  Head head(opts);
  Model model(window);

  const std::vector<std::string> names = {"a", "b", "c_total"};
  const std::vector<std::string> k1 = {"x", "y", "z", ""};
  const std::vector<std::string> k2 = {"p", "q", ""};
  std::vector<Labels> universe;
  for (auto& n : names)
    for (auto& v1 : k1)
      for (auto& v2 : k2)
        universe.push_back(Labels::FromPairs({{"__name__", n}, {"k1", v1}, {"k2", v2}}));
  std::map<std::string, storage::SeriesRef> refs;
  std::map<std::string, int64_t> cursor;

  auto random_value = [&](const Labels& l) -> double {
    switch (rnd(10)) {
      case 0:
        return std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // stale marker
      case 1:
        return -0.0;
      case 2:
      case 3:
      case 4:
        return static_cast<double>(rnd(1000));
      case 5: {
        auto& m = model.series()[l.ToString()].samples;
        return m.empty() ? 1.0 : m.rbegin()->second;
      }
      default:
        return static_cast<double>(rnd(100000)) / 7.0;
    }
  };

  auto random_matcher = [&]() -> Matcher {
    const std::vector<std::string> labels = {"__name__", "k1", "k2", "nope"};
    const std::vector<std::string> values = {"a", "b", "c_total", "x", "y",
                                             "z", "p", "q",       "",  "nope"};
    const std::vector<std::string> regexes = {"a|b",  ".*",    ".+",  "x|", "c.*", ".*_total",
                                              "[ab]", "(?i)X", "y|z", "",   "p"};
    std::string name = labels[rnd(labels.size())];
    switch (rnd(4)) {
      case 0:
        return Matcher::MustMake(MatchType::kEqual, name, values[rnd(values.size())]);
      case 1:
        return Matcher::MustMake(MatchType::kNotEqual, name, values[rnd(values.size())]);
      case 2:
        return Matcher::MustMake(MatchType::kRegexMatch, name, regexes[rnd(regexes.size())]);
      default:
        return Matcher::MustMake(MatchType::kRegexNoMatch, name, regexes[rnd(regexes.size())]);
    }
  };

  for (int batch = 0; batch < 150; ++batch) {
    auto app = head.NewAppender();
    struct Op {
      Labels l;
      int64_t t;
      double v;
      bool head_ok;
    };
    std::vector<Op> ops;
    int n = 1 + static_cast<int>(rnd(25));
    for (int i = 0; i < n; ++i) {
      const Labels& l = universe[rnd(universe.size())];
      std::string key = l.ToString();
      int64_t& cur = cursor[key];
      int64_t t;
      uint64_t kind = rnd(20);
      auto& existing = model.series()[key].samples;
      if (kind < 3 && !existing.empty()) {
        // Repeat an existing timestamp (same or different value).
        auto it = existing.begin();
        std::advance(it, static_cast<long>(rnd(existing.size())));
        t = it->first;
      } else if (kind < 6) {
        t = cur - static_cast<int64_t>(rnd(120));  // out of order (maybe beyond the window)
      } else {
        t = cur + 1 + static_cast<int64_t>(rnd(30));
      }
      cur = std::max(cur, t);
      double v = (kind < 2 && existing.count(t)) ? existing[t] : random_value(l);
      bool ok;
      auto r = refs.find(key);
      if (r != refs.end() && rnd(2) == 0) {
        ok = app->AppendByRef(r->second, t, v).ok();
      } else {
        auto res = app->Append(l, t, v);
        ok = res.ok();
        if (ok) refs[key] = *res;
      }
      ops.push_back({l, t, v, ok});
    }
    if (rnd(10) == 0) {
      app->Rollback();
    } else {
      ASSERT_TRUE(app->Commit().ok());
      for (const Op& op : ops) {
        bool model_ok = model.Apply(op.l, op.t, op.v);
        // A sample the head refused at Append must be one the rules refuse.
        if (!op.head_ok) {
          ASSERT_FALSE(model_ok) << "head refused " << op.l.ToString() << " t=" << op.t
                                 << " v=" << op.v << " at batch " << batch;
        }
      }
    }

    // Queries.
    for (int qn = 0; qn < 3; ++qn) {
      std::vector<Matcher> ms;
      int nm = static_cast<int>(rnd(4));
      for (int i = 0; i < nm; ++i) ms.push_back(random_matcher());
      int64_t mint = storage::kMinTime, maxt = storage::kMaxTime;
      if (rnd(2) == 0) {
        mint = static_cast<int64_t>(rnd(600)) - 50;
        maxt = mint + static_cast<int64_t>(rnd(400));
      }
      std::string what;
      for (auto& m : ms) what += m.ToString() + " ";
      what += "[" + std::to_string(mint) + "," + std::to_string(maxt) + "] batch " +
              std::to_string(batch);

      // Expected from the model.
      std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> want;
      std::set<std::string> want_names;
      std::set<std::string> want_k1;
      for (auto& [key, s] : model.series()) {
        if (!MatchesAll(s.labels, ms)) continue;
        std::vector<std::pair<int64_t, uint64_t>> in;
        for (auto it = s.samples.lower_bound(mint); it != s.samples.end() && it->first <= maxt;
             ++it) {
          in.emplace_back(it->first, Bits(it->second));
        }
        if (in.empty()) continue;
        want[key] = in;
        for (storage::Label l : s.labels) want_names.emplace(l.name);
        if (s.labels.Has("k1")) want_k1.emplace(s.labels.Get("k1"));
      }

      auto q = head.NewQuerier();
      auto set = q->Select(ms, mint, maxt);
      ASSERT_TRUE(set.ok()) << set.status().ToString();
      std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> got;
      Labels prev;
      bool first = true;
      while ((*set)->Next()) {
        const auto& series = (*set)->At();
        std::string key = series.labels().ToString();
        if (!first) {
          ASSERT_LT(Labels::Compare(prev, series.labels()), 0) << "not in label order: " << what;
        }
        prev = series.labels();
        first = false;
        auto it = series.Iterator();
        auto& v = got[key];
        while (it->Next()) v.emplace_back(it->At().t, Bits(it->At().v));
        ASSERT_TRUE(it->Err().ok());
        // Seek to a random time and compare with the model.
        auto it2 = series.Iterator();
        int64_t target =
            want.count(key) && !want[key].empty()
                ? want[key][rnd(want[key].size())].first + static_cast<int64_t>(rnd(3)) - 1
                : 0;
        bool found = it2->Seek(target);
        auto& wv = want[key];
        auto wit = std::lower_bound(wv.begin(), wv.end(), std::make_pair(target, uint64_t{0}),
                                    [](const auto& a, const auto& b) { return a.first < b.first; });
        ASSERT_EQ(found, wit != wv.end()) << what << " seek " << target << " in " << key;
        if (found) {
          ASSERT_EQ(it2->At().t, wit->first) << what;
        }
      }
      ASSERT_EQ(got, want) << what;

      auto names_got = q->LabelNames(ms, mint, maxt);
      ASSERT_TRUE(names_got.ok());
      ASSERT_EQ(*names_got, std::vector<std::string>(want_names.begin(), want_names.end())) << what;
      auto k1_got = q->LabelValues("k1", ms, mint, maxt);
      ASSERT_TRUE(k1_got.ok());
      ASSERT_EQ(*k1_got, std::vector<std::string>(want_k1.begin(), want_k1.end())) << what;
    }
  }
}

TEST_P(ModelTest, RandomAppendsAndQueriesMatchTheModel) {
  if (const char* s = std::getenv("ASTROLABE_MODEL_SEED")) {
    RunSeed(std::strtoull(s, nullptr, 10));
    return;
  }
  RunSeed(static_cast<uint64_t>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Range(1, 13));

}  // namespace
}  // namespace astrolabe::tsdb
