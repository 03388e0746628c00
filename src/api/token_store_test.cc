#include "api/token_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/token_authenticator.h"
#include "common/sha256.h"

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-tokens-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/tokens.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string ReadFile() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_, path_;
};

TEST_F(TokenStoreTest, MissingFileIsAnEmptyStore) {
  TokenStore store(path_);
  ASSERT_TRUE(store.Load().ok());
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(TokenStoreTest, CreateReturnsTheTokenOnceAndStoresOnlyItsDigest) {
  TokenStore store(path_);
  auto made = store.Create("ci", {"metrics.ingest", "logs.ingest", "metrics.ingest"});
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_THAT(made->token, MatchesRegex("astro_[0-9a-f]{12}_[0-9a-f]{64}"));
  EXPECT_EQ(made->token.substr(6, 12), made->info.id);
  EXPECT_EQ(made->info.scopes, (std::vector<std::string>{"metrics.ingest", "logs.ingest"}));
  EXPECT_EQ(made->info.sha256, Sha256Hex(made->token));
  const std::string file = ReadFile();
  EXPECT_THAT(file, HasSubstr(made->info.id));
  EXPECT_THAT(file, HasSubstr(made->info.sha256));
  EXPECT_THAT(file, Not(HasSubstr(made->token.substr(19))));  // the secret is nowhere
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    files += e.path().filename().string().find(".tmp.") == std::string::npos;
  }
  EXPECT_EQ(files, 2u);  // tokens.json and tokens.json.lock
}

