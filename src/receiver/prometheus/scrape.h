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
//   3. per sample: merge target labels (honor_labels: scraped labels win; otherwise target
//      labels win and a clashing scraped label is kept as exported_<name>), drop empty
//      labels, run metric_relabel_configs, enforce label_limit, label_name_length_limit,
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
// Threads: Start() runs the loop on its own thread; Stop() may be called from any thread,
// is idempotent and returns once that thread has ended. ScrapeOnce() is for tests and must
// not be called while the loop thread runs.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/telemetry.h"
#include "net/http_client.h"
#include "receiver/prometheus/config.h"
#include "receiver/prometheus/metrics_builder.h"
#include "receiver/prometheus/relabel.h"
#include "receiver/prometheus/target.h"

namespace astrolabe::expfmt {
class Parser;
}

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
  Clock* clock = &Clock::Real();
  std::string log_name = "receiver/prometheus";
};

// What one scrape did, for tests and logs.
struct ScrapeResult {
  Status status;  // OK, or why up is 0
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

  // Starts the loop thread. REQUIRES: called at most once.
  void Start();
  // Asks the loop to stop without waiting; a scrape that ends after this is not pushed.
  void RequestStop();
  // RequestStop(), then waits for the loop thread. A scrape waiting on the network holds
  // it up until the request ends: shut the HttpClient down first to cancel it.
  // Idempotent.
  void Stop();

  // Runs one scrape now (at the clock's time) and pushes its result.
  ScrapeResult ScrapeOnce();
  // Runs everything of a scrape after the fetch (parse, labels, limits, staleness, build,
  // push) on `response`, at the clock's time, as ScrapeOnce() does. For benchmarks; the
  // same rule as ScrapeOnce() applies.
  ScrapeResult ScrapeResponse(Result<net::HttpResponse> response);

  const Target& target() const { return options_.target; }

  // The delay from `now_unix_nanos` to this target's next scrape instant.
  static Duration NextScrapeDelay(uint64_t target_hash, Duration interval, int64_t now_unix_nanos);

  // The Accept header Prometheus sends for `protocols` (protocols this build cannot parse,
  // PrometheusProto, are left out).
  static std::string AcceptHeader(const std::vector<std::string>& protocols);

 private:
  void Run();
  Result<net::HttpResponse> Fetch();
  // Steps 2-6 of a scrape on a fetched (or failed) response.
  ScrapeResult Process(Result<net::HttpResponse> response, int64_t scrape_ms,
                       std::chrono::steady_clock::time_point started);
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
  // A series (final labels) with its hash, computed once per scrape and reused by both
  // set lookups of the staleness check.
  struct Series {
    Labels labels;
    size_t hash = 0;
    friend bool operator==(const Series& a, const Series& b) {
      return a.hash == b.hash && a.labels == b.labels;
    }
  };
  struct SeriesHash {
    size_t operator()(const Series& s) const { return s.hash; }
  };
  using SeriesSet = std::unordered_set<Series, SeriesHash>;
  // Series of the previous scrape and the families they belonged to.
  SeriesSet previous_series_;
  std::unordered_map<std::string, FamilyMetadata> previous_metadata_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::atomic<bool> stop_flag_{false};
};

}  // namespace astrolabe::receiver::prometheus
