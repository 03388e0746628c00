#include "receiver/prometheus_remote_write/direct_write.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/testing/temp_dir.h"
#include "component/testing/test_components.h"
#include "exporter/store/writer.h"
#include "extension/store/store_extension.h"
#include "net/http_client.h"
#include "receiver/prometheus_remote_write/receiver.h"
#include "storage/storage.h"
#include "tsdb/head.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::receiver::prometheus_remote_write {
namespace {

namespace prw = wire::prw;
using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A captured request, decompressed (the views of a decoded request point into it).
std::string Captured(const std::string& name) {
  std::string body = ReadFile("../../wire/testdata/remote_write/" + name);
  EXPECT_FALSE(body.empty()) << name;
  auto raw = wire::SnappyDecompress(body, 1 << 24);
  EXPECT_TRUE(raw.ok()) << name;
  return raw.ok() ? *raw : std::string();
}

double StaleNaN() { return std::bit_cast<double>(prw::kStaleNaNBits); }

// Everything a storage holds: every series with its samples, in label order.
std::vector<storage::MaterializedSeries> Contents(storage::Storage& s) {
  auto q = s.NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  EXPECT_TRUE(set.ok());
  if (!set.ok()) return {};
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok());
  return all.ok() ? *all : std::vector<storage::MaterializedSeries>{};
}

// Equal series, equal timestamps, bit-equal values (NaNs and stale markers included).
void ExpectSameContents(storage::Storage& a, storage::Storage& b, const std::string& what) {
  const auto x = Contents(a), y = Contents(b);
  ASSERT_EQ(x.size(), y.size()) << what;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(x[i].labels, y[i].labels) << what << ": " << x[i].labels.ToString() << " vs "
                                        << y[i].labels.ToString();
    ASSERT_EQ(x[i].samples.size(), y[i].samples.size()) << what << ": " << x[i].labels.ToString();
    for (size_t k = 0; k < x[i].samples.size(); ++k) {
      EXPECT_EQ(x[i].samples[k].t, y[i].samples[k].t) << what << ": " << x[i].labels.ToString();
      EXPECT_EQ(std::bit_cast<uint64_t>(x[i].samples[k].v),
                std::bit_cast<uint64_t>(y[i].samples[k].v))
          << what << ": " << x[i].labels.ToString() << " at " << x[i].samples[k].t;
    }
  }
}

// The pipeline's path: Translate (the receiver) → the store exporter's Writer.
void WriteThroughPdata(storage::Storage& s, const prw::WriteRequest& req, MetadataCache* cache) {
  cache->Learn(req);
  TranslateResult tr = Translate(req, cache, {});
  exporter::store::Writer writer({});
  Status st = writer.Write(s, tr.metrics);
  EXPECT_TRUE(st.ok()) << st.message();
}

