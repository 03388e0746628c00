#pragma once
// ScrapeLoop: scrapes one target every interval and pushes what it got, as OTLP metrics,
// to the next consumer (prometheus scrape/scrape.go scrapeLoop; the collector's
// transaction.go).
//
// Each scrape:
//   1. GET the target URL with Prometheus' headers: Accept built from scrape_protocols
//      (descending q-values, then */*), Accept-Encoding gzip (or identity when
//      enable_compression is false), User-Agent, X-Prometheus-Scrape-Timeout-Seconds,
//      and the configured authorization; the whole request is bounded by scrape_timeout
//      and the body by body_size_limit;
//   2. parse the body with src/expfmt, chosen by Content-Type (OpenMetrics or text; an
//      absent or unknown type uses fallback_scrape_protocol);
//   3. per sample, while parsing (so at most sample_limit samples are held): merge target
//      labels (honor_labels: scraped labels win; otherwise target labels win and a
//      clashing scraped label is kept as exported_<name>), drop empty labels, run
//      metric_relabel_configs, enforce label_limit, label_name_length_limit,
//      label_value_length_limit and sample_limit;
//   4. staleness: series of the previous scrape missing now, and every series of the
//      previous scrape when this one fails, get a stale marker (a NO_RECORDED_VALUE point);
//   5. append up, scrape_duration_seconds, scrape_samples_scraped,
//      scrape_samples_post_metric_relabeling, scrape_series_added (and with
//      report_extra_scrape_metrics scrape_timeout_seconds, scrape_sample_limit,
//      scrape_body_size_bytes), with the target's labels;
//   6. build OTLP with MetricsBuilder and push; points are counted accepted or refused.
//      When the pipeline refuses them (a retryable error such as memory_limiter's, or a
//      permanent one) the scrape is skipped: its points count as refused, the scrape in
//      scrapes_refused, and "Scrape commit failed" is logged at most once per scrape
//      interval (RefusalLog). Prometheus does not re-send a scrape; the next one carries
//      the cumulative values on, so cumulativetodelta's next delta spans both intervals.
// A scrape that fails (transport, HTTP status other than 200, parse error, a limit) yields
// only up=0 and the synthetic metrics plus the stale markers; nothing it parsed is kept.
//
// Scrape times are spread: a target is scraped at the instants t where
// t mod interval == Target::Hash() mod interval (unix time), so a fleet of targets does not
// hit at once and a target keeps its phase across restarts.
//
// Health: the loop logs one line per change of its target's state (up, or down for a given
// reason), not one per failed scrape, and counts every failed scrape by reason in
// ScrapeFailureCounters.
//
// Threads: a ScrapeLoop has no thread of its own. The ScrapeScheduler (scheduler.h) calls
// StartFetch() and, with what the fetch returned, Complete(); calls on one loop never
// overlap. ScrapeOnce() does both synchronously, for tests and tools; it must not be used
// on a loop the scheduler owns.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/telemetry.h"
#include "net/http_client.h"
#include "pdata/recycler.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/metrics_builder.h"
#include "receiver/prometheus/relabel.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::expfmt {
class Parser;
struct Sample;
}  // namespace astrolabe::expfmt

namespace astrolabe::receiver::prometheus {

// Limits the receiver's "Scrape commit failed" warning (the pipeline refused a scrape's
// data, e.g. memory_limiter above its soft limit) to one per interval across all of the
// receiver's loops, counting the refusals it held back. Thread-safe.
class RefusalLog {
 public:
  // True when the caller should log now; *held_back is set to the refusals not logged
  // since the last warning.
  bool ShouldLog(std::chrono::steady_clock::time_point now, Duration interval, uint64_t* held_back);

