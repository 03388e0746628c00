// Store exporter ingest (bench/README.md, "store exporter: OTLP metric points into the tsdb"):
// OTLP metric batches shaped like a NIM fleet's scrape go through the store exporter's Writer
// (translate → accumulate deltas → append → one Commit per batch) into a tsdb::Db on disk.
// Reports data points and samples per second of wall time and per CPU-second (getrusage of
// the whole process, so WAL and group-commit threads are included).
//
//   store_bench [--dir=/var/tmp] [--seconds=5] [--pods=50] [--threads=1]
//               [--temporality=cumulative|delta] [--sync=always|interval]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "exporter/store/writer.h"
#include "tsdb/db.h"

namespace astrolabe::bench {
namespace {

using pdata::AggregationTemporality;

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One scrape of `pods` NIM pods from writer `shard`: per pod 4 gauges, 2 counters and 3
// histograms (NIM's TTFT/TPOT/e2e layouts, 12–17 bounds) — 9 points, 3 × ~17 + 10 samples.
pdata::Metrics Scrape(int shard, int pods, int64_t step, bool delta) {
  const uint64_t t = (1700000000000ull + uint64_t(step) * 10000) * 1000000;
  const AggregationTemporality temporality =
      delta ? AggregationTemporality::kDelta : AggregationTemporality::kCumulative;
  const std::vector<double> ttft = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                    0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
  const std::vector<double> tpot = {0.01, 0.025, 0.05, 0.075, 0.1,  0.15,
                                    0.2,  0.3,   0.4,  0.5,   0.75, 1.0};
  pdata::Metrics out;
  for (int p = 0; p < pods; ++p) {
    pdata::ResourceMetrics rm;
    std::string instance = "10." + std::to_string(shard) + "." + std::to_string(p / 250) + "." +
                           std::to_string(p % 250) + ":8000";
    rm.resource.attributes = {{"service.name", "nim"},
                              {"service.instance.id", instance},
                              {"server.address", instance.substr(0, instance.find(':'))},
                              {"server.port", "8000"},
                              {"url.scheme", "http"}};
    pdata::ScopeMetrics sm;
    const pdata::Attributes model = {{"model_name", "meta/llama-3.1-8b-instruct"}};
    auto gauge = [&](const char* name, double v) {
      pdata::NumberDataPoint dp;
      dp.attributes = model;
      dp.time_unix_nano = t;
      dp.value = v;
      pdata::Metric m;
      m.name = name;
      m.data = pdata::Gauge{{dp}};
      sm.metrics.push_back(std::move(m));
    };
    auto counter = [&](const char* name, double v) {
      pdata::NumberDataPoint dp;
      dp.attributes = model;
      dp.time_unix_nano = t;
      dp.value = v;
      pdata::Metric m;
      m.name = name;
      m.data = pdata::Sum{{dp}, temporality, true};
      sm.metrics.push_back(std::move(m));
    };
    auto histogram = [&](const char* name, const std::vector<double>& bounds, uint64_t n) {
      pdata::HistogramDataPoint dp;
      dp.attributes = model;
      dp.time_unix_nano = t;
      dp.explicit_bounds = bounds;
      dp.bucket_counts.assign(bounds.size() + 1, 0);
      for (size_t i = 0; i < dp.bucket_counts.size(); ++i) dp.bucket_counts[i] = (n * (i + 1)) % 7;
      for (uint64_t c : dp.bucket_counts) dp.count += c;
      dp.sum = double(dp.count) * 0.042;
      pdata::Metric m;
      m.name = name;
      m.unit = "s";
      m.data = pdata::Histogram{{dp}, temporality};
      sm.metrics.push_back(std::move(m));
    };
    const double k = delta ? 1 : double(step + 1);
    gauge("num_requests_running", double((step + p) % 9));
    gauge("num_requests_waiting", double((step * 3 + p) % 5));
    gauge("num_request_max", 64);
    gauge("gpu_cache_usage_perc", 0.3 + 0.001 * double((step + p) % 100));
    counter("prompt_tokens_total", 1854.0 * k);
    counter("generation_tokens_total", 923.0 * k);
    histogram("time_to_first_token_seconds", ttft, uint64_t(step + p));
    histogram("time_per_output_token_seconds", tpot, uint64_t(step + 2 * p));
    histogram("e2e_request_latency_seconds", ttft, uint64_t(step + 3 * p));
    rm.scope_metrics.push_back(std::move(sm));
    out.resource_metrics.push_back(std::move(rm));
  }
  return out;
}

std::string Flag(int argc, char** argv, const char* name, const char* def) {
  std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return argv[i] + prefix.size();
  }
  return def;
}

int Main(int argc, char** argv) {
  const std::string base = Flag(argc, argv, "dir", "/var/tmp");
  const double seconds = std::atof(Flag(argc, argv, "seconds", "5").c_str());
  const int pods = std::atoi(Flag(argc, argv, "pods", "50").c_str());
  const int threads = std::atoi(Flag(argc, argv, "threads", "1").c_str());
  const bool delta = Flag(argc, argv, "temporality", "cumulative") == "delta";
  const std::string sync = Flag(argc, argv, "sync", "always");

  const std::string dir = base + "/astrolabe_store_bench_" + std::to_string(getpid());
  tsdb::DbOptions options;
  options.wal.sync =
      sync == "interval" ? tsdb::wal::SyncMode::kInterval : tsdb::wal::SyncMode::kAlways;
  auto db = tsdb::Db::Open(dir, options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  exporter::store::Writer writer({});

  // Pre-build the batches so that the measurement is the store path, not pdata building.
  const int steps = 400;
  std::vector<std::vector<pdata::Metrics>> batches(threads);
  for (int w = 0; w < threads; ++w) {
    for (int s = 0; s < steps; ++s) batches[w].push_back(Scrape(w, pods, s, delta));
  }
  const uint64_t points_per_batch = batches[0][0].DataPointCount();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> points{0}, samples{0}, failures{0};
  std::atomic<int> finished{0};
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (int s = 0; s < steps && !stop.load(); ++s) {
        exporter::store::WriteStats stats;
        Status st = writer.Write(**db, batches[w][s], &stats);
        if (!st.ok()) {
          if (failures.fetch_add(1) == 0)
            std::fprintf(stderr, "write: %s\n", st.ToString().c_str());
        }
        points += stats.points - stats.rejected;
        samples += stats.samples;
      }
      ++finished;
    });
  }
  while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds) &&
         finished.load() < threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& t : workers) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "temporality=%s sync=%s threads=%d pods=%d points/batch=%llu: %llu points, %llu samples "
      "in %.2f s wall, %.2f CPU-s → %.0f points/s, %.0f points/CPU-s, %.0f samples/CPU-s, "
      "%llu failed batches\n",
      delta ? "delta" : "cumulative", sync.c_str(), threads, pods,
      (unsigned long long)points_per_batch, (unsigned long long)points.load(),
      (unsigned long long)samples.load(), wall, cpu, double(points.load()) / wall,
      double(points.load()) / cpu, double(samples.load()) / cpu,
      (unsigned long long)failures.load());
  (void)(*db)->Close();
  std::filesystem::remove_all(dir);
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace astrolabe::bench

int main(int argc, char** argv) { return astrolabe::bench::Main(argc, argv); }
