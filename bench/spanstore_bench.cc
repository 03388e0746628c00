// The span store's figures (bench/README.md, "spanstore"):
//   1. durable ingest: Append of requests of 1000 realistic GenAI spans (~20 attributes per
//      LLM span, spanstore/test_util.h) for 1 and 4 appending threads, sync always and interval;
//      spans/s of wall time and spans per CPU-second of the whole process (getrusage);
//   2. bytes per span on disk (and the OTLP protobuf size of the same spans, for scale);
//   3. Open (index rebuild) time and the index's resident memory per span;
//   4. search and GetTrace latency on the store built in 1 (median and p99 of repeated runs).
// A plain program: every case runs for a fixed time on one store in a temp directory.
//
//   spanstore_bench [--seconds S] [--dir DIR] [--ingest-only]

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "spanstore/span_store.h"
#include "spanstore/span_store_internal.h"
#include "spanstore/test_util.h"
#include "wire/otlp_proto.h"

// Queries name only the fields they set.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace astrolabe;
using namespace astrolabe::spanstore;
namespace fs = std::filesystem;

namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Pre-built requests, so that building pdata is not measured.
std::vector<pdata::Traces> MakeRequests(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<pdata::Traces> out;
  for (int i = 0; i < n; ++i) out.push_back(testing::MakeGenAiTraces(rng, 250));  // 1000 spans
  return out;
}

struct IngestResult {
  double spans_per_s;
  double spans_per_cpu_s;
  uint64_t spans;
  double commits_per_s;
};

IngestResult Ingest(SpanStore& store, const std::vector<pdata::Traces>& requests, int threads,
                    double seconds) {
  std::atomic<uint64_t> spans{0};
  std::atomic<bool> stop{false};
  uint64_t commits0 = store.stats().commits;
  double c0 = CpuSeconds(), t0 = Now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); !stop; i += static_cast<size_t>(threads)) {
        const pdata::Traces& r = requests[i % requests.size()];
        if (!store.Append(r).ok()) {
          std::fprintf(stderr, "append failed\n");
          std::exit(1);
        }
        spans += r.SpanCount();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double wall = Now() - t0, cpu = CpuSeconds() - c0;
  return {double(spans) / wall, double(spans) / cpu, spans,
          double(store.stats().commits - commits0) / wall};
}

