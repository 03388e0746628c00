// PromQL side by side with Prometheus 2.42: the loader and our half of the timing
// (bench/compare/promql_compare.py runs the whole comparison; figures in bench/README.md,
// "PromQL side by side").
//
//   promql_compare load --end-ms E --hours H --interval-s S --pods N --url URL [--url URL ...]
//       Generates the NIM + Kong fleet of bench/genai_series.h (N NIM pods; Kong: 2 gateways x
//       30 routes) from E - H hours to E, one sample per series every S seconds, and
//       remote-writes it (1.0, snappy) to every URL at once, in time order, 20 steps per
//       request.
//       Prints the series and sample counts.
//   promql_compare gen --tsdb DIR --end-ms E --hours H --interval-s S --pods N
//       The same fleet written straight into a tsdb at DIR (no server, no Prometheus),
//       compacted into blocks as the server's store does: for timing our engine alone.
//   promql_compare query --tsdb DIR --start-ms A --end-ms B --step-s S --runs R [--plain 1]
//                        QUERY...
//       Opens the tsdb (as the server left it) and runs each QUERY as a range query R times
//       after one warm-up run; prints one line per query: median and min wall milliseconds,
//       series and points in the result. --plain 1 turns the engine's streaming shortcuts
//       off (EngineOptions::streaming), for a before/after on the same data.
//
// A plain program (no Google Benchmark): the other half of the timing is Prometheus' HTTP API.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "genai_series.h"
#include "net/http_client.h"
#include "query/engine.h"
#include "tsdb/db.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace {

using namespace astrolabe;

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

// The fleet both subcommands generate: --pods NIM pods, 2 Kong gateways × 30 routes, `steps`
// samples ending at `end_ms`.
bench::GenAiOptions FleetOptions(int argc, char** argv, int64_t end_ms, int64_t steps,
                                 int64_t interval_ms) {
  bench::GenAiOptions options;
  options.nim_pods = std::atoi(Arg(argc, argv, "--pods", "90"));
  options.kong_gateways = 2;
  options.kong_routes = 30;
  options.interval_ms = interval_ms;
  options.start_ms = end_ms - steps * interval_ms;
  return options;
}

int Load(int argc, char** argv) {
  const int64_t end_ms = std::atoll(Arg(argc, argv, "--end-ms", "0"));
  const double hours = std::atof(Arg(argc, argv, "--hours", "24"));
  const int64_t interval_ms = std::atoll(Arg(argc, argv, "--interval-s", "30")) * 1000;
  std::vector<std::string> urls;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--url") == 0) urls.push_back(argv[i + 1]);
  }
  if (end_ms <= 0 || urls.empty()) {
    std::fprintf(stderr, "load: --end-ms and at least one --url are required\n");
    return 2;
  }
  const int64_t steps = static_cast<int64_t>(hours * 3'600'000) / interval_ms;
  const bench::GenAiOptions options = FleetOptions(argc, argv, end_ms, steps, interval_ms);
  bench::GenAiFleet fleet(options);
  const auto& labels = fleet.series();

  net::HttpClient client;
  constexpr int kStepsPerRequest = 20;
  std::vector<std::vector<storage::Sample>> pending(labels.size());
  std::vector<storage::Sample> step_samples;
  size_t samples = 0;
  auto flush = [&]() -> bool {
    wire::prw::WriteRequest request;
    for (size_t i = 0; i < labels.size(); ++i) {
      wire::prw::TimeSeries ts;
      for (const storage::Label& l : labels[i]) ts.labels.push_back({l.name, l.value});
      for (const auto& s : pending[i]) ts.samples.push_back({s.v, s.t});
      samples += ts.samples.size();
      request.timeseries.push_back(std::move(ts));
      pending[i].clear();
    }
    std::string proto, body;
    wire::prw::AppendWriteRequest(request, &proto);
    wire::SnappyCompress(proto, &body);
    // To every URL at once; each receiver still gets the requests in time order.
    std::vector<std::future<Result<net::HttpResponse>>> sent;
    for (size_t u = 0; u < urls.size(); ++u) {
      net::HttpRequest r;
      r.method = "POST";
      r.url = urls[u];
      r.timeout = std::chrono::minutes(2);
      r.headers.Set("Content-Type", "application/x-protobuf");
      r.headers.Set("Content-Encoding", "snappy");
      r.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
      r.body = body;
      sent.push_back(client.Send(std::move(r)));
    }
    for (size_t u = 0; u < urls.size(); ++u) {
      auto response = sent[u].get();
      if (!response.ok() || response->status / 100 != 2) {
        std::fprintf(stderr, "load: %s: %s\n", urls[u].c_str(),
                     response.ok()
                         ? (std::to_string(response->status) + " " + response->body).c_str()
                         : std::string(response.status().message()).c_str());
        return false;
      }
    }
    return true;
  };
  for (int64_t step = 0; step < steps; ++step) {
    fleet.Step(step_samples);
    for (size_t i = 0; i < labels.size(); ++i) pending[i].push_back(step_samples[i]);
    if ((step + 1) % kStepsPerRequest == 0 || step + 1 == steps) {
      if (!flush()) return 1;
    }
  }
  std::printf("{\"series\": %zu, \"samples\": %zu, \"start_ms\": %lld, \"end_ms\": %lld",
              labels.size(), samples, static_cast<long long>(options.start_ms),
              static_cast<long long>(end_ms));
  std::printf("}\n");
  return 0;
}

