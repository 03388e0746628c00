#include "exporter/otlp_http/persistent_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "component/host.h"
#include "component/testing/test_components.h"
#include "exporter/otlp_http/otlp_http_exporter.h"
#include "net/http_server.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"

namespace astrolabe::exporter::otlp_http {
namespace {

using component::Signal;
using component::StorageOperation;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// ---- An in-memory storage extension: the data outlives clients, like files do. ----

using Table = std::map<std::string, std::string>;

class MemoryClient : public component::StorageClient {
 public:
  MemoryClient(std::shared_ptr<Table> table, std::shared_ptr<std::mutex> mu,
               std::shared_ptr<std::atomic<bool>> fail)
      : table_(std::move(table)), mu_(std::move(mu)), fail_(std::move(fail)) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard<std::mutex> l(*mu_);
    auto it = table_->find(std::string(key));
    if (it == table_->end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Set(std::string_view key, std::string_view value) override {
    StorageOperation op = StorageOperation::Set(std::string(key), std::string(value));
    return Batch(std::span<StorageOperation>(&op, 1));
  }
  Status Delete(std::string_view key) override {
    StorageOperation op = StorageOperation::Delete(std::string(key));
    return Batch(std::span<StorageOperation>(&op, 1));
  }
  Status Batch(std::span<StorageOperation> ops) override {
    std::lock_guard<std::mutex> l(*mu_);
    if (closed_) return FailedPrecondition("closed");
    if (fail_->load()) return Internal("disk full (injected)");
    for (StorageOperation& op : ops) {
      switch (op.type) {
        case StorageOperation::Type::kGet: {
          auto it = table_->find(op.key);
          op.found = it != table_->end();
          op.value = op.found ? it->second : "";
          break;
        }
        case StorageOperation::Type::kSet:
          (*table_)[op.key] = op.value;
          break;
        case StorageOperation::Type::kDelete:
          table_->erase(op.key);
          break;
      }
    }
    return Status::Ok();
  }
  Status Close() override {
    std::lock_guard<std::mutex> l(*mu_);
    closed_ = true;
    return Status::Ok();
  }

 private:
  std::shared_ptr<Table> table_;
  std::shared_ptr<std::mutex> mu_;
  std::shared_ptr<std::atomic<bool>> fail_;
  bool closed_ = false;
};

class MemoryStorage : public component::Extension, public component::StorageExtension {
 public:
  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }
  Result<std::unique_ptr<component::StorageClient>> GetClient(component::Kind kind,
                                                              const config::ComponentId& id,
                                                              std::string_view name) override {
    std::string file =
        std::string(component::KindName(kind)) + "_" + id.ToString() + "_" + std::string(name);
    std::lock_guard<std::mutex> l(*mu_);
    auto& t = tables_[file];
    if (!t) t = std::make_shared<Table>();
    return std::unique_ptr<component::StorageClient>(std::make_unique<MemoryClient>(t, mu_, fail_));
  }
  // Requests stored for the otlp_http exporter's metrics ("qm" aside).
  size_t StoredMetrics() {
    std::lock_guard<std::mutex> l(*mu_);
    auto it = tables_.find("exporter_otlp_http_metrics");
    if (it == tables_.end()) return 0;
    return it->second->size() - it->second->count("qm");
  }
  void FailWrites(bool fail) { fail_->store(fail); }

