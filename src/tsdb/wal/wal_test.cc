#include "tsdb/wal/wal.h"

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tsdb/wal/file_util.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/wal_test_util.h"

namespace astrolabe::tsdb::wal {
namespace {

using testing::Replayed;
using testing::ReplayInto;
using testing::TempDir;

std::string Rec(int i, size_t size = 100) {
  std::string r = fmt::format("record-{:06d}:", i);
  while (r.size() < size) r.push_back(static_cast<char>('a' + (r.size() + i) % 26));
  return r;
}

std::unique_ptr<Wal> MustOpen(const std::string& dir, Options options = {}) {
  auto wal = Wal::Open(dir, options);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  return wal.ok() ? std::move(*wal) : nullptr;
}

TEST(WalTest, LogCloseReopenReplay) {
  TempDir tmp;
  {
    auto wal = MustOpen(tmp.path());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(wal->Log(Rec(i)).ok());
    std::vector<std::string> two = {Rec(100), Rec(101, 70000)};
    std::vector<std::string_view> views(two.begin(), two.end());
    ASSERT_TRUE(wal->Log(views).ok());
    Stats s = wal->stats();
    EXPECT_EQ(s.records, 102u);
    EXPECT_EQ(s.log_calls, 101u);
    EXPECT_GE(s.fsyncs, 101u);  // sync: always, one caller at a time
    EXPECT_GT(s.fsync_nanos, 0u);
    ASSERT_TRUE(wal->Close().ok());
    EXPECT_FALSE(wal->Log("late").ok());
  }
  auto wal = MustOpen(tmp.path());
  Replayed r;
  ASSERT_TRUE(ReplayInto(*wal, &r).ok());
  ASSERT_EQ(r.records.size(), 102u);
  for (int i = 0; i < 101; ++i) EXPECT_EQ(r.records[i], Rec(i));
  EXPECT_EQ(r.records[101], Rec(101, 70000));
  // Writing resumes in a fresh segment after the one that was open.
  EXPECT_EQ(wal->segments().first, 0u);
  EXPECT_EQ(wal->segments().last, 1u);
}

// A full disk (here: the process' file size limit, RLIMIT_FSIZE, with SIGXFSZ ignored so the
// write fails with EFBIG): Log fails naming the file, nothing of the failed call stays in the
// segment, and once there is room again Log works without reopening.
TEST(WalTest, AFailedWriteIsCutBackAndLoggingResumesWhenSpaceReturns) {
  TempDir tmp;
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  {
    auto wal = MustOpen(tmp.path());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->Log(Rec(i)).ok());
    const uint64_t size = std::filesystem::file_size(tmp.path() + "/" + SegmentName(0));
    struct rlimit full = saved;
    full.rlim_cur = size + 150;  // room for one more record, then a short write
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &full), 0);
    EXPECT_TRUE(wal->Log(Rec(10)).ok());
    Status st = wal->Log(Rec(11, 1000));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
    EXPECT_NE(st.message().find(SegmentName(0)), std::string::npos) << st.ToString();
    EXPECT_NE(st.message().find("File too large"), std::string::npos) << st.ToString();
    // Room again: logging resumes, and the failed record is not in the log.
    ASSERT_TRUE(wal->Log(Rec(12)).ok());
    ASSERT_TRUE(wal->Log(Rec(13)).ok());
    ASSERT_TRUE(wal->Close().ok());
  }
  ::signal(SIGXFSZ, old_handler);
  auto wal = MustOpen(tmp.path());
  Replayed r;
  ASSERT_TRUE(ReplayInto(*wal, &r).ok());
  std::vector<std::string> want;
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13}) want.push_back(Rec(i));
  EXPECT_EQ(r.records, want);
}

