#include "receiver/prometheus_remote_write/receiver.h"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "component/partial.h"
#include "component/testing/test_components.h"
#include "net/http_client.h"
#include "pdata/metrics.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::receiver::prometheus_remote_write {
namespace {

namespace prw = wire::prw;
using component::test::TestHost;

class Recorder : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    std::lock_guard lock(mu);
    if (!refuse.ok()) return refuse;
    metrics.push_back(batch->Clone());
    return Status::Ok();
  }
  Status ConsumeTraces(pdata::TracesBatch) override { return Internal("no traces"); }
  Status ConsumeLogs(pdata::LogsBatch) override { return Internal("no logs"); }
  std::mutex mu;
  Status refuse;
  std::vector<pdata::Metrics> metrics;
};

std::string Snappy(std::string_view s) {
  std::string out;
  wire::SnappyCompress(s, &out);
  return out;
}

prw::WriteRequest Small() {
  prw::WriteRequest r;
  prw::TimeSeries ts;
  ts.labels = {{"__name__", "up"}, {"instance", "a:1"}, {"job", "j"}};
  ts.samples = {{1, 1700000000000}};
  r.timeseries.push_back(ts);
  return r;
}
std::string V1(const prw::WriteRequest& r) {
  std::string out;
  prw::AppendWriteRequest(r, &out);
  return Snappy(out);
}
std::string V2(const prw::WriteRequest& r) {
  std::string out;
  prw::AppendWriteRequestV2(r, &out);
  return Snappy(out);
}

class RemoteWriteReceiverTest : public ::testing::Test {
 protected:
  void Start(Config config = {}) {
    config.http.endpoint = "127.0.0.1:0";
    settings_.id = config::ComponentId{"prometheus_remote_write", ""};
    settings_.telemetry = &host_.telemetry();
    receiver_ = std::make_unique<RemoteWriteReceiver>(settings_, config,
                                                      component::ReceiverConsumers{&recorder_});
    ASSERT_TRUE(receiver_->Start(host_).ok());
  }
  void TearDown() override {
    if (receiver_) (void)receiver_->Shutdown(std::chrono::steady_clock::now());
  }

  net::HttpResponse Post(std::string body, std::string content_type = "application/x-protobuf",
                         std::string encoding = "snappy", std::string version = "0.1.0",
                         std::string path = "/api/v1/write") {
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://" + receiver_->address() + path;
    if (!content_type.empty()) request.headers.Set("Content-Type", content_type);
    if (!encoding.empty()) request.headers.Set("Content-Encoding", encoding);
    if (!version.empty()) request.headers.Set("X-Prometheus-Remote-Write-Version", version);
    request.body = std::move(body);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : net::HttpResponse{};
  }

  double Bad(const std::string& reason) {
    return host_.telemetry()
        .GetCounter("astrolabe_receiver_prometheus_remote_write_bad_requests_total", "",
                    {{"receiver", "prometheus_remote_write"}, {"reason", reason}})
        ->value();
  }
  double Accepted() {
    return host_.telemetry()
        .GetCounter("otelcol_receiver_accepted_metric_points_total", "",
                    {{"receiver", "prometheus_remote_write"}, {"transport", "http"}})
        ->value();
  }

  TestHost host_;
  component::CreateSettings settings_;
  Recorder recorder_;
  std::unique_ptr<RemoteWriteReceiver> receiver_;
  net::HttpClient client_;
};

TEST_F(RemoteWriteReceiverTest, RealVmagentRequestIs204AndEverySampleArrives) {
  Start();
  std::ifstream in("../../wire/testdata/remote_write/vmagent_1.79_node_exporter.snappy",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string body = ss.str();
  ASSERT_FALSE(body.empty());
  auto decoded_body = wire::SnappyDecompress(body, 1 << 20);
  ASSERT_TRUE(decoded_body.ok());
  auto sent = prw::DecodeWriteRequest(*decoded_body);
  ASSERT_TRUE(sent.ok());

  net::HttpResponse r = Post(body);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.headers.Get("X-Prometheus-Remote-Write-Samples-Written"));  // 1.0: none
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  const pdata::Metrics& got = recorder_.metrics[0];
  EXPECT_EQ(got.DataPointCount(), sent->SampleCount());
  EXPECT_EQ(Accepted(), double(sent->SampleCount()));
  // Every sent series is a point of the metric of its name, with its labels and value.
  const auto& metrics = got.resource_metrics.at(0).scope_metrics.at(0).metrics;
  for (const prw::TimeSeries& ts : sent->timeseries) {
    const pdata::Metric* m = nullptr;
    for (const auto& x : metrics) {
      if (x.name == ts.LabelValue("__name__")) m = &x;
    }
    ASSERT_NE(m, nullptr) << ts.LabelValue("__name__");
    ASSERT_EQ(m->type(), pdata::MetricType::kGauge);
    bool found = false;
    for (const pdata::NumberDataPoint& p : std::get<pdata::Gauge>(m->data).data_points) {
      bool same = p.attributes.size() + 1 == ts.labels.size();
      for (const prw::Label& l : ts.labels) {
        if (l.name == "__name__") continue;
        const pdata::AnyValue* v = pdata::FindAttribute(p.attributes, l.name);
        same = same && v != nullptr && v->string_value() == l.value;
      }
      if (same) {
        found = true;
        EXPECT_EQ(p.AsDouble(), ts.samples[0].value);
        EXPECT_EQ(p.time_unix_nano, uint64_t(ts.samples[0].timestamp_ms) * 1000000);
      }
    }
    EXPECT_TRUE(found) << ts.LabelValue("__name__");
  }
}

