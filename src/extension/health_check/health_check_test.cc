#include "extension/health_check/health_check.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "config/decoder.h"
#include "config/parse.h"
#include "extension/health_check/factory.h"
#include "net/http_client.h"

namespace astrolabe::extension::health_check {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

config::Node LoadTestdata(const std::string& name, config::Diagnostics& diag) {
  std::ifstream in("testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  config::ParseOptions options;
  options.file = std::make_shared<const std::string>(name);
  auto root = config::ParseYaml(text.str(), options, diag);
  EXPECT_TRUE(root.has_value());
  return *root->Find("extensions")->Find("health_check");
}

net::HttpResponse Get(const std::string& address, const std::string& path,
                      const std::string& method = "GET") {
  net::HttpClient client;
  net::HttpRequest request;
  request.method = method;
  request.url = "http://" + address + path;
  request.timeout = std::chrono::seconds(5);
  auto result = client.Send(std::move(request)).get();
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : net::HttpResponse{};
}

Config LoopbackConfig() {
  Config config;
  config.endpoint = "127.0.0.1:0";
  return config;
}

TEST(HealthCheckFactory, Lifecycle) {
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory, [](component::ComponentConfig& c) {
    static_cast<Config&>(c).endpoint = "127.0.0.1:0";
  });
}

TEST(HealthCheckConfig, DefaultsAreUpstreams) {
  Config config;
  EXPECT_EQ(config.endpoint, "localhost:13133");
  EXPECT_EQ(config.path, "/");
  EXPECT_TRUE(config.Validate().ok());
}

TEST(HealthCheckConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  config::Node node = LoadTestdata("config_full.yaml", diag);
  Config config;
  config::Decode(node, "extensions.health_check", config, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(config.endpoint, "127.0.0.1:13133");
  EXPECT_EQ(config.path, "/health/status");
  EXPECT_EQ(config.response_body.healthy, "I'm OK");
  EXPECT_EQ(config.response_body.unhealthy, "I'm not well");
  EXPECT_EQ(config.check_collector_pipeline.interval, std::chrono::minutes(5));
}

TEST(HealthCheckConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  config::Node node = LoadTestdata("config_typo.yaml", diag);
  Config config;
  config::Decode(node, "extensions.health_check", config, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:3:5: extensions.health_check.endpont: unknown key (did you mean "
            "endpoint?)");
}

TEST(HealthCheckConfig, ValidationMessagesAsUpstream) {
  Config config;
  config.endpoint = "";
  EXPECT_EQ(config.Validate().message(), "bad config: endpoint must be specified");
  config.endpoint = "localhost:1";
  config.path = "health";
  EXPECT_EQ(config.Validate().message(), "bad config: path must start with /");
}

TEST(HealthCheck, AnswersServiceUnavailableUntilPipelinesAreReady) {
  HealthCheck hc(LoopbackConfig());
  component::test::TestHost host;
  ASSERT_TRUE(hc.Start(host).ok());
  net::HttpResponse before = Get(hc.address(), "/");
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.body,
            R"({"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""})");
  EXPECT_EQ(before.headers.Get("Content-Type"), "application/json");

  hc.NotifyPipelinesReady();
  net::HttpResponse ready = Get(hc.address(), "/anything/below/root", "POST");
  EXPECT_EQ(ready.status, 200);
  EXPECT_THAT(ready.body,
              MatchesRegex(R"re(\{"status":"Server available","upSince":"[0-9]{4}-[0-9]{2}-)re"
                           R"re([0-9]{2}T[0-9:.]+Z","uptime":"[0-9.]+(ns|µs|ms|s)"\})re"));

  hc.NotifyPipelinesNotReady();
  EXPECT_EQ(Get(hc.address(), "/").status, 503);
  EXPECT_TRUE(hc.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  EXPECT_TRUE(hc.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

TEST(HealthCheck, CustomPathAndBodies) {
  Config config = LoopbackConfig();
  config.path = "/health/status";
  config.response_body.healthy = "I'm OK";
  config.response_body.unhealthy = "I'm not well";
  HealthCheck hc(config);
  component::test::TestHost host;
  ASSERT_TRUE(hc.Start(host).ok());
  EXPECT_EQ(Get(hc.address(), "/health/status").body, "I'm not well");
  hc.NotifyPipelinesReady();
  net::HttpResponse ok = Get(hc.address(), "/health/status");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "I'm OK");
  EXPECT_EQ(Get(hc.address(), "/other").status, 404);
  EXPECT_TRUE(hc.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

TEST(HealthCheck, BindFailureNamesTheAddress) {
  HealthCheck first(LoopbackConfig());
  component::test::TestHost host;
  ASSERT_TRUE(first.Start(host).ok());
  Config taken;
  taken.endpoint = first.address();
  HealthCheck second(taken);
  Status status = second.Start(host);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(first.address()));
  EXPECT_TRUE(first.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

// The probe over HTTPS (a self-signed certificate made by openssl at test time).
TEST(HealthCheck, ServesHttpsWithATlsBlock) {
  char tmpl[] = "/tmp/astrolabe-hc-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(
      std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                   "-nodes -days 1 -subj /CN=hc -addext subjectAltName=IP:127.0.0.1 -keyout " +
                   dir + "/k.pem -out " + dir + "/c.pem >/dev/null 2>&1")
                      .c_str()),
      0);
  Config config = LoopbackConfig();
  config.tls = net::ServerTlsConfig{};
  config.tls->cert_file = dir + "/c.pem";
  config.tls->key_file = dir + "/k.pem";
  ASSERT_TRUE(config.Validate().ok()) << config.Validate().message();
  HealthCheck hc(config);
  component::test::TestHost host;
  ASSERT_TRUE(hc.Start(host).ok());
  hc.NotifyPipelinesReady();
  net::HttpClientOptions options;
  options.tls.ca_file = dir + "/c.pem";
  net::HttpClient client(options);
  net::HttpRequest request;
  request.url = "https://" + hc.address() + "/";
  auto r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Get(hc.address(), "/").status, 400);  // plain HTTP to the TLS port
  EXPECT_TRUE(hc.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  config.tls->key_file = dir + "/missing.pem";
  HealthCheck bad(config);
  Status s = bad.Start(host);
  EXPECT_THAT(s.message(), HasSubstr("tls::key_file " + dir + "/missing.pem"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace astrolabe::extension::health_check
