// The web UI's file server on the API listener, over real HTTP: files with their types, the SPA
// fallback, ETag/304, cache headers, gzip, security headers, API routes keeping priority, and
// the "UI not built" page.
#include "api/ui_server.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/api_server.h"
#include "api/token_authenticator.h"
#include "net/http_client.h"
#include "wire/gzip.h"

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;

const std::string kIndex = "<!doctype html><html><head><script type=module src=\"./assets/index-abc123.js\"></script></head><body><div id=app></div></body></html>";
const std::string kScript = [] {
  std::string s;
  for (int i = 0; i < 200; ++i) s += "console.log('astrolabe " + std::to_string(i) + "');\n";
  return s;
}();

class UiServerTest : public ::testing::Test {
 protected:
  void Start(std::span<const UiFile> files, bool serve_ui = true) {
    char tmpl[] = "/tmp/astrolabe-ui-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<TokenStore>(dir_ + "/tokens.json");
    auth_ = std::make_unique<TokenAuthenticator>(store_.get(), &telemetry_, "api");
    ApiServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tokens = store_.get();
    options.authenticator = auth_.get();
    options.telemetry = &telemetry_;
    options.ui_files = files;
    options.serve_ui = serve_ui;
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  net::HttpResponse Get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    net::HttpRequest request;
    request.url = "http://" + server_->address() + path;
    for (const auto& [k, v] : headers) request.headers.Set(k, v);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }
  std::string Header(const net::HttpResponse& r, std::string_view name) {
    return std::string(r.headers.Get(name).value_or(""));
  }

  std::vector<UiFile> files_ = {
      {"/index.html", kIndex},
      {"/assets/index-abc123.js", kScript},
      {"/assets/logo.png", std::string_view("\x89PNG\r\n\x1a\n", 8)},
  };
  std::string dir_;
  component::Telemetry telemetry_;
  std::unique_ptr<TokenStore> store_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::unique_ptr<ApiServer> server_;
  net::HttpClient client_;
};

TEST_F(UiServerTest, ServesIndexAndAssetsWithTypesAndCaching) {
  Start(files_);
  auto index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(Header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  EXPECT_THAT(Header(index, "Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_EQ(Header(index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Header(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_THAT(Header(index, "ETag"), ::testing::MatchesRegex("\"[0-9a-f]{16}\""));
  EXPECT_EQ(Get("/index.html").body, kIndex);

  auto js = Get("/assets/index-abc123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, kScript);
  EXPECT_EQ(Header(js, "Content-Type"), "application/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(js, "Content-Encoding"), "");
  EXPECT_EQ(Header(js, "Vary"), "Accept-Encoding");
  EXPECT_EQ(Header(js, "Content-Security-Policy"), "");
  auto png = Get("/assets/logo.png");
  EXPECT_EQ(Header(png, "Content-Type"), "image/png");
  EXPECT_EQ(png.body.size(), 8u);
  EXPECT_NE(Header(png, "ETag"), Header(js, "ETag"));
}

TEST_F(UiServerTest, GzipWhenAcceptedAndWorthIt) {
  Start(files_);
  auto gz = Get("/assets/index-abc123.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), kScript.size() / 4);
  auto plain = wire::GzipDecompress(gz.body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, kScript);
  EXPECT_EQ(Header(Get("/assets/index-abc123.js", {{"Accept-Encoding", "gzip;q=0"}}), "Content-Encoding"), "");
  EXPECT_EQ(Header(Get("/assets/index-abc123.js", {{"Accept-Encoding", "identity"}}), "Content-Encoding"), "");
  // Small files are sent as they are.
  EXPECT_EQ(Header(Get("/", {{"Accept-Encoding", "gzip"}}), "Content-Encoding"), "");
}

TEST_F(UiServerTest, EtagRevalidation) {
  Start(files_);
  const std::string etag = Header(Get("/assets/index-abc123.js"), "ETag");
  auto same = Get("/assets/index-abc123.js", {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(Header(same, "ETag"), etag);
  EXPECT_EQ(Get("/assets/index-abc123.js", {{"If-None-Match", "\"x\", W/" + etag}}).status, 304);
  EXPECT_EQ(Get("/assets/index-abc123.js", {{"If-None-Match", "\"0000000000000000\""}}).status, 200);
}

TEST_F(UiServerTest, SpaFallbackAndMissingFiles) {
  Start(files_);
  auto route = Get("/overview");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, kIndex);
  EXPECT_EQ(Get("/some/deep/route?x=1").body, kIndex);
  auto missing = Get("/assets/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("/assets/nope.js"));
}

TEST_F(UiServerTest, ApiRoutesKeepPriority) {
  Start(files_);
  // A real API route still wants its token.
  auto query = Get("/api/v1/query?query=up");
  EXPECT_EQ(query.status, 401);
  // An unknown API path is a JSON 404, never the UI's page.
  auto unknown = Get("/api/v1/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Header(unknown, "Content-Type"), "application/json");
  EXPECT_THAT(unknown.body, HasSubstr("no API route GET /api/v1/nope"));
  // Own metrics stay at /metrics.
  EXPECT_THAT(Get("/metrics").body, HasSubstr("# TYPE"));
}

TEST_F(UiServerTest, NotBuiltSaysHowToBuild) {
  Start({});
  auto r = Get("/");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("UI not built: run <code>make ui</code>"));
  EXPECT_EQ(Get("/overview").status, 503);
  EXPECT_EQ(Get("/api/v1/query?query=up").status, 401);
}

TEST_F(UiServerTest, CanBeTurnedOff) {
  Start(files_, false);
  EXPECT_EQ(Get("/").status, 404);
}

TEST(UiServerContentType, ByExtension) {
  EXPECT_EQ(UiServer::ContentTypeOf("/a/b.css"), "text/css; charset=utf-8");
  EXPECT_EQ(UiServer::ContentTypeOf("/x.svg"), "image/svg+xml");
  EXPECT_EQ(UiServer::ContentTypeOf("/x.woff2"), "font/woff2");
  EXPECT_EQ(UiServer::ContentTypeOf("/noext"), "application/octet-stream");
}

}  // namespace
}  // namespace astrolabe::api
