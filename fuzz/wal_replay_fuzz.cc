// Fuzzes WAL replay (src/tsdb/wal): arbitrary bytes as segment files and a checkpoint must
// never crash the reader, the record decoders, Open's tail truncation, Replay or Repair, and
// damage must come back as an error naming file and offset.
//
// Input: byte 0 = flags (bits 0-2: number of segments - 1; bit 3: a checkpoint directory with
// one segment comes first; bit 4: Options::verify_on_open; bit 5: repair_on_open), then each
// file as a 3-byte little-endian length and that many bytes (the last file takes the rest).
//
// Checks, besides the sanitizers: (1) in memory, every file read through RecordReader (with
// Resync past damage) and every record decoded; decoded samples and series re-encode to
// records that decode to the same values. (2) On disk, the files are opened as a WAL and
// replayed; on DataLoss outside the checkpoint, Repair() must succeed and a second replay must
// then be clean, and the log must take a record and replay it after reopening.
// Seeds: fuzz/corpus/wal_replay/.

#include <stdlib.h>
#include <unistd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "scratch_dir.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/wal.h"

namespace {

using namespace astrolabe;
using namespace astrolabe::tsdb::wal;

void Check(bool cond) {
  if (!cond) std::abort();
}

void DecodeAll(std::string_view rec) {
  static std::vector<SeriesRecord> series, series2;
  static std::vector<LabelView> labels, labels2;
  static std::vector<SampleRecord> samples, samples2;
  static std::vector<TombstoneRecord> tombstones;
  static std::vector<MetadataRecord> metadata;
  static std::string out;
  auto type = PeekRecordType(rec);
  if (!type.ok()) {
    Check(!type.status().message().empty());
    return;
  }
  Status st;
  switch (*type) {
    case RecordType::kSeries:
      st = DecodeSeries(rec, &series, &labels);
      if (st.ok()) {
        EncodeSeries(series, &out);
        Check(DecodeSeries(out, &series2, &labels2).ok());
        Check(series2.size() == series.size());
        for (size_t i = 0; i < series.size(); ++i) {
          Check(series2[i].ref == series[i].ref);
          Check(std::equal(series2[i].labels.begin(), series2[i].labels.end(),
                           series[i].labels.begin(), series[i].labels.end()));
        }
      }
      break;
    case RecordType::kSamples:
      st = DecodeSamples(rec, &samples);
      if (st.ok()) {
        EncodeSamples(samples, &out);
        Check(DecodeSamples(out, &samples2).ok());
        Check(samples2.size() == samples.size());
        for (size_t i = 0; i < samples.size(); ++i) {
          Check(samples2[i].ref == samples[i].ref && samples2[i].t_ms == samples[i].t_ms);
          Check(std::bit_cast<uint64_t>(samples2[i].v) == std::bit_cast<uint64_t>(samples[i].v));
        }
      }
      break;
    case RecordType::kTombstones:
      st = DecodeTombstones(rec, &tombstones);
      break;
    case RecordType::kMetadata:
      st = DecodeMetadata(rec, &metadata);
      break;
  }
  if (!st.ok()) Check(!st.message().empty());
}

void ReadInMemory(std::string_view data) {
  RecordReader reader(data);
  std::string_view rec;
  do {
    while (reader.Next(&rec)) {
      Check(reader.record_offset() < data.size());
      DecodeAll(rec);
    }
    if (!reader.ok()) {
      Check(!reader.error().empty());
      Check(reader.error_offset() <= data.size());
      Check(reader.damage_offset() <= data.size());
    }
  } while (reader.Resync());
  Check(reader.valid_end() <= data.size());
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const std::string& WorkDir() { return fuzz::ScratchDir("astrolabe-wal-replay-fuzz"); }

Status ReplayDecoding(Wal& wal) {
  return wal.ReplayAll([](std::string_view rec, const Position&) {
    DecodeAll(rec);
    return Status::Ok();
  });
}

void OnDisk(const std::vector<std::string_view>& files, bool checkpoint, const Options& options) {
  const std::string dir = WorkDir() + "/wal";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  size_t i = 0;
  uint32_t first_segment = 0;
  if (checkpoint && !files.empty()) {
    std::filesystem::create_directories(dir + "/checkpoint.00000000");
    WriteFile(dir + "/checkpoint.00000000/00000000", files[i++]);
    first_segment = 1;
  }
  for (uint32_t s = first_segment; i < files.size(); ++s, ++i) {
    WriteFile(dir + "/" + SegmentName(s), files[i]);
  }
  {
    auto wal = Wal::Open(dir, options);
    if (!wal.ok()) {
      Check(!wal.status().message().empty());
      return;
    }
    Status st = ReplayDecoding(**wal);
    if (!st.ok()) {
      Check(st.code() == StatusCode::kDataLoss);
      Check(st.message().find(" offset ") != std::string::npos ||
            st.message().find("missing") != std::string::npos);
      auto c = (*wal)->last_corruption();
      Check(c.has_value());
      if (c->position.in_checkpoint) return;
      auto report = (*wal)->Repair();
      Check(report.ok());
      Check(ReplayDecoding(**wal).ok());
    }
    Check((*wal)->Log("after").ok());
    Check((*wal)->Close().ok());
  }
  auto wal = Wal::Open(dir, options);
  Check(wal.ok());
  std::string last;
  Check((*wal)
            ->ReplayAll([&](std::string_view rec, const Position&) {
              last.assign(rec);
              return Status::Ok();
            })
            .ok());
  Check(last == "after");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    SetLogLevel("error");
    return true;
  }();
  (void)init;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const uint8_t flags = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  const size_t count = (flags & 7) + 1 + ((flags & 8) ? 1 : 0);
  std::vector<std::string_view> files;
  for (size_t i = 0; i < count && !in.empty(); ++i) {
    if (i + 1 == count || in.size() < 3) {
      files.push_back(in);
      in = {};
      break;
    }
    size_t len = static_cast<uint8_t>(in[0]) | (static_cast<uint8_t>(in[1]) << 8) |
                 (static_cast<size_t>(static_cast<uint8_t>(in[2])) << 16);
    in.remove_prefix(3);
    len = std::min(len, in.size());
    files.push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  for (std::string_view f : files) ReadInMemory(f);
  Options options;
  options.segment_size = 64 * 1024;
  options.verify_on_open = (flags & 16) != 0;
  options.repair_on_open = (flags & 32) != 0;
  OnDisk(files, (flags & 8) != 0, options);
  return 0;
}
