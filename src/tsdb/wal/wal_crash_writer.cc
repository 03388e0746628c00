// The writer half of the WAL crash test (wal_crash_test.cc), run in a forked child: logs
// records from several threads and writes the id of each acknowledged one to a pipe, until it
// is killed. Now and then it cuts a segment and checkpoints everything, so kills land in
// checkpoints too.
//
// Record i is a series record (ref i, labels {__name__="crash", id="<i>"}) plus a samples
// record of i % 20 + 1 samples (ref i, t = i * 1000 + k, v = i + k / 4), logged in one call.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tsdb/wal/wal_crash_writer.h"

#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"

namespace astrolabe::tsdb::wal::testing {

int RunCrashWriter(const std::string& dir, int fd, SyncMode mode, int threads, uint64_t first_id) {
  Options options;
  options.segment_size = 64 * 1024;
  options.sync = mode;
  options.sync_interval = std::chrono::milliseconds(20);
  std::atomic<uint64_t> next_id{first_id};

  auto wal = Wal::Open(dir, options);
  if (!wal.ok()) {
    std::fprintf(stderr, "crash writer: open: %s\n", wal.status().ToString().c_str());
    return 3;
  }
  std::atomic<uint64_t> logged{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto work = [&](int thread) {
    std::string series_rec;
    std::string samples_rec;
    while (std::chrono::steady_clock::now() < deadline) {
      uint64_t id = next_id.fetch_add(1);
      std::string id_text = std::to_string(id);
      std::vector<LabelView> labels = {{"__name__", "crash"}, {"id", id_text}};
      std::vector<SeriesRecord> series = {{id, labels}};
      EncodeSeries(series, &series_rec);
      std::vector<SampleRecord> samples;
      for (uint64_t k = 0; k <= id % 20; ++k) {
        samples.push_back(
            {id, static_cast<int64_t>(id * 1000 + k), static_cast<double>(id) + k / 4.0});
      }
      EncodeSamples(samples, &samples_rec);
      std::vector<std::string_view> recs = {series_rec, samples_rec};
      Status st = (*wal)->Log(recs);
      if (!st.ok()) {
        std::fprintf(stderr, "crash writer: log: %s\n", st.ToString().c_str());
        std::_Exit(4);
      }
      if (::write(fd, &id, sizeof(id)) != sizeof(id)) std::_Exit(5);
      if (thread == 0 && logged.fetch_add(1) % 50 == 49) {
        auto cut = (*wal)->Cut();
        SegmentRange r = (*wal)->segments();
        if (cut.ok() && r.first < *cut) {
          auto cp = (*wal)->Checkpoint(
              r.first, *cut - 1, [](uint64_t) { return true; },
              std::numeric_limits<int64_t>::min());
          if (!cp.ok()) {
            std::fprintf(stderr, "crash writer: checkpoint: %s\n", cp.status().ToString().c_str());
            std::_Exit(6);
          }
        }
      } else if (thread != 0) {
        logged.fetch_add(1);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& t : pool) t.join();
  return 0;
}

}  // namespace astrolabe::tsdb::wal::testing
