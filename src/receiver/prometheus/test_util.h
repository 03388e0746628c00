#pragma once
// Test helpers shared by the receiver's tests: a scrape target served over loopback HTTP,
// a consumer that records batches, and lookups into pdata::Metrics.

#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "component/component.h"
#include "net/http_server.h"
#include "pdata/metrics.h"

namespace astrolabe::receiver::prometheus::test {

inline std::string ReadTestdata(const std::string& name) {
  std::ifstream in("testdata/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Serves GET /metrics on 127.0.0.1:<ephemeral> with what the test sets; records the
// request headers of the last scrape. Thread-safe.
class FakeTarget {
 public:
  FakeTarget() {
    net::HttpServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(opts);
    server_->Handle("GET", "/*", [this](net::ServerRequest& req, net::ServerResponse& res) {
      std::chrono::milliseconds delay;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++requests_;
        last_path_ = std::string(req.target());
        last_headers_.Clear();
        for (const auto& [k, v] : req.header_fields()) {
          last_headers_.Add(std::string(k), std::string(v));
        }
        res.status = status_;
        if (!content_type_.empty()) res.headers.Set("Content-Type", content_type_);
        if (!content_encoding_.empty()) res.headers.Set("Content-Encoding", content_encoding_);
        res.body = body_;
        delay = delay_;
      }
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
    });
    started_ = server_->Start();
  }
  ~FakeTarget() { server_->Shutdown(std::chrono::steady_clock::now()); }

  bool ok() const { return started_.ok(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  int port() const { return server_->port(); }

  void Serve(std::string body, std::string content_type = "text/plain; version=0.0.4",
             int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
    content_type_ = std::move(content_type);
    status_ = status;
  }
  // Sets Content-Encoding on responses (the body is served as given).
  void SetContentEncoding(std::string encoding) {
    std::lock_guard<std::mutex> lock(mu_);
    content_encoding_ = std::move(encoding);
  }
  void SetDelay(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    delay_ = d;
  }
  net::HttpHeaders last_headers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_headers_;
  }
  std::string last_path() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_path_;
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::unique_ptr<net::HttpServer> server_;
  Status started_;
  mutable std::mutex mu_;
  std::string body_;
  std::string content_type_;
  std::string content_encoding_;
  int status_ = 200;
  std::chrono::milliseconds delay_{0};
  net::HttpHeaders last_headers_;
  std::string last_path_;
  int requests_ = 0;
};

// Keeps every metrics batch it is given. Thread-safe.
class RecordingConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(std::move(batch));
    return Status::Ok();
  }
  std::vector<pdata::MetricsBatch> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<pdata::MetricsBatch> batches_;
};

inline const pdata::Metric* FindMetric(const pdata::Metrics& m, const std::string& name) {
  for (const auto& rm : m.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        if (metric.name == name) return &metric;
      }
    }
  }
  return nullptr;
}

// The number points of a gauge or sum metric.
inline const std::vector<pdata::NumberDataPoint>* NumberPoints(const pdata::Metric* m) {
  if (m == nullptr) return nullptr;
  if (const auto* g = std::get_if<pdata::Gauge>(&m->data)) return &g->data_points;
  if (const auto* s = std::get_if<pdata::Sum>(&m->data)) return &s->data_points;
  return nullptr;
}

// The value of the single point of a gauge named `name`; NaN when absent.
inline double GaugeValue(const pdata::Metrics& m, const std::string& name) {
  const auto* points = NumberPoints(FindMetric(m, name));
  if (points == nullptr || points->size() != 1) return std::nan("");
  return (*points)[0].AsDouble();
}

}  // namespace astrolabe::receiver::prometheus::test