// A request with everything the two paths must agree on.
prw::WriteRequest Mixed(int64_t t0) {
  prw::WriteRequest r;
  auto add = [&](std::vector<prw::Label> labels, std::vector<prw::Sample> samples,
                 prw::MetricType type = prw::MetricType::kUnknown) {
    prw::TimeSeries ts;
    ts.labels = std::move(labels);
    ts.samples = std::move(samples);
    ts.metadata.type = type;
    r.timeseries.push_back(std::move(ts));
  };
  // Unsorted labels, an empty value (absent), several samples, a stale marker.
  add({{"job", "api"}, {"__name__", "http_requests_total"}, {"code", "200"}, {"zone", ""}},
      {{10, t0}, {12, t0 + 1000}, {StaleNaN(), t0 + 2000}}, prw::MetricType::kCounter);
  // A counter without _total, a gauge with a full-precision float, a NaN that is not stale.
  add({{"__name__", "process_cpu_seconds"}, {"instance", "h:9100"}}, {{1.25, t0}},
      prw::MetricType::kCounter);
  add({{"__name__", "gpu_cache_usage_perc"}, {"pod", "nim-0"}},
      {{0.123456789012345, t0}, {std::nan(""), t0 + 1000}}, prw::MetricType::kGauge);
  // A classic histogram's series and an untyped one.
  for (const char* le : {"0.1", "1", "+Inf"}) {
    add({{"__name__", "latency_seconds_bucket"}, {"le", le}}, {{3, t0}},
        prw::MetricType::kHistogram);
  }
  add({{"__name__", "latency_seconds_sum"}}, {{0.5, t0}}, prw::MetricType::kHistogram);
  add({{"__name__", "latency_seconds_count"}}, {{3, t0}}, prw::MetricType::kHistogram);
  add({{"__name__", "untyped"}, {"a", "b"}}, {{-1, t0}});
  // Invalid series: skipped by both paths.
  add({{"job", "x"}}, {{1, t0}});
  add({{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, {{1, t0}});
  // A native histogram (exponential, schema 0) and one with custom buckets.
  prw::TimeSeries h;
  h.labels = {{"__name__", "rpc_duration_seconds"}, {"service", "s"}};
  prw::Histogram nh;
  nh.count_int = 6;
  nh.sum = 9.5;
  nh.schema = 0;
  nh.zero_count_int = 1;
  nh.zero_threshold = 1e-128;
  nh.positive_spans = {{1, 3}};
  nh.positive_deltas = {2, -1, 1};
  nh.timestamp_ms = t0;
  h.histograms.push_back(nh);
  r.timeseries.push_back(h);
  prw::TimeSeries c;
  c.labels = {{"__name__", "custom_seconds"}};
  prw::Histogram ch;
  ch.count_int = 3;
  ch.sum = 1.5;
  ch.schema = -53;
  ch.custom_values = {0.5, 1};
  ch.positive_spans = {{0, 3}};
  ch.positive_deltas = {1, 0, 0};
  ch.timestamp_ms = t0;
  c.histograms.push_back(ch);
  r.timeseries.push_back(c);
  return r;
}

TEST(DirectWriter, StoresWhatThePdataPathStoresOnCapturedRequests) {
  for (const char* name : {"vmagent_1.79_node_exporter.snappy",
                           "prometheus_2.42_node_exporter.snappy"}) {
    const std::string raw = Captured(name);
    auto req = prw::DecodeWriteRequest(raw);
    ASSERT_TRUE(req.ok()) << name;
    ASSERT_GT(req->SampleCount(), 100u);
    tsdb::Head through_pdata, direct;
    MetadataCache cache;
    WriteThroughPdata(through_pdata, *req, &cache);
    DirectWriter writer({});
    DirectResult result;
    ASSERT_TRUE(writer.Write(direct, *req, &result).ok()) << name;
    EXPECT_EQ(result.samples, req->SampleCount()) << name;
    EXPECT_EQ(result.invalid, 0u);
    EXPECT_EQ(result.rejected, 0u) << result.first_rejection;
    ExpectSameContents(through_pdata, direct, name);
    EXPECT_EQ(direct.stats().num_series, through_pdata.stats().num_series) << name;
    EXPECT_GT(direct.stats().num_series, 100u) << name;
  }
}

TEST(DirectWriter, StoresWhatThePdataPathStoresInBothVersions) {
  for (prw::Version v : {prw::Version::k1, prw::Version::k2}) {
    const std::string what = v == prw::Version::k1 ? "1.0" : "2.0";
    tsdb::Head through_pdata, direct;
    MetadataCache cache;
    DirectWriter writer({});
    // Two requests: the second continues the series of the first.
    for (int64_t t0 : {int64_t{1'700'000'000'000}, int64_t{1'700'000'010'000}}) {
      std::string bytes;
      if (v == prw::Version::k1) {
        prw::AppendWriteRequest(Mixed(t0), &bytes);
      } else {
        prw::AppendWriteRequestV2(Mixed(t0), &bytes);
      }
      auto req = prw::Decode(v, bytes);
      ASSERT_TRUE(req.ok()) << what;
      WriteThroughPdata(through_pdata, *req, &cache);
      DirectResult result;
      ASSERT_TRUE(writer.Write(direct, *req, &result).ok()) << what;
      EXPECT_EQ(result.invalid, 2u) << what;
      EXPECT_EQ(result.first_error, "timeseries[9]: missing metric name (the __name__ label)");
      EXPECT_EQ(result.rejected, 0u) << result.first_rejection;
      EXPECT_EQ(result.samples, 12u) << what;
      EXPECT_EQ(result.histograms, 2u) << what;
    }
    ExpectSameContents(through_pdata, direct, what);
    // The native histograms became classic series (present in both, compared above).
    EXPECT_FALSE(direct.LabelsOf(1).empty());
    bool buckets = false;
    for (const auto& s : Contents(direct)) {
      buckets |= s.labels.MetricName() == "rpc_duration_seconds_bucket";
    }
    EXPECT_TRUE(buckets) << what;
  }
}

TEST(DirectWriter, KeepsTheSendersMetadata) {
  // 1.0: Prometheus sends metadata in requests of its own.
  const std::string raw = Captured("prometheus_2.42_metadata.snappy");
  auto req = prw::DecodeWriteRequest(raw);
  ASSERT_TRUE(req.ok());
  ASSERT_FALSE(req->metadata.empty());
  tsdb::Head head;
  DirectWriter writer({});
  DirectResult result;
  ASSERT_TRUE(writer.Write(head, *req, &result).ok());
  auto q = head.NewQuerier();
  size_t checked = 0;
  for (const prw::MetricMetadata& m : req->metadata) {
    if (m.type == prw::MetricType::kUnknown && m.help.empty() && m.unit.empty()) continue;
    auto got = q->Metadata(m.metric_family_name);
    ASSERT_EQ(got.size(), 1u) << m.metric_family_name;
    EXPECT_EQ(storage::MetricTypeString(got[0].metadata.type), prw::MetricTypeName(m.type));
    EXPECT_EQ(got[0].metadata.help, m.help);
    EXPECT_EQ(got[0].metadata.unit, m.unit);
    ++checked;
  }
  EXPECT_GT(checked, 10u);

  // 2.0: per-series metadata from the symbols table; a histogram's family has no suffix.
  prw::WriteRequest r2;
  prw::TimeSeries ts;
  ts.labels = {{"__name__", "ttft_seconds_bucket"}, {"le", "1"}};
  ts.samples = {{1, 1'700'000'000'000}};
  ts.metadata = {prw::MetricType::kHistogram, "Time to first token.", "seconds"};
  r2.timeseries.push_back(ts);
  ts.labels = {{"__name__", "requests_total"}};
  ts.metadata = {prw::MetricType::kCounter, "Requests.", ""};
  r2.timeseries.push_back(ts);
  std::string bytes;
  prw::AppendWriteRequestV2(r2, &bytes);
  auto decoded = prw::DecodeWriteRequestV2(bytes);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(writer.Write(head, *decoded, &result).ok());
  q = head.NewQuerier();
  auto ttft = q->Metadata("ttft_seconds");
  ASSERT_EQ(ttft.size(), 1u);
  EXPECT_EQ(ttft[0].metadata,
            (storage::MetricMetadata{storage::MetricType::kHistogram, "seconds",
                                     "Time to first token."}));
  auto requests = q->Metadata("requests_total");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].metadata.type, storage::MetricType::kCounter);
  EXPECT_EQ(requests[0].metadata.help, "Requests.");
}

