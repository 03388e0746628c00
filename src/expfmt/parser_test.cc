#include "expfmt/parser.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "expfmt/hash.h"
#include "expfmt/roundtrip_util.h"
#include "expfmt/sample_payloads.h"

// Counts heap allocations while `g_count_allocations` is set, to check the steady-state
// no-allocation contract.
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_count_allocations.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace astrolabe::expfmt {
namespace {

std::vector<OwnedSample> MustParse(std::string_view body, Format format) {
  std::vector<OwnedSample> out;
  Status st = ParseAll(body, format, &out);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

std::string ErrorOf(std::string_view body, Format format) {
  std::vector<OwnedSample> out;
  Status st = ParseAll(body, format, &out);
  EXPECT_FALSE(st.ok()) << "parsed: " << body;
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  return st.message();
}

constexpr Format kText = Format::kText;
constexpr Format kOM = Format::kOpenMetrics;

// ---- text 0.0.4 ----

TEST(TextParserTest, FamiliesTypesHelp) {
  auto s = MustParse(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# A normal comment.\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "# TYPE rpc_duration_seconds summary\n"
      "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
      "rpc_duration_seconds_sum 1.7560473e+07\n"
      "rpc_duration_seconds_count 2693\n",
      kText);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].family, "http_requests_total");
  EXPECT_EQ(s[0].type, MetricType::kCounter);
  EXPECT_EQ(s[0].help, "The total number of HTTP requests.");
  EXPECT_EQ(s[0].labels, (std::vector<OwnedLabel>{{"method", "post"}, {"code", "200"}}));
  EXPECT_EQ(s[0].value, 1027);
  EXPECT_EQ(s[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(s[1].value, 3);
  EXPECT_EQ(s[2].family, "metric_without_timestamp_and_labels");
  EXPECT_EQ(s[2].type, MetricType::kUnknown);
  EXPECT_EQ(s[2].help, "");
  EXPECT_FALSE(s[2].timestamp_ms);
  EXPECT_EQ(s[3].family, "rpc_duration_seconds");
  EXPECT_EQ(s[3].type, MetricType::kSummary);
  EXPECT_EQ(s[3].suffix, Suffix::kNone);
  EXPECT_EQ(s[4].suffix, Suffix::kSum);
  EXPECT_EQ(s[4].value, 1.7560473e+07);
  EXPECT_EQ(s[5].suffix, Suffix::kCount);
  // All parts of one summary share the group hash.
  EXPECT_EQ(s[3].group_hash, s[4].group_hash);
  EXPECT_EQ(s[4].group_hash, s[5].group_hash);
}

TEST(TextParserTest, HistogramSuffixesAndGroupHash) {
  auto s = MustParse(
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.5\",path=\"/\"} 1\n"
      "h_bucket{path=\"/\",le=\"+Inf\"} 2\n"
      "h_sum{path=\"/\"} 0.7\n"
      "h_count{path=\"/\"} 2\n"
      "h_bucket{le=\"+Inf\",path=\"/x\"} 0\n",
      kText);
  ASSERT_EQ(s.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(s[i].family, "h");
    EXPECT_EQ(s[i].type, MetricType::kHistogram);
    EXPECT_EQ(s[i].group_hash, s[0].group_hash);
  }
  EXPECT_EQ(s[0].suffix, Suffix::kBucket);
  EXPECT_EQ(s[2].suffix, Suffix::kSum);
  EXPECT_EQ(s[3].suffix, Suffix::kCount);
  EXPECT_NE(s[0].hash, s[1].hash);
  EXPECT_NE(s[4].group_hash, s[0].group_hash);
}

TEST(TextParserTest, SpecialValuesAndWhitespace) {
  auto s = MustParse(
      "  a 1  \n"
      "b\tNaN\n"
      "c +Inf\n"
      "d -Inf -5\n"
      "e{x = \"1\" , y=\"2\",} 5\r\n"
      "f {x=\"1\"} 6\n"
      "g{}7\n"
      "h 8",  // no final newline
      kText);
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s[0].value, 1);
  EXPECT_TRUE(std::isnan(s[1].value));
  EXPECT_EQ(s[2].value, INFINITY);
  EXPECT_EQ(s[3].value, -INFINITY);
  EXPECT_EQ(s[3].timestamp_ms, -5);
  EXPECT_EQ(s[4].labels, (std::vector<OwnedLabel>{{"x", "1"}, {"y", "2"}}));
  EXPECT_EQ(s[5].labels, (std::vector<OwnedLabel>{{"x", "1"}}));
  EXPECT_EQ(s[6].value, 7);
  EXPECT_EQ(s[7].value, 8);
}

// Plain decimals are read in the pass that finds the value's end; whatever continues the
// literal past a plain prefix ("1e3", "1.5.2", "12x") goes to the full grammar.
TEST(TextParserTest, ValuesWithAPlainPrefix) {
  auto s = MustParse(
      "a 1e3\n"
      "b 0012.50 1700000000000\n"
      "c 1.\t\n"
      "d 3\t4\n"
      "e{x=\"1\"} 9007199254740993\n"
      "f 12345678901234567890\n"
      "g 2.5E-1\n",
      kText);
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].value, 1000);
  EXPECT_EQ(s[1].value, 12.5);
  EXPECT_EQ(s[1].timestamp_ms, 1700000000000);
  EXPECT_EQ(s[2].value, 1);
  EXPECT_EQ(s[3].value, 3);
  EXPECT_EQ(s[3].timestamp_ms, 4);
  EXPECT_EQ(s[4].value, 9007199254740992.0);  // rounded to even, as strtod does
  EXPECT_EQ(s[5].value, 12345678901234567890.0);
  EXPECT_EQ(s[6].value, 0.25);
  EXPECT_EQ(ErrorOf("a 1.5.2\n", kText),
            "line 1, column 3: invalid value \"1.5.2\" for metric \"a\"");
  EXPECT_EQ(ErrorOf("a 12x\n", kText), "line 1, column 3: invalid value \"12x\" for metric \"a\"");
  auto om = MustParse("a 7\nb 1e1 12.5\n# EOF\n", kOM);
  ASSERT_EQ(om.size(), 2u);
  EXPECT_EQ(om[0].value, 7);
  EXPECT_EQ(om[1].value, 10);
  EXPECT_EQ(om[1].timestamp_ms, 12500);
}