TEST(WalTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir tmp;
  auto wal = MustOpen(tmp.path());
  auto second = Wal::Open(tmp.path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST(WalTest, RejectsBadOptions) {
  TempDir tmp;
  Options o;
  o.segment_size = 1000;
  EXPECT_EQ(Wal::Open(tmp.path(), o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseSyncMode("always").ok());
  EXPECT_EQ(*ParseSyncMode("interval"), SyncMode::kInterval);
  EXPECT_FALSE(ParseSyncMode("sometimes").ok());
}

TEST(WalTest, SegmentsRollOverAndRecordsNeverSpanThem) {
  TempDir tmp;
  Options o;
  o.segment_size = 64 * 1024;
  std::vector<std::string> logged;
  {
    auto wal = MustOpen(tmp.path(), o);
    for (int i = 0; i < 300; ++i) {
      logged.push_back(Rec(i, 500 + (i % 7) * 900));
      ASSERT_TRUE(wal->Log(logged.back()).ok());
    }
    // A record larger than a segment gets a segment of its own.
    logged.push_back(Rec(300, 150 * 1024));
    ASSERT_TRUE(wal->Log(logged.back()).ok());
    logged.push_back(Rec(301));
    ASSERT_TRUE(wal->Log(logged.back()).ok());
    EXPECT_GT(wal->stats().segments_created, 10u);
  }
  auto segments = internal::ListSegments(tmp.path());
  ASSERT_TRUE(segments.ok());
  size_t oversized = 0;
  for (uint32_t s : *segments) {
    auto size = internal::FileSize(tmp / SegmentName(s));
    ASSERT_TRUE(size.ok());
    if (*size > o.segment_size) ++oversized;
    // Each segment reads cleanly on its own: no record continues into the next one.
    const std::string bytes = testing::ReadFile(tmp / SegmentName(s));
    RecordReader reader(bytes);
    std::string_view rec;
    while (reader.Next(&rec)) {
    }
    EXPECT_TRUE(reader.ok()) << SegmentName(s) << ": " << reader.error();
  }
  EXPECT_EQ(oversized, 1u);
  auto wal = MustOpen(tmp.path(), o);
  Replayed r;
  ASSERT_TRUE(ReplayInto(*wal, &r).ok());
  EXPECT_EQ(r.records, logged);
  // Positions ascend.
  for (size_t i = 1; i < r.positions.size(); ++i) {
    auto a = r.positions[i - 1], b = r.positions[i];
    EXPECT_TRUE(a.segment < b.segment || (a.segment == b.segment && a.offset < b.offset));
  }
}

TEST(WalTest, TornTailIsTruncatedAtEveryByteOfTheLastRecord) {
  TempDir tmp;
  std::string seg0 = tmp / SegmentName(0);
  std::vector<std::string> logged;
  uint64_t last_start = 0;
  {
    auto wal = MustOpen(tmp.path());
    for (int i = 0; i < 3; ++i) {
      logged.push_back(Rec(i, 100));
      ASSERT_TRUE(wal->Log(logged.back()).ok());
    }
    // A filler that ends 100 bytes before the page end, so the last record is cut into two
    // fragments and the cuts fall in both, in both headers and between them.
    logged.push_back(Rec(3, kPageSize - 100 - 3 * 107 - 7));
    ASSERT_TRUE(wal->Log(logged.back()).ok());
    last_start = *internal::FileSize(seg0);
    EXPECT_EQ(last_start, kPageSize - 100);
    logged.push_back(Rec(4, 300));
    ASSERT_TRUE(wal->Log(logged.back()).ok());
  }
  const std::string full = testing::ReadFile(seg0);
  for (uint64_t cut = last_start; cut <= full.size(); ++cut) {
    SCOPED_TRACE(fmt::format("cut at {}", cut));
    TempDir run;
    testing::WriteFile(run / SegmentName(0), full.substr(0, cut));
    auto wal = MustOpen(run.path());
    ASSERT_NE(wal, nullptr);
    bool whole = cut == full.size();
    EXPECT_EQ(wal->stats().truncations, (whole || cut == last_start) ? 0u : 1u);
    EXPECT_EQ(*internal::FileSize(run / SegmentName(0)), whole ? full.size() : last_start);
    Replayed r;
    ASSERT_TRUE(ReplayInto(*wal, &r).ok());
    ASSERT_EQ(r.records.size(), whole ? 5u : 4u);
    for (size_t i = 0; i < r.records.size(); ++i) ASSERT_EQ(r.records[i], logged[i]);
    // And the log takes new records after the repair.
    ASSERT_TRUE(wal->Log("after").ok());
    wal.reset();
    auto again = MustOpen(run.path());
    Replayed r2;
    ASSERT_TRUE(ReplayInto(*again, &r2).ok());
    ASSERT_EQ(r2.records.back(), "after");
    EXPECT_EQ(again->stats().truncations, 0u);
  }
}

TEST(WalTest, ZeroFilledTailIsTruncated) {
  TempDir tmp;
  {
    auto wal = MustOpen(tmp.path());
    ASSERT_TRUE(wal->Log("one").ok());
  }
  std::string seg = tmp / SegmentName(0);
  uint64_t size = *internal::FileSize(seg);
  testing::WriteFile(seg, testing::ReadFile(seg) + std::string(8192, '\0'));
  auto wal = MustOpen(tmp.path());
  EXPECT_EQ(wal->stats().truncations, 1u);
  EXPECT_EQ(*internal::FileSize(seg), size);
}

// Builds a WAL with several segments and returns the records logged.
std::vector<std::string> ThreeSegments(const std::string& dir, const Options& o) {
  std::vector<std::string> logged;
  auto wal = MustOpen(dir, o);
  for (int i = 0; i < 30; ++i) {
    logged.push_back(Rec(i, 5000));
    EXPECT_TRUE(wal->Log(logged.back()).ok());
    if (i == 9 || i == 19) {
      EXPECT_TRUE(wal->Cut().ok());
    }
  }
  return logged;
}

TEST(WalTest, CorruptionInAnEarlierSegmentIsAnErrorNamingFileAndOffset) {
  TempDir tmp;
  Options o;
  auto logged = ThreeSegments(tmp.path(), o);
  std::string seg1 = tmp / SegmentName(1);
  std::string bytes = testing::ReadFile(seg1);
  // Damage the 4th record of segment 1 (records are 5007 framed bytes, all in the first page
  // or straddling; flip a byte well inside the 4th).
  uint64_t fourth = 0;
  {
    RecordReader reader(bytes);
    std::string_view rec;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(reader.Next(&rec));
    fourth = reader.record_offset();
  }
  bytes[fourth + 100] ^= 0x40;
  testing::WriteFile(seg1, bytes);

  auto wal = MustOpen(tmp.path(), o);  // only the last segment is checked on open
  Replayed r;
  Status st = ReplayInto(*wal, &r);
  ASSERT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find(seg1), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(fmt::format("offset {}", fourth)), std::string::npos) << st.message();
  EXPECT_EQ(r.records.size(), 13u);
  auto c = wal->last_corruption();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->position.segment, 1u);
  EXPECT_EQ(c->position.offset, fourth);
  EXPECT_EQ(wal->stats().corruptions, 1u);

  // Repair cuts the log at the damaged record: it and the 6 after it in segment 1, and the 10
  // of segment 2, are dropped.
  auto report = wal->Repair();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted_segments, 2u);  // segment 2 and the empty segment 3
  EXPECT_EQ(report->dropped_records, 17u);
  ASSERT_TRUE(wal->Log("after repair").ok());
  ASSERT_TRUE(wal->Close().ok());

  auto reopened = MustOpen(tmp.path(), o);
  Replayed r2;
  ASSERT_TRUE(ReplayInto(*reopened, &r2).ok());
  ASSERT_EQ(r2.records.size(), 14u);
  for (int i = 0; i < 13; ++i) EXPECT_EQ(r2.records[i], logged[i]);
  EXPECT_EQ(r2.records[13], "after repair");
}

