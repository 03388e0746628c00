// Runs Prometheus' PromQL test scripts (../shared/conformance/promql/*.test) through the engine
// against a tsdb::Head, prints passed/failed/skipped per file and in total, and fails on any
// failed eval. Skips (with a message) when the folder is absent. The skip list is
// SkipReason() in script_runner.cc.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "query/script_runner.h"

namespace astrolabe::query {
namespace {

std::filesystem::path ConformanceDir() {
  const char* shared = std::getenv("ASTROLABE_SHARED");
  std::filesystem::path base = shared != nullptr ? shared : "../../../shared";
  return base / "conformance" / "promql";
}

TEST(PromqlConformance, PrometheusTestScripts) {
  const auto dir = ConformanceDir();
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "no PromQL conformance scripts at " << dir << " (../shared is absent)";
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  const char* only = std::getenv("PROMQL_TEST_FILE");
  const bool verbose = std::getenv("PROMQL_TEST_VERBOSE") != nullptr;
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    if (only != nullptr && name != only) continue;
    std::ifstream in(f);
    std::stringstream buf;
    buf << in.rdbuf();
    ScriptStats s = RunScript(name, buf.str());
    std::cout << "promql conformance " << name << ": passed " << s.passed << ", failed " << s.failed
              << ", skipped " << s.skipped << "\n";
    for (const std::string& why : s.failures) ADD_FAILURE() << name << " " << why;
    if (verbose) {
      for (const std::string& why : s.skips) std::cout << "  skipped " << why << "\n";
    }
    passed += s.passed;
    failed += s.failed;
    skipped += s.skipped;
  }
  std::cout << "promql conformance total: passed " << passed << ", failed " << failed
            << ", skipped " << skipped << "\n";
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace astrolabe::query