TEST(TextParserTest, LabelValueEscaping) {
  auto s = MustParse(R"(a{p="C:\\DIR\\",q="say \"hi\"",r="l1\nl2",s="\z",t="plain"} 1)"
                     "\n",
                     kText);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].labels[0].value, "C:\\DIR\\");
  EXPECT_EQ(s[0].labels[1].value, "say \"hi\"");
  EXPECT_EQ(s[0].labels[2].value, "l1\nl2");
  EXPECT_EQ(s[0].labels[3].value, "\\z");  // unknown escapes stay as written
  EXPECT_EQ(s[0].labels[4].value, "plain");
}

TEST(TextParserTest, HelpEscaping) {
  auto s = MustParse("# HELP a x\\\\y\\nz \\\" q\na 1\n", kText);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].help, "x\\y\nz \\\" q");  // text HELP only knows \\ and \n
}

TEST(TextParserTest, QuotedUtf8Names) {
  auto s = MustParse(
      "# HELP \"my.metric\" A dotted name.\n"
      "# TYPE \"my.metric\" gauge\n"
      "{\"my.metric\", \"label.name\"=\"v\", plain=\"w\"} 1\n"
      "{\"my.metric\",\"label.name\"=\"v2\"} 2\n"
      "{\"caf\xc3\xa9\"} 3\n"
      "{\"with \\\"quote\\\"\"} 4\n",
      kText);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].name, "my.metric");
  EXPECT_EQ(s[0].family, "my.metric");
  EXPECT_EQ(s[0].type, MetricType::kGauge);
  EXPECT_EQ(s[0].help, "A dotted name.");
  EXPECT_EQ(s[0].labels, (std::vector<OwnedLabel>{{"label.name", "v"}, {"plain", "w"}}));
  EXPECT_EQ(s[1].value, 2);
  EXPECT_EQ(s[2].name, "caf\xc3\xa9");
  EXPECT_EQ(s[3].name, "with \"quote\"");
  EXPECT_EQ(s[3].family, "with \"quote\"");
}