TEST(WalTest, VerifyOnOpenFailsOrRepairs) {
  TempDir tmp;
  Options o;
  ThreeSegments(tmp.path(), o);
  std::string seg0 = tmp / SegmentName(0);
  std::string bytes = testing::ReadFile(seg0);
  bytes[20000] ^= 1;
  testing::WriteFile(seg0, bytes);
  o.verify_on_open = true;
  auto failed = Wal::Open(tmp.path(), o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(failed.status().message().find(seg0), std::string::npos);
  o.repair_on_open = true;
  auto wal = MustOpen(tmp.path(), o);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(wal->stats().truncations, 1u);
  Replayed r;
  ASSERT_TRUE(ReplayInto(*wal, &r).ok());
  EXPECT_EQ(r.records.size(), 3u);  // 20000 / 5007 whole records before the damage
  EXPECT_EQ(wal->segments().first, 0u);
  EXPECT_EQ(wal->segments().last, 1u);
}

TEST(WalTest, MissingSegmentIsAnError) {
  TempDir tmp;
  ThreeSegments(tmp.path(), {});
  std::filesystem::remove(tmp / SegmentName(1));
  auto wal = Wal::Open(tmp.path(), {});
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(wal.status().message().find("missing"), std::string::npos);
}

TEST(WalTest, ReplayCallbackErrorStopsAndNamesThePosition) {
  TempDir tmp;
  auto wal = MustOpen(tmp.path());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->Log(Rec(i)).ok());
  int seen = 0;
  Status st = wal->ReplayAll([&](std::string_view, const Position&) {
    return ++seen == 3 ? InvalidArgument("bad record") : Status::Ok();
  });
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("00000000 offset"), std::string::npos) << st.message();
}

