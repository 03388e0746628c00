#include "storage/merge.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace astrolabe::storage {
namespace {

// A querier over a fixed map of series (labels → samples), ignoring matchers.
class FixedQuerier final : public Querier {
 public:
  struct S final : Series {
    Labels l;
    std::vector<Sample> samples;
    const Labels& labels() const override { return l; }
    std::unique_ptr<SampleIterator> Iterator() const override {
      return NewListSampleIterator(samples);
    }
  };
  struct Set final : SeriesSet {
    std::vector<S> all;
    size_t pos = 0;
    bool started = false;
    bool Next() override {
      if (started) ++pos;
      started = true;
      return pos < all.size();
    }
    const Series& At() const override { return all[pos]; }
    Status Err() const override { return Status::Ok(); }
  };
  explicit FixedQuerier(std::map<std::string, std::vector<Sample>> data,
                        std::vector<FamilyMetadata> md = {})
      : data_(std::move(data)), md_(std::move(md)) {}
  Result<std::unique_ptr<SeriesSet>> Select(std::span<const Matcher>, int64_t, int64_t,
                                            const SelectHints& hints) override {
    EXPECT_TRUE(hints.sort_series);
    auto set = std::make_unique<Set>();
    for (auto& [name, samples] : data_) {
      S s;
      s.l = Labels::FromPairs({{"__name__", name}});
      s.samples = samples;
      set->all.push_back(std::move(s));
    }
    return std::unique_ptr<SeriesSet>(std::move(set));
  }
  Result<std::vector<std::string>> LabelNames(std::span<const Matcher>, int64_t, int64_t) override {
    return std::vector<std::string>{"__name__", data_.begin()->first};
  }
  Result<std::vector<std::string>> LabelValues(std::string_view, std::span<const Matcher>, int64_t,
                                               int64_t) override {
    std::vector<std::string> out;
    for (auto& [n, s] : data_) out.push_back(n);
    return out;
  }
  std::vector<FamilyMetadata> Metadata(std::string_view) override { return md_; }

 private:
  std::map<std::string, std::vector<Sample>> data_;
  std::vector<FamilyMetadata> md_;
};

TEST(MergeQuerierTest, MergesSeriesDedupsSamplesFirstWins) {
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<FixedQuerier>(
      std::map<std::string, std::vector<Sample>>{{"a", {{1, 1}, {3, 3}}}, {"c", {{5, 5}}}},
      std::vector<FamilyMetadata>{{"a", {MetricType::kCounter, "", "first"}}}));
  qs.push_back(std::make_unique<FixedQuerier>(
      std::map<std::string, std::vector<Sample>>{{"a", {{2, 2}, {3, 30}, {4, 4}}}, {"b", {{1, 1}}}},
      std::vector<FamilyMetadata>{{"a", {MetricType::kGauge, "", "second"}},
                                  {"b", {MetricType::kGauge, "", "b"}}}));
  auto q = NewMergeQuerier(std::move(qs));
  auto set = q->Select({}, kMinTime, kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = Materialize(**set);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].labels.MetricName(), "a");
  ASSERT_EQ((*all)[0].samples.size(), 4u);
  EXPECT_EQ((*all)[0].samples[2].t, 3);
  EXPECT_EQ((*all)[0].samples[2].v, 3) << "on equal timestamps the first querier wins";
  EXPECT_EQ((*all)[1].labels.MetricName(), "b");
  EXPECT_EQ((*all)[2].labels.MetricName(), "c");
  auto values = q->LabelValues("__name__", {}, 0, 1);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"a", "b", "c"}));
  auto md = q->Metadata("");
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].metadata.help, "first");

  // Seek across sources, and limits.
  set = q->Select({}, kMinTime, kMaxTime);
  ASSERT_TRUE(set.ok() && (*set)->Next());
  auto it = (*set)->At().Iterator();
  ASSERT_TRUE(it->Seek(3));
  EXPECT_EQ(it->At().v, 3);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 4);
  EXPECT_FALSE(it->Next());
}

TEST(MergeQuerierTest, Limits) {
  auto make = [] {
    std::vector<std::unique_ptr<Querier>> qs;
    qs.push_back(std::make_unique<FixedQuerier>(
        std::map<std::string, std::vector<Sample>>{{"a", {{1, 1}, {2, 2}}}, {"b", {{1, 1}}}}));
    qs.push_back(std::make_unique<FixedQuerier>(
        std::map<std::string, std::vector<Sample>>{{"a", {{1, 1}, {3, 3}}}, {"c", {{1, 1}}}}));
    return qs;
  };
  auto q = NewMergeQuerier(make(), {.max_series = 2});
  auto set = q->Select({}, kMinTime, kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = Materialize(**set);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kResourceExhausted);
  q = NewMergeQuerier(make(), {.max_samples = 4});
  set = q->Select({}, kMinTime, kMaxTime);
  all = Materialize(**set);
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("max_samples"), std::string::npos);
}

