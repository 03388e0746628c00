#include "receiver/otlp/limits.h"

#include <gtest/gtest.h>

namespace astrolabe::receiver::otlp {
namespace {

pdata::Metrics GaugeWith(std::vector<pdata::Attributes> points, pdata::Attributes resource = {}) {
  pdata::Gauge gauge;
  for (auto& a : points) {
    pdata::NumberDataPoint p;
    p.attributes = std::move(a);
    gauge.data_points.push_back(std::move(p));
  }
  pdata::Metric m;
  m.name = "vllm:num_requests_running";
  m.data = std::move(gauge);
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  rm.resource.attributes = std::move(resource);
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics out;
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

TEST(OtlpLimits, DropsOnlyThePointsOverALimit) {
  Limits limits;
  limits.max_attributes_per_item = 2;
  limits.max_attribute_value_length = 8;
  pdata::Metrics m = GaugeWith({{{"model", "llama"}},
                                {{"a", 1}, {"b", 2}, {"c", 3}},
                                {{"nested", pdata::ArrayValue{"ok", "far too long"}}}});
  Dropped d = EnforceAttributeLimits(m, limits);
  EXPECT_EQ(d.items, 2u);
  EXPECT_EQ(d.by_count, 1u);
  EXPECT_EQ(d.by_length, 1u);
  EXPECT_EQ(d.limit, "attributes_per_item");
  EXPECT_EQ(d.reason,
            "metric \"vllm:num_requests_running\": 3 attributes, more than "
            "max_attributes_per_item (2)");
  EXPECT_EQ(m.DataPointCount(), 1u);
}

TEST(OtlpLimits, AResourceOverALimitDropsEverythingUnderIt) {
  Limits limits;
  limits.max_attributes_per_item = 1;
  pdata::Metrics m = GaugeWith({{}, {}}, {{"service.name", "nim"}, {"k8s.pod.name", "p"}});
  Dropped d = EnforceAttributeLimits(m, limits);
  EXPECT_EQ(d.items, 2u);
  EXPECT_TRUE(m.resource_metrics.empty());
  EXPECT_TRUE(d.reason.starts_with("resource: 2 attributes")) << d.reason;
}

TEST(OtlpLimits, ZeroMeansNoLimit) {
  Limits limits;
  limits.max_attributes_per_item = 0;
  limits.max_attribute_value_length = 0;
  pdata::Metrics m = GaugeWith({{{"a", std::string(1 << 21, 'x')}, {"b", 1}}});
  EXPECT_EQ(EnforceAttributeLimits(m, limits).items, 0u);
  EXPECT_EQ(m.DataPointCount(), 1u);
  // The defaults keep a 1 MiB prompt (GenAI spans carry them) and 256 attributes.
  Limits defaults;
  EXPECT_EQ(defaults.max_attribute_value_length, 1u << 20);
  EXPECT_EQ(defaults.max_attributes_per_item, 256);
  EXPECT_EQ(defaults.max_items_per_request, 1'000'000);
}

TEST(OtlpLimits, LogRecordsAndBytesValues) {
  Limits limits;
  limits.max_attribute_value_length = 3;
  pdata::LogRecord ok, big;
  ok.attributes = {{"event.name", "abc"}};
  big.attributes = {{"payload", pdata::Bytes{"abcd"}}};
  pdata::ScopeLogs sl;
  sl.log_records.push_back(std::move(ok));
  sl.log_records.push_back(std::move(big));
  pdata::ResourceLogs rl;
  rl.scope_logs.push_back(std::move(sl));
  std::vector<pdata::ResourceLogs> all;
  all.push_back(std::move(rl));
  pdata::Logs logs(std::move(all));
  Dropped d = EnforceAttributeLimits(logs, limits);
  EXPECT_EQ(d.items, 1u);
  EXPECT_EQ(d.limit, "attribute_value_length");
  EXPECT_EQ(logs.LogRecordCount(), 1u);
}

}  // namespace
}  // namespace astrolabe::receiver::otlp
