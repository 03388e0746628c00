#include "pdata/logs.h"

#include <gtest/gtest.h>

// Tests build data with designated initializers that name only the fields they care
// about; g++ 12 warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::pdata {
namespace {

Logs SampleLogs() {
  LogRecord r{.time_unix_nano = 5,
              .severity_number = SeverityNumber::kInfo,
              .severity_text = "INFO",
              .body = KeyValueList{{"msg", "hello"}},
              .attributes = {{"app", "server"}},
              .event_name = "gen_ai.choice"};
  ResourceLogs rl;
  rl.scope_logs.push_back(ScopeLogs{.log_records = {r, r}});
  rl.scope_logs.push_back(ScopeLogs{.log_records = {r}});
  Logs ld;
  ld.resource_logs.push_back(rl);
  return ld;
}

TEST(LogsTest, Counts) {
  EXPECT_EQ(SampleLogs().LogRecordCount(), 3u);
  EXPECT_EQ(Logs().LogRecordCount(), 0u);
}

TEST(LogsTest, CloneIsDeepAndEqual) {
  Logs ld = SampleLogs();
  Logs copy = ld.Clone();
  EXPECT_EQ(copy, ld);
  copy.resource_logs[0].scope_logs[0].log_records[0].body.kvlist_value()[0].value = "bye";
  EXPECT_NE(copy, ld);
  EXPECT_EQ(ld.resource_logs[0].scope_logs[0].log_records[0].body,
            AnyValue(KeyValueList{{"msg", "hello"}}));
}

TEST(LogsTest, SeverityNames) {
  EXPECT_EQ(SeverityNumberName(SeverityNumber::kUnspecified), "Unspecified");
  EXPECT_EQ(SeverityNumberName(SeverityNumber::kInfo), "Info");
  EXPECT_EQ(SeverityNumberName(SeverityNumber::kWarn3), "Warn3");
  EXPECT_EQ(SeverityNumberName(SeverityNumber::kFatal4), "Fatal4");
  EXPECT_EQ(static_cast<int>(SeverityNumber::kFatal4), 24);
  EXPECT_EQ(SeverityNumberName(static_cast<SeverityNumber>(99)), "");
}

}  // namespace
}  // namespace astrolabe::pdata