TEST(TextParserTest, InterleavedFamiliesKeepTheirMetadata) {
  auto s = MustParse(
      "# TYPE a counter\n"
      "# TYPE b gauge\n"
      "a 1\n"
      "b 2\n"
      "# TYPE h histogram\n"
      "x 3\n"
      "h_count 4\n",
      kText);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].type, MetricType::kCounter);
  EXPECT_EQ(s[1].type, MetricType::kGauge);
  EXPECT_EQ(s[2].type, MetricType::kUnknown);
  EXPECT_EQ(s[3].family, "h");
  EXPECT_EQ(s[3].type, MetricType::kHistogram);
  EXPECT_EQ(s[3].suffix, Suffix::kCount);
}

TEST(TextParserTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(ErrorOf("a 1\n# TYPE b gauge\nhttp_requests_total{code=\"200\"} abc\n", kText),
            "line 3, column 33: invalid value \"abc\" for metric \"http_requests_total\"");
  EXPECT_EQ(ErrorOf("a{b=\"c\" 1\n", kText),
            "line 1, column 9: expected ',' or '}' after the value of label \"b\"");
  EXPECT_EQ(ErrorOf("a 1 2 3\n", kText),
            "line 1, column 7: unexpected text after the timestamp of \"a\"");
  EXPECT_EQ(ErrorOf("a 1 1.5\n", kText),
            "line 1, column 5: invalid timestamp \"1.5\" for metric \"a\"");
  EXPECT_EQ(ErrorOf("# TYPE a gauge\n# TYPE a counter\n", kText),
            "line 2, column 8: second TYPE line for metric \"a\"");
  EXPECT_EQ(ErrorOf("# HELP a x\n# HELP a y\n", kText),
            "line 2, column 8: second HELP line for metric \"a\"");
  EXPECT_EQ(ErrorOf("a 1\n# TYPE a gauge\n", kText),
            "line 2, column 8: TYPE line for metric \"a\" after its samples");
  EXPECT_EQ(ErrorOf("# TYPE a info\n", kText), "line 1, column 10: invalid metric type \"info\"");
  EXPECT_EQ(ErrorOf("a{x=\"1\",x=\"2\"} 1\n", kText),
            "line 1, column 1: duplicate label name \"x\"");
  EXPECT_EQ(ErrorOf("a{x=\"\xff\"} 1\n", kText),
            "line 1, column 5: invalid UTF-8 in quoted string");
  EXPECT_EQ(ErrorOf("a 1e400\n", kText),
            "line 1, column 3: invalid value \"1e400\" for metric \"a\"");
  EXPECT_EQ(ErrorOf("a\n", kText), "line 1, column 2: missing value for metric \"a\"");
  EXPECT_EQ(ErrorOf("a 1 # {x=\"y\"} 1\n", kText),
            "line 1, column 5: invalid timestamp \"#\" for metric \"a\"");
  EXPECT_EQ(ErrorOf("{\"a\"} 1 \n{x=\"1\"} 2\n", kText), "line 2, column 1: missing metric name");
  EXPECT_EQ(ErrorOf("a{\"b\"} 1\n", kText),
            "line 1, column 3: unexpected quoted string \"b\" in label set (a metric name must "
            "come first and only once)");
}

TEST(TextParserTest, CommentsAndEmptyBody) {
  EXPECT_TRUE(MustParse("", kText).empty());
  EXPECT_TRUE(MustParse("\n\n# just a comment\n#HELP not metadata\n# EOF\n", kText).empty());
}

// ---- OpenMetrics ----

TEST(OpenMetricsParserTest, CounterTotalCreatedAndExemplar) {
  auto s = MustParse(
      "# TYPE http_requests counter\n"
      "# UNIT http_requests requests\n"
      "# HELP http_requests Requests \\\"served\\\".\n"
      "http_requests_total{code=\"200\"} 1027 1520879607.789 # {trace_id=\"abc\"} 1 1520879607.7\n"
      "http_requests_created{code=\"200\"} 1520430000.123 1520879607.789\n"
      "# EOF\n",
      kOM);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].family, "http_requests");
  EXPECT_EQ(s[0].type, MetricType::kCounter);
  EXPECT_EQ(s[0].unit, "requests");
  EXPECT_EQ(s[0].help, "Requests \"served\".");
  EXPECT_EQ(s[0].name, "http_requests_total");
  EXPECT_EQ(s[0].suffix, Suffix::kTotal);
  EXPECT_EQ(s[0].timestamp_ms, 1520879607789);
  ASSERT_TRUE(s[0].has_exemplar);
  EXPECT_EQ(s[0].exemplar_labels, (std::vector<OwnedLabel>{{"trace_id", "abc"}}));
  EXPECT_EQ(s[0].exemplar_value, 1);
  EXPECT_EQ(s[0].exemplar_timestamp_ms, 1520879607700);
  EXPECT_EQ(s[1].suffix, Suffix::kCreated);
  EXPECT_EQ(s[1].value, 1520430000.123);
  EXPECT_EQ(s[0].group_hash, s[1].group_hash);
}

