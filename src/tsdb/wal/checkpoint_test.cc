#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tsdb/wal/file_util.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"
#include "tsdb/wal/wal_test_util.h"

namespace astrolabe::tsdb::wal {
namespace {

using testing::TempDir;

// What a replay holds, decoded: series labels by ref, samples, tombstones, metadata.
struct Contents {
  std::map<uint64_t, std::vector<std::pair<std::string, std::string>>> series;
  std::multiset<std::tuple<uint64_t, int64_t, double>> samples;
  std::set<std::tuple<uint64_t, int64_t, int64_t>> tombstones;
  std::vector<std::tuple<uint64_t, std::string>> metadata;  // (ref, help) in replay order
};

Status Collect(Wal& wal, Contents* c) {
  std::vector<SeriesRecord> series;
  std::vector<LabelView> labels;
  std::vector<SampleRecord> samples;
  std::vector<TombstoneRecord> tombstones;
  std::vector<MetadataRecord> metadata;
  return wal.ReplayAll([&](std::string_view rec, const Position&) -> Status {
    ASSIGN_OR_RETURN(RecordType type, PeekRecordType(rec));
    switch (type) {
      case RecordType::kSeries:
        RETURN_IF_ERROR(DecodeSeries(rec, &series, &labels));
        for (const auto& s : series) c->series[s.ref] = ToOwned(s).labels;
        break;
      case RecordType::kSamples:
        RETURN_IF_ERROR(DecodeSamples(rec, &samples));
        for (const auto& s : samples) c->samples.emplace(s.ref, s.t_ms, s.v);
        break;
      case RecordType::kTombstones:
        RETURN_IF_ERROR(DecodeTombstones(rec, &tombstones));
        for (const auto& t : tombstones) c->tombstones.emplace(t.ref, t.mint, t.maxt);
        break;
      case RecordType::kMetadata:
        RETURN_IF_ERROR(DecodeMetadata(rec, &metadata));
        for (const auto& m : metadata) c->metadata.emplace_back(m.ref, std::string(m.help));
        break;
    }
    return Status::Ok();
  });
}

// Logs 10 series, samples at t = 0..99 for each, a tombstone per series and two metadata
// records for ref 2 (the second supersedes the first), cutting a segment every 25 steps.
void Populate(Wal& wal) {
  std::string rec;
  std::vector<std::vector<LabelView>> labels;
  std::vector<std::string> names;
  for (int r = 1; r <= 10; ++r) names.push_back(fmt::format("series_{}", r));
  std::vector<SeriesRecord> series;
  for (int r = 1; r <= 10; ++r) labels.push_back({{"__name__", names[r - 1]}, {"job", "nim"}});
  for (int r = 1; r <= 10; ++r) series.push_back({static_cast<uint64_t>(r), labels[r - 1]});
  EncodeSeries(series, &rec);
  ASSERT_TRUE(wal.Log(rec).ok());
  std::vector<MetadataRecord> md = {{2, MetricType::kCounter, "", "old help", ""},
                                    {0, MetricType::kGauge, "", "family old", "series"}};
  EncodeMetadata(md, &rec);
  ASSERT_TRUE(wal.Log(rec).ok());
  for (int t = 0; t < 100; ++t) {
    std::vector<SampleRecord> samples;
    for (int r = 1; r <= 10; ++r) samples.push_back({static_cast<uint64_t>(r), t, t * 0.5 + r});
    EncodeSamples(samples, &rec);
    ASSERT_TRUE(wal.Log(rec).ok());
    if (t % 25 == 24) {
      ASSERT_TRUE(wal.Cut().ok());
    }
  }
  std::vector<TombstoneRecord> stones;
  for (int r = 1; r <= 10; ++r) stones.push_back({static_cast<uint64_t>(r), r * 10, r * 10 + 5});
  EncodeTombstones(stones, &rec);
  ASSERT_TRUE(wal.Log(rec).ok());
  md = {{2, MetricType::kCounter, "", "new help", ""},
        {3, MetricType::kGauge, "bytes", "b", ""},
        {0, MetricType::kGauge, "", "family new", "series"}};
  EncodeMetadata(md, &rec);
  ASSERT_TRUE(wal.Log(rec).ok());
}

TEST(CheckpointTest, KeepsWhatTheHeadStillNeeds) {
  TempDir tmp;
  auto opened = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(opened.ok());
  Wal& wal = **opened;
  Populate(wal);
  // Segments 0..3 hold t = 0..99 (25 steps each); segment 4 holds the tombstones and the
  // second metadata record. Cut so that segment 4 can be checkpointed too.
  ASSERT_EQ(*wal.Cut(), 5u);
  auto keep = [](uint64_t ref) { return ref % 2 == 0; };
  auto stats = wal.Checkpoint(0, 4, keep, /*min_time_ms=*/60);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->index, 4u);
  EXPECT_EQ(stats->series_kept, 5u);
  EXPECT_EQ(stats->series_dropped, 5u);
  EXPECT_EQ(stats->samples_kept, 400u);  // t = 60..99 for all 10 refs: samples are by time
  EXPECT_EQ(stats->samples_dropped, 600u);
  EXPECT_EQ(stats->tombstones_kept, 3u);  // even refs whose maxt >= 60: 6, 8 and 10
  EXPECT_EQ(stats->segments_deleted, 5u);
  EXPECT_EQ(wal.checkpoint(), 4u);
  EXPECT_EQ(wal.segments().first, 5u);
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "checkpoint.00000004"));
  for (uint32_t s = 0; s <= 4; ++s) EXPECT_FALSE(std::filesystem::exists(tmp / SegmentName(s)));

  Contents c;
  ASSERT_TRUE(Collect(wal, &c).ok());
  EXPECT_EQ(c.series.size(), 5u);
  for (const auto& [ref, labels] : c.series) {
    EXPECT_EQ(ref % 2, 0u);
    EXPECT_EQ(labels[0].second, fmt::format("series_{}", ref));
  }
  EXPECT_EQ(c.samples.size(), 400u);
  for (const auto& [ref, t, v] : c.samples) {
    EXPECT_GE(t, 60);
    EXPECT_EQ(v, t * 0.5 + static_cast<double>(ref));
  }
  std::set<std::tuple<uint64_t, int64_t, int64_t>> want_stones = {
      {6, 60, 65}, {8, 80, 85}, {10, 100, 105}};
  EXPECT_EQ(c.tombstones, want_stones);
  // Only the latest metadata of kept series (ref 2's second record; ref 3 is odd) and the
  // latest of each family, whatever keep() says.
  ASSERT_EQ(c.metadata.size(), 2u);
  EXPECT_EQ(c.metadata[0], std::make_tuple(uint64_t{2}, std::string("new help")));
  EXPECT_EQ(c.metadata[1], std::make_tuple(uint64_t{0}, std::string("family new")));
  EXPECT_EQ(stats->metadata_kept, 2u);
  EXPECT_EQ(stats->metadata_dropped, 3u);  // ref 2 and the family superseded, ref 3 not kept

  // New records after the checkpoint follow it on replay, and a second checkpoint carries the
  // first one's contents forward.
  std::string rec;
  std::vector<SampleRecord> more = {{2, 500, 1.0}};
  EncodeSamples(more, &rec);
  ASSERT_TRUE(wal.Log(rec).ok());
  ASSERT_EQ(*wal.Cut(), 6u);
  auto second = wal.Checkpoint(5, 5, keep, 70);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->index, 5u);
  EXPECT_FALSE(std::filesystem::exists(tmp / "checkpoint.00000004"));
  Contents c2;
  ASSERT_TRUE(Collect(wal, &c2).ok());
  EXPECT_EQ(c2.series.size(), 5u);
  EXPECT_EQ(c2.samples.size(), 10u * 30 + 1);  // t = 70..99, plus t = 500
  EXPECT_EQ(c2.metadata.size(), 2u);
  ASSERT_TRUE(wal.Close().ok());

  // The same after reopening.
  auto reopened = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(reopened.ok());
  Contents c3;
  ASSERT_TRUE(Collect(**reopened, &c3).ok());
  EXPECT_EQ(c3.series, c2.series);
  EXPECT_EQ(c3.samples, c2.samples);
  EXPECT_EQ(c3.tombstones, c2.tombstones);
}

