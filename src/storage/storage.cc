#include "storage/storage.h"

#include <cmath>
#include <cstdio>

namespace astrolabe::storage {
namespace {

constexpr std::string_view kOutOfOrder = "out of order sample";
constexpr std::string_view kTooOld = "too old sample";
constexpr std::string_view kOutOfBounds = "out of bounds";
constexpr std::string_view kDuplicate = "duplicate sample for timestamp";
constexpr std::string_view kInvalidLabels = "invalid labels";
constexpr std::string_view kUnknownRef = "unknown series ref";
constexpr std::string_view kSeriesLimit = "series limit";

std::string Where(const Labels* labels, int64_t t) {
  std::string s = " (t=" + std::to_string(t);
  if (labels != nullptr) s += " series " + labels->ToString();
  s += ")";
  return s;
}

std::string FormatValue(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class ListSampleIterator final : public SampleIterator {
 public:
  explicit ListSampleIterator(std::vector<Sample> samples) : samples_(std::move(samples)) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
    } else if (pos_ < samples_.size()) {
      ++pos_;
    }
    return pos_ < samples_.size();
  }
  bool Seek(int64_t t) override {
    if (!started_) {
      started_ = true;
      pos_ = 0;
    }
    while (pos_ < samples_.size() && samples_[pos_].t < t) ++pos_;
    return pos_ < samples_.size();
  }
  Sample At() const override { return samples_[pos_]; }
  Status Err() const override { return Status::Ok(); }

 private:
  std::vector<Sample> samples_;
  size_t pos_ = 0;
  bool started_ = false;
};

}  // namespace

Status OutOfOrderSampleError(const Labels* labels, int64_t t, int64_t newest) {
  return InvalidArgument(std::string(kOutOfOrder) + ": older than the series' newest sample at " +
                         std::to_string(newest) + Where(labels, t));
}
Status TooOldSampleError(const Labels* labels, int64_t t, int64_t min_allowed) {
  return InvalidArgument(std::string(kTooOld) +
                         ": outside the out-of-order window, oldest accepted " +
                         std::to_string(min_allowed) + Where(labels, t));
}
Status OutOfBoundsError(const Labels* labels, int64_t t, int64_t min_valid) {
  return InvalidArgument(std::string(kOutOfBounds) + ": before the storage's minimum valid time " +
                         std::to_string(min_valid) + Where(labels, t));
}
Status DuplicateSampleError(const Labels* labels, int64_t t, double existing, double v) {
  return InvalidArgument(std::string(kDuplicate) + ": stored value " + FormatValue(existing) +
                         ", new value " + FormatValue(v) + Where(labels, t));
}
Status InvalidLabelsError(std::string_view why) {
  return InvalidArgument(std::string(kInvalidLabels) + ": " + std::string(why));
}
Status UnknownRefError(SeriesRef ref) {
  return NotFound(std::string(kUnknownRef) + " " + std::to_string(ref));
}

AppendErrorKind AppendErrorKindOf(const Status& status) {
  if (status.ok()) return AppendErrorKind::kNone;
  const std::string& m = status.message();
  if (m.starts_with(kOutOfOrder)) return AppendErrorKind::kOutOfOrder;
  if (m.starts_with(kTooOld)) return AppendErrorKind::kTooOld;
  if (m.starts_with(kOutOfBounds)) return AppendErrorKind::kOutOfBounds;
  if (m.starts_with(kDuplicate)) return AppendErrorKind::kDuplicate;
  if (m.starts_with(kInvalidLabels)) return AppendErrorKind::kInvalidLabels;
  if (m.starts_with(kUnknownRef)) return AppendErrorKind::kUnknownRef;
  if (m.starts_with(kSeriesLimit)) return AppendErrorKind::kLimit;
  return AppendErrorKind::kOther;
}

std::string_view MetricTypeString(MetricType type) {
  switch (type) {
    case MetricType::kUnknown:
      return "unknown";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateset:
      return "stateset";
  }
  return "unknown";
}

std::unique_ptr<SampleIterator> NewListSampleIterator(std::vector<Sample> samples) {
  return std::make_unique<ListSampleIterator>(std::move(samples));
}

Result<std::vector<MaterializedSeries>> Materialize(SeriesSet& set) {
  std::vector<MaterializedSeries> out;
  while (set.Next()) {
    const Series& s = set.At();
    MaterializedSeries m{s.labels(), {}};
    auto it = s.Iterator();
    while (it->Next()) m.samples.push_back(it->At());
    RETURN_IF_ERROR(it->Err());
    out.push_back(std::move(m));
  }
  RETURN_IF_ERROR(set.Err());
  return out;
}

}  // namespace astrolabe::storage