TEST(OpenMetricsParserTest, AllTypes) {
  auto s = MustParse(
      "# TYPE g gauge\ng 1\n"
      "# TYPE u unknown\nu 2\n"
      "# TYPE i info\ni_info{version=\"1.2\"} 1\n"
      "# TYPE st stateset\nst{st=\"a\"} 1\nst{st=\"b\"} 0\n"
      "# TYPE gh gaugehistogram\ngh_bucket{le=\"1\"} 1\ngh_bucket{le=\"+Inf\"} 2\n"
      "gh_gcount 2\ngh_gsum 3\n"
      "# TYPE s summary\ns{quantile=\"0.9\"} 1\ns_sum 5\ns_count 3\ns_created 17\n"
      "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\n"
      "h_created 17\n"
      "# EOF",
      kOM);
  ASSERT_EQ(s.size(), 18u);
  EXPECT_EQ(s[0].type, MetricType::kGauge);
  EXPECT_EQ(s[1].type, MetricType::kUnknown);
  EXPECT_EQ(s[2].type, MetricType::kInfo);
  EXPECT_EQ(s[2].suffix, Suffix::kInfo);
  EXPECT_EQ(s[3].type, MetricType::kStateSet);
  EXPECT_EQ(s[3].group_hash, s[4].group_hash);  // the state label is not part of the group
  EXPECT_EQ(s[5].type, MetricType::kGaugeHistogram);
  EXPECT_EQ(s[7].suffix, Suffix::kGCount);
  EXPECT_EQ(s[8].suffix, Suffix::kGSum);
  EXPECT_EQ(s[9].type, MetricType::kSummary);
  EXPECT_EQ(s[12].suffix, Suffix::kCreated);
  EXPECT_EQ(s[13].type, MetricType::kHistogram);
  EXPECT_EQ(s[17].suffix, Suffix::kCreated);
}

TEST(OpenMetricsParserTest, EofRules) {
  EXPECT_EQ(ErrorOf("a 1\n", kOM), "line 1: data does not end with # EOF");
  EXPECT_EQ(ErrorOf("", kOM), "line 1: data does not end with # EOF");
  EXPECT_EQ(ErrorOf("a 1\n# EOF\n\n", kOM), "line 3, column 1: unexpected data after # EOF");
  EXPECT_EQ(ErrorOf("# EOF\na 1\n", kOM), "line 2, column 1: unexpected data after # EOF");
  EXPECT_EQ(MustParse("a 1\n# EOF", kOM).size(), 1u);
}

TEST(OpenMetricsParserTest, StrictWhitespace) {
  EXPECT_EQ(ErrorOf("a  1\n# EOF\n", kOM), "line 1, column 3: missing value for metric \"a\"");
  EXPECT_EQ(ErrorOf("a 1 \n# EOF\n", kOM),
            "line 1, column 5: invalid timestamp \"\" for metric \"a\"");
  EXPECT_EQ(ErrorOf("a{x=\"1\", y=\"2\"} 1\n# EOF\n", kOM), "line 1, column 9: invalid label name");
  EXPECT_EQ(ErrorOf("a 1\r\n# EOF\n", kOM),
            "line 1, column 3: invalid value \"1\\x0d\" for metric \"a\"");
}

TEST(OpenMetricsParserTest, QuotedNames) {
  auto s = MustParse(
      "# TYPE \"my.counter\" counter\n"
      "{\"my.counter_total\",\"label.name\"=\"v\"} 1\n"
      "# EOF\n",
      kOM);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].family, "my.counter");
  EXPECT_EQ(s[0].suffix, Suffix::kTotal);
  EXPECT_EQ(s[0].labels, (std::vector<OwnedLabel>{{"label.name", "v"}}));
}

