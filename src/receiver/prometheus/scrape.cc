#include "receiver/prometheus/scrape.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "common/log.h"
#include "expfmt/parser.h"

namespace astrolabe::receiver::prometheus {

namespace {

constexpr uint32_t kNoIndex = UINT32_MAX;
// Bodies kept for reuse: not larger than this (a pooled body's memory stays with the pool),
// nor smaller (nothing worth saving).
constexpr size_t kMaxPooledBodyBytes = 8 << 20;
constexpr size_t kMinPooledBodyBytes = 4 << 10;

std::string ProtocolMediaType(std::string_view protocol) {
  if (protocol == "PrometheusText0.0.4") return "text/plain;version=0.0.4";
  if (protocol == "PrometheusText1.0.0") return "text/plain;version=1.0.0";
  if (protocol == "OpenMetricsText0.0.1") return "application/openmetrics-text;version=0.0.1";
  if (protocol == "OpenMetricsText1.0.0") return "application/openmetrics-text;version=1.0.0";
  return "";
}

std::string Base64(std::string_view in) { return Base64Encode(in); }

// Reads a credentials file each scrape, as Prometheus does, so rotated secrets apply.
std::string ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string StatusText(int code) {
  static const std::pair<int, const char*> kReasons[] = {{301, "Moved Permanently"},
                                                         {302, "Found"},
                                                         {400, "Bad Request"},
                                                         {401, "Unauthorized"},
                                                         {403, "Forbidden"},
                                                         {404, "Not Found"},
                                                         {405, "Method Not Allowed"},
                                                         {429, "Too Many Requests"},
                                                         {500, "Internal Server Error"},
                                                         {502, "Bad Gateway"},
                                                         {503, "Service Unavailable"},
                                                         {504, "Gateway Timeout"}};
  for (const auto& [c, reason] : kReasons) {
    if (c == code) return std::to_string(code) + " " + reason;
  }
  return std::to_string(code);
}

FamilyType ToFamilyType(expfmt::MetricType t) {
  switch (t) {
    case expfmt::MetricType::kCounter:
      return FamilyType::kCounter;
    case expfmt::MetricType::kGauge:
      return FamilyType::kGauge;
    case expfmt::MetricType::kHistogram:
      return FamilyType::kHistogram;
    case expfmt::MetricType::kGaugeHistogram:
      return FamilyType::kGaugeHistogram;
    case expfmt::MetricType::kSummary:
      return FamilyType::kSummary;
    case expfmt::MetricType::kInfo:
      return FamilyType::kInfo;
    case expfmt::MetricType::kStateSet:
      return FamilyType::kStateSet;
    case expfmt::MetricType::kUnknown:
      return FamilyType::kUnknown;
  }
  return FamilyType::kUnknown;
}

// One parsed sample, owning its strings (the parser's views die with the next line).
struct ParsedSample {
  Labels labels;  // with __name__
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// Copies a parsed sample's labels out of the parser's buffers, with __name__ among them and
// room for `extra` more (the target labels), so the label vector is allocated once.
ParsedSample CopySample(const expfmt::Sample& s, size_t extra) {
  ParsedSample p;
  p.labels.Reserve(s.labels.size() + 1 + extra);
  // Set() on sorted input appends, so this skips the Labels(vector) constructor's stable
  // sort and its temporary buffer; a duplicate name keeps the last value either way.
  p.labels.Set("__name__", s.name);
  for (const expfmt::Label& l : s.labels) p.labels.Set(l.name, l.value);
  p.value = s.value;
  p.timestamp_ms = s.timestamp_ms;
  return p;
}

ExemplarInput CopyExemplar(const expfmt::Exemplar& x) {
  ExemplarInput e;
  std::vector<Label> el;
  for (const expfmt::Label& l : x.labels) el.push_back({std::string(l.name), std::string(l.value)});
  e.labels = Labels(std::move(el));
  e.value = x.value;
  e.timestamp_ms = x.timestamp_ms;
  return e;
}

// A label set in one string: name \xff value \xff ... (\xff is not valid UTF-8, so it
// cannot occur inside a name or value the parser accepted).
std::string EncodeSeries(const Labels& labels) {
  size_t n = 0;
  for (const Label& l : labels.items()) n += l.name.size() + l.value.size() + 2;
  std::string out;
  out.reserve(n);
  for (const Label& l : labels.items()) {
    out += l.name;
    out += '\xff';
    out += l.value;
    out += '\xff';
  }
  return out;
}

Labels DecodeSeries(std::string_view s) {
  Labels labels;
  while (!s.empty()) {
    size_t a = s.find('\xff');
    size_t b = s.find('\xff', a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos) break;
    labels.Set(s.substr(0, a), s.substr(a + 1, b - a - 1));  // sorted input: appends
    s.remove_prefix(b + 1);
  }
  return labels;
}

std::string FormatSeconds(Duration d) {
  std::ostringstream os;
  os << std::chrono::duration<double>(d).count();
  return os.str();
}

ScrapeFailure FailureOfTransport(const Status& st) {
  switch (st.code()) {
    case StatusCode::kDeadlineExceeded:
      return ScrapeFailure::kTimeout;
    case StatusCode::kResourceExhausted:
      return ScrapeFailure::kBodySizeLimit;
    default:
      return ScrapeFailure::kConnection;
  }
}

constexpr ScrapeFailure kAllFailures[] = {ScrapeFailure::kConnection, ScrapeFailure::kTimeout,
                                          ScrapeFailure::kHttpStatus, ScrapeFailure::kBodySizeLimit,
                                          ScrapeFailure::kParse,      ScrapeFailure::kSampleLimit,
                                          ScrapeFailure::kLabelLimit};

}  // namespace

std::string_view ScrapeFailureName(ScrapeFailure f) {
  switch (f) {
    case ScrapeFailure::kNone:
      return "";
    case ScrapeFailure::kConnection:
      return "connection";
    case ScrapeFailure::kTimeout:
      return "timeout";
    case ScrapeFailure::kHttpStatus:
      return "http_status";
    case ScrapeFailure::kBodySizeLimit:
      return "body_size_limit";
    case ScrapeFailure::kParse:
      return "parse";
    case ScrapeFailure::kSampleLimit:
      return "sample_limit";
    case ScrapeFailure::kLabelLimit:
      return "label_limit";
  }
  return "";
}

ScrapeFailureCounters ScrapeFailureCounters::Create(component::Telemetry& telemetry,
                                                    const std::string& receiver_id) {
  ScrapeFailureCounters c;
  for (ScrapeFailure f : kAllFailures) {
    c.by_reason[f] = telemetry.GetCounter(
        "astrolabe_receiver_prometheus_scrapes_failed_total",
        "Scrapes that ended with up=0, by reason (connection, timeout, http_status, "
        "body_size_limit, parse, sample_limit, label_limit).",
        {{"receiver", receiver_id}, {"reason", std::string(ScrapeFailureName(f))}});
  }
  return c;
}

void ScrapeFailureCounters::Add(ScrapeFailure f) const {
  auto it = by_reason.find(f);
  if (it != by_reason.end() && it->second != nullptr) it->second->Add();
}

ScrapeLoop::ScrapeLoop(ScrapeLoopOptions options)
    : options_(std::move(options)),
      target_public_(options_.target.PublicLabels()),
      parser_(std::make_unique<expfmt::Parser>()),
      builder_(BuilderOptions{.scheme = options_.target.scheme,
                              .trim_metric_suffixes = options_.trim_metric_suffixes,
                              .keep_structure = true,
                              .resource_attributes = options_.target.ResourceAttributes()}) {
  if (options_.scrape_cache) parser_->SetExpectedSeries(&ScrapeLoop::ExpectedSeries, this);
  if (options_.recycler == nullptr) {
    options_.recycler = std::make_shared<pdata::Recycler<pdata::Metrics>>(1);
  }
  if (options_.bodies == nullptr) options_.bodies = std::make_shared<pdata::Recycler<std::string>>(1);
}

ScrapeLoop::~ScrapeLoop() = default;

std::string ScrapeLoop::AcceptHeader(const std::vector<std::string>& protocols) {
  // Weights start at (number of known protocols + 1) / 10 and go down by 0.1 per entry.
  int weight = static_cast<int>(std::size(kScrapeProtocols)) + 1;
  std::string out;
  for (const std::string& p : protocols) {
    std::string media = ProtocolMediaType(p);
    if (media.empty()) continue;
    if (p == "PrometheusText1.0.0" || p == "OpenMetricsText1.0.0") media += ";escaping=allow-utf-8";
    out += media + ";q=0." + std::to_string(weight) + ",";
    --weight;
  }
  out += "*/*;q=0." + std::to_string(weight);
  return out;
}

Duration ScrapeLoop::NextScrapeDelay(uint64_t target_hash, Duration interval,
                                     int64_t now_unix_nanos) {
  const auto iv = static_cast<uint64_t>(interval.count());
  if (iv == 0) return Duration(0);
  uint64_t offset = target_hash % iv;
  uint64_t phase = static_cast<uint64_t>(now_unix_nanos) % iv;
  uint64_t delay = offset >= phase ? offset - phase : iv - (phase - offset);
  return Duration(static_cast<int64_t>(delay));
}

net::HttpRequest ScrapeLoop::BuildRequest() const {
  const ScrapeConfig& c = options_.config;
  net::HttpRequest req;
  req.method = "GET";
  req.url = options_.target.url;
  req.headers.Set("Accept", AcceptHeader(c.scrape_protocols));
  if (!c.enable_compression) req.headers.Set("Accept-Encoding", "identity");
  req.headers.Set("User-Agent", net::DefaultUserAgent());
  req.headers.Set("X-Prometheus-Scrape-Timeout-Seconds", FormatSeconds(options_.target.timeout));
  if (c.basic_auth.set()) {
    std::string user = c.basic_auth.username_file.empty()
                           ? c.basic_auth.username
                           : ReadSecretFile(c.basic_auth.username_file);
    std::string pass = c.basic_auth.password_file.empty()
                           ? c.basic_auth.password
                           : ReadSecretFile(c.basic_auth.password_file);
    req.headers.Set("Authorization", "Basic " + Base64(user + ":" + pass));
  } else if (c.authorization.set()) {
    std::string type = c.authorization.type.empty() ? "Bearer" : c.authorization.type;
    std::string cred = c.authorization.credentials_file.empty()
                           ? c.authorization.credentials
                           : ReadSecretFile(c.authorization.credentials_file);
    req.headers.Set("Authorization", type + " " + cred);
  } else if (!c.bearer_token.empty() || !c.bearer_token_file.empty()) {
    std::string cred =
        c.bearer_token_file.empty() ? c.bearer_token : ReadSecretFile(c.bearer_token_file);
    req.headers.Set("Authorization", "Bearer " + cred);
  }
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.target.timeout);
  if (c.body_size_limit > 0) req.max_response_bytes = c.body_size_limit;
  return req;
}

Result<net::HttpResponse> ScrapeLoop::CheckResponse(Result<net::HttpResponse> result,
                                                    ScrapeFailure& failure) {
  if (!result.ok()) {
    failure = FailureOfTransport(result.status());
    if (result.status().code() == StatusCode::kResourceExhausted) {
      return ResourceExhausted("body size limit exceeded");
    }
    return result.status();
  }
  if (result->status != 200) {
    failure = ScrapeFailure::kHttpStatus;
    return Unavailable("server returned HTTP status " + StatusText(result->status));
  }
  return result;
}

void ScrapeLoop::StartFetch(FetchDone done) {
  const int64_t scrape_ms = options_.clock->NowUnixNanos() / 1'000'000;
  const auto started = options_.clock->Steady();
  net::HttpRequest request = BuildRequest();
  request.response_buffer = std::move(*options_.bodies->Take());
  options_.client->Send(std::move(request),
                        [done = std::move(done), scrape_ms, started](Result<net::HttpResponse> r) {
                          done(std::move(r), scrape_ms, started);
                        });
}

ScrapeResult ScrapeLoop::Complete(Result<net::HttpResponse> response, int64_t scrape_ms,
                                  std::chrono::steady_clock::time_point started) {
  ScrapeFailure failure = ScrapeFailure::kNone;
  response = CheckResponse(std::move(response), failure);
  return Process(std::move(response), failure, scrape_ms, started);
}

void ScrapeLoop::MergeTargetLabels(Labels& labels) const {
  if (options_.config.honor_labels) {
    for (const Label& l : target_public_.items()) {
      if (labels.Get(l.name).empty()) labels.Set(l.name, l.value);
    }
    return;
  }
  std::vector<Label> conflicts;
  for (const Label& l : target_public_.items()) {
    std::string_view existing = labels.Get(l.name);
    if (!existing.empty()) {
      if (conflicts.empty()) conflicts.reserve(target_public_.size());
      conflicts.push_back({l.name, std::string(existing)});
    }
    labels.Set(l.name, l.value);
  }
  // A stable insertion sort by name length: there are at most as many conflicts as target
  // labels, and std::stable_sort would allocate a buffer per sample.
  for (size_t i = 1; i < conflicts.size(); ++i) {
    for (size_t j = i; j > 0 && conflicts[j].name.size() < conflicts[j - 1].name.size(); --j) {
      std::swap(conflicts[j], conflicts[j - 1]);
    }
  }
  for (const Label& c : conflicts) {
    std::string name = c.name;
    while (true) {
      name.insert(0, "exported_");
      if (labels.Get(name).empty()) {
        labels.Set(name, c.value);
        break;
      }
    }
  }
}

Status ScrapeLoop::CheckLabelLengths(const Labels& labels) const {
  const ScrapeConfig& cfg = options_.config;
  if (cfg.label_name_length_limit <= 0 && cfg.label_value_length_limit <= 0) return Status::Ok();
  std::string metric(labels.Get("__name__").substr(0, 50));
  for (const Label& l : labels.items()) {
    if (cfg.label_name_length_limit > 0 &&
        l.name.size() > static_cast<size_t>(cfg.label_name_length_limit)) {
      return InvalidArgument("label_name_length_limit exceeded (metric: " + metric +
                             ", label name: " + l.name.substr(0, 50) +
                             ", length: " + std::to_string(l.name.size()) +
                             ", limit: " + std::to_string(cfg.label_name_length_limit) + ")");
    }
    if (cfg.label_value_length_limit > 0 &&
        l.value.size() > static_cast<size_t>(cfg.label_value_length_limit)) {
      return InvalidArgument("label_value_length_limit exceeded (metric: " + metric +
                             ", label name: " + l.name.substr(0, 50) + ", value: \"" +
                             l.value.substr(0, 50) +
                             "\", length: " + std::to_string(l.value.size()) +
                             ", limit: " + std::to_string(cfg.label_value_length_limit) + ")");
    }
  }
  return Status::Ok();
}

ScrapeResult ScrapeLoop::ScrapeOnce() {
  const int64_t scrape_ms = options_.clock->NowUnixNanos() / 1'000'000;
  const auto started = options_.clock->Steady();
  auto response = options_.client->Send(BuildRequest()).get();
  if (stop_flag_.load()) {
    ScrapeResult res;
    res.status = Cancelled("scrape loop stopped");
    return res;
  }
  return Complete(std::move(response), scrape_ms, started);
}

ScrapeResult ScrapeLoop::ScrapeResponse(Result<net::HttpResponse> response) {
  const int64_t scrape_ms = options_.clock->NowUnixNanos() / 1'000'000;
  ScrapeFailure failure = ScrapeFailure::kNone;
  if (!response.ok()) failure = FailureOfTransport(response.status());
  return Process(std::move(response), failure, scrape_ms, options_.clock->Steady());
}

bool ScrapeLoop::SameAsPrevious(size_t position, std::string_view text) const {
  // previous_text_[p] describes the series text of the entry cache_order_[p].
  if (position >= previous_text_.size() || position >= cache_order_.size()) return false;
  const TextSpan t = previous_text_[position];
  if (t.offset == kNoIndex || t.size != text.size()) return false;
  return std::memcmp(previous_body_.data() + t.offset, text.data(), text.size()) == 0;
}

std::string_view ScrapeLoop::ExpectedSeries(void* self) {
  auto* loop = static_cast<ScrapeLoop*>(self);
  const size_t position = loop->next_order_.size();
  if (position >= loop->previous_text_.size() || position >= loop->cache_order_.size()) return {};
  const TextSpan t = loop->previous_text_[position];
  const uint32_t e = loop->cache_order_[position];
  if (t.offset == kNoIndex || e == kNoIndex) return {};
  loop->predicted_ = e;
  return std::string_view(loop->previous_body_.data() + t.offset, t.size);
}

uint32_t ScrapeLoop::FindEntry(const expfmt::Sample& s, size_t position) const {
  if (s.labels_skipped) return predicted_;  // the line began with ExpectedSeries()
  // A steady-state target exposes its series in the same order every time.
  if (SameAsPrevious(position, s.series_text) && cache_order_[position] != kNoIndex) {
    return cache_order_[position];
  }
  auto it = cache_index_.find(s.hash);
  if (it == cache_index_.end()) return kNoIndex;
  for (uint32_t e = it->second; e != kNoIndex; e = cache_[e].next_same_hash) {
    if (cache_[e].text == s.series_text) return e;
  }
  return kNoIndex;
}

uint32_t ScrapeLoop::AddEntry(const expfmt::Sample& s, Labels* labels) {
  // Bounded by twice the previous scrape's samples (a series explosion is not cached; its
  // samples take the uncached path).
  if (!options_.scrape_cache || cache_.size() >= cache_cap_) return kNoIndex;
  const auto index = static_cast<uint32_t>(cache_.size());
  CacheEntry e;
  e.text = std::string(s.series_text);
  e.parse_hash = s.hash;
  e.seen = scrape_no_;
  ++entries_seen_;
  if (labels != nullptr) {
    e.final_series = SeriesOf(*labels);
    e.pending = std::move(*labels);
    e.has_pending = true;
  }
  auto [it, inserted] = cache_index_.try_emplace(s.hash, index);
  if (!inserted) {
    e.next_same_hash = it->second;
    it->second = index;
  }
  cache_.push_back(std::move(e));
  return index;
}

uint32_t ScrapeLoop::SeriesOf(const Labels& labels) {
  const uint64_t hash = labels.Hash();
  auto [it, inserted] = series_index_.try_emplace(hash, static_cast<uint32_t>(series_.size()));
  if (inserted) series_.push_back({hash, EncodeSeries(labels), 0});
  return it->second;
}

void ScrapeLoop::Compact() {
  const uint32_t now = scrape_no_;
  // Points of series that left stay in the builder until it is cleared.
  if (builder_.stored_points() > 2 * builder_.last_built_points() + 1024) builder_.Clear();

  const size_t live = entries_seen_;  // entries with seen == now
  if (cache_.size() > 2 * live + 1024) {
    std::vector<uint32_t> remap(cache_.size(), kNoIndex);
    std::vector<CacheEntry> kept;
    kept.reserve(live);
    cache_index_.clear();
    for (size_t i = 0; i < cache_.size(); ++i) {
      if (cache_[i].seen != now) continue;
      const auto index = static_cast<uint32_t>(kept.size());
      remap[i] = index;
      CacheEntry& e = kept.emplace_back(std::move(cache_[i]));
      e.next_same_hash = kNoIndex;
      auto [it, inserted] = cache_index_.try_emplace(e.parse_hash, index);
      if (!inserted) {
        e.next_same_hash = it->second;
        it->second = index;
      }
    }
    cache_ = std::move(kept);
    for (uint32_t& e : next_order_) e = e == kNoIndex ? kNoIndex : remap[e];
  }

  // Series: those of this scrape (the next one's stale-marker candidates) and those of kept
  // entries. The live ones are at least those of this scrape: when even that many leave
  // nothing to drop, the walk below would find nothing either.
  if (series_.size() <= 2 * series_seen_ + 1024) return;
  std::vector<bool> keep(series_.size(), false);
  size_t live_series = 0;
  for (size_t i = 0; i < series_.size(); ++i) {
    if (series_[i].seen == now) keep[i] = true;
  }
  for (const CacheEntry& e : cache_) {
    if (e.final_series != kNoIndex) keep[e.final_series] = true;
  }
  for (bool k : keep) live_series += k;
  if (series_.size() > 2 * live_series + 1024) {
    std::vector<uint32_t> remap(series_.size(), kNoIndex);
    std::vector<Series> kept;
    kept.reserve(live_series);
    series_index_.clear();
    for (size_t i = 0; i < series_.size(); ++i) {
      if (!keep[i]) continue;
      remap[i] = static_cast<uint32_t>(kept.size());
      series_index_.emplace(series_[i].hash, remap[i]);
      kept.push_back(std::move(series_[i]));
    }
    series_ = std::move(kept);
    for (CacheEntry& e : cache_) {
      if (e.final_series != kNoIndex) e.final_series = remap[e.final_series];
    }
  }
}

ScrapeResult ScrapeLoop::Process(Result<net::HttpResponse> response, ScrapeFailure failure,
                                 int64_t scrape_ms, std::chrono::steady_clock::time_point started) {
  const ScrapeConfig& cfg = options_.config;
  ScrapeResult res;
  std::unordered_map<std::string, FamilyMetadata> metadata;
  size_t body_size = 0;
  Status status;
  const uint32_t now = ++scrape_no_;
  entries_seen_ = 0;
  series_seen_ = 0;
  accepted_.clear();
  uncached_.clear();
  exemplars_.clear();
  next_order_.clear();
  next_text_.clear();
  body_ = {};

  if (!response.ok()) {
    status = response.status();
  } else {
    body_size = response->body.size();
    auto content_type = response->headers.Get("Content-Type");
    expfmt::Format format;
    if (content_type && !content_type->empty()) {
      format = expfmt::ParseFormat(*content_type);
    } else {
      format = cfg.fallback_scrape_protocol.rfind("OpenMetrics", 0) == 0
                   ? expfmt::Format::kOpenMetrics
                   : expfmt::Format::kText;
    }
    // Labels, relabeling and limits run per sample while parsing, so a series explosion
    // holds at most sample_limit samples: after a limit is breached the rest of the body
    // is only parsed (for the parse verdict) and counted.
    Status limit_status;
    ScrapeFailure limit_failure = ScrapeFailure::kNone;
    size_t scraped = 0;
    // Samples of a family are consecutive: look the family up only when it changes.
    std::string last_family;
    const char* last_family_at = nullptr;  // where last_family is in the body, if it is
    FamilyMetadata* meta = nullptr;
    auto fail = [&](Status st, ScrapeFailure f) {
      limit_status = std::move(st);
      limit_failure = f;
      // Nothing of this scrape is kept.
      std::vector<Accepted>().swap(accepted_);
      std::vector<Labels>().swap(uncached_);
      exemplars_.clear();
    };
    body_ = response->body;
    // Whether a view of the sample points into the body (not the parser's scratch).
    auto in_body = [&](std::string_view v) {
      return v.data() >= body_.data() && v.size() <= body_.size() &&
             static_cast<size_t>(v.data() - body_.data()) <= body_.size() - v.size();
    };
    status = parser_->Parse(response->body, format, [&](const expfmt::Sample& s) {
      ++scraped;
      if (!limit_status.ok()) return;
      // Where this position's series text is, for the next scrape's SameAsPrevious().
      const std::string_view text = s.series_text;
      if (in_body(text) && body_.size() < kNoIndex) {
        next_text_.push_back({static_cast<uint32_t>(text.data() - body_.data()),
                              static_cast<uint32_t>(text.size())});
      } else {
        next_text_.push_back({kNoIndex, 0});
      }
      // A family name in the body is the same family as the last one at the same bytes.
      const std::string_view family = s.family.name;
      const bool same_bytes =
          family.data() == last_family_at && family.size() == last_family.size();
      if (meta == nullptr || !(same_bytes || family == last_family)) {
        last_family.assign(family);
        last_family_at = in_body(family) ? family.data() : nullptr;
        auto [it, inserted] = metadata.try_emplace(last_family);
        if (inserted) it->second.type = ToFamilyType(s.family.type);
        meta = &it->second;
      }
      // HELP may follow the first sample in text format.
      if (meta->help.empty() && !s.family.help.empty()) meta->help = std::string(s.family.help);
      if (meta->unit.empty() && !s.family.unit.empty()) meta->unit = std::string(s.family.unit);

      const size_t position = next_order_.size();
      uint32_t entry = FindEntry(s, position);
      uint32_t label_index = kNoIndex;
      if (entry != kNoIndex) {
        // Seen before: its labels passed (or were dropped by) relabeling and the label
        // limits then, and would again.
        CacheEntry& e = cache_[entry];
        if (e.seen != now) ++entries_seen_;  // a series twice in one body is one entry
        e.seen = now;
        next_order_.push_back(entry);
        if (e.final_series == kNoIndex) return;  // dropped by metric_relabel_configs
        if (cfg.sample_limit > 0 && accepted_.size() >= static_cast<size_t>(cfg.sample_limit)) {
          fail(ResourceExhausted("sample limit exceeded"), ScrapeFailure::kSampleLimit);
          return;
        }
      } else {
        ParsedSample p = CopySample(s, target_public_.size() + options_.external_labels.size());
        MergeTargetLabels(p.labels);
        p.labels.Compact();
        if (!Relabel(options_.metric_relabel, p.labels)) {
          next_order_.push_back(AddEntry(s, nullptr));
          return;
        }
        for (const auto& [k, v] : options_.external_labels) {
          if (!p.labels.Has(k)) p.labels.Set(k, v);
        }
        if (cfg.label_limit > 0 && p.labels.size() > static_cast<size_t>(cfg.label_limit)) {
          fail(InvalidArgument("label_limit exceeded (metric: " +
                               std::string(p.labels.Get("__name__")).substr(0, 50) +
                               ", number of labels: " + std::to_string(p.labels.size()) +
                               ", limit: " + std::to_string(cfg.label_limit) + ")"),
               ScrapeFailure::kLabelLimit);
          return;
        }
        if (Status st = CheckLabelLengths(p.labels); !st.ok()) {
          fail(std::move(st), ScrapeFailure::kLabelLimit);
          return;
        }
        if (cfg.sample_limit > 0 && accepted_.size() >= static_cast<size_t>(cfg.sample_limit)) {
          fail(ResourceExhausted("sample limit exceeded"), ScrapeFailure::kSampleLimit);
          return;
        }
        entry = AddEntry(s, &p.labels);
        next_order_.push_back(entry);
        if (entry == kNoIndex) {
          label_index = static_cast<uint32_t>(uncached_.size());
          uncached_.push_back(std::move(p.labels));
        }
      }
      uint32_t exemplar = kNoIndex;
      if (s.exemplar) {
        exemplar = static_cast<uint32_t>(exemplars_.size());
        exemplars_.push_back(CopyExemplar(*s.exemplar));
      }
      bool honored = cfg.honor_timestamps && s.timestamp_ms.has_value();
      int64_t t = honored ? *s.timestamp_ms : scrape_ms;
      bool track = !honored || cfg.track_timestamps_staleness;
      accepted_.push_back({entry, label_index, exemplar, track, s.value, t});
    });
    // A sample that breached a limit has a text span but no order entry.
    if (next_text_.size() > next_order_.size()) next_text_.resize(next_order_.size());
    if (!status.ok()) {
      failure = ScrapeFailure::kParse;
    } else {
      res.samples_scraped = scraped;
      if (!limit_status.ok()) {
        status = limit_status;
        failure = limit_failure;
      }
    }
    cache_cap_ = 2 * scraped + 10'000;
  }

  if (!options_.scrape_cache) builder_.Clear();
  if (status.ok()) {
    // Slots resolved a family against the metadata of the scrape that made them.
    if (metadata != previous_metadata_) builder_.Clear();
    res.samples_post_relabel = accepted_.size();
    for (const auto& [name, meta] : metadata) builder_.SetMetadata(name, meta);
    const uint64_t epoch = builder_.epoch();
    for (const Accepted& a : accepted_) {
      const ExemplarInput* ex = a.exemplar != kNoIndex ? &exemplars_[a.exemplar] : nullptr;
      uint32_t series;
      if (a.entry == kNoIndex) {
        const Labels& labels = uncached_[a.label_index];
        builder_.Add(labels, a.value, a.time_ms, ex);
        if (!a.track) continue;
        series = SeriesOf(labels);
      } else {
        CacheEntry& e = cache_[a.entry];
        if (e.slot_epoch == epoch && e.slot.repeatable()) {
          builder_.AddAt(e.slot, a.value, a.time_ms, ex);
        } else if (e.has_pending) {
          e.slot = builder_.Add(e.pending, a.value, a.time_ms, ex);
          e.slot_epoch = epoch;
          e.pending = Labels();
          e.has_pending = false;
        } else {
          e.slot =
              builder_.Add(DecodeSeries(series_[e.final_series].encoded), a.value, a.time_ms, ex);
          e.slot_epoch = epoch;
        }
        if (!a.track) continue;
        series = e.final_series;
      }
      Series& sr = series_[series];
      if (sr.seen == now) continue;  // the same series twice in one scrape
      if (sr.seen != now - 1) ++res.series_added;
      sr.seen = now;
      ++series_seen_;
    }
  }
  // Stale markers for series that were there last time and are not now.
  for (const auto& [name, meta] : previous_metadata_) builder_.SetMetadata(name, meta);
  for (const Series& sr : series_) {
    if (sr.seen != now - 1) continue;
    builder_.Add(DecodeSeries(sr.encoded), StaleNaN(), scrape_ms);
    ++res.stale_markers;
  }
  if (status.ok()) {
    previous_metadata_ = std::move(metadata);
  } else {
    previous_metadata_.clear();
  }

  // Synthetic metrics, with the target's labels (not relabeled, as in Prometheus).
  const double duration = std::chrono::duration<double>(options_.clock->Steady() - started).count();
  reported_.clear();
  auto report = [&](const char* name, const char* help, const char* unit, double value) {
    builder_.SetMetadata(name, FamilyMetadata{FamilyType::kGauge, help, unit});
    Labels l = target_public_;
    l.Set("__name__", name);
    for (const auto& [k, v] : options_.external_labels) {
      if (!l.Has(k)) l.Set(k, v);
    }
    builder_.Add(l, value, scrape_ms);
    reported_.push_back(name);
  };
  report("up", "The scraping was successful", "", status.ok() ? 1 : 0);
  report("scrape_duration_seconds", "Duration of the scrape", "seconds", duration);
  report("scrape_samples_scraped", "The number of samples the target exposed", "",
         static_cast<double>(res.samples_scraped));
  report("scrape_samples_post_metric_relabeling",
         "The number of samples remaining after metric relabeling was applied", "",
         static_cast<double>(res.samples_post_relabel));
  report("scrape_series_added", "The approximate number of new series in this scrape", "",
         static_cast<double>(res.series_added));
  if (options_.report_extra_scrape_metrics) {
    report("scrape_timeout_seconds", "The configured scrape timeout for a target", "seconds",
           std::chrono::duration<double>(options_.target.timeout).count());
    report("scrape_sample_limit", "The configured sample limit for a target", "",
           static_cast<double>(cfg.sample_limit));
    report("scrape_body_size_bytes", "The uncompressed size of the last scrape response", "bytes",
           status.ok() ? static_cast<double>(body_size) : -1);
  }

  res.status = status;
  res.failure = status.ok() ? ScrapeFailure::kNone : failure;
  if (!status.ok() && res.failure == ScrapeFailure::kNone) res.failure = ScrapeFailure::kConnection;
  TrackHealth(status, res.failure);
  Push(builder_, res);
  if (builder_.dropped_points() > builder_dropped_) {
    GetLogger(options_.log_name)
        ->debug("failed to add datapoints: {} malformed points dropped from {}",
                builder_.dropped_points() - builder_dropped_, options_.target.url);
    builder_dropped_ = builder_.dropped_points();
  }
  Compact();
  cache_order_.swap(next_order_);
  previous_text_.swap(next_text_);
  if (response.ok()) {
    previous_body_.swap(response->body);  // next_text_'s spans point into it
    // The body before that: storage for a later fetch to read into (unless tiny or huge).
    const size_t capacity = response->body.capacity();
    if (capacity >= kMinPooledBodyBytes && capacity <= kMaxPooledBodyBytes) {
      options_.bodies->Return(std::make_unique<std::string>(std::move(response->body)));
    }
  } else {
    previous_body_.clear();  // previous_text_ is empty: nothing was parsed
  }
  body_ = {};
  return res;
}

void ScrapeLoop::TrackHealth(const Status& status, ScrapeFailure failure) {
  auto log = GetLogger(options_.log_name);
  if (!status.ok()) {
    options_.failures.Add(failure);
    log->debug("Failed to scrape Prometheus endpoint: target {}: {}", options_.target.url,
               status.message());
  }
  if (health_ == failure) return;
  // One line per state change: a target failing every scrape for a day logs once.
  if (!status.ok()) {
    log->warn("Failed to scrape Prometheus endpoint: target {} is down ({}): {}",
              options_.target.url, ScrapeFailureName(failure), status.message());
  } else if (health_.has_value()) {
    log->info("Target {} is up again", options_.target.url);
  }
  health_ = failure;
}

ScrapeResult ScrapeLoop::EndOfRun(int64_t scrape_ms) {
  ScrapeResult res;
  MetricsBuilder builder(
      BuilderOptions{.scheme = options_.target.scheme,
                     .trim_metric_suffixes = options_.trim_metric_suffixes,
                     .resource_attributes = options_.target.ResourceAttributes()});
  for (const auto& [name, meta] : previous_metadata_) builder.SetMetadata(name, meta);
  for (const Series& sr : series_) {
    if (sr.seen != scrape_no_) continue;  // not in the last scrape
    builder.Add(DecodeSeries(sr.encoded), StaleNaN(), scrape_ms);
    ++res.stale_markers;
  }
  for (const char* name : reported_) {
    builder.SetMetadata(name, FamilyMetadata{FamilyType::kGauge, "", ""});
    Labels l = target_public_;
    l.Set("__name__", name);
    for (const auto& [k, v] : options_.external_labels) {
      if (!l.Has(k)) l.Set(k, v);
    }
    builder.Add(l, StaleNaN(), scrape_ms);
    ++res.stale_markers;
  }
  series_.clear();
  series_index_.clear();
  cache_.clear();
  cache_index_.clear();
  cache_order_.clear();
  previous_text_.clear();
  previous_body_.clear();
  builder_.Clear();
  previous_metadata_.clear();
  reported_.clear();
  Push(builder, res);
  return res;
}

void ScrapeLoop::Push(MetricsBuilder& builder, ScrapeResult& res) {
  // Built into a batch the pipeline handed back (the recycler's), so that a steady-state
  // scrape overwrites the previous output's points in place instead of allocating new ones.
  std::unique_ptr<pdata::Metrics> metrics = options_.recycler->Take();
  builder.FinishInto(*metrics);
  res.points_pushed = metrics->DataPointCount();
  if (res.points_pushed == 0 || options_.next == nullptr) {
    options_.recycler->Return(std::move(metrics));
  } else {
    res.push_status = options_.next->ConsumeMetrics(options_.recycler->Wrap(std::move(metrics)));
    component::Counter* counter =
        res.push_status.ok() ? options_.instruments.accepted : options_.instruments.refused;
    if (counter != nullptr) counter->Add(static_cast<double>(res.points_pushed));
    if (!res.push_status.ok()) ReportRefusal(res);
  }
}

void ScrapeLoop::ReportRefusal(const ScrapeResult& res) {
  if (options_.scrapes_refused != nullptr) options_.scrapes_refused->Add(1);
  uint64_t held_back = 0;
  if (options_.refusal_log != nullptr &&
      !options_.refusal_log->ShouldLog(options_.clock->Steady(), options_.target.interval,
                                       &held_back)) {
    return;
  }
  GetLogger(options_.log_name)
      ->warn("Scrape commit failed: target {}: the pipeline refused {} points ({}; {}): {}{}",
             options_.target.url, res.points_pushed,
             res.push_status.IsRetryable() ? "retryable" : "permanent", "the scrape is skipped",
             res.push_status.message(),
             held_back > 0 ? " (" + std::to_string(held_back) +
                                 " more refused scrapes since the last warning)"
                           : std::string());
}

bool RefusalLog::ShouldLog(std::chrono::steady_clock::time_point now, Duration interval,
                           uint64_t* held_back) {
  std::lock_guard lock(mu_);
  if (logged_ && now - last_ < interval) {
    ++held_back_;
    return false;
  }
  logged_ = true;
  last_ = now;
  *held_back = held_back_;
  held_back_ = 0;
  return true;
}

}  // namespace astrolabe::receiver::prometheus
