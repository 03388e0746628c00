#include "extension/store/store_extension.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "component/host.h"
#include "component/store.h"
#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "extension/store/factory.h"
#include "pdata/traces.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"

namespace astrolabe::extension::store {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

using astrolabe::test::TempDir;

component::CreateSettings Settings(std::string name = "") {
  component::CreateSettings s;
  s.id = {"store", std::move(name)};
  return s;
}

TEST(StoreExtensionFactory, Lifecycle) {
  TempDir dir;
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory, [&](component::ComponentConfig& c) {
    static_cast<Config&>(c).directory = dir.path();
  });
}

TEST(StoreConfig, Defaults) {
  Config c;
  EXPECT_EQ(c.directory, "/var/lib/astrolabe");
  EXPECT_TRUE(c.create_directory);
  EXPECT_EQ(c.metrics.out_of_order_window, Duration::zero());
  EXPECT_EQ(c.metrics.max_future, std::chrono::minutes(10));
  EXPECT_EQ(c.metrics.max_series, 0);
  EXPECT_EQ(c.metrics.wal.sync, "always");
  EXPECT_EQ(c.metrics.wal.segment_size, 128u << 20);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(StoreConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_full.yaml", "extensions", "store", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.directory, "/var/lib/astrolabe-test");
  EXPECT_FALSE(c.create_directory);
  EXPECT_EQ(c.metrics.out_of_order_window, std::chrono::minutes(10));
  EXPECT_EQ(c.metrics.max_future, std::chrono::hours(1));
  EXPECT_EQ(c.metrics.max_series, 100000);
  EXPECT_EQ(c.metrics.wal.sync, "interval");
  EXPECT_EQ(c.metrics.wal.sync_interval, 200ms);
  EXPECT_EQ(c.metrics.wal.segment_size, 64u << 20);
  EXPECT_TRUE(c.metrics.wal.repair_on_open);
  EXPECT_EQ(c.metrics.retention_time, std::chrono::hours(720));
  EXPECT_EQ(c.metrics.retention_size, 10ull << 30);
  EXPECT_EQ(c.spans.sync, "interval");
  EXPECT_EQ(c.spans.sync_interval, 500ms);
  EXPECT_EQ(c.spans.retention_time, std::chrono::hours(168));
  EXPECT_EQ(c.spans.retention_size, 2ull << 30);
  EXPECT_EQ(c.spans.max_row_bytes, 4u << 20);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(StoreConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_typo.yaml", "extensions", "store", &c, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:5:7: extensions.store.metrics.max_serie: unknown key (did you mean "
            "max_series?)");
}

TEST(StoreConfig, ValidationMessages) {
  Config c;
  c.directory = "";
  EXPECT_EQ(c.Validate().message(), "directory must be specified");
  c = Config();
  c.metrics.out_of_order_window = -1s;
  EXPECT_EQ(c.Validate().message(), "metrics.out_of_order_window must be non-negative");
  c.metrics.out_of_order_window = 0s;
  c.metrics.max_future = -1s;
  EXPECT_EQ(c.Validate().message(), "metrics.max_future must be non-negative");
  c = Config();
  c.metrics.max_series = -5;
  EXPECT_EQ(c.Validate().message(), "metrics.max_series must be non-negative");
  c = Config();
  c.metrics.wal.sync = "sometimes";
  EXPECT_THAT(c.Validate().message(), HasSubstr("metrics.wal.sync: "));
  EXPECT_THAT(c.Validate().message(), HasSubstr("sometimes"));
  c = Config();
  c.metrics.wal.sync = "interval";
  c.metrics.wal.sync_interval = Duration::zero();
  EXPECT_EQ(c.Validate().message(),
            "metrics.wal.sync_interval must be positive with sync: interval");
  c = Config();
  c.metrics.wal.segment_size = 1000;
  EXPECT_EQ(c.Validate().message(), "metrics.wal.segment_size must be at least 64KiB");
  c = Config();
  c.metrics.retention_time = -1s;
  EXPECT_EQ(c.Validate().message(), "metrics.retention_time must be non-negative");
  c = Config();
  c.spans.sync = "never";
  EXPECT_EQ(c.Validate().message(),
            "spans.sync: unknown sync mode \"never\" (valid: always, interval)");
  c = Config();
  c.spans.sync = "interval";
  c.spans.sync_interval = Duration::zero();
  EXPECT_EQ(c.Validate().message(), "spans.sync_interval must be positive with sync: interval");
  c = Config();
  c.spans.retention_time = -1s;
  EXPECT_EQ(c.Validate().message(), "spans.retention_time must be non-negative");
  c = Config();
  c.spans.max_row_bytes = 100;
  EXPECT_EQ(c.Validate().message(), "spans.max_row_bytes must be between 1KiB and 32MiB");
}

TEST(StoreExtension, SpansSurviveARestart) {
  TempDir dir;
  Config c;
  c.directory = dir.path() + "/data";
  component::test::TestHost host;
  pdata::Traces traces;
  pdata::Span& span =
      traces.resource_spans.emplace_back().scope_spans.emplace_back().spans.emplace_back();
  ASSERT_TRUE(pdata::TraceId::FromHex("0102030405060708090a0b0c0d0e0f10", &span.trace_id));
  span.name = "chat";
  span.start_time_unix_nano = 1'700'000'000'000'000'000;
  span.end_time_unix_nano = span.start_time_unix_nano + 1000;
  {
    StoreExtension ext(Settings(), c);
    ASSERT_TRUE(ext.Start(host).ok());
    EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/data/spans"));
    ASSERT_TRUE(ext.spans().Append(traces).ok());
    ASSERT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
  }
  StoreExtension ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  auto trace = ext.spans().GetTrace(span.trace_id);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->spans.size(), 1u);
  EXPECT_EQ(trace->spans[0].span.name, "chat");
  EXPECT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(StoreExtension, SamplesOlderThanTheRetentionAreRefused) {
  TempDir dir;
  Config c;  // retention_time 15 days
  c.directory = dir.path() + "/data";
  component::test::TestHost host;
  StoreExtension ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto labels = storage::Labels::FromPairs({{"__name__", "up"}, {"job", "nim"}});
  auto app = ext.metrics().NewAppender();
  auto old = app->Append(labels, now - 16 * 86'400'000LL, 1);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(storage::AppendErrorKindOf(old.status()), storage::AppendErrorKind::kOutOfBounds);
  EXPECT_THAT(old.status().message(), HasSubstr("too old for the retention window"));
  EXPECT_TRUE(app->Append(labels, now - 14 * 86'400'000LL, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(StoreExtension, CommittedSamplesSurviveARestart) {
  TempDir dir;
  Config c;
  c.directory = dir.path() + "/data";  // created by Start
  c.metrics.retention_time = {};        // keep all: the sample below is from 1970
  component::test::TestHost host;
  const auto labels = storage::Labels::FromPairs({{"__name__", "up"}, {"job", "nim"}});
  {
    StoreExtension ext(Settings(), c);
    ASSERT_TRUE(ext.Start(host).ok());
    EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/data/tsdb/wal"));
    auto app = ext.metrics().NewAppender();
    ASSERT_TRUE(app->Append(labels, 1000, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
    ASSERT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());  // idempotent
  }
  StoreExtension ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  auto q = ext.metrics().NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto series = storage::Materialize(**set);
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].labels, labels);
  ASSERT_EQ((*series)[0].samples.size(), 1u);
  EXPECT_EQ((*series)[0].samples[0].t, 1000);
  EXPECT_TRUE(ext.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(StoreExtension, MissingDirectoryWithoutCreateFailsStart) {
  TempDir dir;
  Config c;
  c.directory = dir.path() + "/absent";
  c.create_directory = false;
  component::test::TestHost host;
  StoreExtension ext(Settings(), c);
  Status s = ext.Start(host);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("directory must exist: " + c.directory));
}

TEST(FindStoreExtension, ByIdAndAsTheOnlyOne) {
  TempDir dir;
  component::test::TestHost host;
  Config ca, cb;
  ca.directory = dir.path() + "/a";
  cb.directory = dir.path() + "/b";
  StoreExtension a(Settings("a"), ca), b(Settings("b"), cb);

  auto none = component::FindStoreExtension(host, {});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("no store extension is running"));
  auto missing = component::FindStoreExtension(host, {"store", "a"});
  EXPECT_EQ(missing.status().message(),
            "store extension \"store/a\" not found (it must be configured under extensions: and "
            "listed in service::extensions)");

  host.AddExtension({"store", "a"}, &a);
  auto only = component::FindStoreExtension(host, {});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(*only, static_cast<component::StoreExtension*>(&a));

  host.AddExtension({"store", "b"}, &b);
  auto two = component::FindStoreExtension(host, {});
  EXPECT_EQ(two.status().message(),
            "2 store extensions are running (store/a, store/b): name one with the \"store\" key");
  auto named = component::FindStoreExtension(host, {"store", "b"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(*named, static_cast<component::StoreExtension*>(&b));

  class Plain : public component::Extension {
    Status Start(component::Host&) override { return Status::Ok(); }
    Status Shutdown(component::Deadline) override { return Status::Ok(); }
  } other;
  host.AddExtension({"health_check", ""}, &other);
  EXPECT_EQ(component::FindStoreExtension(host, {"health_check", ""}).status().message(),
            "extension \"health_check\" is not a store extension");
}

}  // namespace
}  // namespace astrolabe::extension::store
