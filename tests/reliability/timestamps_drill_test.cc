// Timestamps from the future and the distant past, duplicate and out-of-order samples, over
// remote write and OTLP into `astrolabe server` (issue 12): each bad request gets a clear
// per-request answer naming the reason, the refusals are counted on the server's /metrics,
// what was accepted is stored exactly (read back from the tsdb after a clean stop), and a
// restart replays the WAL without refusing anything again.
//
// The server keeps the store's defaults: metrics.max_future 10m, metrics.retention_time 15 d
// (samples older than the clock minus it are refused), no out-of-order window.

#include <signal.h>

#include <cstdio>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drill.h"
#include "pdata/metrics.h"
#include "storage/storage.h"
#include "tsdb/db.h"
#include "wire/otlp_proto.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A remote-write body: one sample per (series label, time, value).
struct RwSample {
  std::string series;
  int64_t t;
  double v;
};
std::string RemoteWrite(const std::vector<RwSample>& samples) {
  wire::prw::WriteRequest rw;  // labels are views into `samples`
  for (const RwSample& s : samples) {
    wire::prw::TimeSeries ts;
    ts.labels = {{"__name__", "ts_drill_rw"}, {"series", s.series}};
    ts.samples = {{s.v, s.t}};
    rw.timeseries.push_back(std::move(ts));
  }
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  return body;
}

// An OTLP gauge `ts_drill_otlp{series=...}` with one point per entry.
std::string OtlpGauge(const std::vector<RwSample>& samples) {
  pdata::Metric gauge;
  gauge.name = "ts_drill_otlp";
  pdata::Gauge g;
  for (const RwSample& s : samples) {
    pdata::NumberDataPoint p;
    pdata::PutAttribute(p.attributes, "series", s.series);
    p.time_unix_nano = s.t < 0 ? 0 : uint64_t(s.t) * 1'000'000;
    p.value = s.v;
    g.data_points.push_back(std::move(p));
  }
  gauge.data = std::move(g);
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(gauge));
  pdata::ResourceMetrics rm;
  pdata::PutAttribute(rm.resource.attributes, "service.name", "drill");
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics m;
  m.resource_metrics.push_back(std::move(rm));
  return wire::EncodeMetricsRequest(m);
}

// Rejected points of an OTLP answer: -1 when it is not a 2xx export response.
int64_t OtlpRejected(const net::HttpResponse& r, std::string* message) {
  if (r.status / 100 != 2) return -1;
  auto answer = wire::DecodeExportResponse(r.body);
  if (!answer.ok()) return -1;
  if (!answer->partial_success) return 0;
  *message = answer->partial_success->error_message;
  return answer->partial_success->rejected;
}