 private:
  std::mutex mu_;
  bool logged_ = false;                         // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_;  // GUARDED_BY(mu_)
  uint64_t held_back_ = 0;                      // GUARDED_BY(mu_)
};

// Why a scrape failed, for counters and the health log.
enum class ScrapeFailure {
  kNone,
  kConnection,     // refused, reset, DNS, TLS: any transport error but a timeout
  kTimeout,        // scrape_timeout elapsed (connect, headers or an endless body)
  kHttpStatus,     // a status other than 200
  kBodySizeLimit,  // body_size_limit (or the client's cap) exceeded
  kParse,          // the body is not valid text 0.0.4 / OpenMetrics
  kSampleLimit,    // sample_limit exceeded
  kLabelLimit,     // label_limit, label_name_length_limit, label_value_length_limit
};
// "connection", "timeout", "http_status", ... ("" for kNone).
std::string_view ScrapeFailureName(ScrapeFailure f);

// Failed scrapes by reason: astrolabe_receiver_prometheus_scrapes_failed_total
// {receiver=<id>, reason=<ScrapeFailureName>}. Pointers are owned by the Telemetry registry.
struct ScrapeFailureCounters {
  std::map<ScrapeFailure, component::Counter*> by_reason;
  static ScrapeFailureCounters Create(component::Telemetry& telemetry,
                                      const std::string& receiver_id);
  void Add(ScrapeFailure f) const;
};

struct ScrapeLoopOptions {
  ScrapeConfig config;  // resolved
  Target target;
  std::vector<RelabelRule> metric_relabel;
  std::map<std::string, std::string> external_labels;
  bool trim_metric_suffixes = false;
  bool report_extra_scrape_metrics = false;
  net::HttpClient* client = nullptr;    // not owned; outlives the loop
  component::Consumer* next = nullptr;  // not owned; outlives the loop
  component::ReceiverInstruments instruments;
  // Scrapes whose data the pipeline refused (they are skipped, not retried); may be null.
  component::Counter* scrapes_refused = nullptr;
  std::shared_ptr<RefusalLog> refusal_log;  // null: log every refusal
  ScrapeFailureCounters failures;           // empty: not counted
  Clock* clock = &Clock::Real();
  std::string log_name = "receiver/prometheus";
  // false: no scrape cache (every sample takes the full path: copy, target labels, relabeling,
  // limits, family resolution) and the builder starts empty every scrape, as the receiver
  // worked before the cache. For tests that check the cache changes nothing.
  bool scrape_cache = true;
  // Where pushed batches come back once the pipeline lets go of them, for the next scrape to
  // build into (pdata/recycler.h); shared by a receiver's loops. Null: the loop keeps its own.
  std::shared_ptr<pdata::Recycler<pdata::Metrics>> recycler;
  // Bodies a loop no longer needs (its previous scrape's, once the next one is parsed), for
  // the next fetch of any target to read into (net::HttpRequest::response_buffer): no
  // allocation and no zero-fill per scrape. Shared by a receiver's loops; null: the loop's own.
  std::shared_ptr<pdata::Recycler<std::string>> bodies;
};

// What one scrape did, for tests and logs.
struct ScrapeResult {
  Status status;  // OK, or why up is 0
  ScrapeFailure failure = ScrapeFailure::kNone;
  size_t samples_scraped = 0;
  size_t samples_post_relabel = 0;
  size_t series_added = 0;
  size_t stale_markers = 0;
  size_t points_pushed = 0;
  Status push_status;  // what the next consumer answered
};

class ScrapeLoop {
 public:
  explicit ScrapeLoop(ScrapeLoopOptions options);
  ~ScrapeLoop();
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;

  // What StartFetch() hands back: the fetch's outcome and when the scrape began.
  using FetchDone = std::function<void(Result<net::HttpResponse> response, int64_t scrape_unix_ms,
                                       std::chrono::steady_clock::time_point started)>;
  // Starts the GET on the target's HttpClient and returns at once; `done` runs once, on
  // the client's thread (so it must be quick: the scheduler only queues the result).
  void StartFetch(FetchDone done);
  // Everything of a scrape after the fetch: the HTTP status check, parse, labels, limits,
  // staleness, build, push. `scrape_unix_ms` and `started` come from StartFetch().
  ScrapeResult Complete(Result<net::HttpResponse> response, int64_t scrape_unix_ms,
                        std::chrono::steady_clock::time_point started);
  // The end of a target's run (it was removed by discovery or a reload): every series of
  // its last scrape, and its up / scrape_* series, get a stale marker (a NO_RECORDED_VALUE
  // point) at `scrape_unix_ms`, pushed as one batch; the staleness memory is then empty,
  // so a second call marks nothing.
  ScrapeResult EndOfRun(int64_t scrape_unix_ms);