TEST_F(RemoteWriteReceiverTest, V2AnswersWithWrittenCounts) {
  Start();
  prw::WriteRequest req = Small();
  req.timeseries[0].samples.push_back({0, 1700000001000});
  net::HttpResponse r = Post(V2(req), "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                             "snappy", "2.0.0");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.headers.Get("X-Prometheus-Remote-Write-Samples-Written").value_or(""), "2");
  EXPECT_EQ(r.headers.Get("X-Prometheus-Remote-Write-Histograms-Written").value_or(""), "0");
  EXPECT_EQ(r.headers.Get("X-Prometheus-Remote-Write-Exemplars-Written").value_or(""), "0");
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  EXPECT_EQ(recorder_.metrics[0].DataPointCount(), 2u);
  // The 1.0 proto named explicitly, and no Content-Type at all, are 1.0.
  EXPECT_EQ(Post(V1(Small()), "application/x-protobuf;proto=prometheus.WriteRequest").status, 204);
  EXPECT_EQ(Post(V1(Small()), "").status, 204);
}

TEST_F(RemoteWriteReceiverTest, EveryBadRequestGetsItsStatus) {
  Config config;
  config.http.max_request_body_size = 64 * 1024;
  config.max_series_per_request = 3;
  Start(config);
  struct Case {
    const char* what;
    net::HttpResponse response;
    int status;
    const char* body_part;
    const char* reason;
  };
  prw::WriteRequest many;
  for (int i = 0; i < 4; ++i) many.timeseries.push_back(Small().timeseries[0]);
  prw::WriteRequest partly_bad = Small();
  partly_bad.timeseries.push_back(Small().timeseries[0]);
  partly_bad.timeseries[1].labels = {{"job", "no-name"}};
  std::string big(200 * 1024, 'a');
  std::vector<Case> cases = {
      {"json", Post(V1(Small()), "application/json"), 415, "expected application/x-protobuf",
       "content_type"},
      {"unknown proto", Post(V1(Small()), "application/x-protobuf;proto=foo.Bar"), 415,
       "unsupported proto \"foo.Bar\"", "content_type"},
      {"gzip", Post(V1(Small()), "application/x-protobuf", "gzip"), 415,
       "only snappy is acceptable", "content_encoding"},
      {"version 3", Post(V1(Small()), "application/x-protobuf", "snappy", "3.0.0"), 415,
       "unsupported X-Prometheus-Remote-Write-Version", "version"},
      {"not snappy", Post("\xff\xff\xff\xff\xff garbage"), 400, "snappy: ", "snappy"},
      {"empty body", Post(""), 400, "snappy: ", "snappy"},
      {"not protobuf", Post(Snappy("\x0a\x05\x01")), 400,
       "prometheus.WriteRequest: timeseries[0]: truncated length-delimited field", "protobuf"},
      {"decompresses too big", Post(Snappy(big)), 413, "exceeds max_request_body_size",
       "too_large"},
      {"too many series", Post(V1(many)), 400,
       "4 series in one request, more than "
       "max_series_per_request (3)",
       "too_many_series"},
      {"invalid series", Post(V1(partly_bad)), 400,
       "1 invalid series not written (the other 1 were); first: timeseries[1]: missing metric "
       "name",
       "invalid_series"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.response.status, c.status) << c.what << ": " << c.response.body;
    EXPECT_NE(c.response.body.find(c.body_part), std::string::npos)
        << c.what << ": " << c.response.body;
    EXPECT_TRUE(c.response.body.ends_with("\n")) << c.what;
    EXPECT_EQ(c.response.headers.Get("Content-Type").value_or(""), "text/plain; charset=utf-8")
        << c.what;
    EXPECT_GE(Bad(c.reason), 1) << c.what;
  }
  // The valid half of the partly bad request was written.
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  EXPECT_EQ(recorder_.metrics[0].DataPointCount(), 1u);
  // A body over the limit as sent: the server's 413.
  EXPECT_EQ(Post(std::string(100 * 1024, 'x')).status, 413);
  // Other method, other path.
  net::HttpRequest get;
  get.url = "http://" + receiver_->address() + "/api/v1/write";
  EXPECT_EQ(client_.Send(std::move(get)).get()->status, 405);
  EXPECT_EQ(Post(V1(Small()), "application/x-protobuf", "snappy", "0.1.0", "/api/v1/push").status,
            404);
}

TEST_F(RemoteWriteReceiverTest, RetryableRefusalIs503PermanentIs400) {
  Start();
  recorder_.refuse = Unavailable("memory_limiter: data refused, memory usage above the soft limit");
  net::HttpResponse r = Post(V1(Small()));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.Get("Retry-After").value_or(""), "1");
  EXPECT_NE(r.body.find("memory usage above the soft limit"), std::string::npos) << r.body;
  recorder_.refuse = InvalidArgument("bad data");
  EXPECT_EQ(Post(V1(Small())).status, 400);
  EXPECT_EQ(host_.telemetry()
                .GetCounter("otelcol_receiver_refused_metric_points_total", "",
                            {{"receiver", "prometheus_remote_write"}, {"transport", "http"}})
                ->value(),
            2);
}