TEST(TimestampsDrill, FuturePastDuplicateAndOutOfOrderSamples) {
  DrillServer server;
  server.data = TempDir() + "/data";
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  net::HttpClient client;
  const int64_t now = WallMs();
  auto rw = [&](const std::vector<RwSample>& s) {
    return Post(client, server.otlp, "/api/v1/write", RemoteWrite(s), true);
  };
  auto otlp = [&](const std::vector<RwSample>& s) {
    return Post(client, server.otlp, "/v1/metrics", OtlpGauge(s), false);
  };

  // ---- remote write ----
  auto r = rw({{"a", now - 60'000, 1}});
  EXPECT_EQ(r.status, 204) << r.body;
  // An hour ahead: refused, named.
  r = rw({{"a", now + 3'600'000, 2}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("too far in the future"));
  // Five minutes ahead: within metrics.max_future (10m).
  r = rw({{"b", now + 300'000, 3}});
  EXPECT_EQ(r.status, 204) << r.body;
  // The same sample again: an idempotent retry, accepted and stored once.
  r = rw({{"a", now - 60'000, 1}});
  EXPECT_EQ(r.status, 204) << r.body;
  // The same time, another value: a duplicate.
  r = rw({{"a", now - 60'000, 7}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("duplicate sample"));
  // Older than the series' newest: out of order.
  r = rw({{"a", now - 120'000, 4}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("out of order"));
  // A batch mixing a good sample and a future one: the good one is written, the answer is 400.
  r = rw({{"c", now - 30'000, 5}, {"d", now + 86'400'000LL * 365, 6}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("too far in the future"));
  // The far future at the edge of the format (int64 max milliseconds).
  r = rw({{"e", INT64_MAX, 8}});
  EXPECT_EQ(r.status, 400) << r.body;
  // The distant past (1970, and before 1970) for series the head does not know yet: older
  // than metrics.retention_time (15 d) behind the clock, so retention would delete them at
  // once; refused instead of acknowledged.
  auto past = rw({{"past", 1000, 9}});
  auto before_epoch = rw({{"neg", -86'400'000, 10}});
  auto sixteen_days = rw({{"old", now - 16 * 86'400'000LL, 12}});
  for (const auto* p : {&past, &before_epoch, &sixteen_days}) {
    EXPECT_EQ(p->status, 400) << p->body;
    EXPECT_THAT(p->body, HasSubstr("too old for the retention window"));
  }
  // ---- OTLP ----
  std::string message;
  auto o = otlp({{"a", now - 60'000, 1}});
  EXPECT_EQ(OtlpRejected(o, &message), 0) << o.status << " " << o.body;
  o = otlp({{"a", now + 3'600'000, 2}});
  const int64_t future_rejected = OtlpRejected(o, &message);
  std::printf("otlp, an hour ahead: status %d, rejected %lld, %s\n", o.status,
              static_cast<long long>(future_rejected),
              (o.status / 100 == 2 ? message : o.body).c_str());
  EXPECT_TRUE(future_rejected == 1 || o.status == 400) << o.status << " " << o.body;
  EXPECT_THAT(o.status / 100 == 2 ? message : o.body, HasSubstr("too far in the future"));
  o = otlp({{"a", now - 60'000, 7}});  // duplicate
  message.clear();
  const int64_t dup_rejected = OtlpRejected(o, &message);
  EXPECT_TRUE(dup_rejected == 1 || o.status == 400) << o.status << " " << o.body;
  EXPECT_THAT(o.status / 100 == 2 ? message : o.body, HasSubstr("duplicate sample"));
  o = otlp({{"a", now - 120'000, 4}});  // out of order
  message.clear();
  const int64_t ooo_rejected = OtlpRejected(o, &message);
  EXPECT_TRUE(ooo_rejected == 1 || o.status == 400) << o.status << " " << o.body;
  EXPECT_THAT(o.status / 100 == 2 ? message : o.body, HasSubstr("out of order"));
  o = otlp({{"past", 1000, 9}});  // 1970: older than the retention window
  message.clear();
  const int64_t past_rejected = OtlpRejected(o, &message);
  EXPECT_TRUE(past_rejected == 1 || o.status == 400) << o.status << " " << o.body;
  EXPECT_THAT(o.status / 100 == 2 ? message : o.body, HasSubstr("too old for the retention window"));
  o = otlp({{"zero", -1, 11}});  // time_unix_nano 0: "unset" in OTLP
  std::printf("otlp, time_unix_nano 0: status %d %s\n", o.status, o.body.c_str());
  EXPECT_NE(o.status, 0) << o.body;
  EXPECT_LT(o.status, 500) << o.body;

  // Fourteen days back is inside the window (sent last: the head then spans two weeks and the
  // compactor cuts a block there, after which older samples are out of bounds anyway).
  r = rw({{"recent", now - 14 * 86'400'000LL, 13}});
  EXPECT_EQ(r.status, 204) << r.body;

  // ---- counters ----
  const HttpResult metrics = HttpGet(server.http, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const double rejected_requests =
      ExpositionValue(metrics.body, "astrolabe_receiver_prometheus_remote_write_bad_requests_total",
                      {"store_rejected"});
  const double otlp_refused =
      ExpositionValue(metrics.body, "otelcol_receiver_refused_metric_points", {"otlp"});
  std::printf("remote-write requests refused by the store: %g; OTLP points refused: %g\n",
              rejected_requests, otlp_refused);
  // future, duplicate, out of order, the mixed batch, INT64_MAX, the three past ones.
  EXPECT_GE(rejected_requests, 8) << metrics.body.substr(0, 6000);
  // future, duplicate, out of order, 1970 (time_unix_nano 0 may add one).
  EXPECT_GE(otlp_refused, 4) << metrics.body.substr(0, 6000);

  server.process.Signal(SIGTERM);
  ASSERT_EQ(server.process.Wait(60s), 0) << server.process.Stderr();

  // ---- what is stored ----
  std::map<std::string, std::map<int64_t, double>> got;  // "name/series" → t → v
  {
    auto db = tsdb::Db::Open(server.data + "/tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto querier = (*db)->NewQuerier();
    auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
    ASSERT_TRUE(set.ok());
    auto all = storage::Materialize(**set);
    ASSERT_TRUE(all.ok());
    for (const auto& s : *all) {
      auto& by_t =
          got[std::string(s.labels.MetricName()) + "/" + std::string(s.labels.Get("series"))];
      for (const auto& sample : s.samples) by_t[sample.t] = sample.v;
    }
    EXPECT_EQ((*db)->open_stats().samples_rejected, 0u);
  }
  using TV = std::map<int64_t, double>;
  EXPECT_EQ(got["ts_drill_rw/a"], (TV{{now - 60'000, 1}}));
  EXPECT_EQ(got["ts_drill_rw/b"], (TV{{now + 300'000, 3}}));
  EXPECT_EQ(got["ts_drill_rw/c"], (TV{{now - 30'000, 5}}));
  EXPECT_TRUE(got["ts_drill_rw/d"].empty());
  EXPECT_TRUE(got["ts_drill_rw/e"].empty());
  EXPECT_EQ(got["ts_drill_otlp/a"], (TV{{now - 60'000, 1}}));
  for (const auto& [series, samples] : got) {
    for (const auto& [t, v] : samples) {
      EXPECT_LE(t, now + 600'000 + 60'000) << series << " holds a sample from the future: " << t;
    }
  }
  EXPECT_TRUE(got["ts_drill_rw/past"].empty());
  EXPECT_TRUE(got["ts_drill_rw/neg"].empty());
  EXPECT_TRUE(got["ts_drill_rw/old"].empty());
  EXPECT_TRUE(got["ts_drill_otlp/past"].empty());
  EXPECT_EQ(got["ts_drill_rw/recent"], (TV{{now - 14 * 86'400'000LL, 13}}));
  std::printf("stored for time_unix_nano 0: %zu samples\n", got["ts_drill_otlp/zero"].size());

  // ---- a restart replays cleanly and still answers queries ----
  std::string why2;
  ASSERT_TRUE(server.Start(&why2)) << why2;
  EXPECT_THAT(server.process.Stderr(), HasSubstr("(0 refused again)"));
  const HttpResult q =
      HttpGet(server.http, "/api/v1/query?query=ts_drill_rw&time=" + std::to_string(now / 1000));
  EXPECT_EQ(q.status, 200) << q.body;
  EXPECT_THAT(q.body, HasSubstr("\"series\":\"a\""));
  server.process.Signal(SIGTERM);
  EXPECT_EQ(server.process.Wait(60s), 0) << server.process.Stderr();
}

}  // namespace
}  // namespace astrolabe::e2e
