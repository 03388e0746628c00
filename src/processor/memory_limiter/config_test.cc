#include "processor/memory_limiter/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "component/testing/decode_testdata.h"
#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::processor::memory_limiter {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

void DecodeTestdata(const std::string& name, Config* config, config::Diagnostics& diag) {
  component::test::DecodeTestdata(name, "processors", "memory_limiter", config, diag);
}

TEST(MemoryLimiterConfig, DefaultsAreUpstreamsAndDoNotValidate) {
  Config c;
  EXPECT_EQ(c.check_interval, Duration::zero());
  EXPECT_EQ(c.limit_mib, 0);
  EXPECT_EQ(c.spike_limit_mib, 0);
  EXPECT_EQ(c.min_gc_interval_when_soft_limited, 10s);
  EXPECT_EQ(c.min_gc_interval_when_hard_limited, 0s);
  EXPECT_EQ(c.max_gc_interval_when_soft_limited, 30s);
  EXPECT_EQ(c.max_gc_interval_when_hard_limited, 30s);
  EXPECT_EQ(c.Validate().message(), "'check_interval' must be greater than zero");
}

TEST(MemoryLimiterConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_full.yaml", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.check_interval, 5s);
  EXPECT_EQ(c.limit_mib, 4000);
  EXPECT_EQ(c.spike_limit_mib, 500);
  EXPECT_EQ(c.limit_percentage, 80);
  EXPECT_EQ(c.spike_limit_percentage, 15);
  EXPECT_EQ(c.min_gc_interval_when_soft_limited, 20s);
  EXPECT_EQ(c.min_gc_interval_when_hard_limited, 1s);
  EXPECT_EQ(c.max_gc_interval_when_soft_limited, 40s);
  EXPECT_EQ(c.max_gc_interval_when_hard_limited, 35s);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(MemoryLimiterConfig, TypoNamesTheKey) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_typo.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  EXPECT_THAT(diag.ToStatus().message(), HasSubstr("limit_mb"));
  EXPECT_THAT(diag.ToStatus().message(), HasSubstr("limit_mib"));
}

TEST(MemoryLimiterConfig, NegativeUnsignedLimitsAreDecodeErrorsAsUpstream) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("negative_unsigned_limits_config.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  std::string m = diag.ToStatus().message();
  EXPECT_THAT(m, HasSubstr("limit_mib: cannot parse value as 'uint32': -2000 overflows uint"));
  EXPECT_THAT(m,
              HasSubstr("spike_limit_mib: cannot parse value as 'uint32': -2300 overflows uint"));
}

TEST(MemoryLimiterConfig, ValidationMessagesAreUpstreams) {
  auto valid = [] {
    Config c;
    c.check_interval = 1s;
    c.limit_mib = 5722;
    c.spike_limit_mib = 1907;
    return c;
  };
  EXPECT_TRUE(valid().Validate().ok());
  struct Case {
    std::function<void(Config&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](Config& c) { c.check_interval = -1s; }, "'check_interval' must be greater than zero"},
      {[](Config& c) { c.min_gc_interval_when_hard_limited = 20s; },
       "'min_gc_interval_when_soft_limited' should be larger than "
       "'min_gc_interval_when_hard_limited'"},
      {[](Config& c) { c.max_gc_interval_when_soft_limited = -1s; },
       "'max_gc_interval_when_soft_limited' must be non-negative"},
      {[](Config& c) { c.max_gc_interval_when_hard_limited = -1s; },
       "'max_gc_interval_when_hard_limited' must be non-negative"},
      {[](Config& c) { c.max_gc_interval_when_soft_limited = 5s; },
       "'max_gc_interval_when_soft_limited' must be greater than or equal to "
       "'min_gc_interval_when_soft_limited' (or 0 to disable)"},
      {[](Config& c) {
         c.min_gc_interval_when_hard_limited = 5s;
         c.max_gc_interval_when_hard_limited = 4s;
       },
       "'max_gc_interval_when_hard_limited' must be greater than or equal to "
       "'min_gc_interval_when_hard_limited' (or 0 to disable)"},
      {[](Config& c) { c.max_gc_interval_when_hard_limited = 40s; },
       "'max_gc_interval_when_soft_limited' should be larger than or equal to "
       "'max_gc_interval_when_hard_limited' (when both are set)"},
      {[](Config& c) { c.limit_mib = 0; },
       "'limit_mib' or 'limit_percentage' must be greater than zero"},
      {[](Config& c) { c.limit_percentage = 101; },
       "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less "
       "than or equal to hundred"},
      {[](Config& c) { c.spike_limit_mib = 5722; },
       "'spike_limit_mib' must be smaller than 'limit_mib'"},
      {[](Config& c) {
         c.limit_mib = 0;
         c.limit_percentage = 50;
         c.spike_limit_percentage = 60;
       },
       "'spike_limit_percentage' must be smaller than 'limit_percentage'"},
  };
  for (const Case& k : cases) {
    Config c = valid();
    k.change(c);
    EXPECT_EQ(c.Validate().message(), k.message);
  }
  // Disabled back-off (0) is valid.
  Config c = valid();
  c.max_gc_interval_when_soft_limited = 0s;
  c.max_gc_interval_when_hard_limited = 0s;
  EXPECT_TRUE(c.Validate().ok());
}

}  // namespace
}  // namespace astrolabe::processor::memory_limiter
