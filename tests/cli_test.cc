// The astrolabe binary's commands as a user runs them: version, validate (errors with
// positions and suggestions, the source documents' slips, --fix).

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process.h"

namespace astrolabe::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Cli, VersionPrintsBuildDescription) {
  RunResult r = RunProcess({AstrolabeBinary(), "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("Astrolabe/[0-9]+\\.[0-9]+\\.[0-9]+ \\(linux/.*\\)\n"));
}

TEST(Cli, HelpListsTheCommands) {
  RunResult r = RunProcess({AstrolabeBinary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("collector"));
  EXPECT_THAT(r.out, HasSubstr("validate"));
}

// `astrolabe query` without a server: its options, and every failure is exit 1 with the reason.
// (Against a running server: tests/query_e2e_test.cc.)
TEST(Cli, QueryOptionsAndErrors) {
  RunResult help = RunProcess({AstrolabeBinary(), "query", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"--server", "--token", "--time", "--start", "--end", "--step",
                             "--timeout", "--json", "ASTROLABE_TOKEN", "metrics.read"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  EXPECT_NE(RunProcess({AstrolabeBinary(), "query"}).exit_code, 0);  // EXPR is required
  const std::string server = "127.0.0.1:" + std::to_string(FreePort());
  RunResult down = RunProcess({AstrolabeBinary(), "query", "up", "--server", server});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.err, HasSubstr("error: querying http://" + server));
  RunResult bad_time =
      RunProcess({AstrolabeBinary(), "query", "up", "--server", server, "--time", "yesterday"});
  EXPECT_EQ(bad_time.exit_code, 1);
  EXPECT_THAT(bad_time.err, HasSubstr("--time: time: cannot parse \"yesterday\""));
  RunResult bad_start =
      RunProcess({AstrolabeBinary(), "query", "up", "--server", server, "--start", "now~1h"});
  EXPECT_EQ(bad_start.exit_code, 1);
  EXPECT_THAT(bad_start.err, HasSubstr("--start: time \"now~1h\": expected now, now-1h or now+5m"));
}

TEST(Cli, UnknownCommandFails) {
  RunResult r = RunProcess({AstrolabeBinary(), "frobnicate"});
  EXPECT_NE(r.exit_code, 0);
}

TEST(Validate, TypoNamesFileLineColumnAndTheCloseKey) {
  RunResult r = RunProcess({AstrolabeBinary(), "validate", "--config", "testdata/typo.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("testdata/typo.yaml:6:11: "
                               "receivers.prometheus.config.scrape_configs[0].scrape_intervall: "
                               "unknown key (did you mean scrape_interval?)"));
  EXPECT_THAT(r.err, HasSubstr("testdata/typo.yaml:11:5: exporters.debug.verbosty: unknown key "
                               "(did you mean verbosity?)"));
  EXPECT_THAT(r.out, Not(HasSubstr("receivers:")));
}

TEST(Validate, MissingFileIsAnErrorNamingIt) {
  RunResult r = RunProcess({AstrolabeBinary(), "validate", "--config", "testdata/no-such.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-such.yaml"));
}

// The NIM page's config as printed: four slips, each forgiven with one warning.
TEST(Validate, NimSourceDocumentSlipsAreForgivenWithOneWarningEach) {
  std::string seed = "../src/config/testdata/seed_nim.yaml";
  RunResult r = RunProcess({AstrolabeBinary(), "validate", seed});
  EXPECT_THAT(r.err, HasSubstr("no-break spaces (U+00A0)"));
  EXPECT_THAT(r.err, HasSubstr("a list inside the targets list"));
  EXPECT_THAT(r.err, HasSubstr("indented deeper than \"extensions:\""));
  EXPECT_THAT(r.err, HasSubstr("without pipelines:"));
  EXPECT_THAT(r.err, HasSubstr("unset environment variable \"DT_ENDPOINT\""));
}

TEST(Validate, FixRewritesTheFileSoItLoadsWithoutSlips) {
  std::string original = ReadAll("../src/config/testdata/seed_nim.yaml");
  ASSERT_FALSE(original.empty());
  std::string path = WriteTempFile("nim.yaml", original);
  RunResult fix = RunProcess({AstrolabeBinary(), "validate", "--fix", path});
  EXPECT_THAT(fix.err, HasSubstr("fixed: wrote the corrected " + path));
  EXPECT_EQ(ReadAll(path + ".orig"), original);
  std::string fixed = ReadAll(path);
  EXPECT_NE(fixed, original);
  EXPECT_THAT(fixed, Not(HasSubstr("\xC2\xA0")));
  RunResult again = RunProcess({AstrolabeBinary(), "validate", path});
  EXPECT_THAT(again.err, Not(HasSubstr("no-break spaces")));
  EXPECT_THAT(again.err, Not(HasSubstr("a list inside the targets list")));
  EXPECT_THAT(again.err, Not(HasSubstr("without pipelines:")));
  EXPECT_THAT(again.err, Not(HasSubstr("indented deeper")));
}

}  // namespace
}  // namespace astrolabe::e2e
