#include "pdata/batch.h"

#include <gtest/gtest.h>

#include <thread>

// Tests build data with designated initializers that name only the fields they care
// about; g++ 12 warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/recycler.h"
#include "pdata/traces.h"

namespace astrolabe::pdata {
namespace {

Metrics OneGauge(double v) {
  Metric m{.name = "g"};
  m.data = Gauge{{NumberDataPoint{.value = v}}};
  ResourceMetrics rm;
  rm.scope_metrics.push_back(ScopeMetrics{.metrics = {m}});
  return Metrics({rm});
}

double& Value(Metrics& md) {
  return std::get<double>(std::get<Gauge>(md.resource_metrics[0].scope_metrics[0].metrics[0].data)
                              .data_points[0]
                              .value);
}

TEST(BatchTest, CopiesShareData) {
  MetricsBatch a(OneGauge(1));
  EXPECT_FALSE(a.shared());
  MetricsBatch b = a;
  EXPECT_TRUE(a.shared());
  EXPECT_TRUE(b.shared());
  EXPECT_EQ(&a.get(), &b.get());
  EXPECT_EQ(a->DataPointCount(), 1u);
}

TEST(BatchTest, MutableOnSharedClonesAndLeavesOtherUnchanged) {
  MetricsBatch a(OneGauge(1));
  MetricsBatch b = a;
  const Metrics* before = &a.get();
  Value(b.Mutable()) = 2;
  EXPECT_NE(&b.get(), before);  // b cloned
  EXPECT_EQ(&a.get(), before);  // a kept the original
  EXPECT_FALSE(a.shared());
  EXPECT_FALSE(b.shared());
  EXPECT_EQ(Value(const_cast<Metrics&>(a.get())), 1);
  EXPECT_EQ(Value(const_cast<Metrics&>(b.get())), 2);
}

TEST(BatchTest, ClientMetadataTravelsWithCopiesAndMutable) {
  auto md = std::make_shared<ClientMetadata>();
  md->Add("X-Tenant", "a");
  md->Add("x-tenant", "b");
  MetricsBatch a(OneGauge(1));
  EXPECT_EQ(a.client_metadata(), nullptr);
  a.set_client_metadata(md);
  MetricsBatch b = a;
  Value(b.Mutable()) = 2;  // clones the data, keeps the metadata
  ASSERT_NE(b.client_metadata(), nullptr);
  EXPECT_EQ(b.client_metadata()->Get("X-TENANT"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(b.client_metadata()->Get("other").empty());
}

TEST(BatchTest, SoleOwnerMutatesInPlace) {
  MetricsBatch a(OneGauge(1));
  const Metrics* before = &a.get();
  Value(a.Mutable()) = 3;
  EXPECT_EQ(&a.get(), before);
  EXPECT_EQ(Value(const_cast<Metrics&>(a.get())), 3);
}

TEST(BatchTest, SharedThenReleasedMutatesInPlace) {
  MetricsBatch a(OneGauge(1));
  const Metrics* before = &a.get();
  {
    MetricsBatch b = a;
    EXPECT_TRUE(a.shared());
  }
  Value(a.Mutable()) = 4;
  EXPECT_EQ(&a.get(), before);
}

TEST(BatchTest, WorksForEverySignal) {
  TracesBatch t;
  t.Mutable().resource_spans.emplace_back();
  TracesBatch t2 = t;
  t2.Mutable().resource_spans[0].scope_spans.emplace_back();
  EXPECT_TRUE(t->resource_spans[0].scope_spans.empty());
  EXPECT_EQ(t2->resource_spans[0].scope_spans.size(), 1u);

  LogsBatch l;
  LogsBatch l2 = l;
  l2.Mutable().resource_logs.emplace_back();
  EXPECT_TRUE(l->empty());
  EXPECT_FALSE(l2->empty());
}

TEST(RecyclerTest, DataComesBackWhenTheLastHolderLetsGo) {
  Recycler<Metrics> recycler(2);
  std::unique_ptr<Metrics> md = recycler.Take();
  EXPECT_TRUE(md->empty());  // nothing returned yet: a new one
  *md = OneGauge(1);
  const Metrics* address = md.get();
  {
    MetricsBatch a = recycler.Wrap(std::move(md));
    MetricsBatch b = a;
    EXPECT_EQ(recycler.pooled(), 0u);
    a = MetricsBatch();
    EXPECT_EQ(recycler.pooled(), 0u);  // b still holds it
    EXPECT_EQ(b->DataPointCount(), 1u);
  }
  EXPECT_EQ(recycler.pooled(), 1u);
  std::unique_ptr<Metrics> again = recycler.Take();
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->DataPointCount(), 1u);  // as the pipeline left it
  EXPECT_EQ(recycler.pooled(), 0u);
}

TEST(RecyclerTest, SoleHolderStillMutatesInPlace) {
  Recycler<Metrics> recycler(1);
  std::unique_ptr<Metrics> md = recycler.Take();
  *md = OneGauge(1);
  const Metrics* address = md.get();
  MetricsBatch a = recycler.Wrap(std::move(md));
  EXPECT_FALSE(a.shared());
  Value(a.Mutable()) = 2;
  EXPECT_EQ(&a.get(), address);  // no clone
  MetricsBatch b = a;
  Value(b.Mutable()) = 3;  // shared: b clones, the recycled data stays with a
  EXPECT_NE(&b.get(), address);
  b = MetricsBatch();
  EXPECT_EQ(recycler.pooled(), 0u);  // the clone is not the recycler's
  a = MetricsBatch();
  EXPECT_EQ(recycler.pooled(), 1u);
}

TEST(RecyclerTest, KeepsAtMostCapacityAndNothingAfterItIsGone) {
  std::vector<MetricsBatch> batches;
  {
    Recycler<Metrics> recycler(2);
    for (int i = 0; i < 4; ++i) batches.push_back(recycler.Wrap(recycler.Take()));
    batches.resize(1);
    EXPECT_EQ(recycler.pooled(), 2u);  // two of three kept, one deleted
    recycler.Return(std::make_unique<Metrics>());
    EXPECT_EQ(recycler.pooled(), 2u);
  }
  batches.clear();  // comes back after the recycler is gone: deleted (ASan checks the rest)
}

// An aliasing shared_ptr to a part of a recycled object (the otlp receiver shares an entry's
// Traces) brings the whole object back.
TEST(RecyclerTest, SharedPartBringsTheWholeBack) {
  struct Entry {
    Traces traces;
    int uses = 0;
  };
  Recycler<Entry> recycler(1);
  std::unique_ptr<Entry> e = recycler.Take();
  e->uses = 7;
  const Entry* address = e.get();
  std::shared_ptr<Entry> owner = recycler.Share(std::move(e));
  TracesBatch batch(std::shared_ptr<Traces>(owner, &owner->traces));
  owner.reset();
  EXPECT_EQ(recycler.pooled(), 0u);  // the batch still holds it
  batch = TracesBatch();
  ASSERT_EQ(recycler.pooled(), 1u);
  std::unique_ptr<Entry> again = recycler.Take();
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->uses, 7);
}

TEST(RecyclerTest, ReturnsFromOtherThreads) {
  Recycler<Metrics> recycler(4);
  for (int round = 0; round < 100; ++round) {
    // All four taken before any thread starts: a thread done early would otherwise hand its
    // data back for the next Take(), and fewer than four would exist.
    std::vector<MetricsBatch> batches;
    for (int t = 0; t < 4; ++t) {
      std::unique_ptr<Metrics> md = recycler.Take();
      *md = OneGauge(t);
      batches.push_back(recycler.Wrap(std::move(md)));
    }
    std::vector<std::thread> threads;
    for (MetricsBatch& b : batches) {
      threads.emplace_back([batch = std::move(b)]() mutable {
        Value(batch.Mutable()) += 1;
        batch = MetricsBatch();
      });
    }
    batches.clear();
    for (auto& t : threads) t.join();
    EXPECT_EQ(recycler.pooled(), 4u);
  }
}

}  // namespace
}  // namespace astrolabe::pdata
