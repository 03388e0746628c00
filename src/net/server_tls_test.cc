// HTTPS on HttpServer: certificates made with the openssl CLI at test time, our own client,
// 127.0.0.1 only.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "net/http_client.h"
#include "net/http_server.h"
#include "net/http_server_config.h"

namespace astrolabe::net {
namespace {

using namespace std::chrono_literals;

// A CA (`name`-ca.pem), a server certificate for 127.0.0.1 and a client certificate it
// signed, in `dir`.
bool MakePki(const std::string& dir, const std::string& name) {
  const std::string script =
      "cd " + dir +
      " && set -e\n"
      "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1; }\n"
      "key " +
      name +
      "-ca.key\n"
      "openssl req -x509 -new -key " +
      name + "-ca.key -out " + name +
      "-ca.pem -days 2 "
      "-subj /CN=" +
      name +
      "-ca\n"
      "printf \"subjectAltName=IP:127.0.0.1,DNS:localhost\\n\" > san.ext\n"
      "for who in server client; do\n"
      "  key " +
      name +
      "-$who.key\n"
      "  openssl req -new -key " +
      name +
      "-$who.key -out $who.csr -subj /CN=$who\n"
      "  openssl x509 -req -in $who.csr -CA " +
      name + "-ca.pem -CAkey " + name +
      "-ca.key "
      "-CAcreateserial -out " +
      name +
      "-$who.pem -days 2 -extfile san.ext\n"
      "done\n";
  return std::system(("bash -c '" + script + "' >/dev/null 2>&1").c_str()) == 0;
}

class ServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/astrolabe-stls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ok_ = MakePki(dir_, "a") && MakePki(dir_, "b");
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  void SetUp() override { ASSERT_TRUE(ok_) << "openssl could not make the test certificates"; }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::steady_clock::now() + 1s);
  }

  // The server serves /v1/metrics with TLS from copies of the `a` files (so a test may
  // replace them).
  Status Start(bool mutual, std::chrono::milliseconds reload = 10s) {
    for (const char* f : {"server.pem", "server.key"}) {
      std::filesystem::copy_file(dir_ + "/a-" + f, dir_ + "/live-" + f,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tls.cert_file = dir_ + "/live-server.pem";
    options.tls.key_file = dir_ + "/live-server.key";
    if (mutual) options.tls.client_ca_file = dir_ + "/a-ca.pem";
    options.tls.reload_interval = reload;
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("POST", "/v1/metrics", [](ServerRequest& req, ServerResponse& res) {
      res.Set(200, "application/x-protobuf", "got " + std::string(req.body()));
    });
    return server_->Start();
  }

  // POSTs to the server; `ca`: the CA to trust ("a" or "b"); `client`: present that CA's
  // client certificate.
  Result<HttpResponse> Post(const std::string& scheme, const std::string& ca,
                            const std::string& client = "", std::string body = "points") {
    HttpClientOptions options;
    options.connect_timeout = 3s;
    options.timeout = 3s;
    options.tls.ca_file = dir_ + "/" + ca + "-ca.pem";
    if (!client.empty()) {
      options.tls.cert_file = dir_ + "/" + client + "-client.pem";
      options.tls.key_file = dir_ + "/" + client + "-client.key";
    }
    HttpClient http(options);
    HttpRequest request;
    request.method = "POST";
    request.url = scheme + "://127.0.0.1:" + std::to_string(server_->port()) + "/v1/metrics";
    request.body = std::move(body);
    return http.Send(std::move(request)).get();
  }

  static inline std::string dir_;
  static inline bool ok_ = false;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTlsTest, ServesHttps) {
  ASSERT_TRUE(Start(false).ok());
  Result<HttpResponse> r = Post("https", "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "got points");
  // A client that trusts another CA refuses the server.
  EXPECT_FALSE(Post("https", "b").ok());
}

// A body of 64 KiB or more is read straight into its buffer (ReadLargeBody), through TLS too.
TEST_F(ServerTlsTest, ServesALargeBodyOverHttps) {
  ASSERT_TRUE(Start(false).ok());
  std::string body(300'000, '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  for (int i = 0; i < 2; ++i) {  // the second one in a kept buffer
    Result<HttpResponse> r = Post("https", "a", "", body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == "got " + body) << r->body.size();
  }
}

TEST_F(ServerTlsTest, PlainHttpToATlsPortGetsAClear400) {
  ASSERT_TRUE(Start(false).ok());
  Result<HttpResponse> r = Post("http", "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("HTTP request to an HTTPS server"), std::string::npos) << r->body;
  EXPECT_GE(server_->stats().tls_handshake_errors.load(), 1u);
  // The server is still fine afterwards.
  EXPECT_TRUE(Post("https", "a").ok());
}

TEST_F(ServerTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  ASSERT_TRUE(Start(true).ok());
  EXPECT_FALSE(Post("https", "a").ok());
  // Signed by another CA: refused too.
  EXPECT_FALSE(Post("https", "a", "b").ok());
  Result<HttpResponse> r = Post("https", "a", "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(server_->stats().tls_handshake_errors.load(), 1u);
}

TEST_F(ServerTlsTest, ARotatedCertificateIsServedWithoutARestart) {
  ASSERT_TRUE(Start(false, 100ms).ok());
  ASSERT_TRUE(Post("https", "a").ok());
  // A half-done rotation (new certificate, old key) is refused and the old pair stays.
  std::filesystem::copy_file(dir_ + "/b-server.pem", dir_ + "/live-server.pem.tmp");
  std::filesystem::rename(dir_ + "/live-server.pem.tmp", dir_ + "/live-server.pem");
  std::this_thread::sleep_for(150ms);
  Result<HttpResponse> still = Post("https", "a");
  EXPECT_TRUE(still.ok()) << still.status().ToString();
  EXPECT_EQ(server_->stats().tls_reload_errors.load(), 1u);
  // The key follows: from now on the server presents b's certificate.
  std::filesystem::copy_file(dir_ + "/b-server.key", dir_ + "/live-server.key.tmp");
  std::filesystem::rename(dir_ + "/live-server.key.tmp", dir_ + "/live-server.key");
  bool renewed = false;
  for (int i = 0; i < 50 && !renewed; ++i) {
    std::this_thread::sleep_for(50ms);
    renewed = Post("https", "b").ok();
  }
  EXPECT_TRUE(renewed);
  EXPECT_EQ(server_->stats().tls_reloads.load(), 1u);
  EXPECT_FALSE(Post("https", "a").ok());
}

TEST_F(ServerTlsTest, BadFilesFailTheStartNamingKeyAndFile) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tls.cert_file = dir_ + "/missing.pem";
  options.tls.key_file = dir_ + "/a-server.key";
  {
    HttpServer server(options);
    Status s = server.Start();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("tls::cert_file " + dir_ + "/missing.pem"), std::string::npos)
        << s.message();
  }
  options.tls.cert_file = dir_ + "/a-server.pem";
  options.tls.key_file = dir_ + "/b-server.key";
  {
    HttpServer server(options);
    Status s = server.Start();
    EXPECT_NE(s.message().find("tls::key_file " + dir_ + "/b-server.key does not match"),
              std::string::npos)
        << s.message();
  }
  options.tls.key_file = dir_ + "/a-server.key";
  options.tls.min_version = "1.3";
  HttpServer server(options);
  EXPECT_TRUE(server.Start().ok());
  server.Shutdown(std::chrono::steady_clock::now());
}

TEST(ServerTlsConfigTest, ValidationNamesTheKey) {
  ServerTlsConfig tls;
  tls.cert_file = "c.pem";
  EXPECT_NE(ValidateServerTlsConfig(tls, "protocols::http", false)
                .message()
                .find("protocols::http::tls::key_file: must be set"),
            std::string::npos);
  tls.key_file = "k.pem";
  EXPECT_TRUE(ValidateServerTlsConfig(tls, "protocols::http", false).ok());
  tls.min_version = "1.4";
  EXPECT_NE(ValidateServerTlsConfig(tls, "x", false).message().find("x::tls::min_version"),
            std::string::npos);
  tls.min_version = "1.3";
  EXPECT_TRUE(ValidateServerTlsConfig(tls, "x", false).ok());
  EXPECT_EQ(ValidateServerTlsConfig(tls, "x", true).code(), StatusCode::kUnimplemented);
  tls.min_version.clear();
  tls.ca_file = "ca.pem";
  EXPECT_NE(ValidateServerTlsConfig(tls, "x", false).message().find("client_ca_file"),
            std::string::npos);
  tls.ca_file.clear();
  tls.reload_interval = std::chrono::seconds(3);
  tls.client_ca_file = "ca.pem";
  ServerTlsOptions o = ToServerTlsOptions(tls);
  EXPECT_EQ(o.reload_interval, 3000ms);
  EXPECT_EQ(o.client_ca_file, "ca.pem");
  EXPECT_EQ(o.min_version, "1.2");

  HttpServerConfig http;
  http.endpoint = "127.0.0.1:0";
  http.tls = tls;
  EXPECT_TRUE(ValidateHttpServerConfig(http, "protocols::http").ok());
  EXPECT_EQ(ToServerOptions(http, "t").tls.cert_file, "c.pem");
  EXPECT_NE(CheckServerTlsFiles(tls, "protocols::grpc")
                .message()
                .find("protocols::grpc::tls::cert_file c.pem"),
            std::string::npos);
}

}  // namespace
}  // namespace astrolabe::net