TEST(CheckpointTest, RefusesTheActiveSegmentAndGaps) {
  TempDir tmp;
  auto wal = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(wal.ok());
  std::string empty_samples;
  EncodeSamples({}, &empty_samples);
  ASSERT_TRUE((*wal)->Log(empty_samples).ok());
  auto all = [](uint64_t) { return true; };
  EXPECT_EQ((*wal)->Checkpoint(0, 0, all, 0).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*wal)->Cut().ok());
  ASSERT_TRUE((*wal)->Log(empty_samples).ok());
  ASSERT_TRUE((*wal)->Cut().ok());
  // Starting at 1 would lose segment 0.
  EXPECT_EQ((*wal)->Checkpoint(1, 1, all, 0).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*wal)->Checkpoint(0, 1, all, 0).ok());
}

TEST(CheckpointTest, UndecodableRecordFailsTheCheckpointAndLeavesNothingBehind) {
  TempDir tmp;
  auto wal = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Log(std::string_view("\x02\xff", 2)).ok());  // samples, count cut short
  ASSERT_TRUE((*wal)->Cut().ok());
  auto st = (*wal)->Checkpoint(
      0, 0, [](uint64_t) { return true; }, 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("00000000 offset 0"), std::string::npos)
      << st.status().message();
  EXPECT_FALSE(std::filesystem::exists(tmp / "checkpoint.00000000.tmp"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "checkpoint.00000000"));
  EXPECT_TRUE(std::filesystem::exists(tmp / SegmentName(0)));
}

