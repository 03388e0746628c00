#include "extension/token_auth/token_auth.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "extension/token_auth/factory.h"

namespace astrolabe::extension::token_auth {
namespace {

using ::testing::HasSubstr;
using H = std::vector<std::pair<std::string_view, std::string_view>>;

TEST(TokenAuthFactory, Lifecycle) { component::test::RunLifecycleTests(*NewFactory()); }

TEST(TokenAuthConfig, FullAndTypo) {
  Config full;
  config::Diagnostics diag;
  component::test::DecodeTestdata("config_full.yaml", "extensions", "token_auth", &full, diag);
  EXPECT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(full.tokens_file, "/var/lib/astrolabe/tokens.json");

  Config typo;
  config::Diagnostics typo_diag;
  component::test::DecodeTestdata("config_typo.yaml", "extensions", "token_auth", &typo, typo_diag);
  EXPECT_THAT(typo_diag.ToStatus().message(),
              HasSubstr("config_typo.yaml:3:5: extensions.token_auth.token_file: unknown key (did "
                        "you mean tokens_file?)"));
  Config empty;
  empty.tokens_file.clear();
  EXPECT_THAT(empty.Validate().message(), HasSubstr("tokens_file must be specified"));
}

class TokenAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-token-auth-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.tokens_file = dir_ + "/tokens.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  Config config_;
};

TEST_F(TokenAuthTest, AuthenticatesWithTheFileAndSeesLaterTokens) {
  component::CreateSettings settings{{"token_auth", ""}, nullptr};
  TokenAuth auth(settings, config_);
  component::test::TestHost host;
  ASSERT_TRUE(auth.Start(host).ok());
  EXPECT_EQ(auth.Authenticate(H{}, "metrics.ingest").code(), StatusCode::kUnauthenticated);

  api::TokenStore cli(config_.tokens_file);
  auto made = cli.Create("sdk", {"openTelemetryTrace.ingest"});
  ASSERT_TRUE(made.ok());
  const std::string header = "Bearer " + made->token;
  // The extension re-reads the file at most once a second.
  Status s;
  for (int i = 0; i < 40; ++i) {
    s = auth.Authenticate(H{{"authorization", header}}, "openTelemetryTrace.ingest");
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(auth.Authenticate(H{{"authorization", header}}, "metrics.ingest").code(),
            StatusCode::kPermissionDenied);
  EXPECT_THAT(host.telemetry().RenderText(),
              HasSubstr("astrolabe_auth_rejected_requests_total{authenticator=\"token_auth\","
                        "reason=\"scope\"} 1"));
  EXPECT_TRUE(auth.Shutdown(std::chrono::steady_clock::now()).ok());
}

TEST_F(TokenAuthTest, ABrokenTokensFileFailsTheStartNamingIt) {
  {
    std::ofstream out(config_.tokens_file);
    out << "not json";
  }
  TokenAuth auth({{"token_auth", ""}, nullptr}, config_);
  component::test::TestHost host;
  Status s = auth.Start(host);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(config_.tokens_file));
}

}  // namespace
}  // namespace astrolabe::extension::token_auth
