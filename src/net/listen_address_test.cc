#include "net/listen_address.h"

#include <gtest/gtest.h>

namespace astrolabe::net {
namespace {

TEST(ListenAddressTest, ParsesCollectorForms) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& c :
       {Case{"localhost:13133", "localhost", 13133}, Case{"127.0.0.1:0", "127.0.0.1", 0},
        Case{"[::1]:0", "::1", 0}, Case{"0.0.0.0:8888", "0.0.0.0", 8888}, Case{":8888", "", 8888},
        Case{"[::]:4318", "::", 4318}}) {
    auto parsed = ParseListenAddress(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->host, c.host) << c.text;
    EXPECT_EQ(parsed->port, c.port) << c.text;
  }
}

TEST(ListenAddressTest, RejectsMalformed) {
  for (const char* text : {"", "localhost", "localhost:", "host:http", "host:65536", "host:-1",
                           "::1:80", "[::1]", "[::1]80", "[]:80", "[::1:80", "h:1x"}) {
    auto parsed = ParseListenAddress(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(parsed.status().message().find(text), std::string::npos)
          << parsed.status().message();
    }
  }
}

TEST(ListenAddressTest, FormatsHostPort) {
  EXPECT_EQ(FormatHostPort("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(FormatHostPort("::1", 4318), "[::1]:4318");
  EXPECT_EQ(FormatHostPort("", 8888), ":8888");
}

}  // namespace
}  // namespace astrolabe::net
