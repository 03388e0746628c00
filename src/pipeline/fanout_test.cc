#include "pipeline/fanout.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "component/testing/test_components.h"

namespace astrolabe::pipeline {
namespace {

using component::MetricsBatch;
using component::test::Ledger;
using component::test::SinkExporter;
using component::test::TestConfig;
using component::test::TestHost;

class FanOutTest : public ::testing::Test {
 protected:
  std::unique_ptr<SinkExporter> Sink(const std::string& id, bool mutate = false,
                                     const std::string& fail = "") {
    TestConfig c;
    c.mutate = mutate;
    c.fail = fail;
    return std::make_unique<SinkExporter>(
        ledger_, component::CreateSettings{{id, ""}, &host_.telemetry()}, c);
  }

  std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
  TestHost host_;
};

TEST_F(FanOutTest, ReadOnlyConsumersShareTheDataAndAMutatorGetsAClone) {
  auto a = Sink("a");
  auto m = Sink("m", /*mutate=*/true);
  auto b = Sink("b");
  FanOutConsumer fan({a.get(), m.get(), b.get()});
  EXPECT_TRUE(fan.MutatesData());
  // Read-only first, then the mutator, config order kept within each group.
  EXPECT_EQ(fan.consumers(), (std::vector<component::Consumer*>{a.get(), b.get(), m.get()}));

  MetricsBatch batch;
  const pdata::Metrics* original = &batch.get();
  ASSERT_TRUE(fan.ConsumeMetrics(batch).ok());
  ASSERT_EQ(a->metrics().size(), 1u);
  ASSERT_EQ(b->metrics().size(), 1u);
  ASSERT_EQ(m->metrics().size(), 1u);
  EXPECT_EQ(&a->metrics()[0].get(), original);
  EXPECT_EQ(&b->metrics()[0].get(), original);
  EXPECT_NE(&m->metrics()[0].get(), original);
}

TEST_F(FanOutTest, LastMutatorWritesWithoutCloneWhenNobodyElseHoldsTheData) {
  auto m = Sink("m", /*mutate=*/true);
  auto other = Sink("other", /*mutate=*/true);
  FanOutConsumer fan({m.get(), other.get()});
  MetricsBatch batch;
  const pdata::Metrics* original = &batch.get();
  // The caller gives up its reference: the first mutator clones (the fan-out still holds
  // the data), the last one gets the original moved in and writes in place.
  ASSERT_TRUE(fan.ConsumeMetrics(std::move(batch)).ok());
  EXPECT_NE(&m->metrics()[0].get(), original);
  EXPECT_EQ(&other->metrics()[0].get(), original);
}

TEST_F(FanOutTest, CallsEveryConsumerAndCombinesErrors) {
  auto bad = Sink("bad", false, "unavailable");
  auto good = Sink("good");
  auto worse = Sink("worse", false, "unavailable");
  FanOutConsumer fan({bad.get(), good.get(), worse.get()});
  Status s = fan.ConsumeTraces(component::TracesBatch());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.IsRetryable());
  EXPECT_NE(s.message().find("exporter bad is unavailable"), std::string::npos);
  EXPECT_NE(s.message().find("exporter worse is unavailable"), std::string::npos);
  EXPECT_EQ(good->traces().size(), 1u);
}

TEST_F(FanOutTest, OnePermanentFailureMakesTheResultPermanent) {
  auto retry = Sink("retry", false, "unavailable");
  auto perm = Sink("perm", false, "permanent");
  FanOutConsumer fan({retry.get(), perm.get()});
  Status s = fan.ConsumeLogs(component::LogsBatch());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.IsRetryable());
}

TEST(CombineErrors, Rules) {
  EXPECT_TRUE(CombineErrors({}).ok());
  std::vector<Status> one = {ResourceExhausted("full")};
  EXPECT_EQ(CombineErrors(one), ResourceExhausted("full"));
  std::vector<Status> mixed_retryable = {ResourceExhausted("full"), Unavailable("down")};
  EXPECT_EQ(CombineErrors(mixed_retryable), Unavailable("full; down"));
  std::vector<Status> same = {ResourceExhausted("a"), ResourceExhausted("b")};
  EXPECT_EQ(CombineErrors(same), ResourceExhausted("a; b"));
  std::vector<Status> permanent = {Unavailable("down"), Internal("bug"), InvalidArgument("bad")};
  EXPECT_EQ(CombineErrors(permanent), Internal("down; bug; bad"));
}

}  // namespace
}  // namespace astrolabe::pipeline
