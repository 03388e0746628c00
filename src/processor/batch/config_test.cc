#include "processor/batch/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "component/testing/decode_testdata.h"
#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::processor::batch {
namespace {

using ::testing::HasSubstr;

void DecodeTestdata(const std::string& name, Config* config, config::Diagnostics& diag) {
  component::test::DecodeTestdata(name, "processors", "batch", config, diag);
}

TEST(BatchConfig, DefaultsAreUpstreams) {
  Config c;
  EXPECT_EQ(c.send_batch_size, 8192);
  EXPECT_EQ(c.send_batch_max_size, 0);
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(200));
  EXPECT_TRUE(c.metadata_keys.empty());
  EXPECT_EQ(c.metadata_cardinality_limit, 1000);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(BatchConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_full.yaml", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.timeout, std::chrono::seconds(10));
  EXPECT_EQ(c.send_batch_size, 10000);
  EXPECT_EQ(c.send_batch_max_size, 11000);
  EXPECT_EQ(c.metadata_keys, (std::vector<std::string>{"X-Tenant", "project"}));
  EXPECT_EQ(c.metadata_cardinality_limit, 10);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(BatchConfig, TypoNamesTheKeyAndSuggestsTheRightOne) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_typo.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  std::string message = diag.ToStatus().message();
  EXPECT_THAT(message, HasSubstr("send_batch_sise"));
  EXPECT_THAT(message, HasSubstr("send_batch_size"));
  EXPECT_THAT(message, HasSubstr("config_typo.yaml:3"));
}

TEST(BatchConfig, NegativeSizeIsAnUnsignedOverflowAsUpstream) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_negative.yaml", &c, diag);
  ASSERT_TRUE(diag.has_errors());
  EXPECT_THAT(diag.ToStatus().message(),
              HasSubstr("send_batch_size: cannot parse value as 'uint32': -1 overflows uint"));
}

TEST(BatchConfig, ValidationMessagesAreUpstreams) {
  Config c;
  c.send_batch_size = 100;
  c.send_batch_max_size = 99;
  EXPECT_EQ(c.Validate().message(),
            "send_batch_max_size must be greater or equal to send_batch_size");
  c.send_batch_max_size = 100;
  EXPECT_TRUE(c.Validate().ok());
  c.send_batch_max_size = 0;  // no maximum
  EXPECT_TRUE(c.Validate().ok());

  c.metadata_keys = {"Tenant", "project", "tenant"};
  EXPECT_EQ(c.Validate().message(),
            "duplicate entry in metadata_keys: \"tenant\" (case-insensitive)");
  c.metadata_keys = {"tenant"};
  c.timeout = Duration(-1);
  EXPECT_EQ(c.Validate().message(), "timeout must be greater or equal to 0");
  c.timeout = Duration::zero();
  EXPECT_TRUE(c.Validate().ok());
}

}  // namespace
}  // namespace astrolabe::processor::batch
