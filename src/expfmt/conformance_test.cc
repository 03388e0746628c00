// Runs the OpenMetrics 1.0 parser conformance suite (github.com/prometheus/OpenMetrics
// tests/testdata/parsers, kept in ../shared/conformance/openmetrics, never copied here): every
// case's `metrics` must parse or fail as its test.json says. Valid cases are also round-tripped
// through the writer.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "expfmt/parser.h"
#include "expfmt/roundtrip_util.h"

namespace astrolabe::expfmt {
namespace {

namespace fs = std::filesystem;

// $ASTROLABE_SHARED/conformance/openmetrics, else ../../../shared/... relative to the working
// directory (the test runs in src/expfmt).
fs::path SuiteDir() {
  const char* env = std::getenv("ASTROLABE_SHARED");
  if (env != nullptr && *env != '\0') {
    fs::path p = fs::path(env) / "conformance" / "openmetrics";
    if (fs::is_directory(p)) return p;
  }
  return fs::path("../../../shared") / "conformance" / "openmetrics";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name;
  std::string metrics;
  bool should_parse;
};

// test.json is {"type": "text", "file": "metrics", "shouldParse": true|false, ...}.
bool ReadCase(const fs::path& dir, Case* c) {
  std::string json = ReadFile(dir / "test.json");
  size_t k = json.find("\"shouldParse\"");
  if (k == std::string::npos) return false;
  size_t colon = json.find(':', k);
  if (colon == std::string::npos) return false;
  size_t v = json.find_first_not_of(" \t\r\n", colon + 1);
  if (v == std::string::npos) return false;
  if (json.compare(v, 4, "true") == 0) {
    c->should_parse = true;
  } else if (json.compare(v, 5, "false") == 0) {
    c->should_parse = false;
  } else {
    return false;
  }
  c->name = dir.filename().string();
  c->metrics = ReadFile(dir / "metrics");
  return true;
}

std::vector<Case> LoadSuite() {
  std::vector<Case> cases;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(SuiteDir())) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    Case c;
    if (ReadCase(d, &c))
      cases.push_back(std::move(c));
    else
      ADD_FAILURE() << "unreadable test.json in " << d;
  }
  return cases;
}

TEST(OpenMetricsConformance, EveryCaseParsesOrFailsAsExpected) {
  if (!fs::is_directory(SuiteDir())) {
    GTEST_SKIP() << "OpenMetrics conformance suite not found at " << SuiteDir()
                 << " (set ASTROLABE_SHARED to the shared folder)";
  }
  std::vector<Case> cases = LoadSuite();
  ASSERT_GE(cases.size(), 200u);
  int passed = 0;
  int failed = 0;
  Parser parser;
  for (const Case& c : cases) {
    Status st = parser.Parse(c.metrics, Format::kOpenMetrics, [](const Sample&) {});
    if (st.ok() == c.should_parse) {
      ++passed;
    } else {
      ++failed;
      ADD_FAILURE() << c.name << ": shouldParse=" << c.should_parse
                    << " but got: " << (st.ok() ? std::string("OK") : st.message());
    }
  }
  std::printf("openmetrics conformance: %d passed, %d failed\n", passed, failed);
  EXPECT_EQ(failed, 0);
}

TEST(OpenMetricsConformance, ValidCasesRoundTrip) {
  if (!fs::is_directory(SuiteDir())) {
    GTEST_SKIP() << "OpenMetrics conformance suite not found at " << SuiteDir();
  }
  int round_tripped = 0;
  for (const Case& c : LoadSuite()) {
    if (!c.should_parse) continue;
    SCOPED_TRACE(c.name);
    ExpectRoundTrip(c.metrics, Format::kOpenMetrics);
    ++round_tripped;
  }
  EXPECT_GT(round_tripped, 40);
}

}  // namespace
}  // namespace astrolabe::expfmt