 private:
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::atomic<bool>> fail_ = std::make_shared<std::atomic<bool>>(false);
  std::map<std::string, std::shared_ptr<Table>> tables_;
};

std::array<std::unique_ptr<component::StorageClient>, 3> Clients(MemoryStorage& storage) {
  std::array<std::unique_ptr<component::StorageClient>, 3> out;
  for (Signal s : {Signal::kMetrics, Signal::kTraces, Signal::kLogs}) {
    out[static_cast<size_t>(s)] =
        storage.GetClient(component::Kind::kExporter, {"otlp_http", ""}, component::SignalName(s))
            .value();
  }
  return out;
}

// A metrics request whose one gauge point carries `value`, to tell requests apart.
ExportRequest Req(double value) {
  pdata::Metrics m = wire::testdata::RichMetrics();
  pdata::Metrics one;
  one.resource_metrics.push_back(m.resource_metrics[0]);
  auto& sm = one.resource_metrics[0].scope_metrics;
  sm.resize(1);
  sm[0].metrics.clear();
  pdata::Metric g;
  g.name = "seq";
  pdata::Gauge gauge;
  pdata::NumberDataPoint p;
  p.time_unix_nano = 1;
  p.value = value;
  gauge.data_points.push_back(p);
  g.data = gauge;
  sm[0].metrics.push_back(g);
  return ExportRequest{Signal::kMetrics, component::MetricsBatch(std::move(one)), 1};
}

double ValueOf(const ExportRequest& r) {
  const auto& m = std::get<component::MetricsBatch>(r.batch).get();
  const auto& g = std::get<pdata::Gauge>(m.resource_metrics[0].scope_metrics[0].metrics[0].data);
  return g.data_points[0].AsDouble();
}

TEST(QueueStore, RecoversWhatWasNotRemovedInOrder) {
  MemoryStorage storage;
  {
    QueueStore store(Clients(storage), GetLogger("test/queue"));
    ASSERT_TRUE(store.Recover().ok());
    std::vector<ExportRequest> reqs;
    for (int i = 0; i < 5; ++i) {
      reqs.push_back(Req(i));
      ASSERT_TRUE(store.Add(reqs.back(), store.Encode(reqs.back())).ok());
      EXPECT_TRUE(reqs.back().stored);
    }
    store.Remove(reqs[0]);
    store.Remove(reqs[2]);  // out of order: a hole
    EXPECT_EQ(store.size(), 3u);
  }
  QueueStore store(Clients(storage), GetLogger("test/queue"));
  auto recovered = store.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  ASSERT_EQ(recovered->size(), 3u);
  EXPECT_EQ(ValueOf((*recovered)[0]), 1);
  EXPECT_EQ(ValueOf((*recovered)[1]), 3);
  EXPECT_EQ(ValueOf((*recovered)[2]), 4);
  EXPECT_EQ((*recovered)[0].items, 1u);
  // New requests continue after the old ones, and removing recovered ones works.
  ExportRequest next = Req(5);
  ASSERT_TRUE(store.Add(next, store.Encode(next)).ok());
  EXPECT_EQ(next.store_index, 5u);
  for (const ExportRequest& r : *recovered) store.Remove(r);
  store.Remove(next);
  EXPECT_EQ(storage.StoredMetrics(), 0u);
}

TEST(QueueStore, DropsAStoredRequestThatDoesNotDecode) {
  MemoryStorage storage;
  {
    QueueStore store(Clients(storage), GetLogger("test/queue"));
    ExportRequest a = Req(1), b = Req(2);
    ASSERT_TRUE(store.Add(a, store.Encode(a)).ok());
    ASSERT_TRUE(store.Add(b, "\xff\xff\xff not protobuf").ok());
  }
  QueueStore store(Clients(storage), GetLogger("test/queue"));
  auto recovered = store.Recover();
  ASSERT_TRUE(recovered.ok());
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ(ValueOf((*recovered)[0]), 1);
  EXPECT_EQ(storage.StoredMetrics(), 1u) << "the bad one is deleted";
}

// A fake store for SendingQueue: records what is added and removed.
class RecordingStore : public RequestStore {
 public:
  std::string Encode(const ExportRequest& r) const override { return std::to_string(r.items); }
  Status Add(ExportRequest& r, std::string_view encoded) override {
    std::lock_guard<std::mutex> l(mu);
    if (fail) return Internal("no space");
    r.stored = true;
    r.store_index = next++;
    added.emplace_back(encoded);
    return Status::Ok();
  }
  void Remove(const ExportRequest& r) override {
    std::lock_guard<std::mutex> l(mu);
    removed.push_back(r.store_index);
  }
  std::mutex mu;
  bool fail = false;
  uint64_t next = 0;
  std::vector<std::string> added;
  std::vector<uint64_t> removed;
};

TEST(SendingQueueWithStore, StoresBeforeAcceptingAndRemovesOnlyFinishedRequests) {
  RecordingStore store;
  SendingQueue q({.capacity = 10, .num_consumers = 1, .block_on_overflow = false, .store = &store});
  ExportRequest restored{Signal::kMetrics, component::MetricsBatch(), 100};
  restored.stored = true;
  restored.store_index = 99;
  q.Restore({restored});
  std::vector<size_t> order;
  std::mutex mu;
  q.Start([&](ExportRequest& r) {
    std::lock_guard<std::mutex> l(mu);
    order.push_back(r.items);
    return r.items != 2;  // request 2 is "interrupted by shutdown"
  });
  for (size_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(q.Offer(ExportRequest{Signal::kMetrics, component::MetricsBatch(), i}).ok());
  }
  ASSERT_TRUE(q.WaitIdle(Steady::now() + seconds(10)));
  {
    std::lock_guard<std::mutex> l(store.mu);
    EXPECT_EQ(store.added, (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(store.removed, (std::vector<uint64_t>{99, 0, 2}));
    store.fail = true;
  }
  EXPECT_EQ(order, (std::vector<size_t>{100, 1, 2, 3})) << "restored requests go first";
  Status s = q.Offer(ExportRequest{Signal::kMetrics, component::MetricsBatch(), 4});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("storing the request in the sending queue: no space"));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.Stop().empty());
}

// ---- The exporter with a persistent queue, against a loopback sink. ----

class StatusSink {
 public:
  StatusSink() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("POST", "/*", [this](net::ServerRequest& req, net::ServerResponse& res) {
      auto raw = wire::GzipDecompress(req.body(), 64 << 20);
      std::lock_guard<std::mutex> l(mu_);
      if (raw.ok() && status_ == 200) {
        if (auto m = wire::DecodeMetricsRequest(*raw); m.ok()) {
          for (const auto& rm : m->resource_metrics)
            for (const auto& sm : rm.scope_metrics)
              for (const auto& metric : sm.metrics)
                if (const auto* g = std::get_if<pdata::Gauge>(&metric.data))
                  for (const auto& p : g->data_points) values_.push_back(p.AsDouble());
        }
      }
      ++requests_;
      res.status = status_;
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~StatusSink() { server_->Shutdown(Steady::now() + seconds(5)); }
  std::string base() const { return "http://" + server_->address(); }
  void SetStatus(int s) {
    std::lock_guard<std::mutex> l(mu_);
    status_ = s;
  }
  int requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  // Values received while answering 200.
  std::vector<double> values() {
    std::lock_guard<std::mutex> l(mu_);
    return values_;
  }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  int status_ = 200;
  int requests_ = 0;
  std::vector<double> values_;
};

class PersistentExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { host_.AddExtension({"file_storage", "q"}, &storage_); }

  Config PersistentConfig() {
    Config c;
    c.endpoint = sink_.base();
    c.retry_on_failure.initial_interval = milliseconds(10);
    c.retry_on_failure.max_interval = milliseconds(20);
    c.retry_on_failure.max_elapsed_time = seconds(60);
    c.retry_on_failure.randomization_factor = 0;
    c.sending_queue.num_consumers = 2;
    c.sending_queue.storage = "file_storage/q";
    return c;
  }
  std::unique_ptr<OtlpHttpExporter> Make(const Config& c) {
    EXPECT_TRUE(c.Validate().ok()) << c.Validate().message();
    component::CreateSettings settings;
    settings.id = config::ComponentId{"otlp_http", ""};
    settings.telemetry = &host_.telemetry();
    return std::make_unique<OtlpHttpExporter>(settings, c, OtlpHttpExporterOptions{.seed = 7});
  }
  double Metric(const std::string& name) {
    return host_.telemetry().GetCounter(name, "", {{"exporter", "otlp_http"}})->value();
  }
  component::MetricsBatch Batch(double v) {
    return std::get<component::MetricsBatch>(Req(v).batch);
  }
  bool WaitFor(const std::function<bool()>& done) {
    auto end = Steady::now() + seconds(10);
    while (Steady::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return done();
  }

  StatusSink sink_;
  MemoryStorage storage_;
  component::test::TestHost host_;
};

TEST_F(PersistentExporterTest, WhatShutdownLeftIsSentByTheNextInstance) {
  sink_.SetStatus(503);
  {
    auto e = Make(PersistentConfig());
    ASSERT_TRUE(e->Start(host_).ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(e->ConsumeMetrics(Batch(i)).ok());
    EXPECT_EQ(storage_.StoredMetrics(), 5u) << "stored before Consume returned";
    ASSERT_TRUE(WaitFor([&] { return sink_.requests() >= 4; }));  // retrying
    ASSERT_TRUE(e->Shutdown(Steady::now() + milliseconds(100)).ok());
  }
  EXPECT_EQ(Metric("otelcol_exporter_send_failed_metric_points_total"), 0)
      << "kept for the next start, not failed";
  EXPECT_EQ(storage_.StoredMetrics(), 5u);

  sink_.SetStatus(200);
  auto e = Make(PersistentConfig());
  ASSERT_TRUE(e->Start(host_).ok());
  ASSERT_TRUE(WaitFor([&] { return storage_.StoredMetrics() == 0; }));
  std::vector<double> got = sink_.values();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Metric("otelcol_exporter_sent_metric_points_total"), 5);
  ASSERT_TRUE(e->Shutdown(Steady::now() + seconds(5)).ok());
}

TEST_F(PersistentExporterTest, ShutdownDoesNotWaitForADownBackend) {
  sink_.SetStatus(503);
  auto e = Make(PersistentConfig());
  ASSERT_TRUE(e->Start(host_).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(e->ConsumeMetrics(Batch(i)).ok());
  ASSERT_TRUE(WaitFor([&] { return sink_.requests() >= 3; }));
  const auto begin = Steady::now();
  ASSERT_TRUE(e->Shutdown(Steady::now() + seconds(20)).ok());
  EXPECT_LT(Steady::now() - begin, seconds(3)) << "no draining, no retries after Shutdown";
  EXPECT_EQ(storage_.StoredMetrics(), 3u);
  EXPECT_EQ(Metric("otelcol_exporter_send_failed_metric_points_total"), 0);
}

TEST_F(PersistentExporterTest, APermanentFailureLeavesStorage) {
  sink_.SetStatus(400);
  auto e = Make(PersistentConfig());
  ASSERT_TRUE(e->Start(host_).ok());
  ASSERT_TRUE(e->ConsumeMetrics(Batch(1)).ok());
  ASSERT_TRUE(WaitFor([&] { return storage_.StoredMetrics() == 0; }));
  EXPECT_EQ(sink_.requests(), 1);
  EXPECT_EQ(Metric("otelcol_exporter_send_failed_metric_points_total"), 1);
  ASSERT_TRUE(e->Shutdown(Steady::now() + seconds(5)).ok());
}

TEST_F(PersistentExporterTest, AFullQueueRefusesCountsAndStoresNothingMore) {
  sink_.SetStatus(503);
  Config c = PersistentConfig();
  c.sending_queue.queue_size = 2;
  c.sending_queue.num_consumers = 1;
  auto e = Make(c);
  ASSERT_TRUE(e->Start(host_).ok());
  ASSERT_TRUE(e->ConsumeMetrics(Batch(0)).ok());
  ASSERT_TRUE(WaitFor([&] { return e->queue_size() == 0; }));  // the worker holds it
  ASSERT_TRUE(e->ConsumeMetrics(Batch(1)).ok());
  ASSERT_TRUE(e->ConsumeMetrics(Batch(2)).ok());
  Status s = e->ConsumeMetrics(Batch(3));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Metric("otelcol_exporter_enqueue_failed_metric_points_total"), 1);
  EXPECT_EQ(storage_.StoredMetrics(), 3u) << "queue_size waiting + 1 in flight";
  ASSERT_TRUE(e->Shutdown(Steady::now() + milliseconds(50)).ok());
}

TEST_F(PersistentExporterTest, AStorageErrorRefusesTheRequest) {
  auto e = Make(PersistentConfig());
  ASSERT_TRUE(e->Start(host_).ok());
  storage_.FailWrites(true);
  Status s = e->ConsumeMetrics(Batch(1));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("disk full (injected)"));
  storage_.FailWrites(false);
  ASSERT_TRUE(e->Shutdown(Steady::now() + seconds(5)).ok());
  EXPECT_EQ(sink_.requests(), 0);
}

TEST_F(PersistentExporterTest, StartFailsNamingAMissingStorageExtension) {
  Config c = PersistentConfig();
  c.sending_queue.storage = "file_storage/typo";
  auto e = Make(c);
  Status s = e->Start(host_);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(),
              HasSubstr("sending_queue: storage extension \"file_storage/typo\" not found"));
  EXPECT_TRUE(e->Shutdown(Steady::now() + seconds(1)).ok());
  EXPECT_EQ(e->ConsumeMetrics(Batch(1)).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace astrolabe::exporter::otlp_http