  // Points the loop at another pipeline and instruments: a loop handed over on a config
  // reload (prometheus_receiver.h) pushes its end-of-run stale markers into the new graph.
  // REQUIRES: no scrape in flight (the loop is out of any scheduler).
  void Reattach(component::Consumer* next, component::ReceiverInstruments instruments,
                component::Counter* scrapes_refused) {
    options_.next = next;
    options_.instruments = instruments;
    options_.scrapes_refused = scrapes_refused;
    options_.client = nullptr;  // the old receiver's; only EndOfRun() may run now
  }

  // Makes ScrapeOnce() in progress or later return kCancelled without pushing.
  void RequestStop() { stop_flag_.store(true); }

  // Runs one scrape now (at the clock's time), waiting for the fetch, and pushes its result.
  ScrapeResult ScrapeOnce();
  // Runs everything of a scrape after the fetch (parse, labels, limits, staleness, build,
  // push) on `response`, at the clock's time, as ScrapeOnce() does. For benchmarks; the
  // same rule as ScrapeOnce() applies.
  ScrapeResult ScrapeResponse(Result<net::HttpResponse> response);

  const Target& target() const { return options_.target; }
  Clock& clock() const { return *options_.clock; }

  // The delay from `now_unix_nanos` to this target's next scrape instant.
  static Duration NextScrapeDelay(uint64_t target_hash, Duration interval, int64_t now_unix_nanos);

  // The Accept header Prometheus sends for `protocols` (protocols this build cannot parse,
  // PrometheusProto, are left out).
  static std::string AcceptHeader(const std::vector<std::string>& protocols);

 private:
  // Maps the client's answer to a scrape outcome (status other than 200, body limit).
  static Result<net::HttpResponse> CheckResponse(Result<net::HttpResponse> response,
                                                 ScrapeFailure& failure);
  // Steps 2-6 of a scrape on a fetched (or failed) response.
  ScrapeResult Process(Result<net::HttpResponse> response, ScrapeFailure failure, int64_t scrape_ms,
                       std::chrono::steady_clock::time_point started);
  // Builds the batch and hands it to the next consumer; counts the points.
  void Push(MetricsBuilder& builder, ScrapeResult& res);
  // Logs a change of the target's health (one line per change) and counts a failure.
  void TrackHealth(const Status& status, ScrapeFailure failure);
  net::HttpRequest BuildRequest() const;
  // Merges target labels into scraped `labels` (with __name__) per honor_labels.
  void MergeTargetLabels(Labels& labels) const;
  // Counts and (rate-limited) logs a scrape the pipeline refused.
  void ReportRefusal(const ScrapeResult& res);
  // label_name_length_limit / label_value_length_limit, with Prometheus' messages.
  Status CheckLabelLengths(const Labels& labels) const;

  ScrapeLoopOptions options_;
  Labels target_public_;
  std::unique_ptr<expfmt::Parser> parser_;

  // The scrape cache (Prometheus' scrapeCache, extended to the OTLP build). One entry per
  // series as exposed (Sample::series_text, escapes and all), made the first time the series
  // is seen: whether metric_relabel_configs dropped it, its final labels (in `final_series`),
  // and where MetricsBuilder put it (`slot`). A steady-state sample is parsed, found here
  // (first at the position it had in the previous scrape, else by its parse hash), and its
  // value is written into the kept point: no label is copied, merged, relabeled, hashed or
  // compared. What an entry caches depends only on the series text and the loop's fixed
  // configuration (target labels, honor_labels, relabel rules, external labels, limits), except
  // the slot, which also depends on the metadata registered before the samples: the builder is
  // cleared (epoch) when a scrape's families differ from the previous scrape's, and slots of an
  // older epoch are made again from the final labels.
  struct CacheEntry {
    std::string text;                      // Sample::series_text
    uint64_t parse_hash;                   // Sample::hash
    uint32_t next_same_hash = UINT32_MAX;  // the next entry with the same parse_hash
    uint32_t final_series = UINT32_MAX;    // series_[...]; UINT32_MAX when dropped
    uint32_t seen = 0;                     // the last scrape (scrape_no_) that had it
    uint64_t slot_epoch = UINT64_MAX;      // builder_.epoch() of `slot`
    PointSlot slot;
    Labels pending;  // the final labels until the first Add() (saves decoding them)
    bool has_pending = false;
  };
  std::vector<CacheEntry> cache_;
  std::unordered_map<uint64_t, uint32_t> cache_index_;  // parse hash → first entry
  // The entry of each sample position in the previous scrape (UINT32_MAX: none), and the
  // current scrape's, being built.
  std::vector<uint32_t> cache_order_, next_order_;
  size_t cache_cap_ = 10'000;  // entries; 2 × the previous scrape's samples + 10,000