// A series in disjoint blocks (the case Next() serves without scanning every sub-iterator)
// still counts every sample against max_samples: the limit fails at sample 71, not later.
TEST(MergeQuerierTest, SampleLimitCountsEverySampleOfDisjointParts) {
  auto make = [] {
    std::vector<Sample> early, late, head;
    for (int64_t t = 0; t < 50; ++t) early.push_back({t, 1});
    for (int64_t t = 50; t < 100; ++t) late.push_back({t, 2});
    for (int64_t t = 100; t < 110; ++t) head.push_back({t, 3});
    std::vector<std::unique_ptr<Querier>> qs;
    qs.push_back(
        std::make_unique<FixedQuerier>(std::map<std::string, std::vector<Sample>>{{"a", early}}));
    qs.push_back(
        std::make_unique<FixedQuerier>(std::map<std::string, std::vector<Sample>>{{"a", late}}));
    qs.push_back(
        std::make_unique<FixedQuerier>(std::map<std::string, std::vector<Sample>>{{"a", head}}));
    return qs;
  };
  auto q = NewMergeQuerier(make(), {.max_samples = 110});
  auto set = q->Select({}, kMinTime, kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = Materialize(**set);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  ASSERT_EQ((*all)[0].samples.size(), 110u);
  for (size_t i = 0; i < 110; ++i) {
    EXPECT_EQ((*all)[0].samples[i].t, static_cast<int64_t>(i));
    EXPECT_EQ((*all)[0].samples[i].v, i < 50 ? 1 : i < 100 ? 2 : 3);
  }
  q = NewMergeQuerier(make(), {.max_samples = 70});
  set = q->Select({}, kMinTime, kMaxTime);
  ASSERT_TRUE(set.ok());
  auto it = (*set)->Next() ? (*set)->At().Iterator() : nullptr;
  ASSERT_NE(it, nullptr);
  int read = 0;
  while (it->Next()) ++read;
  EXPECT_EQ(read, 70);
  EXPECT_EQ(it->Err().code(), StatusCode::kResourceExhausted);
}

// The union by timestamp, earlier iterator winning, over random overlapping and disjoint
// inputs; Next() and Seek() interleaved as the query engine and the tsdb use them.
TEST(MergeSampleIteratorTest, RandomUnionsFirstWins) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + rng() % 5;
    std::vector<std::vector<Sample>> lists(n);
    std::map<int64_t, double> want;
    for (size_t i = 0; i < n; ++i) {
      // Disjoint time ranges (blocks) or interleaved ones (overlapping data).
      const int64_t base = rng() % 2 == 0 ? static_cast<int64_t>(i) * 1000 : 0;
      int64_t t = base + static_cast<int64_t>(rng() % 20);
      for (size_t k = rng() % 30; k > 0; --k) {
        lists[i].push_back({t, static_cast<double>(i * 1000 + k)});
        want.emplace(t, static_cast<double>(i * 1000 + k));  // the first list's value stays
        t += 1 + static_cast<int64_t>(rng() % 40);
      }
    }
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (const auto& l : lists) its.push_back(NewListSampleIterator(l));
    auto it = NewMergeSampleIterator(std::move(its));
    auto pos = want.end();  // the sample the iterator should be on
    bool started = false;
    while (true) {
      bool ok = false;
      if (rng() % 4 == 0) {
        const int64_t target = (started && pos != want.end() ? pos->first : 0) +
                               static_cast<int64_t>(rng() % 60) - 10;
        ok = it->Seek(target);
        if (!started || pos->first < target) pos = want.lower_bound(target);
      } else {
        ok = it->Next();
        pos = started ? std::next(pos) : want.begin();
      }
      started = true;
      if (pos == want.end()) {
        EXPECT_FALSE(ok) << "round " << round;
        break;
      }
      ASSERT_TRUE(ok) << "round " << round;
      ASSERT_EQ(it->At().t, pos->first) << "round " << round;
      ASSERT_EQ(it->At().v, pos->second) << "round " << round;
    }
    EXPECT_TRUE(it->Err().ok());
  }
}

}  // namespace
}  // namespace astrolabe::storage