TEST_F(TokenStoreTest, CheckAcceptsTheRightScopeOnly) {
  TokenStore store(path_);
  auto made = store.Create("ingest", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  CheckFailure f = CheckFailure::kMalformed;
  TokenInfo info;
  EXPECT_TRUE(store.Check(made->token, "metrics.ingest", &info, &f).ok());
  EXPECT_EQ(f, CheckFailure::kNone);
  EXPECT_EQ(info.name, "ingest");

  Status wrong = store.Check(made->token, "openTelemetryTrace.ingest", nullptr, &f);
  EXPECT_EQ(wrong.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(f, CheckFailure::kScope);
  EXPECT_THAT(wrong.message(), HasSubstr("lacks the scope openTelemetryTrace.ingest"));
  EXPECT_THAT(wrong.message(), Not(HasSubstr(made->token)));
}

TEST_F(TokenStoreTest, WrongSecretMalformedAndUnknownAreUnauthenticated) {
  TokenStore store(path_);
  auto made = store.Create("x", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  std::string wrong = made->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CheckFailure f;
  Status s = store.Check(wrong, "metrics.ingest", nullptr, &f);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(f, CheckFailure::kUnknown);
  EXPECT_THAT(s.message(), Not(HasSubstr(wrong.substr(19))));

  EXPECT_EQ(store.Check("dt0c01.ABC", "metrics.ingest", nullptr, &f).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(f, CheckFailure::kMalformed);
  EXPECT_EQ(store.Check(made->token + "0", "metrics.ingest", nullptr, &f).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(f, CheckFailure::kMalformed);
  std::string upper = made->token;
  upper[10] = 'A';
  EXPECT_EQ(store.Check(upper, "metrics.ingest", nullptr, &f).code(), StatusCode::kUnauthenticated);
  std::string other_id = "astro_000000000000_" + made->token.substr(19);
  EXPECT_EQ(store.Check(other_id, "metrics.ingest", nullptr, &f).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(f, CheckFailure::kUnknown);
}

TEST_F(TokenStoreTest, RevokedTokensAreRefusedAndStayListed) {
  TokenStore store(path_);
  auto made = store.Create("old", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(store.Revoke(made->info.id).ok());
  CheckFailure f;
  Status s = store.Check(made->token, "metrics.ingest", nullptr, &f);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(f, CheckFailure::kRevoked);
  EXPECT_THAT(s.message(), HasSubstr("revoked"));
  auto list = store.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].active());
  EXPECT_EQ(store.Revoke(made->info.id).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.Revoke("0123456789ab").code(), StatusCode::kNotFound);
}

TEST_F(TokenStoreTest, BadNamesAndScopesAreRefused) {
  TokenStore store(path_);
  EXPECT_EQ(store.Create("", {"metrics.ingest"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Create("a\nb", {"metrics.ingest"}).status().code(), StatusCode::kInvalidArgument);
  auto bad = store.Create("x", {"metrics.write"});
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown scope \"metrics.write\"; valid scopes: "
                                                "metrics.ingest, openTelemetryTrace.ingest"));
  EXPECT_EQ(store.Create("x", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.size(), 0u);
}

// Another process (the CLI) writes the file; a running store sees it within the interval.
TEST_F(TokenStoreTest, ChangesByAnotherWriterAreSeen) {
  TokenStore server(path_, std::chrono::milliseconds(0));
  ASSERT_TRUE(server.Load().ok());
  TokenStore cli(path_);
  auto made = cli.Create("late", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(server.Check(made->token, "metrics.ingest").ok());
  ASSERT_TRUE(TokenStore(path_).Revoke(made->info.id).ok());
  EXPECT_EQ(server.Check(made->token, "metrics.ingest").code(), StatusCode::kUnauthenticated);
  // Two writers never lose each other's tokens.
  auto a = cli.Create("a", {"metrics.read"});
  auto b = server.Create("b", {"traces.read"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(TokenStore(path_).List().size(), 3u);
}

// A token made by another writer works at once, whatever the reload interval.
TEST_F(TokenStoreTest, AnUnknownIdLooksAtTheFileAtOnce) {
  TokenStore server(path_, std::chrono::hours(1));
  ASSERT_TRUE(server.Create("first", {"metrics.ingest"}).ok());
  auto made = TokenStore(path_).Create("new", {"logs.ingest"});
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(server.Check(made->token, "logs.ingest").ok());
}

TEST_F(TokenStoreTest, ABrokenFileIsAnErrorNamingItAndKeepsTheOldTokens) {
  TokenStore store(path_, std::chrono::milliseconds(0));
  auto made = store.Create("x", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  {
    std::ofstream out(path_);
    out << "{\"version\": 1, \"tokens\": [{\"id\": 3}]}";
  }
  EXPECT_TRUE(store.Check(made->token, "metrics.ingest").ok());
  Status s = TokenStore(path_).Load();
  EXPECT_THAT(s.message(), HasSubstr(path_));
  EXPECT_THAT(s.message(), HasSubstr("tokens[0].id: expected a string"));
}

TEST(TokenFile, RoundTrips) {
  TokenInfo t{
      "0123456789ab",      "name \"quoted\"\n", {"metrics.ingest"}, "2026-01-01T00:00:00Z", "",
      std::string(64, 'a')};
  TokenInfo r = t;
  r.id = "ba9876543210";
  r.revoked = "2026-01-02T00:00:00Z";
  auto parsed = ParseTokenFile(FormatTokenFile({t, r}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, t.name);
  EXPECT_TRUE((*parsed)[0].active());
  EXPECT_EQ((*parsed)[1].revoked, r.revoked);
  EXPECT_TRUE(ParseTokenFile(FormatTokenFile({})).ok());
}

TEST(TokenFile, ErrorsNameTheField) {
  EXPECT_THAT(ParseTokenFile("[]").status().message(), HasSubstr("expected an object"));
  EXPECT_THAT(ParseTokenFile("{\"version\":2,\"tokens\":[]}").status().message(),
              HasSubstr("version: expected 1"));
  EXPECT_THAT(ParseTokenFile("{\"version\":1,\"tokens\":[{\"id\":\"zz\",\"name\":\"n\","
                             "\"created\":\"c\",\"sha256\":\"s\",\"scopes\":[]}]}")
                  .status()
                  .message(),
              HasSubstr("tokens[0].id: expected 12 lowercase hex characters"));
  EXPECT_THAT(ParseTokenFile("{\"version\":1").status().message(), HasSubstr("not valid JSON"));
}

TEST(Authorization, SchemesAndSpacing) {
  EXPECT_EQ(TokenFromAuthorization("Api-Token abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("api-token   abc "), "abc");
  EXPECT_EQ(TokenFromAuthorization("Bearer abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("BEARER\tabc"), "abc");
  // Basic: the token is the password ("u:tok"), or the user when the password is empty.
  EXPECT_EQ(TokenFromAuthorization("Basic dTp0b2s="), "tok");
  EXPECT_EQ(TokenFromAuthorization("basic dTp0b2s"), "tok");
  EXPECT_EQ(TokenFromAuthorization("Basic dG9rOg=="), "tok");
  EXPECT_EQ(TokenFromAuthorization("Basic dG9r"), "tok");
  EXPECT_EQ(TokenFromAuthorization("Basic Og=="), std::nullopt);  // ":"
  EXPECT_EQ(TokenFromAuthorization("Basic a!c"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Basic a"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Digest abc"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Bearer"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Bearer   "), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization(""), std::nullopt);
}

TEST_F(TokenStoreTest, AuthenticatorReadsTheHeaderAndCounts) {
  TokenStore store(path_);
  auto made = store.Create("x", {"metrics.ingest"});
  ASSERT_TRUE(made.ok());
  component::Telemetry telemetry;
  TokenAuthenticator auth(&store, &telemetry, "token_auth");
  using H = std::vector<std::pair<std::string_view, std::string_view>>;
  const std::string good = "Api-Token " + made->token;
  EXPECT_TRUE(auth.Authenticate(H{{"AUTHORIZATION", good}}, "metrics.ingest").ok());
  EXPECT_EQ(auth.Authenticate(H{}, "metrics.ingest").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate(H{{"authorization", "Digest eDp5"}}, "metrics.ingest").code(),
            StatusCode::kUnauthenticated);
  // Basic credentials with the token as the password ("u:<token>", base64).
  const std::string basic = "Basic " + [&] {
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = "u:" + made->token;
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
      out += kB64[(n >> 18) & 63];
      out += kB64[(n >> 12) & 63];
      out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
      out += i + 2 < in.size() ? kB64[n & 63] : '=';
    }
    return out;
  }();
  EXPECT_TRUE(auth.Authenticate(H{{"authorization", basic}}, "metrics.ingest").ok());
  EXPECT_EQ(auth.Authenticate(H{{"authorization", good}}, "logs.ingest").code(),
            StatusCode::kPermissionDenied);
  const std::string text = telemetry.RenderText();
  EXPECT_THAT(text,
              HasSubstr("astrolabe_auth_accepted_requests_total{authenticator=\"token_auth\"} 2"));
  EXPECT_THAT(text, HasSubstr("astrolabe_auth_rejected_requests_total{authenticator=\"token_auth\","
                              "reason=\"missing\"} 2"));
  EXPECT_THAT(text, HasSubstr("reason=\"scope\"} 1"));
}

}  // namespace
}  // namespace astrolabe::api
