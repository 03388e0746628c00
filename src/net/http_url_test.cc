#include "net/http_url.h"

#include <gtest/gtest.h>

#include <map>

namespace astrolabe::net::internal {
namespace {

TEST(ParseUrlTest, SplitsSchemeHostPortTarget) {
  Result<Url> u = ParseUrl("HTTP://Example.COM:8080/a/b?x=1#frag");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/a/b?x=1");
  EXPECT_EQ(u->Authority(), "example.com:8080");
  u = ParseUrl("https://h");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->Authority(), "h");
  EXPECT_EQ(u->HostPort(), "h:443");
  u = ParseUrl("http://h?q");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/?q");
}

TEST(ParseUrlTest, Ipv6AndUserinfo) {
  Result<Url> u = ParseUrl("http://user:p%40ss@[::1]:9/m");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "::1");
  EXPECT_TRUE(u->ipv6());
  EXPECT_EQ(u->port, 9);
  EXPECT_EQ(u->userinfo, "user:p@ss");
  EXPECT_EQ(u->Authority(), "[::1]:9");
  EXPECT_EQ(u->Absolute(), "http://[::1]:9/m");
}

TEST(ParseUrlTest, RejectsBadInput) {
  for (const char* bad :
       {"ftp://h/", "h/metrics", "http://", "http://h:0/", "http://h:70000/", "http://h:8x/",
        "http://[::1/", "http://[zz]/", "http://h/a b", "http://bad host/"}) {
    Result<Url> u = ParseUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  Result<Url> u = ParseUrl("http://h/\xc3\xa9");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/%C3%A9");
}

TEST(ResolveReferenceTest, Rfc3986Forms) {
  Url base = *ParseUrl("http://a:81/b/c/d?q");
  auto r = [&](const char* loc) {
    Result<Url> u = ResolveReference(base, loc);
    return u.ok() ? u->Absolute() : "error: " + u.status().message();
  };
  EXPECT_EQ(r("https://x/y"), "https://x/y");
  EXPECT_EQ(r("//x:5/y"), "http://x:5/y");
  EXPECT_EQ(r("/p?z"), "http://a:81/p?z");
  EXPECT_EQ(r("g"), "http://a:81/b/c/g");
  EXPECT_EQ(r("../g"), "http://a:81/b/g");
  EXPECT_EQ(r("./"), "http://a:81/b/c/");
  EXPECT_EQ(r("?y"), "http://a:81/b/c/d?y");
  EXPECT_EQ(r("../../../g"), "http://a:81/g");
  EXPECT_TRUE(r("ftp://x/").starts_with("error: unsupported scheme"));
}

TEST(NoProxyTest, CurlRules) {
  EXPECT_TRUE(NoProxyMatches("*", "anything"));
  EXPECT_TRUE(NoProxyMatches("example.com", "example.com"));
  EXPECT_TRUE(NoProxyMatches("example.com", "api.EXAMPLE.com"));
  EXPECT_TRUE(NoProxyMatches(".example.com", "example.com"));
  EXPECT_FALSE(NoProxyMatches("example.com", "badexample.com"));
  EXPECT_TRUE(NoProxyMatches("foo, bar.org ,baz", "x.bar.org"));
  EXPECT_FALSE(NoProxyMatches("foo,*", "x"));  // "*" only as the whole list
  EXPECT_TRUE(NoProxyMatches("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(NoProxyMatches("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(NoProxyMatches("10.0.0.0/8", "10.1.2.3"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "11.1.2.3"));
  EXPECT_TRUE(NoProxyMatches("::1", "::1"));
  EXPECT_TRUE(NoProxyMatches("[::1]", "::1"));
  EXPECT_TRUE(NoProxyMatches("fd00::/8", "fd12::5"));
  EXPECT_FALSE(NoProxyMatches("0.0.0.1", "localhost"));
}

TEST(ProxyForTest, EnvironmentLikeCurl) {
  std::map<std::string, std::string> env;
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  Url http = *ParseUrl("http://target:8000/m");
  Url https = *ParseUrl("https://target/m");
  auto proxy = [&](const Url& u, std::string_view explicit_proxy = "") -> std::string {
    auto p = ProxyFor(u, explicit_proxy, get);
    if (!p.ok()) return "error: " + p.status().message();
    return *p ? (*p)->HostPort() : "direct";
  };
  EXPECT_EQ(proxy(http), "direct");
  env["HTTP_PROXY"] = "http://upper:1";  // ignored, as curl does
  EXPECT_EQ(proxy(http), "direct");
  env["http_proxy"] = "lower:3128";
  EXPECT_EQ(proxy(http), "lower:3128");
  EXPECT_EQ(proxy(https), "direct");
  env["HTTPS_PROXY"] = "http://sec";
  EXPECT_EQ(proxy(https), "sec:1080");  // curl's default proxy port
  env["https_proxy"] = "http://sec2:8";
  EXPECT_EQ(proxy(https), "sec2:8");
  env["NO_PROXY"] = "target";
  EXPECT_EQ(proxy(http), "direct");
  EXPECT_EQ(proxy(http, "http://explicit:1"), "direct");  // no_proxy applies to proxy_url too
  env.erase("NO_PROXY");
  EXPECT_EQ(proxy(http, "http://explicit:1"), "explicit:1");
  env.clear();
  env["ALL_PROXY"] = "all:2";
  EXPECT_EQ(proxy(http), "all:2");
  EXPECT_EQ(proxy(https), "all:2");
  EXPECT_TRUE(proxy(http, "socks5://s:1").starts_with("error: proxy \"socks5://s:1\": scheme"));
  Result<std::optional<Url>> p = ProxyFor(http, "http://u:pw@p:9", get);
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->userinfo, "u:pw");
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace astrolabe::net::internal
