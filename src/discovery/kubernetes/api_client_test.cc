#include "discovery/kubernetes/api_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/testing/temp_dir.h"
#include "discovery/kubernetes/testing/fake_api_server.h"

namespace astrolabe::discovery::kubernetes {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Kubeconfig, CurrentContextWithInlineDataAndRelativeFiles) {
  test::TempDir dir;
  Write(dir / "token", "abc\n");
  // "Q0EgUEVN" is base64 of "CA PEM"; "Q0VSVA==" of "CERT".
  Write(dir / "config", R"(apiVersion: v1
kind: Config
current-context: kind-ai
contexts:
  - name: other
    context: {cluster: other, user: other}
  - name: kind-ai
    context:
      cluster: kind-ai
      user: admin
      namespace: ai
clusters:
  - name: kind-ai
    cluster:
      server: https://127.0.0.1:6443/
      certificate-authority-data: Q0EgUEVN
  - name: other
    cluster: {server: https://other:6443, insecure-skip-tls-verify: true}
users:
  - name: admin
    user:
      client-certificate-data: Q0VSVA==
      client-key: keys/admin.key
      tokenFile: token
  - name: other
    user: {token: t0k3n}
)");
  std::string ca_path;
  {
    auto c = KubeconfigConfig(dir / "config");
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->server, "https://127.0.0.1:6443");
    EXPECT_EQ(c->default_namespace, "ai");
    EXPECT_FALSE(c->insecure_skip_verify);
    EXPECT_EQ(ReadAll(c->ca_file), "CA PEM");
    EXPECT_EQ(ReadAll(c->cert_file), "CERT");
    EXPECT_EQ(c->key_file, dir / "keys/admin.key");
    EXPECT_EQ(c->token_file, dir / "token");
    ca_path = c->ca_file;
  }
  EXPECT_FALSE(std::ifstream(ca_path).good()) << "temporary files are removed with the config";

  auto other = KubeconfigConfig(dir / "config", "other");
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_TRUE(other->insecure_skip_verify);
  EXPECT_EQ(other->token, "t0k3n");
  EXPECT_EQ(other->default_namespace, "default");

  auto missing = KubeconfigConfig(dir / "config", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "kubeconfig " + (dir / "config") + ": context \"nope\" not found");
  auto absent = KubeconfigConfig(dir / "absent");
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("absent"), std::string::npos);
}

TEST(InCluster, ServiceAccountFilesAndEnvironment) {
  test::TempDir dir;
  Write(dir / "token", "sa-token");
  Write(dir / "ca.crt", "CA");
  Write(dir / "namespace", "astrolabe\n");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto none = InClusterConfig(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = InClusterConfig(dir.path());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, dir / "token");
  EXPECT_EQ(c->ca_file, dir / "ca.crt");
  EXPECT_EQ(c->default_namespace, "astrolabe");
}

TEST(ApiClient, ReReadsARotatedTokenFile) {
  test::TempDir dir;
  Write(dir / "token", "first");
  testing::FakeApiServer api;
  api.RequireAuthorization("Bearer first");
  ApiConfig c;
  c.server = api.url();
  c.token_file = dir / "token";
  ApiClient client(c);
  auto r = client.Get("/api/v1/pods", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  Write(dir / "token", "second\n");
  r = client.Get("/api/v1/pods", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);  // the server still wants the old one
  api.RequireAuthorization("Bearer second");
  r = client.Get("/api/v1/pods", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(ApiClient, ResolveRejectsABadApiServerUrl) {
  SdConfig sd;
  sd.role = "pod";
  sd.api_server = "kubernetes.default.svc";
  auto r = ResolveApiConfig(sd, "/nonexistent");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected a URL starting with http:// or https://"),
            std::string::npos);
  sd.api_server = "https://kubernetes.default.svc/";
  sd.bearer_token = "t";
  r = ResolveApiConfig(sd, "/nonexistent");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://kubernetes.default.svc");
  EXPECT_EQ(r->token, "t");
}

TEST(Base64, Decodes) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVsbG8"), "hello");
  EXPECT_FALSE(DecodeBase64("a$b").has_value());
}

}  // namespace
}  // namespace astrolabe::discovery::kubernetes
