// `kill -9` during ingest loses nothing acknowledged (issues 6 and 12): `astrolabe server --auth
// none` takes metrics (Prometheus remote write, OTLP gauges and OTLP delta sums) and spans and logs
// (OTLP/HTTP protobuf) from one client thread each; every thread records which of its batches
// got a 2xx. The server is SIGKILLed at a random moment mid-stream and restarted on the same
// data directory, several rounds; after a last clean stop the tsdb and the span store are
// opened on the directory and every acknowledged sample, span and log record must be there.
//
// Delta sums check the running totals across crashes too: the cumulative value stored for
// batch k lies between the number of acknowledged batches up to k (an acknowledged delta was
// counted) and the number sent up to k (nothing counted twice), and totals never go down.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "drill.h"
#include "net/http_client.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "process.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"
#include "tsdb/db.h"
#include "wire/otlp_proto.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kSeriesPerBatch = 20;    // remote-write series / OTLP points per metrics batch
constexpr int kSpansPerBatch = 10;     // spans (and log records) per trace batch
const int kRounds = DrillSize(4, 24);  // SIGKILL rounds (long form: 24)

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What one client thread sent: batch number → acknowledged (2xx) or not.
struct Ledger {
  std::mutex mu;
  std::map<int, bool> sent;
  std::vector<std::string> partial;  // 2xx answers that were not a full success
  void Record(int batch, bool acked) {
    std::lock_guard lock(mu);
    sent[batch] = acked;
  }
  std::set<int> Acked() {
    std::lock_guard lock(mu);
    std::set<int> out;
    for (auto [b, ok] : sent)
      if (ok) out.insert(b);
    return out;
  }
};

// A batch's sample time: strictly increasing per batch, across rounds.
int64_t BatchTimeMs(int64_t base_ms, int batch) { return base_ms + int64_t(batch) * 10; }

std::string RemoteWriteBody(int64_t base_ms, int batch) {
  static const std::vector<std::string> kSeries = [] {
    std::vector<std::string> v;
    for (int i = 0; i < kSeriesPerBatch; ++i) v.push_back(std::to_string(i));
    return v;
  }();
  wire::prw::WriteRequest rw;  // labels are views: kSeries holds their text
  for (int i = 0; i < kSeriesPerBatch; ++i) {
    wire::prw::TimeSeries ts;
    ts.labels = {{"__name__", "drill_rw"}, {"series", kSeries[i]}};
    ts.samples = {{double(batch), BatchTimeMs(base_ms, batch)}};
    rw.timeseries.push_back(std::move(ts));
  }
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  return body;
}

// kSeriesPerBatch gauge points `drill_otlp{series=i}` of value `batch`, and one delta sum
// point `drill_delta` of 1, all at the batch's time, from service.name=drill.
std::string OtlpMetricsBody(int64_t base_ms, int batch) {
  const uint64_t t = uint64_t(BatchTimeMs(base_ms, batch)) * 1'000'000;
  pdata::Metric gauge;
  gauge.name = "drill_otlp";
  pdata::Gauge g;
  for (int i = 0; i < kSeriesPerBatch; ++i) {
    pdata::NumberDataPoint p;
    pdata::PutAttribute(p.attributes, "series", std::to_string(i));
    p.time_unix_nano = t;
    p.value = double(batch);
    g.data_points.push_back(std::move(p));
  }
  gauge.data = std::move(g);
  pdata::Metric delta;
  delta.name = "drill_delta";
  pdata::Sum s;
  s.aggregation_temporality = pdata::AggregationTemporality::kDelta;
  s.is_monotonic = true;
  pdata::NumberDataPoint p;
  p.start_time_unix_nano = t - 1'000'000;
  p.time_unix_nano = t;
  p.value = 1.0;
  s.data_points.push_back(std::move(p));
  delta.data = std::move(s);
  pdata::ResourceMetrics rm;
  pdata::PutAttribute(rm.resource.attributes, "service.name", "drill");
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(gauge));
  sm.metrics.push_back(std::move(delta));
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics m;
  m.resource_metrics.push_back(std::move(rm));
  return wire::EncodeMetricsRequest(m);
}