TEST(DirectWriter, StoreRefusalsAreCountedAndTheRestWritten) {
  tsdb::Head head;
  DirectWriter writer({});
  prw::WriteRequest r;
  prw::TimeSeries a;
  a.labels = {{"__name__", "a"}};
  a.samples = {{1, 2000}};
  r.timeseries.push_back(a);
  DirectResult result;
  ASSERT_TRUE(writer.Write(head, r, &result).ok());
  // Now one older sample (out of order) beside a new series.
  r.timeseries[0].samples = {{1, 1000}};
  prw::TimeSeries b;
  b.labels = {{"__name__", "b"}};
  b.samples = {{5, 1000}};
  r.timeseries.push_back(b);
  ASSERT_TRUE(writer.Write(head, r, &result).ok());
  EXPECT_EQ(result.rejected, 1u);
  EXPECT_NE(result.first_rejection.find("out of order sample"), std::string::npos)
      << result.first_rejection;
  EXPECT_EQ(result.samples, 1u);
  EXPECT_EQ(Contents(head).size(), 2u);
}

// The receiver with `store:`: a real request lands in the store extension's tsdb.
TEST(DirectReceiver, VmagentRequestIsStoredAndAcknowledged) {
  astrolabe::test::TempDir dir;
  component::test::TestHost host;
  extension::store::Config sc;
  sc.directory = dir.path();
  sc.metrics.retention_time = {};  // keep all: the request carries fixed early timestamps
  component::CreateSettings ss;
  ss.id = {"store", ""};
  extension::store::StoreExtension store(ss, sc);
  ASSERT_TRUE(store.Start(host).ok());
  host.AddExtension({"store", ""}, &store);

  Config config;
  config.http.endpoint = "127.0.0.1:0";
  config.store = "store";
  ASSERT_TRUE(config.Validate().ok());
  component::CreateSettings rs;
  rs.id = {"prometheus_remote_write", ""};
  rs.telemetry = &host.telemetry();
  RemoteWriteReceiver receiver(rs, config, component::ReceiverConsumers{});
  ASSERT_TRUE(receiver.Start(host).ok());

  const std::string body = ReadFile("../../wire/testdata/remote_write/vmagent_1.79_node_exporter.snappy");
  auto raw = wire::SnappyDecompress(body, 1 << 24);
  ASSERT_TRUE(raw.ok());
  auto sent = prw::DecodeWriteRequest(*raw);
  ASSERT_TRUE(sent.ok());
  net::HttpClient client;
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://" + receiver.address() + "/api/v1/write";
  request.headers.Set("Content-Type", "application/x-protobuf");
  request.headers.Set("Content-Encoding", "snappy");
  request.body = body;
  auto response = client.Send(std::move(request)).get();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 204) << response->body;
  EXPECT_EQ(host.telemetry()
                .GetCounter("otelcol_receiver_accepted_metric_points_total", "",
                            {{"receiver", "prometheus_remote_write"}, {"transport", "http"}})
                ->value(),
            double(sent->SampleCount()));
  size_t samples = 0;
  for (const auto& s : Contents(store.metrics())) samples += s.samples.size();
  EXPECT_EQ(samples, sent->SampleCount());
  EXPECT_TRUE(receiver.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
  EXPECT_TRUE(store.Shutdown(std::chrono::steady_clock::now() + 1s).ok());

  // Acknowledged means logged: a reopened store has every sample.
  extension::store::StoreExtension again(ss, sc);
  ASSERT_TRUE(again.Start(host).ok());
  samples = 0;
  for (const auto& s : Contents(again.metrics())) samples += s.samples.size();
  EXPECT_EQ(samples, sent->SampleCount());
  EXPECT_TRUE(again.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(DirectReceiver, StartFailsWithoutTheNamedStore) {
  component::test::TestHost host;
  Config config;
  config.http.endpoint = "127.0.0.1:0";
  config.store = "store/missing";
  component::CreateSettings rs;
  rs.id = {"prometheus_remote_write", ""};
  rs.telemetry = &host.telemetry();
  RemoteWriteReceiver receiver(rs, config, component::ReceiverConsumers{});
  Status st = receiver.Start(host);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("store/missing"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("prometheus_remote_write::store"), std::string::npos)
      << st.message();
}

TEST(DirectReceiver, ConfigRefusesABadStoreId) {
  Config config;
  config.store = "not an id!";
  Status st = config.Validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("store", 0), 0u) << st.message();
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus_remote_write
