#include "expfmt/writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "expfmt/parser.h"

namespace astrolabe::expfmt {
namespace {

TEST(WriterTest, TextFamilyAndSamples) {
  std::string out;
  Writer w(Format::kText, &out);
  w.BeginFamily({"http_requests_total", MetricType::kCounter, "Requests.\nAll of them \\o/", "s"});
  Label labels[] = {{"method", "post"}, {"path", "C:\\x \"q\"\n"}};
  w.WriteSample("http_requests_total", labels, 1027, 1395066363000);
  w.WriteSample("http_requests_total", {}, 0.5);
  w.Finish();
  EXPECT_EQ(
      out,
      "# HELP http_requests_total Requests.\\nAll of them \\\\o/\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",path=\"C:\\\\x \\\"q\\\"\\n\"} 1027 1395066363000\n"
      "http_requests_total 0.5\n");
}

TEST(WriterTest, OpenMetricsFamilyOrderUnitExemplarEof) {
  std::string out;
  Writer w(Format::kOpenMetrics, &out);
  w.BeginFamily({"latency_seconds", MetricType::kHistogram, "Say \"hi\".", "seconds"});
  Label le1[] = {{"le", "0.5"}};
  Label inf[] = {{"le", "+Inf"}};
  Label ex_labels[] = {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  Exemplar ex{ex_labels, 0.25, 1700000000123};
  w.WriteSample("latency_seconds_bucket", le1, 3, std::nullopt, &ex);
  w.WriteSample("latency_seconds_bucket", inf, 4);
  w.WriteSample("latency_seconds_count", {}, 4);
  w.WriteSample("latency_seconds_sum", {}, 1.5);
  w.WriteSample("latency_seconds_created", {}, 1.7e9);
  w.Finish();
  EXPECT_EQ(
      out,
      "# TYPE latency_seconds histogram\n"
      "# UNIT latency_seconds seconds\n"
      "# HELP latency_seconds Say \\\"hi\\\".\n"
      "latency_seconds_bucket{le=\"0.5\"} 3 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} "
      "0.25 1700000000.123\n"
      "latency_seconds_bucket{le=\"+Inf\"} 4\n"
      "latency_seconds_count 4\n"
      "latency_seconds_sum 1.5\n"
      "latency_seconds_created 1.7e+09\n"
      "# EOF\n");
  EXPECT_TRUE(Validate(out, Format::kOpenMetrics).ok())
      << Validate(out, Format::kOpenMetrics).message();
}

TEST(WriterTest, SpecialValuesAndTimestamps) {
  std::string out;
  Writer w(Format::kOpenMetrics, &out);
  w.BeginFamily({"g", MetricType::kGauge, "", ""});
  w.WriteSample("g", {}, std::numeric_limits<double>::quiet_NaN(), 1500);
  w.WriteSample("g", {}, std::numeric_limits<double>::infinity(), 2000);
  w.WriteSample("g", {}, -std::numeric_limits<double>::infinity(), 2001);
  w.WriteSample("g", {}, 1e6, 2002);
  w.Finish();
  EXPECT_EQ(out,
            "# TYPE g gauge\n"
            "g NaN 1.5\n"
            "g +Inf 2\n"
            "g -Inf 2.001\n"
            "g 1e+06 2.002\n"
            "# EOF\n");
}

TEST(WriterTest, QuotesUtf8Names) {
  std::string out;
  Writer w(Format::kText, &out);
  w.BeginFamily({"my.metric", MetricType::kGauge, "", ""});
  Label labels[] = {{"label.name", "v"}, {"ok", "w"}};
  w.WriteSample("my.metric", labels, 1);
  w.WriteSample("my.metric", {}, 2);
  EXPECT_EQ(out,
            "# TYPE \"my.metric\" gauge\n"
            "{\"my.metric\",\"label.name\"=\"v\",ok=\"w\"} 1\n"
            "{\"my.metric\"} 2\n");
  EXPECT_TRUE(Validate(out, Format::kText).ok());
}

TEST(WriterTest, TextDropsUnitAndExemplarsAndMapsOmOnlyTypes) {
  std::string out;
  Writer w(Format::kText, &out);
  w.BeginFamily({"x_seconds", MetricType::kGaugeHistogram, "", "seconds"});
  Label ex_labels[] = {{"a", "b"}};
  Exemplar ex{ex_labels, 1, std::nullopt};
  w.WriteSample("x_seconds", {}, 1, std::nullopt, &ex);
  w.Finish();
  EXPECT_EQ(out, "# TYPE x_seconds untyped\nx_seconds 1\n");
}

}  // namespace
}  // namespace astrolabe::expfmt