// Batch b's trace id: "d1" + b in hex, padded (never empty).
pdata::TraceId BatchTraceId(int batch, uint8_t kind) {
  pdata::TraceId id;
  id.bytes[0] = 0xd1;
  id.bytes[1] = kind;
  for (int i = 0; i < 4; ++i) id.bytes[15 - i] = uint8_t(batch >> (8 * i));
  return id;
}

pdata::SpanId NthSpanId(int n) {
  pdata::SpanId id;
  id.bytes[0] = 0x5a;
  id.bytes[7] = uint8_t(n + 1);
  return id;
}

constexpr uint8_t kTraceKind = 1, kLogKind = 2;

std::string TracesBody(int64_t base_ms, int batch) {
  const uint64_t t = uint64_t(BatchTimeMs(base_ms, batch)) * 1'000'000;
  pdata::ScopeSpans ss;
  for (int i = 0; i < kSpansPerBatch; ++i) {
    pdata::Span span;
    span.trace_id = BatchTraceId(batch, kTraceKind);
    span.span_id = NthSpanId(i);
    if (i > 0) span.parent_span_id = NthSpanId(0);
    span.name = i == 0 ? "workflow" : "chat llama-3.1-8b";
    span.kind = i == 0 ? pdata::SpanKind::kInternal : pdata::SpanKind::kClient;
    span.start_time_unix_nano = t;
    span.end_time_unix_nano = t + 1'000'000;
    pdata::PutAttribute(span.attributes, "gen_ai.request.model", "meta/llama-3.1-8b-instruct");
    pdata::PutAttribute(span.attributes, "drill.batch", int64_t(batch));
    ss.spans.push_back(std::move(span));
  }
  pdata::ResourceSpans rs;
  pdata::PutAttribute(rs.resource.attributes, "service.name", "drill");
  rs.scope_spans.push_back(std::move(ss));
  pdata::Traces traces;
  traces.resource_spans.push_back(std::move(rs));
  return wire::EncodeTracesRequest(traces);
}

std::string LogsBody(int64_t base_ms, int batch) {
  const uint64_t t = uint64_t(BatchTimeMs(base_ms, batch)) * 1'000'000;
  pdata::ScopeLogs sl;
  for (int i = 0; i < kSpansPerBatch; ++i) {
    pdata::LogRecord r;
    r.time_unix_nano = t;
    r.trace_id = BatchTraceId(batch, kLogKind);
    r.span_id = NthSpanId(i);
    r.event_name = "gen_ai.user.message";
    r.body = pdata::AnyValue("message " + std::to_string(i) + " of batch " + std::to_string(batch));
    sl.log_records.push_back(std::move(r));
  }
  pdata::ResourceLogs rl;
  pdata::PutAttribute(rl.resource.attributes, "service.name", "drill");
  rl.scope_logs.push_back(std::move(sl));
  pdata::Logs logs;
  logs.resource_logs.push_back(std::move(rl));
  return wire::EncodeLogsRequest(logs);
}

struct Stream {
  Stream(std::string n, std::string p, std::string e, std::string (*b)(int64_t, int))
      : name(std::move(n)), path(std::move(p)), encoding(std::move(e)), body(b) {}
  std::string name, path, encoding;
  std::string (*body)(int64_t, int);
  Ledger ledger;
  int next_batch = 0;
  std::vector<int> round_starts;  // the first batch of each round
};

class ServerKillDrill : public ::testing::Test {
 protected:
  std::vector<std::string> ServerArgs() const {
    return {AstrolabeBinary(), "server",     "--auth",      "none",      "--data",      data_,
            "--http",          Addr(http_),  "--otlp-http", Addr(otlp_), "--otlp-grpc", Addr(grpc_),
            "--health",        Addr(health_)};
  }
  static std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

