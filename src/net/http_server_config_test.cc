#include "net/http_server_config.h"

#include <gtest/gtest.h>

namespace astrolabe::net {
namespace {

TEST(HttpServerConfigTest, ValidateRefusesWhatWeCannotDo) {
  HttpServerConfig c;
  c.endpoint = "localhost:1";
  EXPECT_TRUE(ValidateHttpServerConfig(c, "x").ok());
  c.tls = ServerTlsConfig{};
  EXPECT_TRUE(ValidateHttpServerConfig(c, "x").ok());  // empty tls block: off
  c.tls->cert_file = "c.pem";
  Status s = ValidateHttpServerConfig(c, "protocols::http");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "protocols::http::tls::key_file: must be set with cert_file");
  c.tls->cipher_suites = {"TLS_AES_128_GCM_SHA256"};
  c.tls->key_file = "k.pem";
  EXPECT_EQ(ValidateHttpServerConfig(c, "x").code(), StatusCode::kUnimplemented);
  c.tls.reset();
  c.auth = AuthConfig{"token_auth"};  // checked per request by the receiver
  EXPECT_TRUE(ValidateHttpServerConfig(c, "x").ok());
  c.auth = AuthConfig{""};
  s = ValidateHttpServerConfig(c, "x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("x::auth: authenticator must be set")) << s.message();
  c.auth.reset();
  c.compression_algorithms = {"gzip", "br"};
  s = ValidateHttpServerConfig(c, "http");
  EXPECT_EQ(s.message(), "http::compression_algorithms: unsupported compression type \"br\"");
}

TEST(HttpServerConfigTest, ServerOptions) {
  HttpServerConfig c;
  c.endpoint = "localhost:4318";
  c.max_request_body_size = 1234;
  c.read_header_timeout = std::chrono::seconds(3);
  HttpServerOptions o = ToServerOptions(c, "receiver/x");
  EXPECT_EQ(o.listen_address, "localhost:4318");
  EXPECT_EQ(o.max_body_bytes, 1234u);
  EXPECT_EQ(o.header_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(o.body_timeout, HttpServerOptions{}.body_timeout);
  EXPECT_EQ(o.log_name, "receiver/x");
}

TEST(HttpServerConfigTest, CorsOrigins) {
  std::vector<std::string> allowed = {"https://*.example.com", "http://exact"};
  EXPECT_TRUE(OriginAllowed("https://a.example.com", allowed));
  EXPECT_TRUE(OriginAllowed("http://exact", allowed));
  EXPECT_FALSE(OriginAllowed("https://example.org", allowed));
  EXPECT_FALSE(OriginAllowed("http://exact2", allowed));
  EXPECT_TRUE(OriginAllowed("anything", {"*"}));
}

}  // namespace
}  // namespace astrolabe::net
