#include "expfmt/format.h"

#include <gtest/gtest.h>

namespace astrolabe::expfmt {
namespace {

TEST(ParseFormatTest, ContentTypes) {
  EXPECT_EQ(ParseFormat("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::kOpenMetrics);
  EXPECT_EQ(ParseFormat("application/openmetrics-text;version=0.0.1"), Format::kOpenMetrics);
  EXPECT_EQ(ParseFormat(" Application/OpenMetrics-Text "), Format::kOpenMetrics);
  EXPECT_EQ(ParseFormat("text/plain; version=0.0.4; charset=utf-8"), Format::kText);
  EXPECT_EQ(ParseFormat("text/plain"), Format::kText);
  EXPECT_EQ(ParseFormat(""), Format::kText);
  EXPECT_EQ(ParseFormat("application/json"), Format::kText);
  EXPECT_EQ(ParseFormat(ContentType(Format::kOpenMetrics)), Format::kOpenMetrics);
  EXPECT_EQ(ParseFormat(ContentType(Format::kText)), Format::kText);
}

TEST(MetricTypeTest, NamesPerFormat) {
  EXPECT_EQ(ParseMetricType("untyped", Format::kText), MetricType::kUnknown);
  EXPECT_EQ(ParseMetricType("untyped", Format::kOpenMetrics), std::nullopt);
  EXPECT_EQ(ParseMetricType("unknown", Format::kOpenMetrics), MetricType::kUnknown);
  EXPECT_EQ(ParseMetricType("unknown", Format::kText), std::nullopt);
  EXPECT_EQ(ParseMetricType("stateset", Format::kText), std::nullopt);
  EXPECT_EQ(ParseMetricType("gaugehistogram", Format::kOpenMetrics), MetricType::kGaugeHistogram);
  EXPECT_EQ(ParseMetricType("Counter", Format::kText), std::nullopt);
  EXPECT_EQ(MetricTypeName(MetricType::kInfo, Format::kText), "untyped");
  EXPECT_EQ(MetricTypeName(MetricType::kUnknown, Format::kOpenMetrics), "unknown");
  for (MetricType t : {MetricType::kUnknown, MetricType::kCounter, MetricType::kGauge,
                       MetricType::kHistogram, MetricType::kGaugeHistogram, MetricType::kSummary,
                       MetricType::kInfo, MetricType::kStateSet}) {
    EXPECT_EQ(ParseMetricType(MetricTypeName(t, Format::kOpenMetrics), Format::kOpenMetrics), t);
  }
}

TEST(NamesTest, LegacyCharacterSets) {
  EXPECT_TRUE(IsLegacyMetricName("http_requests_total"));
  EXPECT_TRUE(IsLegacyMetricName("vllm:num_requests_running"));
  EXPECT_TRUE(IsLegacyMetricName("_x"));
  EXPECT_FALSE(IsLegacyMetricName("0a"));
  EXPECT_FALSE(IsLegacyMetricName("a.b"));
  EXPECT_FALSE(IsLegacyMetricName(""));
  EXPECT_TRUE(IsLegacyLabelName("model_name"));
  EXPECT_FALSE(IsLegacyLabelName("a:b"));
  EXPECT_FALSE(IsLegacyLabelName("label.name"));
}

}  // namespace
}  // namespace astrolabe::expfmt