  // Sends batches of `stream` until `stop`; records each batch's outcome.
  void Pump(Stream& stream, const std::atomic<bool>& stop) {
    net::HttpClient client;
    while (!stop.load()) {
      const int batch = stream.next_batch++;
      net::HttpRequest request;
      request.method = "POST";
      request.url = "http://" + Addr(otlp_) + stream.path;
      request.timeout = 10s;
      request.headers.Set("Content-Type", "application/x-protobuf");
      if (!stream.encoding.empty()) {
        request.headers.Set("Content-Encoding", stream.encoding);
        request.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
      }
      request.body = stream.body(base_ms_, batch);
      auto response = client.Send(std::move(request)).get();
      bool acked = response.ok() && response->status / 100 == 2;
      if (acked && stream.encoding.empty()) {
        // A partial success is not an acknowledgement of the whole batch (and never expected).
        auto answer = wire::DecodeExportResponse(response->body);
        if (!answer.ok() || (answer->partial_success && answer->partial_success->rejected > 0)) {
          acked = false;
          std::lock_guard lock(stream.ledger.mu);
          stream.ledger.partial.push_back(response->body);
        }
      }
      stream.ledger.Record(batch, acked);
      if (!response.ok() || response->status / 100 != 2) std::this_thread::sleep_for(20ms);
    }
  }

  std::string data_ = TempDir() + "/data";
  int http_ = FreePort(), otlp_ = FreePort(), grpc_ = FreePort(), health_ = FreePort();
  int64_t base_ms_ = NowMs();
};