TEST_F(RemoteWriteReceiverTest, MetadataFromAnEarlierRequestTypesLaterSeries) {
  Start();
  prw::WriteRequest meta;
  meta.metadata = {{prw::MetricType::kCounter, "reqs_total", "Requests.", ""}};
  EXPECT_EQ(Post(V1(meta)).status, 204);
  EXPECT_TRUE(recorder_.metrics.empty());  // metadata alone reaches no pipeline
  prw::WriteRequest req = Small();
  req.timeseries[0].labels[0].value = "reqs_total";
  EXPECT_EQ(Post(V1(req)).status, 204);
  ASSERT_EQ(recorder_.metrics.size(), 1u);
  const pdata::Metric& m = recorder_.metrics[0].resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(m.type(), pdata::MetricType::kSum);
}

// Issue 6: every limit refuses with 400 and a message naming it, and counts the samples it
// refused under astrolabe_receiver_refused_items_total{reason}.
TEST_F(RemoteWriteReceiverTest, EveryLimitIsCountedByName) {
  Config config;
  config.max_series_per_request = 2;
  config.max_label_value_length = 8;
  config.max_labels_per_series = 4;
  Start(config);
  auto refused = [&](const std::string& reason) {
    return host_.telemetry()
        .GetCounter("astrolabe_receiver_refused_items_total", "",
                    {{"receiver", "prometheus_remote_write"},
                     {"transport", "http"},
                     {"signal", "metrics"},
                     {"reason", reason}})
        ->value();
  };
  prw::WriteRequest three = Small();
  three.timeseries.push_back(three.timeseries[0]);
  three.timeseries.push_back(three.timeseries[0]);
  net::HttpResponse r = Post(V1(three));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("more than max_series_per_request (2)"), std::string::npos) << r.body;
  EXPECT_EQ(refused("series_per_request"), 3);

  prw::WriteRequest mixed = Small();
  prw::TimeSeries long_value = mixed.timeseries[0];
  long_value.labels[1].value = "a-very-long-instance:1";
  long_value.samples.push_back({2, 1700000001000});
  prw::TimeSeries many = mixed.timeseries[0];
  many.labels.push_back({"x", "1"});
  many.labels.push_back({"y", "2"});
  mixed.timeseries.push_back(long_value);
  r = Post(V1(mixed));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("longer than max_label_value_length (8)"), std::string::npos) << r.body;
  EXPECT_EQ(refused("label_value_length"), 2);  // its two samples
  ASSERT_EQ(recorder_.metrics.size(), 1u);      // the valid series was written
  prw::WriteRequest five_labels;
  five_labels.timeseries.push_back(many);
  r = Post(V1(five_labels));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("5 labels, more than max_labels_per_series (4)"), std::string::npos)
      << r.body;
  EXPECT_EQ(refused("labels_per_series"), 1);

  // The store over its active-series limit refuses the new series: 400 (do not resend),
  // counted as active_series.
  recorder_.refuse = component::PartialRejection(
      1, 1, "series limit: the head holds 10 series (max_series); refusing {__name__=\"up\"}");
  r = Post(V1(Small()));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("max_series"), std::string::npos) << r.body;
  EXPECT_EQ(refused("active_series"), 1);
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus_remote_write
