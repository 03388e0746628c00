#include "extension/api/api_extension.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "extension/api/factory.h"
#include "extension/store/store_extension.h"
#include "net/http_client.h"

namespace astrolabe::extension::api {
namespace {

using ::testing::HasSubstr;

TEST(ApiFactory, Lifecycle) {
  component::test::RunLifecycleTests(*NewFactory(), [](component::ComponentConfig& c) {
    static_cast<Config&>(c).endpoint = "127.0.0.1:0";
    static_cast<Config&>(c).tokens_file = "/nonexistent-dir/tokens.json";
  });
}

TEST(ApiConfig, FullTypoAndValidation) {
  Config full;
  config::Diagnostics diag;
  component::test::DecodeTestdata("config_full.yaml", "extensions", "api", &full, diag);
  EXPECT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(full.endpoint, "0.0.0.0:8080");
  ASSERT_TRUE(full.auth.has_value());
  EXPECT_EQ(full.auth->authenticator, "token_auth");
  EXPECT_TRUE(full.Validate().ok());

  Config typo;
  config::Diagnostics typo_diag;
  component::test::DecodeTestdata("config_typo.yaml", "extensions", "api", &typo, typo_diag);
  EXPECT_THAT(typo_diag.ToStatus().message(),
              HasSubstr("extensions.api.auth.authentikator: unknown key (did you mean "
                        "authenticator?)"));

  full.auth.reset();
  EXPECT_THAT(full.Validate().message(), HasSubstr("is not a loopback address and no auth is set"));
  full.endpoint = "localhost:8080";
  EXPECT_TRUE(full.Validate().ok());
}

TEST(ApiConfig, Loopback) {
  EXPECT_TRUE(IsLoopbackEndpoint("localhost:8080"));
  EXPECT_TRUE(IsLoopbackEndpoint("127.0.0.1:0"));
  EXPECT_TRUE(IsLoopbackEndpoint("[::1]:4318"));
  EXPECT_FALSE(IsLoopbackEndpoint(":4318"));
  EXPECT_FALSE(IsLoopbackEndpoint("0.0.0.0:4318"));
  EXPECT_FALSE(IsLoopbackEndpoint("10.0.0.1:4318"));
  EXPECT_FALSE(IsLoopbackEndpoint("[::]:4318"));
  EXPECT_FALSE(IsLoopbackEndpoint("nonsense"));
}

TEST(ApiExtension, MissingAuthenticatorFailsTheStart) {
  Config config;
  config.endpoint = "127.0.0.1:0";
  config.auth = AuthConfig{"token_auth"};
  ApiExtension ext({{"api", ""}, nullptr}, config);
  component::test::TestHost host;
  Status s = ext.Start(host);
  EXPECT_THAT(s.message(), HasSubstr("api: auth"));
  EXPECT_THAT(s.message(), HasSubstr("\"token_auth\" is not a started extension"));
}

TEST(ApiExtension, ServesOwnMetrics) {
  Config config;
  config.endpoint = "127.0.0.1:0";
  config.tokens_file = "/nonexistent-dir/tokens.json";
  ApiExtension ext({{"api", ""}, nullptr}, config);
  component::test::TestHost host;
  host.telemetry().GetCounter("probe_total", "a probe", {})->Add();
  ASSERT_TRUE(ext.Start(host).ok());
  net::HttpClient client;
  net::HttpRequest request;
  request.url = "http://" + ext.address() + "/metrics";
  auto r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("probe_total 1"));
  EXPECT_TRUE(ext.Shutdown(std::chrono::steady_clock::now()).ok());
}

// The traces API reads the span store of a store extension started before it; without one
// its routes answer 503.
TEST(ApiExtension, TracesApiUsesTheStartedStoreExtension) {
  astrolabe::test::TempDir dir;
  component::test::TestHost host;
  Config config;
  config.endpoint = "127.0.0.1:0";
  config.tokens_file = dir.path() + "/tokens.json";
  net::HttpClient client;
  auto get = [&](const ApiExtension& ext) {
    net::HttpRequest request;
    request.url = "http://" + ext.address() + "/api/v1/services";
    auto r = client.Send(std::move(request)).get();
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->status : 0;
  };
  {
    ApiExtension alone({{"api", ""}, nullptr}, config);
    ASSERT_TRUE(alone.Start(host).ok());
    EXPECT_EQ(get(alone), 503);
    EXPECT_TRUE(alone.Shutdown(std::chrono::steady_clock::now()).ok());
  }
  store::Config store_config;
  store_config.directory = dir.path() + "/data";
  store::StoreExtension store({{"store", ""}, nullptr}, store_config);
  ASSERT_TRUE(store.Start(host).ok());
  host.AddExtension({"store", ""}, &store);
  ApiExtension ext({{"api", ""}, nullptr}, config);
  ASSERT_TRUE(ext.Start(host).ok());
  EXPECT_EQ(get(ext), 200);
  EXPECT_TRUE(ext.Shutdown(std::chrono::steady_clock::now()).ok());
  EXPECT_TRUE(store.Shutdown(std::chrono::steady_clock::now()).ok());
}

}  // namespace
}  // namespace astrolabe::extension::api
