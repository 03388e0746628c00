#include "receiver/prometheus_remote_write/direct_write.h"

#include <algorithm>
#include <vector>


namespace astrolabe::receiver::prometheus_remote_write {

namespace prw = wire::prw;

namespace {

storage::MetricType StoreType(prw::MetricType t) {
  switch (t) {
    case prw::MetricType::kCounter:
      return storage::MetricType::kCounter;
    case prw::MetricType::kGauge:
      return storage::MetricType::kGauge;
    case prw::MetricType::kHistogram:
      return storage::MetricType::kHistogram;
    case prw::MetricType::kGaugeHistogram:
      return storage::MetricType::kGaugeHistogram;
    case prw::MetricType::kSummary:
      return storage::MetricType::kSummary;
    case prw::MetricType::kInfo:
      return storage::MetricType::kInfo;
    case prw::MetricType::kStateSet:
      return storage::MetricType::kStateset;
    case prw::MetricType::kUnknown:
      break;
  }
  return storage::MetricType::kUnknown;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The family a 2.0 series' metadata describes: histograms and summaries are sent as their
// _bucket, _sum and _count series, all describing the family without the suffix.
std::string_view FamilyOf(std::string_view name, prw::MetricType type) {
  if (type == prw::MetricType::kHistogram || type == prw::MetricType::kGaugeHistogram ||
      type == prw::MetricType::kSummary) {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (EndsWith(name, suffix)) return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

}  // namespace

DirectWriter::DirectWriter(TranslateLimits limits, size_t max_metadata_families)
    : limits_(limits),
      max_metadata_families_(max_metadata_families),
      histograms_(exporter::store::TranslateOptions{}) {}

void DirectWriter::WriteMetadata(
    const prw::WriteRequest& request, storage::Appender& app,
    std::vector<std::pair<std::string, storage::MetricMetadata>>* written) {
  auto offer = [&](std::string_view family, prw::MetricType type, std::string_view unit,
                   std::string_view help) {
    if (family.empty()) return;
    if (type == prw::MetricType::kUnknown && unit.empty() && help.empty()) return;
    storage::MetricMetadata md{StoreType(type), std::string(unit), std::string(help)};
    {
      std::lock_guard lock(metadata_mu_);
      auto it = metadata_.find(std::string(family));
      if (it != metadata_.end() && it->second == md) return;
    }
    for (const auto& [f, m] : *written) {
      if (f == family && m == md) return;  // already in this request
    }
    if (app.UpdateMetadata(family, md).ok()) written->emplace_back(std::string(family), md);
  };
  for (const prw::MetricMetadata& m : request.metadata) {
    offer(m.metric_family_name, m.type, m.unit, m.help);
  }
  std::string_view last_name;
  for (const prw::TimeSeries& ts : request.timeseries) {
    const prw::SeriesMetadata& md = ts.metadata;
    if (md.type == prw::MetricType::kUnknown && md.unit.empty() && md.help.empty()) continue;
    std::string_view name = ts.LabelValue(storage::kMetricName);
    if (name == last_name) continue;  // a histogram's buckets: one offer per run of a name
    last_name = name;
    offer(FamilyOf(name, md.type), md.type, md.unit, md.help);
  }
}

Status DirectWriter::Write(storage::Storage& storage, const prw::WriteRequest& request,
                           DirectResult* out) {
  *out = DirectResult{};
  std::unique_ptr<storage::Appender> app = storage.NewAppender();
  std::vector<std::pair<std::string, storage::MetricMetadata>> metadata;
  WriteMetadata(request, *app, &metadata);

  auto reject = [&](const Status& why) {
    if (out->rejected++ == 0) out->first_rejection = why.message();
  };
  std::vector<storage::Label> pairs;
  std::vector<size_t> histogram_series;
  for (size_t i = 0; i < request.timeseries.size(); ++i) {
    const prw::TimeSeries& ts = request.timeseries[i];
    std::string_view name;
    std::string why;
    const char* limit = nullptr;
    if (!CheckSeries(ts, limits_, &name, &why, &limit)) {
      if (out->invalid++ == 0) out->first_error = "timeseries[" + std::to_string(i) + "]: " + why;
      if (limit != nullptr) out->limited[limit] += ts.samples.size() + ts.histograms.size();
      continue;
    }
    out->exemplars_dropped += ts.exemplars.size();
    if (!ts.histograms.empty()) {
      histogram_series.push_back(i);
      continue;
    }
    if (ts.samples.empty()) continue;
    pairs.clear();
    bool sorted = true;
    for (const prw::Label& l : ts.labels) {
      if (l.value.empty()) continue;
      if (!pairs.empty() && !(pairs.back().name < l.name)) sorted = false;
      pairs.push_back({l.name, l.value});
    }
    if (!sorted) {
      std::sort(pairs.begin(), pairs.end(),
                [](const storage::Label& a, const storage::Label& b) { return a.name < b.name; });
    }
    const storage::Labels labels = storage::Labels::FromSorted(pairs);
    storage::SeriesRef ref = 0;
    for (const prw::Sample& s : ts.samples) {
      if (ref == 0) {
        Result<storage::SeriesRef> r = app->Append(labels, s.timestamp_ms, s.value);
        if (!r.ok()) {
          reject(r.status());
          continue;
        }
        ref = *r;
      } else if (Status st = app->AppendByRef(ref, s.timestamp_ms, s.value); !st.ok()) {
        reject(st);
        continue;
      }
      ++out->samples;
    }
  }
  if (Status commit = app->Commit(); !commit.ok()) {
    out->samples = 0;
    return Unavailable("committing to the metrics store: " + commit.message());
  }
  if (!metadata.empty()) {
    std::lock_guard lock(metadata_mu_);
    for (auto& [family, md] : metadata) {
      auto it = metadata_.find(family);
      if (it != metadata_.end()) {
        it->second = std::move(md);
      } else if (metadata_.size() < max_metadata_families_) {
        metadata_.emplace(std::move(family), std::move(md));
      }
    }
  }

  if (!histogram_series.empty()) {
    // Native histograms become classic series exactly as the pipeline would store them.
    prw::WriteRequest sub;
    sub.timeseries.reserve(histogram_series.size());
    for (size_t i : histogram_series) sub.timeseries.push_back(request.timeseries[i]);
    TranslateResult tr = Translate(sub, nullptr, limits_);
    if (tr.invalid > 0) {
      // A malformed histogram (spans that do not match its counts, an unknown schema). The
      // message names the series by its index in `sub`: name it by its index in `request`.
      out->invalid += tr.invalid;
      if (out->first_error.empty()) {
        size_t open = tr.first_error.find('['), close = tr.first_error.find(']');
        size_t k = open == std::string::npos || close == std::string::npos
                       ? 0
                       : std::stoul(tr.first_error.substr(open + 1, close - open - 1));
        out->first_error = "timeseries[" + std::to_string(histogram_series.at(k)) +
                           tr.first_error.substr(close);
      }
    }
    exporter::store::WriteStats stats;
    Status st = histograms_.Write(storage, tr.metrics, &stats);
    if (st.code() == StatusCode::kUnavailable) return st;
    out->histograms = tr.histograms;
    if (!st.ok()) reject(st);
  }
  return Status::Ok();
}

}  // namespace astrolabe::receiver::prometheus_remote_write
