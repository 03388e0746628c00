#include "extension/file_storage/file_storage.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "component/host.h"
#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "extension/file_storage/factory.h"

namespace astrolabe::extension::file_storage {
namespace {

using component::Kind;
using component::StorageOperation;
using ::testing::HasSubstr;

using astrolabe::test::TempDir;

component::CreateSettings Settings(std::string name = "") {
  component::CreateSettings s;
  s.id = {"file_storage", std::move(name)};
  return s;
}

TEST(FileStorageFactory, Lifecycle) {
  TempDir dir;
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory, [&](component::ComponentConfig& c) {
    static_cast<Config&>(c).directory = dir.path();
  });
}

TEST(FileStorageConfig, DefaultsAreUpstreams) {
  Config c;
  EXPECT_EQ(c.directory, "/var/lib/otelcol/file_storage");
  EXPECT_EQ(c.timeout, std::chrono::seconds(1));
  EXPECT_FALSE(c.create_directory);
  EXPECT_EQ(c.directory_permissions, "0750");
  EXPECT_FALSE(c.fsync);
  EXPECT_FALSE(c.compaction.on_start);
  EXPECT_FALSE(c.compaction.on_rebound);
  EXPECT_EQ(c.compaction.directory, "/var/lib/otelcol/file_storage");
  EXPECT_EQ(c.compaction.max_transaction_size, 65536);
  EXPECT_EQ(c.compaction.rebound_needed_threshold_mib, 100);
  EXPECT_EQ(c.compaction.rebound_trigger_threshold_mib, 10);
  EXPECT_EQ(c.compaction.check_interval, std::chrono::seconds(5));
  EXPECT_FALSE(c.compaction.cleanup_on_start);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(FileStorageConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_full.yaml", "extensions", "file_storage", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.directory, "/var/lib/astrolabe/queue");
  EXPECT_EQ(c.timeout, std::chrono::seconds(2));
  EXPECT_TRUE(c.create_directory);
  EXPECT_EQ(c.directory_permissions, "0700");
  EXPECT_TRUE(c.fsync);
  EXPECT_TRUE(c.compaction.on_start);
  EXPECT_TRUE(c.compaction.on_rebound);
  EXPECT_EQ(c.compaction.directory, "/tmp/compaction");
  EXPECT_EQ(c.compaction.max_transaction_size, 2048);
  EXPECT_EQ(c.compaction.rebound_needed_threshold_mib, 128);
  EXPECT_EQ(c.compaction.rebound_trigger_threshold_mib, 16);
  EXPECT_EQ(c.compaction.check_interval, std::chrono::seconds(3));
  EXPECT_TRUE(c.compaction.cleanup_on_start);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(FileStorageConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_typo.yaml", "extensions", "file_storage", &c, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:4:5: extensions.file_storage.timout: unknown key (did you mean "
            "timeout?)");
}

TEST(FileStorageConfig, ValidationMessagesAsUpstream) {
  Config c;
  c.compaction.max_transaction_size = -1;
  EXPECT_EQ(c.Validate().message(), "max transaction size for compaction cannot be less than 0");
  c = Config();
  c.compaction.on_rebound = true;
  c.compaction.check_interval = Duration(0);
  EXPECT_EQ(c.Validate().message(),
            "compaction check interval must be positive when rebound compaction is set");
  c = Config();
  c.create_directory = true;
  for (const char* bad : {"invalid string", "rwxr--r--", "0778", ""}) {
    c.directory_permissions = bad;
    EXPECT_THAT(c.Validate().message(), HasSubstr("invalid octal value")) << bad;
  }
  c.directory_permissions = "07771";
  EXPECT_EQ(c.Validate().message(), "invalid permission bits for directory_permissions: 07771");
  c.create_directory = false;  // as upstream: only checked when it is used
  EXPECT_TRUE(c.Validate().ok());
  c = Config();
  c.directory = "";
  EXPECT_EQ(c.Validate().message(), "directory must be specified");
}

TEST(FileStorage, FileNamesAreUpstreams) {
  EXPECT_EQ(ClientFileName(Kind::kExporter, {"otlp_http", "dt"}, "metrics"),
            "exporter_otlp_http_dt_metrics");
  EXPECT_EQ(ClientFileName(Kind::kExporter, {"otlp_http", ""}, "metrics"),
            "exporter_otlp_http__metrics");
  EXPECT_EQ(ClientFileName(Kind::kReceiver, {"filelog", "logs/container"}, ""),
            "receiver_filelog_logs~002Fcontainer");
  EXPECT_EQ(ClientFileName(Kind::kReceiver, {"filelog", "a~b"}, ""), "receiver_filelog_a~007Eb");
  EXPECT_EQ(ClientFileName(Kind::kReceiver, {"filelog", "caf\xc3\xa9"}, ""),
            "receiver_filelog_caf~00E9");
}

TEST(FileStorage, StartRequiresTheDirectoryUnlessItMayCreateIt) {
  TempDir dir;
  component::test::TestHost host;
  Config c;
  c.directory = dir.path() + "/missing/deeper";
  FileStorage missing(Settings(), c);
  Status s = missing.Start(host);
  EXPECT_EQ(s.message(),
            "directory must exist: stat " + c.directory + ": no such file or directory");

  std::ofstream(dir.path() + "/plain") << "x";
  c.directory = dir.path() + "/plain";
  FileStorage file(Settings(), c);
  EXPECT_EQ(file.Start(host).message(), c.directory + " is not a directory");

  c.directory = dir.path() + "/made/here";
  c.create_directory = true;
  c.directory_permissions = "0700";
  FileStorage create(Settings(), c);
  ASSERT_TRUE(create.Start(host).ok());
  struct stat st {};
  ASSERT_EQ(stat(c.directory.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(create.Shutdown({}).ok());
}

TEST(FileStorage, ClientsAreSeparateAndSurviveARestart) {
  TempDir dir;
  component::test::TestHost host;
  Config c;
  c.directory = dir.path();
  {
    FileStorage ext(Settings(), c);
    ASSERT_TRUE(ext.Start(host).ok());
    auto metrics = ext.GetClient(Kind::kExporter, {"otlp_http", "dt"}, "metrics");
    auto traces = ext.GetClient(Kind::kExporter, {"otlp_http", "dt"}, "traces");
    ASSERT_TRUE(metrics.ok() && traces.ok());
    ASSERT_TRUE((*metrics)->Set("k", "m").ok());
    ASSERT_TRUE((*traces)->Set("k", "t").ok());
    std::vector<StorageOperation> batch = {StorageOperation::Set("a", "1"),
                                           StorageOperation::Set("b", "2"),
                                           StorageOperation::Delete("k")};
    ASSERT_TRUE((*metrics)->Batch(batch).ok());

    auto again = ext.GetClient(Kind::kExporter, {"otlp_http", "dt"}, "metrics");
    ASSERT_FALSE(again.ok());
    EXPECT_THAT(again.status().message(), HasSubstr("already open"));
    ASSERT_TRUE((*metrics)->Close().ok());
    EXPECT_EQ((*metrics)->Set("x", "y").code(), StatusCode::kFailedPrecondition);
    ASSERT_TRUE(ext.Shutdown({}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/exporter_otlp_http_dt_metrics"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/exporter_otlp_http_dt_traces"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/exporter_otlp_http_dt_logs"));

  FileStorage ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  auto metrics = ext.GetClient(Kind::kExporter, {"otlp_http", "dt"}, "metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(*(*metrics)->Get("a"), std::optional<std::string>("1"));
  EXPECT_EQ(*(*metrics)->Get("k"), std::nullopt);
  auto traces = ext.GetClient(Kind::kExporter, {"otlp_http", "dt"}, "traces");
  EXPECT_EQ(*(*traces)->Get("k"), std::optional<std::string>("t"));
}

TEST(FileStorage, GetClientBeforeStartFails) {
  Config c;
  FileStorage ext(Settings(), c);
  EXPECT_EQ(ext.GetClient(Kind::kExporter, {"otlp_http", ""}, "metrics").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(FileStorage, CleanupOnStartRemovesUpstreamCompactionLeftovers) {
  TempDir dir;
  component::test::TestHost host;
  std::ofstream(dir.path() + "/tempdb123") << "x";
  std::ofstream(dir.path() + "/keep") << "x";
  Config c;
  c.directory = dir.path();
  c.compaction.directory = dir.path();
  c.compaction.cleanup_on_start = true;
  FileStorage ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/tempdb123"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/keep"));
}

TEST(FileStorage, OnStartCompactionShrinksAStoreAsItOpens) {
  TempDir dir;
  component::test::TestHost host;
  Config c;
  c.directory = dir.path();
  const std::string file = dir.path() + "/exporter_otlp_http__metrics";
  {
    FileStorage ext(Settings(), c);
    ASSERT_TRUE(ext.Start(host).ok());
    auto client = ext.GetClient(Kind::kExporter, {"otlp_http", ""}, "metrics").value();
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(client->Set("k" + std::to_string(i), std::string(1000, 'x')).ok());
    for (int i = 0; i < 99; ++i) ASSERT_TRUE(client->Delete("k" + std::to_string(i)).ok());
  }
  const auto before = std::filesystem::file_size(file);
  c.compaction.on_start = true;
  FileStorage ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  auto client = ext.GetClient(Kind::kExporter, {"otlp_http", ""}, "metrics").value();
  EXPECT_LT(std::filesystem::file_size(file), before / 20);
  EXPECT_EQ(*client->Get("k99"), std::optional<std::string>(std::string(1000, 'x')));
}

TEST(FileStorage, ReboundCompactionRunsOnceTheStoreHasDrained) {
  TempDir dir;
  component::test::TestHost host;
  Config c;
  c.directory = dir.path();
  c.compaction.on_rebound = true;
  c.compaction.check_interval = std::chrono::milliseconds(20);
  c.compaction.rebound_needed_threshold_mib = 1;
  c.compaction.rebound_trigger_threshold_mib = 1;
  FileStorage ext(Settings(), c);
  ASSERT_TRUE(ext.Start(host).ok());
  auto client = ext.GetClient(Kind::kExporter, {"otlp_http", ""}, "metrics").value();
  const std::string file = dir.path() + "/exporter_otlp_http__metrics";
  // Fill past 1 MiB while holding it all live (no automatic compaction), then drain.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(client->Set("k" + std::to_string(i), std::string(100 << 10, 'x')).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the check sees > 1 MiB
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(client->Delete("k" + std::to_string(i)).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::filesystem::file_size(file) > 4096 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LE(std::filesystem::file_size(file), 4096u);
  ASSERT_TRUE(ext.Shutdown({}).ok());
}

// The lookup a component does: by id through the Host.
class NotStorage : public component::Extension {
 public:
  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }
};

TEST(FindStorageExtension, NamesTheIdWhenMissingOrOfTheWrongKind) {
  TempDir dir;
  component::test::TestHost host;
  Config c;
  c.directory = dir.path();
  FileStorage ext(Settings("queue"), c);
  ASSERT_TRUE(ext.Start(host).ok());
  NotStorage other;
  host.AddExtension({"file_storage", "queue"}, &ext);
  host.AddExtension({"health_check", ""}, &other);

  auto found = component::FindStorageExtension(host, {"file_storage", "queue"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, static_cast<component::StorageExtension*>(&ext));

  auto missing = component::FindStorageExtension(host, {"file_storage", "typo"});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("storage extension \"file_storage/typo\" not found"));

  auto wrong = component::FindStorageExtension(host, {"health_check", ""});
  EXPECT_EQ(wrong.status().message(), "extension \"health_check\" is not a storage extension");
}

}  // namespace
}  // namespace astrolabe::extension::file_storage
