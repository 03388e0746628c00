// Disk full (issue 12): `astrolabe server` ingests remote write and OTLP spans from client
// threads that record every batch that got a 2xx; then its files may no longer grow, later
// they may again. While "full" the clients get clear errors (no 2xx, a message naming the
// file and the reason), the server keeps answering; once space returns ingestion resumes
// without a restart; after a clean stop every acknowledged sample and span is in the stores,
// which open without corruption.
//
// How "full" is made without privileges (no tmpfs, no loop device, no FUSE here): the test
// ignores SIGXFSZ, which the server inherits across exec, and lowers the running server's
// soft RLIMIT_FSIZE with prlimit(2) (same user: allowed) to a little above the size of the
// newest WAL segment. A write that would pass the limit is cut short or fails with EFBIG
// ("File too large") — the errors a full disk gives too (short write, then ENOSPC), on every
// file the process writes. Raising the soft limit back is "space returns". The long form
// repeats the cycle.

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drill.h"
#include "pdata/traces.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"
#include "tsdb/db.h"
#include "wire/otlp_proto.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kSeries = 20;
constexpr int kSpans = 8;

std::string RemoteWriteBody(int64_t base_ms, int batch) {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (int i = 0; i < kSeries; ++i) v.push_back(std::to_string(i));
    return v;
  }();
  wire::prw::WriteRequest rw;
  for (int i = 0; i < kSeries; ++i) {
    wire::prw::TimeSeries ts;
    ts.labels = {{"__name__", "disk_drill"}, {"series", kNames[i]}};
    ts.samples = {{double(batch), base_ms + int64_t(batch) * 10}};
    rw.timeseries.push_back(std::move(ts));
  }
  std::string proto, body;
  wire::prw::AppendWriteRequest(rw, &proto);
  wire::SnappyCompress(proto, &body);
  return body;
}

pdata::TraceId TraceIdOf(int batch) {
  pdata::TraceId id;
  id.bytes[0] = 0xd2;
  for (int i = 0; i < 4; ++i) id.bytes[15 - i] = uint8_t(batch >> (8 * i));
  return id;
}

std::string TracesBody(int64_t base_ms, int batch) {
  const uint64_t t = uint64_t(base_ms + int64_t(batch) * 10) * 1'000'000;
  pdata::ScopeSpans ss;
  for (int i = 0; i < kSpans; ++i) {
    pdata::Span span;
    span.trace_id = TraceIdOf(batch);
    span.span_id.bytes[0] = 0x5b;
    span.span_id.bytes[7] = uint8_t(i + 1);
    span.name = "chat drill";
    span.start_time_unix_nano = t;
    span.end_time_unix_nano = t + 1'000'000;
    pdata::PutAttribute(span.attributes, "drill.padding", std::string(200, 'p'));
    ss.spans.push_back(std::move(span));
  }
  pdata::ResourceSpans rs;
  pdata::PutAttribute(rs.resource.attributes, "service.name", "disk-drill");
  rs.scope_spans.push_back(std::move(ss));
  pdata::Traces traces;
  traces.resource_spans.push_back(std::move(rs));
  return wire::EncodeTracesRequest(traces);
}

struct Ledger {
  std::mutex mu;
  std::map<int, int> status;  // batch → HTTP status (0: no answer)
  std::vector<std::string> refusals;
  int next = 0;
  std::set<int> Acked() {
    std::lock_guard lock(mu);
    std::set<int> out;
    for (auto [b, s] : status)
      if (s / 100 == 2) out.insert(b);
    return out;
  }
  size_t AckedSince(int first) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (auto it = status.lower_bound(first); it != status.end(); ++it) n += it->second / 100 == 2;
    return n;
  }
  int Next() {
    std::lock_guard lock(mu);
    return next;
  }
};

void SetFsizeLimit(pid_t pid, rlim_t soft) {
  struct rlimit old {};
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, nullptr, &old), 0) << std::strerror(errno);
  struct rlimit now = old;
  now.rlim_cur = soft;
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, &now, nullptr), 0) << std::strerror(errno);
}

uint64_t NewestWalSegmentSize(const std::string& data) {
  uint64_t size = 0;
  std::string newest;
  for (const auto& e : std::filesystem::directory_iterator(data + "/tsdb/wal")) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name > newest) {
      newest = name;
      size = e.file_size();
    }
  }
  return size;
}