TEST_F(ServerKillDrill, SigkillMidStreamLosesNothingAcknowledged) {
  Stream rw{"remote write", "/api/v1/write", "snappy", &RemoteWriteBody};
  Stream metrics{"otlp metrics", "/v1/metrics", "", &OtlpMetricsBody};
  Stream traces{"otlp traces", "/v1/traces", "", &TracesBody};
  Stream logs{"otlp logs", "/api/v2/otlp/v1/logs", "", &LogsBody};
  Stream* streams[] = {&rw, &metrics, &traces, &logs};
  std::mt19937 rng(std::random_device{}());
  int killed_mid_stream = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Subprocess server;
    ASSERT_TRUE(server.Start(ServerArgs()));
    ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }, 60s))
        << server.Stderr();
    for (Stream* s : streams) s->round_starts.push_back(s->next_batch);
    std::atomic<bool> stop{false};
    std::vector<std::thread> pumps;
    for (Stream* s : streams) pumps.emplace_back([&, s] { Pump(*s, stop); });
    // Let every stream get some batches through, then kill at a random moment.
    std::vector<size_t> before;
    for (Stream* s : streams) before.push_back(s->ledger.Acked().size());
    const bool flowing = Eventually(
        [&] {
          for (size_t i = 0; i < 4; ++i)
            if (streams[i]->ledger.Acked().size() < before[i] + 3) return false;
          return true;
        },
        60s);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution(0, 700)(rng)));
    server.Signal(SIGKILL);
    EXPECT_EQ(server.Wait(10s), 128 + SIGKILL);
    // Requests in flight when it died fail; give the pumps a moment to see it, then stop them.
    std::this_thread::sleep_for(200ms);
    stop = true;
    for (auto& t : pumps) t.join();
    ASSERT_TRUE(flowing) << "not every stream got batches acknowledged\n" << server.Stderr();
    ++killed_mid_stream;
  }
  ASSERT_EQ(killed_mid_stream, kRounds);

  // Restart on the same directory (recovery after the last kill), then a clean stop.
  {
    Subprocess server;
    ASSERT_TRUE(server.Start(ServerArgs()));
    ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }, 60s))
        << server.Stderr();
    server.Signal(SIGTERM);
    ASSERT_EQ(server.Wait(60s), 0) << server.Stderr();
  }

  for (Stream* s : streams) {
    size_t acked = s->ledger.Acked().size(), sent = s->ledger.sent.size();
    std::string rounds;
    for (int b : s->round_starts) rounds += " " + std::to_string(b);
    std::printf("%s: %zu batches sent, %zu acknowledged; rounds start at%s\n", s->name.c_str(),
                sent, acked, rounds.c_str());
    EXPECT_GT(acked, size_t(kRounds) * 3) << s->name;
    EXPECT_TRUE(s->ledger.partial.empty()) << s->name << ": " << s->ledger.partial.front();
  }

  // Metrics: every acknowledged batch's samples are in the tsdb.
  {
    auto db = tsdb::Db::Open(data_ + "/tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto querier = (*db)->NewQuerier();
    auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
    ASSERT_TRUE(set.ok());
    auto all = storage::Materialize(**set);
    ASSERT_TRUE(all.ok());
    // metric name → series label → time → value
    std::map<std::string, std::map<std::string, std::map<int64_t, double>>> got;
    for (const auto& s : *all) {
      auto& by_t = got[std::string(s.labels.MetricName())][std::string(s.labels.Get("series"))];
      for (const auto& sample : s.samples) by_t[sample.t] = sample.v;
    }
    auto check_gauges = [&](const std::string& name, Stream& stream) {
      SCOPED_TRACE(name);
      ASSERT_EQ(got[name].size(), size_t(kSeriesPerBatch));
      int missing = 0;
      for (int batch : stream.ledger.Acked()) {
        for (int i = 0; i < kSeriesPerBatch; ++i) {
          const auto& by_t = got[name][std::to_string(i)];
          auto it = by_t.find(BatchTimeMs(base_ms_, batch));
          if (it == by_t.end() || it->second != batch) {
            if (++missing <= 5) ADD_FAILURE() << "acknowledged batch " << batch << " series " << i;
          }
        }
      }
      EXPECT_EQ(missing, 0);
    };
    check_gauges("drill_rw", rw);
    check_gauges("drill_otlp", metrics);

    // The delta sum, accumulated: acknowledged(≤k) ≤ total(k) ≤ sent(≤k), never decreasing.
    const auto& totals = got["drill_delta_total"][""];
    ASSERT_FALSE(totals.empty());
    const std::set<int> acked = metrics.ledger.Acked();
    int acked_so_far = 0;
    double previous = 0;
    for (const auto& [batch, ok] : metrics.ledger.sent) {
      if (ok) ++acked_so_far;
      auto it = totals.find(BatchTimeMs(base_ms_, batch));
      if (it == totals.end()) {
        EXPECT_FALSE(ok) << "acknowledged delta batch " << batch << " missing";
        continue;
      }
      EXPECT_GE(it->second, acked_so_far) << "batch " << batch;
      EXPECT_LE(it->second, batch + 1) << "batch " << batch;
      EXPECT_GE(it->second, previous) << "batch " << batch;
      previous = it->second;
    }
  }

  // Spans and logs: every acknowledged batch's trace is complete.
  auto store = spanstore::SpanStore::Open(data_ + "/spans");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int missing = 0;
  for (int batch : traces.ledger.Acked()) {
    auto trace = (*store)->GetTrace(BatchTraceId(batch, kTraceKind));
    const size_t n = trace.ok() ? trace->spans.size() : 0;
    if (n != size_t(kSpansPerBatch) && ++missing <= 5) {
      ADD_FAILURE() << "acknowledged trace batch " << batch << " has " << n << " spans";
    }
  }
  for (int batch : logs.ledger.Acked()) {
    auto trace = (*store)->GetTrace(BatchTraceId(batch, kLogKind));
    const size_t n = trace.ok() ? trace->logs.size() : 0;
    if (n != size_t(kSpansPerBatch) && ++missing <= 5) {
      ADD_FAILURE() << "acknowledged log batch " << batch << " has " << n << " records";
    }
  }
  EXPECT_EQ(missing, 0);
}

}  // namespace
}  // namespace astrolabe::e2e
