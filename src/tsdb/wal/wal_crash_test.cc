// Crash test: a writer process (a fork of this test running wal_crash_writer.cc; no exec, so
// that 200 rounds fit in well under a minute even under ASan) logs records from 4 threads and
// reports each acknowledged record on a pipe; it is SIGKILLed at 200 random moments (during open,
// logging, segment roll-over or checkpoint). After each kill the WAL must open, replay without
// error, and hold every acknowledged record intact. Even rounds use sync: always, odd rounds
// sync: interval (a process kill alone must not lose what write() handed to the kernel).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"
#include "tsdb/wal/wal_crash_writer.h"
#include "tsdb/wal/wal_test_util.h"

namespace astrolabe::tsdb::wal {
namespace {

constexpr int kRounds = 200;

struct Round {
  std::vector<uint64_t> acked;
  bool killed = false;
  int exit_code = 0;
};

// Starts the writer and kills it `kill_after` after its first acknowledgement (or after its
// start when `from_start`, so that some kills land while it opens and repairs the WAL).
Round RunWriter(const std::string& dir, const std::string& mode, uint64_t first_id,
                std::chrono::microseconds kill_after, bool from_start) {
  Round round;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return round;
  pid_t pid = ::fork();
  if (pid == 0) {
    // The parent has no other threads and no WAL open: the child starts from a clean state.
    ::close(fds[0]);
    SyncMode sync = mode == "always" ? SyncMode::kAlways : SyncMode::kInterval;
    ::_exit(testing::RunCrashWriter(dir, fds[1], sync, 4, first_id));
  }
  ::close(fds[1]);
  std::string bytes;
  if (!from_start) {
    // Wait (at most 10 s) for the first acknowledgement.
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1) {
      char first[8];
      ssize_t n = ::read(fds[0], first, sizeof(first));
      if (n > 0) bytes.append(first, static_cast<size_t>(n));
    }
  }
  std::this_thread::sleep_for(kill_after);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  round.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  round.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  // Whatever the writer put in the pipe before dying is an acknowledgement.
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) bytes.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    uint64_t id;
    std::memcpy(&id, bytes.data() + i, 8);
    round.acked.push_back(id);
  }
  return round;
}

// Replays the WAL and checks every record; returns the ids whose series and samples are
// both present and exactly as written.
// With `checkpoint`, also folds every closed segment into a checkpoint afterwards (as the head
// does), which keeps the replay short and puts earlier rounds' records in checkpoints.
Status CheckWal(const std::string& dir, bool checkpoint, std::set<uint64_t>* complete) {
  ASSIGN_OR_RETURN(auto wal, Wal::Open(dir, {}));
  std::set<uint64_t> series_ids;
  std::map<uint64_t, int> sample_counts;
  std::vector<SeriesRecord> series;
  std::vector<LabelView> labels;
  std::vector<SampleRecord> samples;
  RETURN_IF_ERROR(wal->ReplayAll([&](std::string_view rec, const Position&) -> Status {
    ASSIGN_OR_RETURN(RecordType type, PeekRecordType(rec));
    if (type == RecordType::kSeries) {
      RETURN_IF_ERROR(DecodeSeries(rec, &series, &labels));
      for (const auto& s : series) {
        if (s.labels.size() != 2 || s.labels[1].second != std::to_string(s.ref)) {
          return DataLoss(fmt::format("series {} has wrong labels", s.ref));
        }
        series_ids.insert(s.ref);
      }
    } else if (type == RecordType::kSamples) {
      RETURN_IF_ERROR(DecodeSamples(rec, &samples));
      if (samples.empty() || samples.size() != samples[0].ref % 20 + 1) {
        return DataLoss("samples record of the wrong length");
      }
      for (size_t k = 0; k < samples.size(); ++k) {
        const auto& s = samples[k];
        if (s.ref != samples[0].ref || s.t_ms != static_cast<int64_t>(s.ref * 1000 + k) ||
            s.v != static_cast<double>(s.ref) + k / 4.0) {
          return DataLoss(fmt::format("sample {} of series {} is wrong", k, s.ref));
        }
      }
      ++sample_counts[samples[0].ref];
    } else {
      return DataLoss("unexpected record type");
    }
    return Status::Ok();
  }));
  for (const auto& [id, count] : sample_counts) {
    if (count != 1)
      return DataLoss(fmt::format("samples of series {} replayed {} times", id, count));
    if (series_ids.count(id)) complete->insert(id);
  }
  if (checkpoint) {
    ASSIGN_OR_RETURN(uint32_t cut, wal->Cut());
    SegmentRange r = wal->segments();
    if (r.first < cut) {
      RETURN_IF_ERROR(wal->Checkpoint(
                             r.first, cut - 1, [](uint64_t) { return true; },
                             std::numeric_limits<int64_t>::min())
                          .status());
    }
  }
  return wal->Close();
}

TEST(WalCrashTest, EveryAcknowledgedRecordSurvivesKill9) {
  testing::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed() + 42);
  std::uniform_int_distribution<int> delay_us(0, 30000);
  auto start = std::chrono::steady_clock::now();
  uint64_t total_acked = 0;
  int killed = 0;
  std::set<uint64_t> all_acked;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    std::string mode = round % 2 == 0 ? "always" : "interval";
    auto delay = std::chrono::microseconds(delay_us(rng));
    auto t0 = std::chrono::steady_clock::now();
    bool from_start = round % 4 == 3;
    if (from_start) delay *= 3;
    Round r = RunWriter(tmp.path(), mode, uint64_t(round + 1) * 1000000, delay, from_start);
    ASSERT_TRUE(r.killed || r.exit_code == 0) << "writer exited with " << r.exit_code;
    killed += r.killed;
    total_acked += r.acked.size();
    all_acked.insert(r.acked.begin(), r.acked.end());
    auto t1 = std::chrono::steady_clock::now();
    std::set<uint64_t> complete;
    Status st = CheckWal(tmp.path(), round % 10 == 9, &complete);
    if (std::getenv("WAL_CRASH_VERBOSE")) {
      std::printf(
          "round %d: writer %.0f ms, check %.0f ms, %zu acked\n", round,
          std::chrono::duration<double, std::milli>(t1 - t0).count(),
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count(),
          r.acked.size());
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    // Acknowledged records of this round and of every earlier one (checkpoints rewrite them).
    for (uint64_t id : all_acked) {
      ASSERT_TRUE(complete.count(id)) << "acknowledged record " << id << " lost (" << mode << ")";
    }
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("crash test: %d rounds, %d killed, %llu records acknowledged, %.1f s\n", kRounds,
              killed, static_cast<unsigned long long>(total_acked), secs);
  EXPECT_GT(total_acked, 0u);
  EXPECT_GE(killed, kRounds * 9 / 10);
}

}  // namespace
}  // namespace astrolabe::tsdb::wal