TEST(DiskFullDrill, WritesFailClearlyAndRecoverWhenSpaceReturns) {
  ::signal(SIGXFSZ, SIG_IGN);  // inherited by the server: EFBIG instead of being killed
  DrillServer server;
  server.data = TempDir() + "/data";
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  const int64_t base_ms = WallMs() - 60'000;
  Ledger rw, traces;
  std::atomic<bool> stop{false};
  auto pump = [&](Ledger& ledger, const std::string& path, bool remote_write,
                  std::string (*body)(int64_t, int)) {
    net::HttpClient client;
    while (!stop.load()) {
      int batch;
      {
        std::lock_guard lock(ledger.mu);
        batch = ledger.next++;
      }
      auto r = Post(client, server.otlp, path, body(base_ms, batch), remote_write, 5s);
      {
        std::lock_guard lock(ledger.mu);
        ledger.status[batch] = r.status;
        if (r.status / 100 != 2) {
          if (ledger.refusals.size() >= 20) ledger.refusals.erase(ledger.refusals.begin());
          ledger.refusals.push_back(std::to_string(r.status) + " " + r.body.substr(0, 300));
        }
      }
      if (r.status / 100 != 2) std::this_thread::sleep_for(50ms);
    }
  };
  std::thread a([&] { pump(rw, "/api/v1/write", true, &RemoteWriteBody); });
  std::thread b([&] { pump(traces, "/v1/traces", false, &TracesBody); });

  const int cycles = DrillSize(1, 6);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    // Flowing.
    const int rw_from = rw.Next(), tr_from = traces.Next();
    ASSERT_TRUE(Eventually(
        [&] { return rw.AckedSince(rw_from) >= 20 && traces.AckedSince(tr_from) >= 20; }, 60s))
        << "ingest does not flow\n"
        << server.process.Stderr();
    // Full: the files may grow a little more, then not at all.
    const uint64_t limit = NewestWalSegmentSize(server.data) + 4096;
    SetFsizeLimit(server.process.pid(), limit);
    std::this_thread::sleep_for(1500ms);  // requests in flight finish; the limit bites
    const int rw_full = rw.Next(), tr_full = traces.Next();
    std::this_thread::sleep_for(DrillSize(3s, 10s));
    const size_t acked_while_full = rw.AckedSince(rw_full) + traces.AckedSince(tr_full);
    const int tried_while_full = (rw.Next() - rw_full) + (traces.Next() - tr_full);
    EXPECT_EQ(acked_while_full, 0u) << "of " << tried_while_full << " batches sent while full";
    EXPECT_GT(tried_while_full, 0);
    EXPECT_TRUE(server.process.running()) << server.process.Stderr();
    EXPECT_EQ(HttpGet(server.health, "/").status, 200);
    {
      std::lock_guard lock(rw.mu);
      ASSERT_FALSE(rw.refusals.empty());
      EXPECT_THAT(rw.refusals.back(), HasSubstr("File too large")) << rw.refusals.back();
      std::printf("remote write while full: %s\n", rw.refusals.back().c_str());
    }
    {
      std::lock_guard lock(traces.mu);
      ASSERT_FALSE(traces.refusals.empty());
      std::printf("otlp traces while full: %s\n", traces.refusals.back().c_str());
    }
    // Space returns: ingestion resumes without a restart.
    SetFsizeLimit(server.process.pid(), RLIM_INFINITY);
    const int rw_back = rw.Next(), tr_back = traces.Next();
    const bool resumed = Eventually(
        [&] { return rw.AckedSince(rw_back) >= 10 && traces.AckedSince(tr_back) >= 10; }, 30s);
    EXPECT_TRUE(resumed) << "remote write acked " << rw.AckedSince(rw_back) << ", traces acked "
                         << traces.AckedSince(tr_back) << " since space returned; last refusals: "
                         << (rw.refusals.empty() ? "" : rw.refusals.back()) << " / "
                         << (traces.refusals.empty() ? "" : traces.refusals.back());
    if (!resumed) break;
  }
  stop = true;
  a.join();
  b.join();
  server.process.Signal(SIGTERM);
  const auto code = server.process.Wait(60s);
  EXPECT_EQ(code, 0) << server.process.Stderr();
  const std::string stderr_text = server.process.Stderr();
  EXPECT_THAT(stderr_text, HasSubstr("File too large"));
  // Both stores took the roll-back path (not a restart) when space returned.
  EXPECT_THAT(stderr_text, HasSubstr("WAL: writing into"));
  EXPECT_THAT(stderr_text, HasSubstr("span store: a write failed, rolled back"));

  // Everything acknowledged is there, and the stores open cleanly.
  {  // the test's own handles are closed before the restart below (the WAL is locked)
    auto db = tsdb::Db::Open(server.data + "/tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->open_stats().corrupt_blocks, 0u);
    std::map<std::string, std::set<int64_t>> got;
    {
      auto querier = (*db)->NewQuerier();
      auto set = querier->Select({}, storage::kMinTime, storage::kMaxTime);
      ASSERT_TRUE(set.ok());
      auto all = storage::Materialize(**set);
      ASSERT_TRUE(all.ok());
      for (const auto& s : *all)
        for (const auto& sample : s.samples)
          got[std::string(s.labels.Get("series"))].insert(sample.t);
    }
    int missing = 0;
    const std::set<int> rw_acked = rw.Acked();
    for (int batch : rw_acked) {
      for (int i = 0; i < kSeries; ++i) {
        if (!got[std::to_string(i)].count(base_ms + int64_t(batch) * 10) && ++missing <= 5) {
          ADD_FAILURE() << "acknowledged remote-write batch " << batch << " series " << i;
        }
      }
    }
    auto store = spanstore::SpanStore::Open(server.data + "/spans");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->stats().corrupt_segments, 0u);
    EXPECT_EQ((*store)->stats().torn_tails, 0u);
    const std::set<int> tr_acked = traces.Acked();
    for (int batch : tr_acked) {
      auto trace = (*store)->GetTrace(TraceIdOf(batch));
      const size_t n = trace.ok() ? trace->spans.size() : 0;
      if (n != size_t(kSpans) && ++missing <= 10) {
        ADD_FAILURE() << "acknowledged trace batch " << batch << " has " << n << " spans";
      }
    }
    EXPECT_EQ(missing, 0);
    std::printf("disk full drill: %zu/%d remote-write and %zu/%d trace batches acknowledged\n",
                rw_acked.size(), rw.Next(), tr_acked.size(), traces.Next());
  }

  // A restart on the directory is clean.
  DrillServer again;
  again.data = server.data;
  ASSERT_TRUE(again.Start(&why)) << why;
  again.process.Signal(SIGTERM);
  EXPECT_EQ(again.process.Wait(60s), 0) << again.process.Stderr();
}

}  // namespace
}  // namespace astrolabe::e2e
