// parse -> write -> parse gives identical samples (names, labels, values, timestamps,
// exemplars, metadata, hashes).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "expfmt/roundtrip_util.h"
#include "expfmt/sample_payloads.h"

namespace astrolabe::expfmt {
namespace {

class RoundTripTest : public ::testing::TestWithParam<Format> {};

TEST_P(RoundTripTest, Nim) { ExpectRoundTrip(testing::NimPayload(GetParam(), 3), GetParam()); }
TEST_P(RoundTripTest, Vllm) { ExpectRoundTrip(testing::VllmPayload(GetParam(), 2), GetParam()); }
TEST_P(RoundTripTest, Kong) { ExpectRoundTrip(testing::KongPayload(GetParam(), 3), GetParam()); }
TEST_P(RoundTripTest, Generated) {
  ExpectRoundTrip(testing::GeneratedPayload(GetParam(), 1000), GetParam());
}

TEST_P(RoundTripTest, EscapesQuotedNamesSpecialValuesTimestamps) {
  bool om = GetParam() == Format::kOpenMetrics;
  std::string body =
      "# HELP \"odd.name\" Help with \\\\ and \\n.\n"
      "# TYPE \"odd.name\" gauge\n"
      "{\"odd.name\",\"la.bel\"=\"a\\\\b\\\"c\\nd\\z\"} NaN 1700000000\n"
      "{\"odd.name\",\"la.bel\"=\"x\"} -Inf 1700000001\n"
      "{\"odd.name\",\"la.bel\"=\"y\"} 1.2345678901234567e-300 1700000002\n"
      "{\"odd.name\",\"la.bel\"=\"z\"} 123456789 1700000003\n";
  if (om) body += "# EOF\n";
  ExpectRoundTrip(body, GetParam());
}

TEST_P(RoundTripTest, RandomValues) {
  std::mt19937_64 rng(1);
  bool om = GetParam() == Format::kOpenMetrics;
  std::string body = "# TYPE r gauge\n";
  for (int i = 0; i < 500; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    std::string v = buf;
    if (v == "nan" || v == "-nan") v = "NaN";
    if (v == "inf") v = "+Inf";
    if (v == "-inf") v = "-Inf";
    body += "r{i=\"";
    body += std::to_string(i);
    body += "\"} ";
    body += v;
    body += '\n';
  }
  if (om) body += "# EOF\n";
  ExpectRoundTrip(body, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTripTest,
                         ::testing::Values(Format::kText, Format::kOpenMetrics),
                         [](const auto& info) {
                           return info.param == Format::kText ? "Text" : "OpenMetrics";
                         });

}  // namespace
}  // namespace astrolabe::expfmt