int Gen(int argc, char** argv) {
  const std::string dir = Arg(argc, argv, "--tsdb", "");
  const int64_t end_ms = std::atoll(Arg(argc, argv, "--end-ms", "0"));
  const double hours = std::atof(Arg(argc, argv, "--hours", "24"));
  const int64_t interval_ms = std::atoll(Arg(argc, argv, "--interval-s", "30")) * 1000;
  if (dir.empty() || end_ms <= 0) {
    std::fprintf(stderr, "gen: --tsdb and --end-ms are required\n");
    return 2;
  }
  const int64_t steps = static_cast<int64_t>(hours * 3'600'000) / interval_ms;
  const bench::GenAiOptions options = FleetOptions(argc, argv, end_ms, steps, interval_ms);
  bench::GenAiFleet fleet(options);
  tsdb::DbOptions db_options;
  db_options.background_compaction = false;
  auto db = tsdb::Db::Open(dir, db_options);
  if (!db.ok()) {
    std::fprintf(stderr, "gen: opening %s: %s\n", dir.c_str(),
                 std::string(db.status().message()).c_str());
    return 1;
  }
  std::vector<storage::Sample> step_samples;
  size_t samples = 0;
  for (int64_t step = 0; step < steps; ++step) {
    fleet.Step(step_samples);
    auto app = (*db)->NewAppender();
    for (size_t i = 0; i < fleet.series().size(); ++i) {
      auto ref = app->Append(fleet.series()[i], step_samples[i].t, step_samples[i].v);
      if (!ref.ok()) {
        std::fprintf(stderr, "gen: %s\n", std::string(ref.status().message()).c_str());
        return 1;
      }
    }
    samples += fleet.series().size();
    Status st = app->Commit();
    if (st.ok() && step % 60 == 59) st = (*db)->Compact();
    if (!st.ok()) {
      std::fprintf(stderr, "gen: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
  Status st = (*db)->Compact();
  if (st.ok()) st = (*db)->Close();
  if (!st.ok()) {
    std::fprintf(stderr, "gen: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf(
      "{\"series\": %zu, \"samples\": %zu, \"start_ms\": %lld, \"end_ms\": %lld, "
      "\"blocks\": %zu}\n",
      fleet.series().size(), samples, static_cast<long long>(options.start_ms),
      static_cast<long long>(end_ms), (*db)->blocks().size());
  return 0;
}

int Query(int argc, char** argv) {
  const std::string dir = Arg(argc, argv, "--tsdb", "");
  const int64_t start_ms = std::atoll(Arg(argc, argv, "--start-ms", "0"));
  const int64_t end_ms = std::atoll(Arg(argc, argv, "--end-ms", "0"));
  const int64_t step_ms = std::atoll(Arg(argc, argv, "--step-s", "60")) * 1000;
  const int runs = std::atoi(Arg(argc, argv, "--runs", "5"));
  std::vector<std::string> queries;
  for (int i = 2; i < argc; ++i) {
    if (argv[i][0] == '-' && argv[i][1] == '-') {
      ++i;
      continue;
    }
    queries.push_back(argv[i]);
  }
  tsdb::DbOptions options;
  options.background_compaction = false;
  auto db = tsdb::Db::Open(dir, options);
  if (!db.ok()) {
    std::fprintf(stderr, "query: opening %s: %s\n", dir.c_str(),
                 std::string(db.status().message()).c_str());
    return 1;
  }
  query::EngineOptions engine_options;
  engine_options.streaming = std::atoi(Arg(argc, argv, "--plain", "0")) == 0;
  query::Engine engine(engine_options);
  for (const std::string& q : queries) {
    std::vector<double> ms;
    size_t series = 0, points = 0;
    for (int r = 0; r <= runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      auto result = engine.RangeQuery(**db, q, start_ms, end_ms, step_ms);
      const double elapsed =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!result.ok()) {
        std::fprintf(stderr, "query: %s: %s\n", q.c_str(),
                     std::string(result.status().message()).c_str());
        return 1;
      }
      series = result->matrix.size();
      points = 0;
      for (const auto& s : result->matrix) points += s.points.size();
      if (r > 0) ms.push_back(elapsed);  // run 0 warms up
    }
    std::sort(ms.begin(), ms.end());
    std::printf("{\"median_ms\": %.2f, \"min_ms\": %.2f, \"series\": %zu, \"points\": %zu}\n",
                ms[ms.size() / 2], ms.front(), series, points);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "load") == 0) return Load(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "query") == 0) return Query(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "gen") == 0) return Gen(argc, argv);
  std::fprintf(stderr,
               "usage: promql_compare load|gen|query ... (see the comment in the source)\n");
  return 2;
}