TEST(OpenMetricsParserTest, SemanticErrorsPointAtTheFamily) {
  EXPECT_EQ(ErrorOf("# TYPE a histogram\na_bucket{le=\"1\"} 1\na_count 1\na_sum 1\n# EOF\n", kOM),
            "line 2: histogram \"a\": +Inf bucket missing");
  EXPECT_EQ(ErrorOf("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n", kOM),
            "line 5: metric family \"a\" clashes with an earlier name \"a\" (families must not be "
            "repeated or interleaved)");
  EXPECT_EQ(ErrorOf("a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 1\n# EOF\n", kOM),
            "line 3, column 1: samples of one group of \"a\" are not together (interleaved with "
            "another group)");
}

TEST(OpenMetricsParserTest, DuplicateSampleWithSameTimestampIsAccepted) {
  // As the conformance suite's duplicate_timestamps cases: repeated series, same timestamp.
  auto s = MustParse("a 1 5\na 2 5\n# EOF\n", kOM);
  EXPECT_EQ(s.size(), 2u);
}

// ---- both ----

TEST(ParserTest, HashMatchesSeriesHashAndIgnoresOrder) {
  auto s = MustParse("m{a=\"1\",b=\"2\"} 1\nm{b=\"2\",a=\"1\"} 2\nm{a=\"1\",b=\"3\"} 3\n", kText);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].hash, s[1].hash);
  EXPECT_NE(s[0].hash, s[2].hash);
  Label labels[] = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(s[0].hash, SeriesHash("m", labels));
}

TEST(ParserTest, ManyLabelsDuplicateDetectionIsNotQuadratic) {
  std::string line = "m{";
  for (int i = 0; i < 50000; ++i) {
    line += 'l';
    line += std::to_string(i);
    line += "=\"v\",";
  }
  line += "l7=\"dup\"} 1\n";
  EXPECT_NE(ErrorOf(line, kText).find("duplicate label name \"l7\""), std::string::npos);
}

// Per-family state is cleared in O(1): many small families after one with many groups stay
// linear (a capacity-proportional clear would make this ~10^10 steps and time out).
TEST(ParserTest, ManySmallFamiliesAfterALargeOneStayLinear) {
  std::string body;
  for (int i = 0; i < 100000; ++i) {
    body += "big{i=\"";
    body += std::to_string(i);
    body += "\"} 1\n";
  }
  for (int i = 0; i < 100000; ++i) {
    body += "f";
    body += std::to_string(i);
    body += " 1\n";
  }
  std::string om = body + "# EOF\n";
  EXPECT_TRUE(Validate(om, kOM).ok());
  EXPECT_TRUE(Validate(body, kText).ok());
  // Text: many declared families, then samples looking each up.
  std::string text;
  for (int i = 0; i < 50000; ++i) {
    text += "# TYPE h";
    text += std::to_string(i);
    text += " histogram\n";
  }
  for (int i = 0; i < 50000; ++i) {
    text += "h";
    text += std::to_string(i);
    text += "_count 1\n";
  }
  std::vector<OwnedSample> samples;
  ASSERT_TRUE(ParseAll(text, kText, &samples).ok());
  ASSERT_EQ(samples.size(), 50000u);
  EXPECT_EQ(samples.back().type, MetricType::kHistogram);
  EXPECT_EQ(samples.back().suffix, Suffix::kCount);
}

TEST(ParserTest, ErrorIsSticky) {
  Parser p;
  p.Reset("a x\nb 1\n", kText);
  EXPECT_FALSE(p.Next());
  EXPECT_FALSE(p.status().ok());
  EXPECT_FALSE(p.Next());
  p.Reset("b 1\n", kText);
  EXPECT_TRUE(p.status().ok());
  ASSERT_TRUE(p.Next());
  EXPECT_EQ(p.sample().name, "b");
  EXPECT_FALSE(p.Next());
  EXPECT_TRUE(p.status().ok());
}

