#include "api/api_server.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/token_authenticator.h"
#include "net/http_client.h"

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<TokenStore>(dir_ + "/tokens.json");
    auth_ = std::make_unique<TokenAuthenticator>(store_.get(), &telemetry_, "api");
    auto admin = store_->Create("admin", AllScopes());
    ASSERT_TRUE(admin.ok());
    admin_ = admin->token;
    auto reader = store_->Create("reader", {"metrics.read"});
    ASSERT_TRUE(reader.ok());
    reader_ = reader->token;
    ApiServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tokens = store_.get();
    options.authenticator = auth_.get();
    options.telemetry = &telemetry_;
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Shutdown();
    std::filesystem::remove_all(dir_);
  }

  net::HttpResponse Call(const std::string& method, const std::string& path,
                         const std::string& token, const std::string& body = "") {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://" + server_->address() + path;
    if (!token.empty()) request.headers.Set("Authorization", "Api-Token " + token);
    request.body = body;
    if (!body.empty()) request.headers.Set("Content-Type", "application/json");
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  std::string dir_;
  component::Telemetry telemetry_;
  std::unique_ptr<TokenStore> store_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::unique_ptr<ApiServer> server_;
  net::HttpClient client_;
  std::string admin_, reader_;
};

TEST_F(ApiServerTest, TokenRoutesNeedSettingsWrite) {
  auto none = Call("GET", "/api/v1/tokens", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.body,
              MatchesRegex("\\{\"error\":\\{\"code\":401,\"message\":\"missing API token.*"));
  EXPECT_EQ(none.headers.Get("WWW-Authenticate").value_or(""), "Api-Token realm=\"astrolabe\"");
  auto wrong = Call("GET", "/api/v1/tokens", reader_);
  EXPECT_EQ(wrong.status, 403);
  EXPECT_THAT(wrong.body, HasSubstr("\"code\":403"));
  EXPECT_THAT(wrong.body, HasSubstr("lacks the scope settings.write"));
  EXPECT_EQ(
      Call("POST", "/api/v1/tokens", reader_, R"({"name":"x","scopes":["logs.ingest"]})").status,
      403);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/0123456789ab", "").status, 401);
}

TEST_F(ApiServerTest, CreateListRevoke) {
  auto created =
      Call("POST", "/api/v1/tokens", admin_, R"({"name":"ci","scopes":["logs.ingest"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_THAT(created.body, MatchesRegex(".*\"token\":\"astro_[0-9a-f]{12}_[0-9a-f]{64}\".*"));
  const std::string id = created.body.substr(created.body.find("\"id\":\"") + 6, 12);
  const std::string token = created.body.substr(created.body.find("astro_"), 83);
  EXPECT_TRUE(store_->Check(token, "logs.ingest").ok());

  auto list = Call("GET", "/api/v1/tokens", admin_);
  EXPECT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr("\"name\":\"ci\",\"scopes\":[\"logs.ingest\"]"));
  EXPECT_THAT(list.body, Not(HasSubstr("astro_")));
  EXPECT_THAT(list.body, Not(HasSubstr("sha256")));

  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id, admin_).status, 204);
  EXPECT_EQ(store_->Check(token, "logs.ingest").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id, admin_).status, 409);
  auto unknown = Call("DELETE", "/api/v1/tokens/000000000000", admin_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("no token with id"));
}

TEST_F(ApiServerTest, BadCreateRequestsSayWhy) {
  auto bad_json = Call("POST", "/api/v1/tokens", admin_, "{");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_THAT(bad_json.body, HasSubstr("not valid JSON"));
  auto bad_scope = Call("POST", "/api/v1/tokens", admin_, R"({"name":"x","scopes":["root"]})");
  EXPECT_EQ(bad_scope.status, 400);
  EXPECT_THAT(bad_scope.body, HasSubstr("unknown scope \\\"root\\\""));
  auto extra = Call("POST", "/api/v1/tokens", admin_, R"({"name":"x","scopes":[],"admin":true})");
  EXPECT_THAT(extra.body, HasSubstr("unknown field \\\"admin\\\""));
}

TEST_F(ApiServerTest, ServesOwnMetricsWithTheAuthCounters) {
  Call("GET", "/api/v1/tokens", "");
  auto metrics = Call("GET", "/metrics", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr("astrolabe_auth_rejected_requests_total{authenticator=\"api\","
                        "reason=\"missing\"} 1"));
}

}  // namespace
}  // namespace astrolabe::api