  // Series (final label sets, after target labels and relabeling) for staleness: a series
  // that was in the previous scrape (seen == scrape_no_ - 1) and is not in this one gets a
  // stale marker. Keyed by the 64-bit hash of the final label set, as a cheap identity: two
  // series of one target colliding in 64 bits (about 1 in 10^9 for 200,000 series) would only
  // cost a missed stale marker.
  struct Series {
    uint64_t hash;
    std::string encoded;  // the labels in one string (EncodeSeries)
    uint32_t seen = 0;    // the last scrape that had it (tracked samples only)
  };
  std::vector<Series> series_;
  std::unordered_map<uint64_t, uint32_t> series_index_;  // hash → series_
  uint32_t scrape_no_ = 1;  // the current (or last) scrape; 0 is "never"
  // Cache entries and series whose `seen` became the current scrape in it, counted as they are
  // marked so that Compact() need not walk them to learn whether there is anything to drop.
  size_t entries_seen_ = 0;
  size_t series_seen_ = 0;

  // One builder for the loop's life (keep_structure): steady-state scrapes reuse its points.
  MetricsBuilder builder_;
  int64_t builder_dropped_ = 0;  // builder_.dropped_points() already logged

  // A sample that passed relabeling and the limits, waiting for the end of the parse (an
  // OpenMetrics body that fails at `# EOF` is invalid in its entirety, so nothing is built
  // before the whole body parsed). Kept for their capacity.
  struct Accepted {
    uint32_t entry;  // cache_ index, or UINT32_MAX: labels in uncached_[label_index]
    uint32_t label_index;
    uint32_t exemplar;  // exemplars_ index or UINT32_MAX
    bool track;         // a series for staleness tracking
    double value;
    int64_t time_ms;
  };
  std::vector<Accepted> accepted_;
  std::vector<Labels> uncached_;
  std::vector<ExemplarInput> exemplars_;

  // The families of the previous scrape's series.
  std::unordered_map<std::string, FamilyMetadata> previous_metadata_;

  // The parser's expected series (expfmt::Parser::SetExpectedSeries): the series text the
  // previous scrape had at the next position, whose entry is remembered in predicted_; when
  // the line starts with it the parser skips the name and label set and FindEntry() returns
  // predicted_.
  static std::string_view ExpectedSeries(void* self);
  uint32_t predicted_ = UINT32_MAX;
  // The previous scrape's body and, per sample position, where its series text was in it
  // (offset, length; UINT32_MAX offset: not in the body): the expected text is handed out and
  // compared as these contiguous bytes rather than each entry's heap-held text, which a target
  // scraped once a second has long evicted from the CPU caches. next_text_ is the current
  // scrape's, being built, for body_ (the body being parsed).
  struct TextSpan {
    uint32_t offset;
    uint32_t size;
  };
  std::string previous_body_;
  std::vector<TextSpan> previous_text_, next_text_;
  std::string_view body_;
  // True when `text` is the series text the previous scrape had at `position`.
  bool SameAsPrevious(size_t position, std::string_view text) const;
  // Finds the cache entry of `s`, expected at `position`; UINT32_MAX when none.
  uint32_t FindEntry(const expfmt::Sample& s, size_t position) const;
  // Adds an entry for `s` (final labels `labels`, or dropped); UINT32_MAX when the cache is
  // full.
  uint32_t AddEntry(const expfmt::Sample& s, Labels* labels);
  // The series_ index of final label set `labels`, added when new.
  uint32_t SeriesOf(const Labels& labels);
  // Drops cache entries and series no longer seen, and the builder's points of series that
  // left, when they have become a large part of what is kept.
  void Compact();

  // The names of the synthetic series reported by the last scrape (for EndOfRun).
  std::vector<const char*> reported_;
  // The target's state as last logged: nullopt before the first scrape, else the failure
  // (kNone: up).
  std::optional<ScrapeFailure> health_;
  std::atomic<bool> stop_flag_{false};
};

}  // namespace astrolabe::receiver::prometheus