TEST(ParserTest, CallbackStatusStopsTheParse) {
  Parser p;
  int seen = 0;
  Status st = p.Parse("a 1\nb 2\nc 3\n", kText, [&](const Sample&) -> Status {
    return ++seen == 2 ? Cancelled("enough") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
}

TEST(ParserTest, ZeroCopyViewsIntoTheBody) {
  std::string body = "m{a=\"plain\",b=\"esc\\\"aped\"} 1\n";
  Parser p;
  p.Reset(body, kText);
  ASSERT_TRUE(p.Next());
  const Sample& s = p.sample();
  auto in_body = [&](std::string_view v) {
    return v.data() >= body.data() && v.data() + v.size() <= body.data() + body.size();
  };
  EXPECT_TRUE(in_body(s.name));
  EXPECT_TRUE(in_body(s.labels[0].name));
  EXPECT_TRUE(in_body(s.labels[0].value));
  EXPECT_FALSE(in_body(s.labels[1].value));  // unescaped into scratch
  EXPECT_EQ(s.labels[1].value, "esc\"aped");
}

TEST(ParserTest, NoAllocationPerSampleInSteadyState) {
  for (Format f : {kText, kOM}) {
    std::string body = testing::GeneratedPayload(f, 2000);
    std::string kong = testing::KongPayload(f, 5);
    std::string escaped = f == kOM ? "a{x=\"q\\\"\"} 1\n# EOF\n" : "a{x=\"q\\\"\"} 1\n";
    Parser p;
    auto run = [&] {
      for (const std::string* b : {&body, &kong, &escaped}) {
        size_t n = 0;
        Status st = p.Parse(*b, f, [&](const Sample&) { ++n; });
        ASSERT_TRUE(st.ok()) << st.message();
        ASSERT_GT(n, 0u);
      }
    };
    run();  // warm-up: buffers grow to their working size
    g_allocations = 0;
    g_count_allocations = true;
    run();
    run();
    g_count_allocations = false;
    EXPECT_EQ(g_allocations.load(), 0) << FormatName(f);
  }
}

TEST(ParserTest, GenAiPayloadsParse) {
  for (Format f : {kText, kOM}) {
    auto nim = MustParse(testing::NimPayload(f), f);
    EXPECT_GT(nim.size(), 90u);
    size_t histogram_buckets = 0;
    for (const auto& s : nim) {
      if (s.family == "time_to_first_token_seconds" && s.suffix == Suffix::kBucket) {
        ++histogram_buckets;
        EXPECT_EQ(s.type, MetricType::kHistogram);
        EXPECT_EQ(s.labels[0].name, "le");
        EXPECT_EQ(s.labels[1].value, "meta/llama-3.1-8b-instruct");
      }
      if (s.name == "request_success_total") {
        EXPECT_EQ(s.type, MetricType::kCounter);
        EXPECT_EQ(s.value, 40);
        EXPECT_EQ(s.family, f == kOM ? "request_success" : "request_success_total");
      }
    }
    EXPECT_EQ(histogram_buckets, 17u);  // 16 bounds + Inf

    auto vllm = MustParse(testing::VllmPayload(f, 2), f);
    bool saw_engine1 = false;
    for (const auto& s : vllm) {
      EXPECT_EQ(s.name.rfind("vllm:", 0), 0u) << s.name;
      for (const auto& l : s.labels) saw_engine1 |= l.name == "engine" && l.value == "1";
    }
    EXPECT_TRUE(saw_engine1);

    auto kong = MustParse(testing::KongPayload(f), f);
    double cost = 0;
    for (const auto& s : kong) {
      if (s.name == "kong_ai_llm_cost_total") cost += s.value;
      if (s.suffix == Suffix::kBucket) {
        EXPECT_EQ(s.labels.back().name, "le");
      }
    }
    EXPECT_DOUBLE_EQ(cost, 0.3105 + 0.0055546);
  }
}

}  // namespace
}  // namespace astrolabe::expfmt

