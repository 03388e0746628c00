// Runs the detectors over testdata/corpus.tsv (input, expected output in mode redact) and
// reports precision and recall per kind. Lines marked '=' must come out unchanged (prices,
// dates, versions, ids, …): a false positive there fails the test. The corpus also holds
// known misses (7-digit local numbers, bare digit runs), so recall is honest, not 1.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "redaction/detector.h"

namespace astrolabe::redaction {
namespace {

std::map<std::string, int> CountKinds(const std::string& text) {
  std::map<std::string, int> out;
  for (size_t at = text.find("[REDACTED:"); at != std::string::npos;
       at = text.find("[REDACTED:", at + 1)) {
    const size_t end = text.find(']', at);
    if (end == std::string::npos) break;
    ++out[text.substr(at + 10, end - at - 10)];
  }
  return out;
}

TEST(Corpus, PrecisionAndRecall) {
  std::ifstream in("testdata/corpus.tsv");
  ASSERT_TRUE(in) << "testdata/corpus.tsv not found";
  auto detector = Detector::Create({});
  ASSERT_TRUE(detector.ok());
  struct Tally {
    int tp = 0, fp = 0, fn = 0;
  };
  std::map<std::string, Tally> tally;
  std::string line;
  int lines = 0, exact = 0;
  std::vector<std::string> misses;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string input = line.substr(0, tab);
    std::string expected = line.substr(tab + 1);
    const bool unchanged = expected == "=";
    if (unchanged) expected = input;
    std::vector<Match> matches;
    (*detector)->Find(input, matches);
    std::string actual = input;
    if (!matches.empty()) (*detector)->Rewrite(input, matches, Mode::kRedact, &actual);
    ++lines;
    if (unchanged) {
      EXPECT_EQ(actual, input) << "false positive on a line that must survive";
    }
    auto want = CountKinds(expected);
    auto got = CountKinds(actual);
    if (actual == expected) {
      ++exact;
      for (auto& [k, n] : want) tally[k].tp += n;
      continue;
    }
    misses.push_back(input + "\n    want: " + expected + "\n    got:  " + actual);
    for (auto& [k, n] : want) {
      const int hit = std::min(n, got[k]);
      tally[k].tp += hit;
      tally[k].fn += n - hit;
    }
    for (auto& [k, n] : got) tally[k].fp += n - std::min(n, want[k]);
  }
  Tally all;
  std::printf("kind      tp  fp  fn  precision  recall\n");
  for (auto& [k, t] : tally) {
    all.tp += t.tp;
    all.fp += t.fp;
    all.fn += t.fn;
    std::printf("%-8s %3d %3d %3d  %9.3f  %6.3f\n", k.c_str(), t.tp, t.fp, t.fn,
                t.tp + t.fp ? double(t.tp) / (t.tp + t.fp) : 1.0,
                t.tp + t.fn ? double(t.tp) / (t.tp + t.fn) : 1.0);
  }
  const double precision = double(all.tp) / (all.tp + all.fp);
  const double recall = double(all.tp) / (all.tp + all.fn);
  std::printf("all      %3d %3d %3d  %9.3f  %6.3f   (%d of %d lines exact)\n", all.tp, all.fp,
              all.fn, precision, recall, exact, lines);
  for (const auto& m : misses) std::printf("differs: %s\n", m.c_str());
  EXPECT_GE(precision, 0.98);
  EXPECT_GE(recall, 0.93);
  EXPECT_GE(lines, 90);
}

}  // namespace
}  // namespace astrolabe::redaction