template <typename F>
void Latency(const char* what, int runs, F&& f) {
  std::vector<double> ms;
  size_t results = 0;
  for (int i = 0; i < runs; ++i) {
    double t0 = Now();
    results = f();
    ms.push_back((Now() - t0) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("  %-58s median %8.3f ms  p99 %8.3f ms  (%zu results)\n", what, ms[ms.size() / 2],
              ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], results);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  bool ingest_only = false;
  std::string dir = (fs::temp_directory_path() / "spanstore_bench").string();
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--ingest-only")) ingest_only = true;
    if (i + 1 < argc && !std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[++i]);
    if (i + 1 < argc && !std::strcmp(argv[i], "--dir")) dir = argv[++i];
  }
  fs::remove_all(dir);
  // The store's directory goes however the bench ends (--ingest-only, a failed Open or Append;
  // declared before every store, so it runs after they close).
  struct RemoveOnExit {
    std::string dir;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_on_exit{dir};
  auto requests = MakeRequests(64, 1);
  size_t proto_bytes = 0, spans_in_requests = 0;
  for (const auto& r : requests) {
    proto_bytes += wire::EncodeTracesRequest(r).size();
    spans_in_requests += r.SpanCount();
  }
  std::printf(
      "spanstore bench: requests of 1000 GenAI spans (%.0f B/span as OTLP protobuf), %g s per "
      "case, dir %s\n",
      double(proto_bytes) / double(spans_in_requests), seconds, dir.c_str());

  std::printf("durable ingest:\n");
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kInterval}) {
    for (int threads : {1, 4}) {
      fs::remove_all(dir);
      Options o;
      o.sync = mode;
      auto store = SpanStore::Open(dir, o);
      if (!store.ok()) return 1;
      IngestResult r = Ingest(**store, requests, threads, seconds);
      Stats st = (*store)->stats();
      std::printf(
          "  sync %-8s %d thread(s): %9.0f spans/s wall  %9.0f spans/CPU-s  %6.1f commits/s"
          "  %5.1f B/span on disk (%5.1f B/span raw rows)\n",
          mode == SyncMode::kAlways ? "always" : "interval", threads, r.spans_per_s,
          r.spans_per_cpu_s, r.commits_per_s, double(st.disk_bytes) / double(st.spans),
          double(st.raw_bytes) / double(st.spans));
    }
  }

  if (ingest_only) return 0;

  // Build the store for the read figures: the last case's data, reopened.
  fs::remove_all(dir);
  {
    Options o;
    o.sync = SyncMode::kInterval;
    auto store = SpanStore::Open(dir, o);
    std::mt19937_64 rng(2);
    // 500k spans over 6 hours.
    for (int i = 0; i < 500; ++i) {
      if (!(*store)
               ->Append(
                   testing::MakeGenAiTraces(rng, 250, {.time_spread = 6ull * 3600 * 1000000000ull}))
               .ok()) {
        return 1;
      }
    }
  }
  long rss0 = RssKiB();
  double t0 = Now(), c0 = CpuSeconds();
  auto opened = SpanStore::Open(dir, {});
  if (!opened.ok()) return 1;
  SpanStore& store = **opened;
  double open_s = Now() - t0, open_cpu = CpuSeconds() - c0;
  Stats st = store.stats();
  long rss1 = RssKiB();
  std::printf(
      "open (index rebuild): %llu spans, %.1f MB on disk (%.1f B/span), %.2f s (%.2f CPU-s), "
      "RSS growth %.0f B/span (index entry %zu B; allocator reuse makes this a lower bound)\n",
      static_cast<unsigned long long>(st.spans), double(st.disk_bytes) / 1e6,
      double(st.disk_bytes) / double(st.spans), open_s, open_cpu,
      double(rss1 - rss0) * 1024.0 / double(st.spans), sizeof(internal::Entry));

  std::printf("search latency (%llu spans, 6 hours):\n", static_cast<unsigned long long>(st.spans));
  Latency("newest 50, no filter", 50, [&] { return store.Search({.limit = 50})->spans.size(); });
  Latency("service + model, 50", 50, [&] {
    return store.Search({.service = "support-bot", .model = "gpt-4o-mini", .limit = 50})
        ->spans.size();
  });
  Latency("status=error, duration >= 3 s, 50", 50, [&] {
    return store
        .Search({.status = pdata::SpanStatus::Code::kError,
                 .min_duration_nanos = 3'000'000'000ull,
                 .limit = 50})
        ->spans.size();
  });
  Latency("one hour, finish_reason=length, input >= 1500 tokens", 50, [&] {
    uint64_t base = testing::GenAiTraceShape{}.base_time;
    return store
        .Search({.start_unix_nano = base + 3600ull * 1000000000ull,
                 .end_unix_nano = base + 7200ull * 1000000000ull,
                 .finish_reason = "length",
                 .min_input_tokens = 1500,
                 .limit = 100})
        ->spans.size();
  });
  Latency("attribute user.id=user-42 (reads rows), 20", 5, [&] {
    return store.Search({.attributes = {{"user.id", "user-42"}}, .limit = 20})->spans.size();
  });
  std::vector<pdata::TraceId> ids;
  auto newest = store.Search({.limit = 1000});
  for (const auto& s : newest->spans) ids.push_back(s.trace_id);
  size_t k = 0;
  Latency("GetTrace (4 spans, block cache cold and warm)", 200,
          [&] { return store.GetTrace(ids[k++ % ids.size()])->spans.size(); });
  return 0;
}
