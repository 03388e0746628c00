#include "tsdb/db.h"

#include <filesystem>
#include <mutex>

#include "common/log.h"
#include "tsdb/wal/records.h"

namespace astrolabe::tsdb {
namespace {

wal::MetricType ToWal(storage::MetricType t) {
  switch (t) {
    case storage::MetricType::kUnknown: return wal::MetricType::kUnknown;
    case storage::MetricType::kCounter: return wal::MetricType::kCounter;
    case storage::MetricType::kGauge: return wal::MetricType::kGauge;
    case storage::MetricType::kHistogram: return wal::MetricType::kHistogram;
    case storage::MetricType::kGaugeHistogram: return wal::MetricType::kGaugeHistogram;
    case storage::MetricType::kSummary: return wal::MetricType::kSummary;
    case storage::MetricType::kInfo: return wal::MetricType::kInfo;
    case storage::MetricType::kStateset: return wal::MetricType::kStateSet;
  }
  return wal::MetricType::kUnknown;
}

storage::MetricType FromWal(wal::MetricType t) {
  switch (t) {
    case wal::MetricType::kUnknown: return storage::MetricType::kUnknown;
    case wal::MetricType::kCounter: return storage::MetricType::kCounter;
    case wal::MetricType::kGauge: return storage::MetricType::kGauge;
    case wal::MetricType::kHistogram: return storage::MetricType::kHistogram;
    case wal::MetricType::kGaugeHistogram: return storage::MetricType::kGaugeHistogram;
    case wal::MetricType::kSummary: return storage::MetricType::kSummary;
    case wal::MetricType::kInfo: return storage::MetricType::kInfo;
    case wal::MetricType::kStateSet: return storage::MetricType::kStateset;
  }
  return storage::MetricType::kUnknown;
}

}  // namespace

// The head's CommitLog on the WAL: one commit becomes up to three records (series, samples,
// metadata) logged in one call, so they are durable together (group commit may add other
// commits to the same fsync).
class Db::WalLog final : public CommitLog {
 public:
  explicit WalLog(wal::Wal* wal) : wal_(wal) {}

  Status Log(const CommitBatch& batch) override {
    // Encoding buffers are per thread: appenders commit concurrently.
    thread_local std::string series_record, samples_record, metadata_record;
    thread_local std::vector<wal::SeriesRecord> series;
    thread_local std::vector<std::vector<wal::LabelView>> label_pairs;
    thread_local std::vector<wal::SampleRecord> samples;
    thread_local std::vector<wal::MetadataRecord> metadata;
    std::string_view records[3];
    size_t n = 0;
    if (!batch.series.empty()) {
      series.clear();
      label_pairs.resize(batch.series.size());
      for (size_t i = 0; i < batch.series.size(); ++i) {
        label_pairs[i] = LabelPairs(*batch.series[i].labels);
        series.push_back({batch.series[i].ref, label_pairs[i]});
      }
      wal::EncodeSeries(series, &series_record);
      records[n++] = series_record;
    }
    if (!batch.samples.empty()) {
      samples.clear();
      for (const SampleRecord& s : batch.samples) samples.push_back({s.ref, s.t, s.v});
      wal::EncodeSamples(samples, &samples_record);
      records[n++] = samples_record;
    }
    if (!batch.metadata.empty()) {
      metadata.clear();
      for (const MetadataRecord& m : batch.metadata) {
        metadata.push_back({0, ToWal(m.metadata->type), m.metadata->unit, m.metadata->help, m.family});
      }
      wal::EncodeMetadata(metadata, &metadata_record);
      records[n++] = metadata_record;
    }
    if (n == 0) return Status::Ok();
    return wal_->Log(std::span<const std::string_view>(records, n));
  }

 private:
  wal::Wal* const wal_;
};

Result<std::unique_ptr<Db>> Db::Open(const std::string& dir, DbOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "wal", ec);
  if (ec) return Unavailable("tsdb: create " + dir + "/wal: " + ec.message());
  std::unique_ptr<Db> db(new Db());
  ASSIGN_OR_RETURN(db->wal_, wal::Wal::Open(dir + "/wal", options.wal));
  options.head.commit_log = nullptr;  // replayed records are not logged again
  db->head_ = std::make_unique<Head>(options.head);
  RETURN_IF_ERROR(db->Replay());
  db->log_ = std::make_unique<WalLog>(db->wal_.get());
  db->head_->set_commit_log(db->log_.get());
  const OpenStats& st = db->open_stats_;
  GetLogger("tsdb")->info("opened {}: replayed {} WAL records ({} series, {} samples, {} refused "
                          "again, {} for unknown series)",
                          dir, st.records, st.series, st.samples, st.samples_rejected,
                          st.unknown_refs);
  return db;
}

Status Db::Replay() {
  open_stats_ = {};
  std::vector<wal::SeriesRecord> series;
  std::vector<wal::LabelView> labels;
  std::vector<wal::SampleRecord> samples;
  std::vector<SampleRecord> head_samples;
  std::vector<wal::MetadataRecord> metadata;
  auto on_record = [&](std::string_view record, const wal::Position& at) -> Status {
    ++open_stats_.records;
    ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
    switch (type) {
      case wal::RecordType::kSeries: {
        RETURN_IF_ERROR(wal::DecodeSeries(record, &series, &labels));
        for (const wal::SeriesRecord& s : series) {
          std::vector<std::pair<std::string_view, std::string_view>> pairs(s.labels.begin(),
                                                                           s.labels.end());
          Status st = head_->ReplaySeries(s.ref, storage::Labels::FromPairs(std::move(pairs)));
          if (!st.ok()) {
            return st.Annotate("tsdb: WAL series record in segment " + std::to_string(at.segment) +
                               " at offset " + std::to_string(at.offset));
          }
          ++open_stats_.series;
        }
        return Status::Ok();
      }
      case wal::RecordType::kSamples: {
        RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
        head_samples.clear();
        for (const wal::SampleRecord& s : samples) head_samples.push_back({s.ref, s.t_ms, s.v});
        ReplayStats st = head_->ReplaySamples(head_samples);
        open_stats_.samples += st.samples;
        open_stats_.samples_rejected += st.rejected;
        open_stats_.unknown_refs += st.unknown_refs;
        return Status::Ok();
      }
      case wal::RecordType::kMetadata: {
        RETURN_IF_ERROR(wal::DecodeMetadata(record, &metadata));
        for (const wal::MetadataRecord& m : metadata) {
          head_->ReplayMetadata(m.family, {FromWal(m.type), std::string(m.unit), std::string(m.help)});
          ++open_stats_.metadata;
        }
        return Status::Ok();
      }
      case wal::RecordType::kTombstones:
        return Status::Ok();  // no deletion API yet: nothing writes them
    }
    return Status::Ok();
  };
  return wal_->ReplayAll(on_record);
}

Db::~Db() { (void)Close(); }

std::unique_ptr<storage::Appender> Db::NewAppender() { return head_->NewAppender(); }

std::unique_ptr<storage::Querier> Db::NewQuerier(const storage::QueryLimits& limits) {
  return head_->NewQuerier(limits);
}

Status Db::Close() {
  if (!wal_) return Status::Ok();
  Status s = wal_->Close();
  return s;
}

}  // namespace astrolabe::tsdb
