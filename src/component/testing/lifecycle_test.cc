#include "component/testing/lifecycle.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "component/testing/test_components.h"

namespace astrolabe::component::test {
namespace {

// Runs the lifecycle tests with failures captured; returns their messages.
std::vector<std::string> CapturedFailures(const Factory& factory,
                                          const std::function<void(ComponentConfig&)>& adjust) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    RunLifecycleTests(factory, adjust);
  }
  std::vector<std::string> out;
  for (int i = 0; i < results.size(); ++i) out.push_back(results.GetTestPartResult(i).message());
  return out;
}

bool AnyContains(const std::vector<std::string>& messages, const std::string& needle) {
  for (const auto& m : messages) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(RunLifecycleTests, PassesForEveryTestFactory) {
  auto ledger = std::make_shared<Ledger>();
  RunLifecycleTests(TestReceiverFactory(ledger));
  RunLifecycleTests(TestProcessorFactory(ledger));
  RunLifecycleTests(SinkExporterFactory(ledger));
  RunLifecycleTests(TestExtensionFactory(ledger));
  // One receiver and one exporter started once each; processors once per signal.
  EXPECT_EQ(ledger->EventsWithPrefix("start ").size(), 1u + 3u + 1u + 1u);
}

TEST(RunLifecycleTests, AdjustRunsBeforeStart) {
  auto ledger = std::make_shared<Ledger>();
  // A start failure injected through `adjust` must be reported.
  auto failures = CapturedFailures(SinkExporterFactory(ledger), [](ComponentConfig& c) {
    static_cast<TestConfig&>(c).fail_start = true;
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_TRUE(AnyContains(failures, "Start: Internal"));
}

// A factory whose default config is invalid fails step 1.
class InvalidDefaultFactory : public SinkExporterFactory {
 public:
  using SinkExporterFactory::SinkExporterFactory;
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override {
    auto c = std::make_unique<TestConfig>();
    c->fail_validate = true;
    return c;
  }
};

TEST(RunLifecycleTests, ReportsInvalidDefaultConfig) {
  auto ledger = std::make_shared<Ledger>();
  auto failures = CapturedFailures(InvalidDefaultFactory(ledger), nullptr);
  EXPECT_TRUE(AnyContains(failures, "default config is invalid"));
}

TEST(RunLifecycleTests, ReportsFailingShutdown) {
  auto ledger = std::make_shared<Ledger>();
  auto failures = CapturedFailures(TestReceiverFactory(ledger), [](ComponentConfig& c) {
    static_cast<TestConfig&>(c).fail_shutdown = true;
  });
  EXPECT_TRUE(AnyContains(failures, "Shutdown without Start"));
  EXPECT_TRUE(AnyContains(failures, "second Shutdown"));
}

}  // namespace
}  // namespace astrolabe::component::test