TEST(CheckpointTest, InterruptedCheckpointsAndCleanupsAreFinishedOnOpen) {
  TempDir tmp;
  {
    auto wal = Wal::Open(tmp.path(), {});
    ASSERT_TRUE(wal.ok());
    Populate(**wal);
    ASSERT_TRUE((*wal)->Cut().ok());
    ASSERT_TRUE((*wal)
                    ->Checkpoint(
                        0, 2, [](uint64_t) { return true; }, 0)
                    .ok());
  }
  // A crash during the next checkpoint leaves its .tmp directory; one during cleanup leaves
  // a segment the checkpoint already holds. Fake both.
  std::filesystem::create_directory(tmp / "checkpoint.00000003.tmp");
  testing::WriteFile(tmp / "checkpoint.00000003.tmp/00000000", "garbage");
  testing::WriteFile(tmp / SegmentName(2), "stale");
  auto wal = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(tmp / "checkpoint.00000003.tmp"));
  EXPECT_FALSE(std::filesystem::exists(tmp / SegmentName(2)));
  Contents c;
  ASSERT_TRUE(Collect(**wal, &c).ok());
  EXPECT_EQ(c.series.size(), 10u);
  EXPECT_EQ(c.samples.size(), 1000u);
}

TEST(CheckpointTest, DamagedCheckpointIsReportedAndNotRepaired) {
  TempDir tmp;
  {
    auto wal = Wal::Open(tmp.path(), {});
    ASSERT_TRUE(wal.ok());
    Populate(**wal);
    ASSERT_TRUE((*wal)->Cut().ok());
    ASSERT_TRUE((*wal)
                    ->Checkpoint(
                        0, 2, [](uint64_t) { return true; }, 0)
                    .ok());
  }
  std::string seg = tmp / "checkpoint.00000002/00000000";
  std::string bytes = testing::ReadFile(seg);
  bytes[bytes.size() / 2] ^= 0x10;
  testing::WriteFile(seg, bytes);
  auto wal = Wal::Open(tmp.path(), {});
  ASSERT_TRUE(wal.ok());
  Contents c;
  Status st = Collect(**wal, &c);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find(seg), std::string::npos) << st.message();
  auto repair = (*wal)->Repair();
  EXPECT_EQ(repair.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace astrolabe::tsdb::wal
