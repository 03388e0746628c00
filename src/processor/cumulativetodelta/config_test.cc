#include "processor/cumulativetodelta/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "component/testing/decode_testdata.h"
#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::processor::cumulativetodelta {
namespace {

void DecodeTestdata(const std::string& name, Config* config, config::Diagnostics& diag) {
  component::test::DecodeTestdata(name, "processors", "cumulativetodelta", config, diag);
}

TEST(CumulativeToDeltaConfig, DefaultsAreUpstreams) {
  Config config;
  EXPECT_EQ(config.max_staleness, std::chrono::hours(1));
  EXPECT_EQ(config.initial_value, InitialValue::kAuto);
  EXPECT_TRUE(config.include.metrics.empty());
  EXPECT_TRUE(config.include.match_type.empty());
  EXPECT_TRUE(config.exclude.metric_types.empty());
  EXPECT_TRUE(config.Validate().ok());
}

TEST(CumulativeToDeltaConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config config;
  DecodeTestdata("config_full.yaml", &config, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(config.max_staleness, std::chrono::hours(25));
  EXPECT_EQ(config.initial_value, InitialValue::kKeep);
  EXPECT_EQ(config.include.match_type, "regexp");
  EXPECT_TRUE(config.include.regexp.cacheenabled);
  EXPECT_EQ(config.include.regexp.cachemaxnumentries, 10);
  EXPECT_EQ(config.include.metrics, (std::vector<std::string>{"_total$", "^request_"}));
  EXPECT_EQ(config.include.metric_types, (std::vector<std::string>{"Sum", "histogram"}));
  EXPECT_EQ(config.exclude.match_type, "strict");
  EXPECT_EQ(config.exclude.metrics, (std::vector<std::string>{"debug_total"}));
  EXPECT_EQ(config.exclude.metric_types, (std::vector<std::string>{"exponentialhistogram"}));
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().message();
}

TEST(CumulativeToDeltaConfig, SeedConfigDecodes) {
  config::Diagnostics diag;
  Config config;
  DecodeTestdata("config_seed.yaml", &config, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(config.max_staleness, std::chrono::hours(25));
  EXPECT_EQ(config.initial_value, InitialValue::kAuto);
  EXPECT_TRUE(config.Validate().ok());
}

TEST(CumulativeToDeltaConfig, EmptyBlockMeansDefaults) {
  config::Diagnostics diag;
  Config config;
  DecodeTestdata("config_empty.yaml", &config, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(config.max_staleness, std::chrono::hours(1));
  EXPECT_EQ(config.initial_value, InitialValue::kAuto);
}

TEST(CumulativeToDeltaConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  Config config;
  DecodeTestdata("config_typo.yaml", &config, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:3:5: processors.cumulativetodelta.max_stalenes: unknown key (did "
            "you mean max_staleness?)");
}

TEST(CumulativeToDeltaConfig, UnknownInitialValueIsADecodeErrorAtItsPosition) {
  config::Diagnostics diag;
  Config config;
  DecodeTestdata("config_bad_initial_value.yaml", &config, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_NE(diag.errors()[0].ToString().find("config_bad_initial_value.yaml:3:"), std::string::npos)
      << diag.errors()[0].ToString();
  EXPECT_NE(diag.errors()[0].ToString().find("unknown initial_value: first"), std::string::npos)
      << diag.errors()[0].ToString();
}

TEST(CumulativeToDeltaConfig, InitialValueNamesRoundTrip) {
  for (InitialValue v : {InitialValue::kAuto, InitialValue::kKeep, InitialValue::kDrop}) {
    EXPECT_EQ(ParseInitialValue(InitialValueName(v)), v);
  }
  EXPECT_FALSE(ParseInitialValue("Auto").has_value());
  EXPECT_FALSE(ParseInitialValue("").has_value());
}

TEST(CumulativeToDeltaConfig, ValidationMessagesAsUpstream) {
  {
    Config c;
    c.include.metrics = {"a"};
    EXPECT_EQ(c.Validate().message(), "match_type must be set if metrics are supplied");
  }
  {
    Config c;
    c.exclude.metrics = {"a"};
    EXPECT_EQ(c.Validate().message(), "match_type must be set if metrics are supplied");
  }
  {
    Config c;
    c.include.match_type = "strict";
    EXPECT_EQ(c.Validate().message(), "metrics must be supplied if match_type is set");
  }
  {
    Config c;
    c.exclude.match_type = "regexp";
    EXPECT_EQ(c.Validate().message(), "metrics must be supplied if match_type is set");
  }
  {
    Config c;
    c.include.metric_types = {"sum", "gauge"};
    EXPECT_EQ(c.Validate().message(), "found invalid metric type in include.metric_types: gauge");
  }
  {
    Config c;
    c.exclude.metric_types = {"summary"};
    EXPECT_EQ(c.Validate().message(), "found invalid metric type in exclude.metric_types: summary");
  }
  {
    Config c;
    c.include.metric_types = {"SUM", "Histogram", "ExponentialHistogram"};
    EXPECT_TRUE(c.Validate().ok());
  }
  {
    Config c;
    c.include.match_type = "glob";
    c.include.metrics = {"a"};
    EXPECT_EQ(c.Validate().message(),
              "unrecognized match_type: 'glob', valid types are: [regexp strict]");
  }
}

TEST(CumulativeToDeltaConfig, BadRegexpIsRejected) {
  Config c;
  c.exclude.match_type = "regexp";
  c.exclude.metrics = {"ok", "(unclosed"};
  Status s = c.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("exclude.metrics: invalid regexp \"(unclosed\": ", 0), 0u)
      << s.message();
}

TEST(CumulativeToDeltaConfig, MaxStalenessBounds) {
  Config c;
  c.max_staleness = Duration::zero();
  EXPECT_TRUE(c.Validate().ok());
  c.max_staleness = std::chrono::milliseconds(1);
  EXPECT_TRUE(c.Validate().ok());
  c.max_staleness = std::chrono::nanoseconds(25);
  EXPECT_EQ(c.Validate().message(),
            "max_staleness 25ns is unreasonably small; is it missing a unit suffix?");
  c.max_staleness = -std::chrono::seconds(1);
  EXPECT_EQ(c.Validate().message(), "max_staleness must not be negative");
}

}  // namespace
}  // namespace astrolabe::processor::cumulativetodelta
