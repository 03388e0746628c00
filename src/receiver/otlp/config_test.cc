#include "receiver/otlp/config.h"

#include <gtest/gtest.h>

#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::receiver::otlp {
namespace {

// Decodes `yaml` (the value of receivers.otlp) into a default config.
Config Decode(const std::string& yaml, std::string* errors = nullptr) {
  config::Diagnostics diag;
  config::ParseOptions options;
  options.file = std::make_shared<const std::string>("otlp.yaml");
  std::optional<config::Node> root = config::ParseYaml(yaml, options, diag);
  Config config;
  if (root) config::Decode(*root, "receivers.otlp", config, diag);
  if (errors) *errors = diag.has_errors() ? diag.ToStatus().message() : "";
  else EXPECT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  return config;
}

TEST(OtlpConfig, DefaultsAreUpstreams) {
  Config config;
  ASSERT_TRUE(config.protocols.grpc && config.protocols.http);
  EXPECT_EQ(config.protocols.grpc->endpoint, "localhost:4317");
  EXPECT_EQ(config.protocols.grpc->max_recv_msg_bytes(), 4u << 20);
  EXPECT_EQ(config.protocols.http->endpoint, "localhost:4318");
  EXPECT_EQ(config.protocols.http->metrics_url_path, "/v1/metrics");
  EXPECT_EQ(config.protocols.http->max_request_body_size, 20u << 20);
  EXPECT_TRUE(config.Validate().ok());
}

TEST(OtlpConfig, OnlyTheNamedProtocolsAreEnabled) {
  Config both = Decode("protocols:\n  grpc:\n  http:\n");
  EXPECT_TRUE(both.protocols.grpc && both.protocols.http);
  EXPECT_EQ(both.protocols.http->endpoint, "localhost:4318");

  Config http = Decode("protocols:\n  http:\n    endpoint: 0.0.0.0:4318\n");
  EXPECT_FALSE(http.protocols.grpc);
  ASSERT_TRUE(http.protocols.http);
  EXPECT_EQ(http.protocols.http->endpoint, "0.0.0.0:4318");
  EXPECT_TRUE(http.Validate().ok());
}

TEST(OtlpConfig, NoProtocolIsAnError) {
  for (const char* yaml : {"", "protocols:\n", "protocols: {}\n"}) {
    Config config = Decode(yaml);
    EXPECT_EQ(config.Validate().message(),
              "must specify at least one protocol when using the OTLP receiver")
        << yaml;
  }
}

TEST(OtlpConfig, UrlPathsGetALeadingSlash) {
  Config config = Decode("protocols:\n  http:\n    traces_url_path: v1/t\n");
  EXPECT_EQ(*SanitizeUrlPath(config.protocols.http->traces_url_path), "/v1/t");
  EXPECT_EQ(*SanitizeUrlPath("/x"), "/x");
  EXPECT_FALSE(SanitizeUrlPath("http://h/x").ok());
  EXPECT_FALSE(SanitizeUrlPath("/x?y=1").ok());
  Config bad = Decode("protocols:\n  http:\n    logs_url_path: /l?q\n");
  EXPECT_NE(bad.Validate().message().find("invalid HTTP URL path set for signal"),
            std::string::npos);
}

TEST(OtlpConfig, EveryUpstreamKeyLoads) {
  Config config = Decode(R"(protocols:
  grpc:
    endpoint: 127.0.0.1:0
    transport: tcp
    max_recv_msg_size_mib: 16
    max_concurrent_streams: 100
    read_buffer_size: 1MiB
    write_buffer_size: 512KiB
    include_metadata: true
    keepalive:
      server_parameters: {max_connection_idle: 11s, max_connection_age: 12s, max_connection_age_grace: 13s, time: 30s, timeout: 5s}
      enforcement_policy: {min_time: 10s, permit_without_stream: true}
  http:
    endpoint: 127.0.0.1:0
    max_request_body_size: 8MiB
    include_metadata: true
    cors: {allowed_origins: ["https://*.example.com"], allowed_headers: [X-Custom], max_age: 7200}
    response_headers: {X-Served-By: astrolabe}
    compression_algorithms: [gzip, zstd, ""]
    read_header_timeout: 5s
    idle_timeout: 30s
)");
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().message();
  EXPECT_EQ(config.protocols.grpc->max_recv_msg_bytes(), 16u << 20);
  EXPECT_EQ(config.protocols.grpc->keepalive->server_parameters->time, std::chrono::seconds(30));
  EXPECT_TRUE(config.protocols.grpc->keepalive->enforcement_policy->permit_without_stream);
  EXPECT_EQ(config.protocols.http->max_request_body_size, 8u << 20);
  EXPECT_EQ(config.protocols.http->cors->max_age, 7200);
  EXPECT_EQ(config.protocols.http->response_headers.at("X-Served-By"), "astrolabe");
}

TEST(OtlpConfig, WhatWeDoNotDoIsRefusedByName) {
  Config tls = Decode("protocols:\n  http:\n    tls: {cert_file: c.pem, key_file: k.pem}\n");
  EXPECT_TRUE(tls.Validate().ok()) << tls.Validate().message();
  Config suites = Decode(
      "protocols:\n  http:\n    tls: {cert_file: c.pem, key_file: k.pem, cipher_suites: [x]}\n");
  EXPECT_EQ(suites.Validate().code(), StatusCode::kUnimplemented);
  EXPECT_NE(suites.Validate().message().find("protocols::http::tls::cipher_suites"),
            std::string::npos);
  Config auth = Decode("protocols:\n  grpc:\n    auth: {authenticator: token_auth}\n");
  EXPECT_TRUE(auth.Validate().ok()) << auth.Validate().message();
  EXPECT_EQ(auth.protocols.grpc->auth->authenticator, "token_auth");
  Config no_id = Decode("protocols:\n  http:\n    auth: {}\n");
  EXPECT_NE(no_id.Validate().message().find("protocols::http::auth: authenticator must be set"),
            std::string::npos)
      << no_id.Validate().message();
  Config bad_id = Decode("protocols:\n  http:\n    auth: {authenticator: \"1x\"}\n");
  EXPECT_FALSE(bad_id.Validate().ok());
  Config comp = Decode("protocols:\n  http:\n    compression_algorithms: [brotli]\n");
  EXPECT_NE(comp.Validate().message().find("unsupported compression type \"brotli\""),
            std::string::npos);
  Config negative = Decode("protocols:\n  grpc:\n    max_recv_msg_size_mib: -1\n");
  EXPECT_FALSE(negative.Validate().ok());
}

TEST(OtlpConfig, UnknownKeysAreReportedWithASuggestion) {
  std::string errors;
  Decode("protocols:\n  http:\n    endpont: x\n", &errors);
  EXPECT_NE(errors.find("otlp.yaml:3:5"), std::string::npos) << errors;
  EXPECT_NE(errors.find("protocols.http.endpont: unknown key (did you mean endpoint?)"),
            std::string::npos)
      << errors;
}

}  // namespace
}  // namespace astrolabe::receiver::otlp
