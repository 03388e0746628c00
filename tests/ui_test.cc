// The web UI end to end: `astrolabe demo` on free ports serves the UI embedded in the binary at
// `/`; headless Debian Chromium, driven by tests/ui/ui.mjs (playwright-core from ui/node_modules),
// signs in with the printed token, opens every page of the nav (data, no console errors), uses
// the Overview's filter and a drill-down, the PromQL editor's completion, both themes, and a
// rejected token; screenshots land in <build dir>/ui-screenshots/.
// Needs `make ui` (ui/dist embedded at build time) and scripts/setup's chromium.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process.h"

namespace astrolabe::e2e {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = steady_clock::now() + timeout;
  while (steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return condition();
}

TEST(Ui, EveryPageInChromiumAgainstTheDemo) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian chromium is missing: run scripts/setup";
  ASSERT_TRUE(std::filesystem::exists("../ui/node_modules/playwright-core"))
      << "ui/node_modules is missing: run scripts/setup";
  const int http = FreePort();
  Subprocess demo;
  ASSERT_TRUE(demo.Start({AstrolabeBinary(), "demo", "--http", "127.0.0.1:" + std::to_string(http),
                          "--rate", "4", "--seed", "5"}));
  ASSERT_TRUE(Eventually([&] { return demo.Stdout().find("Ctrl-C stops") != std::string::npos; },
                         seconds(60)))
      << demo.Stdout() << demo.Stderr();
  std::smatch token;
  const std::string banner = demo.Stdout();
  ASSERT_TRUE(std::regex_search(banner, token, std::regex("astro_[0-9a-f]{12}_[0-9a-f]{64}")))
      << banner;

  // The UI is in the binary.
  const HttpResult index = HttpGet(http, "/");
  ASSERT_EQ(index.status, 200) << index.body;
  ASSERT_THAT(index.body, HasSubstr("<div id=\"app\">"));

  // Data from every source before the browser looks: Kong's series (its first proxied request)
  // and a few scrape rounds, so the Overview's rates have points.
  ASSERT_TRUE(Eventually([&] { return HttpGet(http, "/metrics").body.find("otelcol_receiver_accepted_spans_total{receiver=\"otlp\"") != std::string::npos; },
                         seconds(60)));
  std::this_thread::sleep_for(seconds(35));

  const std::string shots =
      (std::filesystem::path(AstrolabeBinary()).parent_path() / "ui-screenshots").string();
  Subprocess node;
  ASSERT_TRUE(node.Start({"node", "ui/ui.mjs"},
                         {"ASTROLABE_URL=http://127.0.0.1:" + std::to_string(http),
                          "ASTROLABE_TOKEN=" + token.str(), "SCREENSHOT_DIR=" + shots}));
  const std::optional<int> code = node.Wait(seconds(240));
  if (!code) node.Signal(SIGKILL);
  std::cout << node.Stdout() << node.Stderr();
  EXPECT_TRUE(code.has_value()) << "ui.mjs still running after 240 s";
  EXPECT_EQ(code.value_or(-1), 0) << node.Stdout() << node.Stderr();
  EXPECT_TRUE(std::filesystem::exists(shots + "/overview.png"));
  EXPECT_TRUE(std::filesystem::exists(shots + "/explore.png"));

  demo.Signal(SIGINT);
  const std::optional<int> stopped = demo.Wait(seconds(15));
  ASSERT_TRUE(stopped.has_value()) << "demo still running 15 s after SIGINT";
  EXPECT_EQ(*stopped, 0) << demo.Stderr();
}

}  // namespace
}  // namespace astrolabe::e2e
