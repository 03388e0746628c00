#include "processor/redaction/config.h"

#include <gtest/gtest.h>

#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "processor/redaction/factory.h"

namespace astrolabe::processor::redaction {
namespace {

using astrolabe::redaction::Mode;

void DecodeTestdata(const std::string& name, Config* config, config::Diagnostics& diag) {
  component::test::DecodeTestdata(name, "processors", "redaction", config, diag);
}

TEST(RedactionConfig, Defaults) {
  Config c;
  EXPECT_EQ(c.mode, Mode::kRedact);
  EXPECT_EQ(c.detectors.size(), 6u);
  EXPECT_TRUE(c.rules.empty());
  EXPECT_TRUE(c.Validate().ok());
}

TEST(RedactionConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_full.yaml", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.mode, Mode::kHash);
  EXPECT_EQ(c.detectors, (std::vector<std::string>{"email", "card"}));
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].name, "employee_id");
  EXPECT_EQ(c.rules[0].regex, "EMP-\\d{6}");
  EXPECT_EQ(c.attributes, (std::vector<std::string>{"app.user_note"}));
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().message();
}

TEST(RedactionConfig, TypoNamesTheKey) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_typo.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  EXPECT_NE(diag.ToStatus().message().find("config_typo.yaml:3:5: processors.redaction.mdoe: "
                                           "unknown key"),
            std::string::npos)
      << diag.ToStatus().message();
}

TEST(RedactionConfig, BadModeNamesTheValue) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_bad_mode.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  EXPECT_NE(
      diag.ToStatus().message().find("unknown mode \"scrub\" (valid: full, redact, hash, drop)"),
      std::string::npos)
      << diag.ToStatus().message();
}

TEST(RedactionConfig, ValidateNamesBadRules) {
  Config c;
  c.rules = {{"ok", "a+"}, {"broken", "(x"}};
  EXPECT_NE(c.Validate().message().find("rules[1] (name \"broken\"): invalid regex"),
            std::string::npos)
      << c.Validate().message();
  Config d;
  d.detectors = {"emails"};
  EXPECT_NE(d.Validate().message().find("unknown detector \"emails\""), std::string::npos);
}

TEST(RedactionFactory, Lifecycle) { component::test::RunLifecycleTests(*NewFactory()); }

}  // namespace
}  // namespace astrolabe::processor::redaction