void ConcurrentWriters(SyncMode mode) {
  TempDir tmp;
  Options o;
  o.sync = mode;
  o.sync_interval = std::chrono::milliseconds(5);
  o.segment_size = 256 * 1024;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  {
    auto wal = MustOpen(tmp.path(), o);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string a = fmt::format("t{}-{}-a", t, i);
          std::string b = fmt::format("t{}-{}-b", t, i) + std::string(i * 3, 'x');
          std::vector<std::string_view> pair = {a, b};
          ASSERT_TRUE(wal->Log(pair).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    Stats s = wal->stats();
    EXPECT_EQ(s.records, 2u * kThreads * kPerThread);
    // Group commit: batches hold more than one call when callers overlap (8 threads, each
    // fsync taking a millisecond or more: they always do).
    EXPECT_LE(s.writes, s.log_calls);
    if (mode == SyncMode::kAlways) {
      EXPECT_LT(s.writes, s.log_calls);
      EXPECT_LT(s.fsyncs, s.log_calls);
    }
    if (mode == SyncMode::kInterval) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_GT(wal->stats().fsyncs, 0u);  // the background thread ran
    }
  }
  auto wal = MustOpen(tmp.path(), o);
  Replayed r;
  ASSERT_TRUE(ReplayInto(*wal, &r).ok());
  ASSERT_EQ(r.records.size(), 2u * kThreads * kPerThread);
  // Each call's records are adjacent and in order, and each thread's calls keep their order.
  std::map<int, int> next;
  for (size_t i = 0; i < r.records.size(); i += 2) {
    int t, n;
    ASSERT_EQ(std::sscanf(r.records[i].c_str(), "t%d-%d-a", &t, &n), 2) << r.records[i];
    EXPECT_EQ(n, next[t]++);
    EXPECT_EQ(r.records[i + 1].substr(0, r.records[i].size() - 1),
              r.records[i].substr(0, r.records[i].size() - 1));
    EXPECT_EQ(r.records[i + 1][r.records[i].size() - 1], 'b');
  }
}

TEST(WalTest, IntervalModeAcknowledgesBeforeFsync) {
  TempDir tmp;
  Options o;
  o.sync = SyncMode::kInterval;
  o.sync_interval = std::chrono::seconds(60);
  auto wal = MustOpen(tmp.path(), o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->Log(Rec(i)).ok());
  EXPECT_EQ(wal->stats().fsyncs, 0u);  // acknowledged from the page cache
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  ASSERT_TRUE(wal->Close().ok());  // syncs what is left, stops the thread promptly
  EXPECT_EQ(wal->stats().fsyncs, 2u);
}

TEST(WalTest, IntervalModeSyncsEachClosedSegmentBeforeWritingTheNext) {
  TempDir tmp;
  Options o;
  o.sync = SyncMode::kInterval;
  o.sync_interval = std::chrono::seconds(60);
  o.segment_size = 64 * 1024;
  auto wal = MustOpen(tmp.path(), o);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(wal->Log(Rec(i, 1000)).ok());
  Stats s = wal->stats();
  ASSERT_GE(s.segments_created, 4u);
  // After a power loss only the last segment may then be torn (Open repairs that one).
  EXPECT_EQ(s.fsyncs, s.segments_created - 1);
}

TEST(WalTest, ConcurrentWritersSyncAlways) { ConcurrentWriters(SyncMode::kAlways); }
TEST(WalTest, ConcurrentWritersSyncInterval) { ConcurrentWriters(SyncMode::kInterval); }

TEST(WalTest, ReplayWhileLoggingSeesAConsistentPrefix) {
  TempDir tmp;
  Options o;
  o.segment_size = 64 * 1024;
  auto wal = MustOpen(tmp.path(), o);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 100000; ++i) ASSERT_TRUE(wal->Log(Rec(i, 700)).ok());
  });
  for (int round = 0; round < 20; ++round) {
    Replayed r;
    ASSERT_TRUE(ReplayInto(*wal, &r).ok());
    for (size_t i = 0; i < r.records.size(); ++i) ASSERT_EQ(r.records[i], Rec(i, 700));
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace astrolabe::tsdb::wal
