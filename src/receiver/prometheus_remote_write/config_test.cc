#include "receiver/prometheus_remote_write/config.h"

#include <gtest/gtest.h>

#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "receiver/prometheus_remote_write/factory.h"

namespace astrolabe::receiver::prometheus_remote_write {
namespace {

TEST(RemoteWriteConfig, DefaultsAreUpstreams) {
  Config c;
  EXPECT_EQ(c.http.endpoint, "localhost:9090");  // contrib prometheusremotewrite's default
  EXPECT_EQ(c.http.max_request_body_size, 20u << 20);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(RemoteWriteConfig, FullConfigDecodes) {
  Config c;
  config::Diagnostics diag;
  component::test::DecodeTestdata("config_full.yaml", "receivers", "prometheus_remote_write", &c,
                                  diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.http.endpoint, "0.0.0.0:4318");
  EXPECT_EQ(c.http.max_request_body_size, 10u << 20);
  EXPECT_EQ(c.max_series_per_request, 5000);
  EXPECT_EQ(c.max_labels_per_series, 64);
  EXPECT_EQ(c.max_label_name_length, 200);
  EXPECT_EQ(c.max_label_value_length, 2048);
  EXPECT_EQ(c.time_threshold, 12);
  EXPECT_EQ(c.http.read_header_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.http.response_headers.at("X-Served-By"), "astrolabe");
  ASSERT_TRUE(c.http.cors.has_value());
  EXPECT_EQ(c.http.cors->allowed_origins.at(0), "https://*.example.com");
  EXPECT_TRUE(c.Validate().ok());
}

TEST(RemoteWriteConfig, TypoIsAnErrorWithTheClosestKey) {
  Config c;
  config::Diagnostics diag;
  component::test::DecodeTestdata("config_typo.yaml", "receivers", "prometheus_remote_write", &c,
                                  diag);
  ASSERT_TRUE(diag.has_errors());
  const std::string msg = diag.ToStatus().message();
  EXPECT_NE(msg.find("config_typo.yaml:4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("max_series_per_request"), std::string::npos) << msg;
}

TEST(RemoteWriteConfig, ValidateNamesTheKey) {
  Config c;
  c.max_labels_per_series = -1;
  EXPECT_EQ(c.Validate().message(),
            "max_labels_per_series: invalid value -1, must be >= 0 (0: unlimited)");
  c = Config();
  c.http.endpoint.clear();
  EXPECT_FALSE(c.Validate().ok());
  c = Config();
  c.http.auth = net::AuthConfig{"token_auth"};
  EXPECT_TRUE(c.Validate().ok());
  c.http.auth = net::AuthConfig{"not an id!"};
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(RemoteWriteFactory, Lifecycle) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "prometheus_remote_write");
  component::test::RunLifecycleTests(*factory, [](component::ComponentConfig& c) {
    static_cast<Config&>(c).http.endpoint = "127.0.0.1:0";
  });
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus_remote_write
