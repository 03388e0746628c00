// WAL throughput (src/tsdb/wal): Log with group commit for 1, 4 and 16 concurrent writers under
// sync: always and sync: interval, then replay speed. A plain program rather than a Google
// Benchmark suite, because each case needs one WAL shared by N threads for a fixed time.
// Figures and commands: bench/README.md ("tsdb WAL").
//
// Usage: wal_bench [--dir=DIR] [--seconds=S] [--samples=N] [--replay_mb=M]
//   DIR      where the WAL goes (default /var/tmp: the machine's disk, not tmpfs)
//   S        seconds per Log case (default 3)
//   N        samples per Log call, one Samples record (default 1000)
//   M        size of the WAL written for the replay measurement (default 256 MiB)
// Unknown flags (bench/run passes --benchmark_*) are ignored.

#include <stdlib.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"

namespace {

using namespace astrolabe;
using namespace astrolabe::tsdb::wal;
using Clock = std::chrono::steady_clock;

// CPU seconds used by the whole process (all threads): the machine is shared, so throughput
// per CPU-second is reported beside wall-clock throughput.
double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Flags {
  std::string dir = "/var/tmp";
  double seconds = 3;
  int samples = 1000;
  uint64_t replay_mb = 256;
};

std::string MakeDir(const std::string& base) {
  std::string tmpl = base + "/wal_bench.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return tmpl;
}

// One writer's Samples record: `n` series of one scrape, refs from `first_ref`.
void MakeRecord(uint64_t first_ref, int n, int64_t t, std::string* out) {
  std::vector<SampleRecord> samples(n);
  for (int i = 0; i < n; ++i) samples[i] = {first_ref + i, t, 1000.0 + i * 0.5};
  EncodeSamples(samples, out);
}

void LogCase(const Flags& flags, SyncMode mode, int writers) {
  std::string dir = MakeDir(flags.dir);
  Options options;
  options.sync = mode;
  auto opened = Wal::Open(dir, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    std::exit(1);
  }
  Wal& wal = **opened;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0};
  std::vector<std::thread> threads;
  Stats before = wal.stats();
  auto start = Clock::now();
  double cpu_start = ProcessCpuSeconds();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::string rec;
      int64_t t = 1700000000000;
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        MakeRecord(uint64_t(w) * 1000000, flags.samples, t, &rec);
        t += 10000;
        if (!wal.Log(rec).ok()) std::abort();
        ++n;
      }
      calls.fetch_add(n);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(flags.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = ProcessCpuSeconds() - cpu_start;
  Stats s = wal.stats();
  uint64_t fsyncs = s.fsyncs - before.fsyncs;
  uint64_t writes = s.writes - before.writes;
  std::printf("| %-8s | %2d | %11.0f | %9.0f | %7.1f | %8.0f | %6.1f | %6.2f | %11.0f |\n",
              mode == SyncMode::kAlways ? "always" : "interval", writers,
              calls.load() * flags.samples / secs, calls.load() / secs, s.bytes / secs / 1e6,
              fsyncs / secs, writes ? double(calls.load()) / writes : 0.0,
              fsyncs ? s.fsync_nanos / 1e6 / fsyncs : 0.0, calls.load() * flags.samples / cpu);
  (void)wal.Close();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void ReplayCase(const Flags& flags) {
  std::string dir = MakeDir(flags.dir);
  uint64_t samples_written = 0;
  {
    Options options;
    options.sync = SyncMode::kInterval;
    auto wal = Wal::Open(dir, options);
    if (!wal.ok()) std::exit(1);
    std::string rec;
    int64_t t = 1700000000000;
    while ((*wal)->stats().bytes < flags.replay_mb << 20) {
      MakeRecord(1, flags.samples, t, &rec);
      t += 10000;
      if (!(*wal)->Log(rec).ok()) std::abort();
      samples_written += flags.samples;
    }
  }
  auto wal = Wal::Open(dir, {});
  if (!wal.ok()) std::exit(1);
  // Raw: frames checked (CRC-32C) and records handed over, nothing decoded. Then decoded.
  for (int decode = 0; decode < 2; ++decode) {
    std::vector<SampleRecord> samples;
    uint64_t records = 0, decoded = 0;
    Stats before = (*wal)->stats();
    auto start = Clock::now();
    double cpu_start = ProcessCpuSeconds();
    Status st = (*wal)->ReplayAll([&](std::string_view rec, const Position&) {
      ++records;
      if (decode) {
        RETURN_IF_ERROR(DecodeSamples(rec, &samples));
        decoded += samples.size();
      }
      return Status::Ok();
    });
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = ProcessCpuSeconds() - cpu_start;
    if (!st.ok()) {
      std::fprintf(stderr, "replay: %s\n", st.ToString().c_str());
      std::exit(1);
    }
    uint64_t bytes = (*wal)->stats().replayed_bytes - before.replayed_bytes;
    uint64_t n_samples = decode ? decoded : samples_written;
    std::printf("| replay%-10s | %6.0f MiB | %8.0f | %8.0f | %9.0f | %11.0f | %11.0f |\n",
                decode ? " + decode" : "", bytes / 1048576.0, bytes / secs / 1048576.0,
                bytes / cpu / 1048576.0, records / secs, n_samples / secs, n_samples / cpu);
  }
  (void)(*wal)->Close();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      size_t n = std::strlen(name);
      return a.compare(0, n, name) == 0 ? a.c_str() + n : nullptr;
    };
    if (auto v = value("--dir="))
      flags.dir = v;
    else if (auto v = value("--seconds="))
      flags.seconds = std::atof(v);
    else if (auto v = value("--samples="))
      flags.samples = std::atoi(v);
    else if (auto v = value("--replay_mb="))
      flags.replay_mb = std::strtoull(v, nullptr, 10);
  }
  SetLogLevel("warn");
  std::printf("WAL in %s, %d samples per Log call, %.0f s per case\n\n", flags.dir.c_str(),
              flags.samples, flags.seconds);
  std::printf(
      "| sync | writers | samples/s | Log calls/s | MB/s | fsyncs/s | calls/batch | ms/fsync | "
      "samples/CPU-s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kInterval}) {
    for (int writers : {1, 4, 16}) LogCase(flags, mode, writers);
  }
  std::printf(
      "\n| replay | WAL size | MiB/s | MiB/CPU-s | records/s | samples/s | samples/CPU-s |\n"
      "|---|---|---|---|---|---|---|\n");
  ReplayCase(flags);
  return 0;
}