namespace astrolabe::expfmt {
namespace {

// SetKnownSeries: the filter sees each text sample's series text (name to closing brace, as
// written) before its labels are parsed; a known text skips the label set, an unknown one and
// every OpenMetrics sample are parsed in full.
TEST(ParserKnownSeries, SkipsTheLabelsOfKnownSeriesTexts) {
  struct Seen {
    std::vector<std::string> texts;
  } seen;
  auto known = [](void* ctx, std::string_view text) {
    static_cast<Seen*>(ctx)->texts.emplace_back(text);
    return text == "a{b=\"}\",c=\"x\\\"y\"}" || text == "plain";
  };
  Parser parser;
  parser.SetKnownSeries(known, &seen);
  const std::string body =
      "a{b=\"}\",c=\"x\\\"y\"} 1\n"  // a brace and an escaped quote inside values
      "a{b=\"2\"} 2\n"
      "plain 3 1700000000000\n"
      "{\"quoted.name\",b=\"1\"} 4\n";
  std::vector<std::pair<bool, size_t>> got;  // (skipped, labels)
  std::vector<double> values;
  Status st = parser.Parse(body, Format::kText, [&](const Sample& s) {
    got.emplace_back(s.labels_skipped, s.labels.size());
    values.push_back(s.value);
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(got,
            (std::vector<std::pair<bool, size_t>>{{true, 0}, {false, 1}, {true, 0}, {false, 1}}));
  EXPECT_EQ(values, (std::vector<double>{1, 2, 3, 4}));
  // The quoted-name line is never offered.
  EXPECT_EQ(seen.texts,
            (std::vector<std::string>{"a{b=\"}\",c=\"x\\\"y\"}", "a{b=\"2\"}", "plain"}));

  // A skipped label set does not hide an error after it.
  EXPECT_FALSE(parser.Parse("plain x\n", Format::kText, [](const Sample&) {}).ok());

  // OpenMetrics: never offered, always parsed.
  seen.texts.clear();
  got.clear();
  st = parser.Parse("plain 3\n# EOF\n", Format::kOpenMetrics,
                    [&](const Sample& s) { got.emplace_back(s.labels_skipped, s.labels.size()); });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(seen.texts.empty());
  EXPECT_EQ(got, (std::vector<std::pair<bool, size_t>>{{false, 0}}));
}

// SetExpectedSeries: a line that starts with the expected series text, and whose series ends
// there, skips its name and label set; anything else is parsed in full.
TEST(ParserExpectedSeries, SkipsALineThatStartsWithTheExpectedSeries) {
  struct Expect {
    std::vector<std::string> texts;
    size_t next = 0;
  } expect;
  expect.texts = {
      "a{b=\"}\",c=\"x\\\"y\"}",  // taken: a brace and an escaped quote inside values
      "a{b=\"2\"}",               // not taken: the line has one more label
      "plain",                    // taken: a name, then a blank
      "pla",                      // not taken: the name goes on
      "x",                        // not taken: a label set follows the name
      "",                         // no guess
      "y {b=\"1\"}",              // taken, a blank between the name and the braces
  };
  Parser parser;
  parser.SetExpectedSeries(
      [](void* ctx) -> std::string_view {
        auto* e = static_cast<Expect*>(ctx);
        return e->next < e->texts.size() ? std::string_view(e->texts[e->next++]) : "";
      },
      &expect);
  const std::string body =
      "a{b=\"}\",c=\"x\\\"y\"} 1\n"
      "a{b=\"2\",c=\"3\"} 2\n"
      "plain 3 1700000000000\n"
      "plain2 4\n"
      "x {c=\"1\"} 5\n"
      "z{c=\"1\"} 6\n"
      "y {b=\"1\"} 7\n";
  struct Got {
    bool skipped;
    size_t labels;
    std::string name, series;
    double value;
    bool operator==(const Got&) const = default;
  };
  std::vector<Got> got;
  Status st = parser.Parse(body, Format::kText, [&](const Sample& s) {
    got.push_back({s.labels_skipped, s.labels.size(), std::string(s.name),
                   std::string(s.series_text), s.value});
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(got, (std::vector<Got>{
                     {true, 0, "a", "a{b=\"}\",c=\"x\\\"y\"}", 1},
                     {false, 2, "a", "a{b=\"2\",c=\"3\"}", 2},
                     {true, 0, "plain", "plain", 3},
                     {false, 0, "plain2", "plain2", 4},
                     {false, 1, "x", "x {c=\"1\"}", 5},
                     {false, 1, "z", "z{c=\"1\"}", 6},
                     {true, 0, "y", "y {b=\"1\"}", 7},
                 }));
  EXPECT_EQ(expect.next, 7u);  // asked once per sample line

  // A skipped series does not hide an error after it.
  expect.texts = {"plain"};
  expect.next = 0;
  EXPECT_FALSE(parser.Parse("plain x\n", Format::kText, [](const Sample&) {}).ok());
  // OpenMetrics: never asked.
  expect.next = 0;
  st = parser.Parse("plain 3\n# EOF\n", Format::kOpenMetrics,
                    [&](const Sample& s) { EXPECT_FALSE(s.labels_skipped); });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(expect.next, 0u);
}

}  // namespace
}  // namespace astrolabe::expfmt
