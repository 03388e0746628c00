#include "pipeline/supervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "component/testing/test_components.h"
#include "pipeline/test_util.h"

namespace astrolabe::pipeline {
namespace {

using component::Kind;
using component::MetricsBatch;
using component::test::Ledger;
using component::test::TestConfig;
using ::testing::HasSubstr;
using testutil::GraphConfig;

using namespace std::chrono_literals;

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() {
    registry_.Add(std::make_unique<component::test::TestReceiverFactory>(ledger_, "rcv"));
    registry_.Add(std::make_unique<component::test::TestProcessorFactory>(ledger_, "proc"));
    registry_.Add(std::make_unique<component::test::SinkExporterFactory>(ledger_, "sink"));
    registry_.Add(std::make_unique<component::test::TestExtensionFactory>(ledger_, "ext"));
    settings_.telemetry = &telemetry_;
    settings_.shutdown_timeout = 2s;
    settings_.on_fatal_error = [this](const config::ComponentId&, const Status&) {
      fatal_calls_.fetch_add(1);
    };
  }

  // rcv → [proc] → sink/<exporter>
  component::ResolvedConfig Config(const std::string& exporter,
                                   const testutil::Tweak& exporter_tweak = nullptr) {
    GraphConfig g(registry_);
    g.Extension("ext")
        .Receiver("rcv")
        .Processor("proc")
        .Exporter(exporter, exporter_tweak)
        .Pipeline("metrics", {"rcv"}, {"proc"}, {exporter});
    return g.Take();
  }

  std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
  component::Registry registry_;
  component::Telemetry telemetry_;
  ServiceSettings settings_;
  std::atomic<int> fatal_calls_{0};

  bool sup_start(component::ResolvedConfig config) {
    sup_ = std::make_unique<Supervisor>(settings_);
    Status s = sup_->Start(std::move(config));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok();
  }
  std::unique_ptr<Supervisor> sup_;
};

TEST_F(SupervisorTest, GoodReloadSwapsTheGraph) {
  Supervisor sup(settings_);
  ASSERT_TRUE(sup.Start(Config("sink/old")).ok());
  EXPECT_EQ(sup.generation(), 1u);
  ASSERT_TRUE(ledger_->Receiver("rcv")->EmitMetrics(MetricsBatch()).ok());
  ASSERT_TRUE(sup.Reload(Config("sink/new")).ok());
  EXPECT_EQ(sup.generation(), 2u);
  // The old graph is gone, the new one serves.
  EXPECT_EQ(ledger_->Exporter("sink/old"), nullptr);
  EXPECT_EQ(ledger_->Created(Kind::kReceiver, "rcv"), 2);
  ASSERT_TRUE(ledger_->Receiver("rcv")->EmitMetrics(MetricsBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink/new")->metrics().size(), 1u);
  EXPECT_EQ(sup.Describe(),
            (std::vector<std::string>{"pipeline metrics: [rcv] → [proc] → [sink/new]"}));
  // Old stopped (not ready, then shut down) before the new one started.
  auto events = ledger_->events();
  auto pos = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  EXPECT_LT(pos("shutdown-done exporter sink/old"), pos("start exporter sink/new"));
  EXPECT_EQ(std::count(events.begin(), events.end(), "ready extension ext"), 2);
  EXPECT_TRUE(sup.Shutdown(std::chrono::steady_clock::now() + 2s).ok());
  EXPECT_FALSE(sup.running());
  EXPECT_TRUE(sup.Shutdown(std::chrono::steady_clock::now() + 2s).ok());
}

TEST_F(SupervisorTest, BadReloadKeepsTheOldGraphRunning) {
  Supervisor sup(settings_);
  ASSERT_TRUE(sup.Start(Config("sink/old")).ok());
  auto* old_rcv = ledger_->Receiver("rcv");
  Status s = sup.Reload(Config("sink/new", [](TestConfig& c) { c.fail_validate = true; }));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("reload rejected, previous configuration kept"));
  EXPECT_THAT(s.message(), HasSubstr("error reading configuration for \"sink/new\""));
  EXPECT_EQ(sup.generation(), 1u);
  // Nothing of the old graph was stopped; nothing of the new one was started.
  EXPECT_TRUE(ledger_->EventsWithPrefix("shutdown ").empty());
  EXPECT_TRUE(ledger_->EventsWithPrefix("start exporter sink/new").empty());
  EXPECT_EQ(ledger_->Receiver("rcv"), old_rcv);
  ASSERT_TRUE(old_rcv->EmitMetrics(MetricsBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink/old")->metrics().size(), 1u);
}

TEST_F(SupervisorTest, ReloadThatFailsToStartRestoresThePreviousConfig) {
  Supervisor sup(settings_);
  ASSERT_TRUE(sup.Start(Config("sink/old")).ok());
  Status s = sup.Reload(Config("sink/new", [](TestConfig& c) { c.fail_start = true; }));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("previous configuration restored"));
  EXPECT_THAT(s.message(), HasSubstr("starting exporter \"sink/new\""));
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(sup.generation(), 1u);
  EXPECT_EQ(fatal_calls_.load(), 0);
  // A fresh instance of the old graph serves.
  EXPECT_EQ(ledger_->Created(Kind::kExporter, "sink/old"), 2);
  ASSERT_TRUE(ledger_->Receiver("rcv")->EmitMetrics(MetricsBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink/old")->metrics().size(), 1u);
}

TEST_F(SupervisorTest, ReloadDrainsTheOldGraph) {
  // The old sink holds in its Shutdown until the test has looked at it.
  ASSERT_TRUE(sup_start(Config("sink/old", [](TestConfig& c) {
    c.consume_delay = 100us;
    c.shutdown_wait_for = "inspected";
  })));
  auto* rcv = ledger_->Receiver("rcv");
  std::atomic<int64_t> accepted{0};
  std::thread pusher([&] {
    // Pushes until the old receiver stops (kUnavailable).
    for (;;) {
      Status s = rcv->EmitMetrics(MetricsBatch());
      if (s.ok()) accepted.fetch_add(1);
      if (s.code() == StatusCode::kUnavailable) return;
    }
  });
  while (accepted.load() < 20) std::this_thread::sleep_for(1ms);
  size_t at_sink = 0;
  std::thread watcher([&] {
    // Receivers and processors are stopped once the exporter's Shutdown begins.
    EXPECT_TRUE(ledger_->WaitFor("shutdown exporter sink/old", 5s));
    pusher.join();
    at_sink = ledger_->Exporter("sink/old")->metrics().size();
    ledger_->Record("inspected");
  });
  ASSERT_TRUE(sup_->Reload(Config("sink/new")).ok());
  watcher.join();
  EXPECT_EQ(static_cast<int64_t>(at_sink), accepted.load());
}

TEST_F(SupervisorTest, StartAndReloadPreconditions) {
  Supervisor sup(settings_);
  EXPECT_EQ(sup.Reload(Config("sink")).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sup.Start(Config("sink")).ok());
  EXPECT_EQ(sup.Start(Config("sink")).code(), StatusCode::kFailedPrecondition);
}

TEST_F(SupervisorTest, FailedFirstStartLeavesNothingRunning) {
  Supervisor sup(settings_);
  Status s = sup.Start(Config("sink", [](TestConfig& c) { c.fail_start = true; }));
  EXPECT_THAT(s.message(), HasSubstr("starting exporter \"sink\""));
  EXPECT_FALSE(sup.running());
  EXPECT_EQ(sup.generation(), 0u);
}

}  // namespace
}  // namespace astrolabe::pipeline
