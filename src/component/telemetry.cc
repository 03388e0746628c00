#include "component/telemetry.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace astrolabe::component {
namespace {

void AppendEscaped(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // Shortest text that reads back as the same double, as Go's strconv does.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void AppendLabels(std::string& out, const Labels& labels, const char* le) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"";
    AppendEscaped(out, v);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void AppendHistogram(std::string& out, const std::string& name, const Labels& labels,
                     const Histogram& h) {
  std::vector<uint64_t> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le;
    if (i < h.bounds().size()) {
      AppendValue(le, h.bounds()[i]);
    } else {
      le = "+Inf";
    }
    out += name + "_bucket";
    AppendLabels(out, labels, le.c_str());
    out += ' ' + std::to_string(cumulative) + '\n';
  }
  out += name + "_sum";
  AppendLabels(out, labels, nullptr);
  out += ' ';
  AppendValue(out, h.sum());
  out += '\n';
  out += name + "_count";
  AppendLabels(out, labels, nullptr);
  // Buckets and count are read without a lock; report the buckets' total so the series
  // stay consistent with each other.
  out += ' ' + std::to_string(cumulative) + '\n';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // Bucket i counts values in (bounds[i-1], bounds[i]], as Prometheus' le does.
  size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

Telemetry::Family& Telemetry::FamilyFor(const std::string& name, const std::string& help,
                                        const std::string& type) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  return f;
}

Counter* Telemetry::GetCounter(const std::string& name, const std::string& help,
                               const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, "counter");
  for (auto& s : f.series) {
    if (s.labels == labels && s.counter) return s.counter.get();
  }
  f.series.push_back({labels, std::make_unique<Counter>(), nullptr, nullptr, nullptr});
  return f.series.back().counter.get();
}

Gauge* Telemetry::GetGauge(const std::string& name, const std::string& help,
                           const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, "gauge");
  for (auto& s : f.series) {
    if (s.labels == labels && s.gauge) return s.gauge.get();
  }
  f.series.push_back({labels, nullptr, std::make_unique<Gauge>(), nullptr, nullptr});
  return f.series.back().gauge.get();
}

Histogram* Telemetry::GetHistogram(const std::string& name, const std::string& help,
                                   const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, "histogram");
  for (auto& s : f.series) {
    if (s.labels == labels && s.histogram) return s.histogram.get();
  }
  f.series.push_back({labels, nullptr, nullptr, nullptr, std::make_unique<Histogram>(bounds)});
  return f.series.back().histogram.get();
}

void Telemetry::AddCallbackGauge(const std::string& name, const std::string& help,
                                 const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, "gauge");
  for (auto& s : f.series) {
    if (s.labels == labels && s.read) {
      s.read = std::move(read);
      return;
    }
  }
  f.series.push_back({labels, nullptr, nullptr, std::move(read), nullptr});
}

void Telemetry::RemoveCallbacks(const Labels& labels) {
  std::lock_guard lock(mu_);
  for (auto& [name, f] : families_) {
    std::erase_if(f.series, [&](const Series& s) { return s.read && s.labels == labels; });
  }
}

std::string Telemetry::RenderText() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.series.empty()) continue;
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& s : f.series) {
      if (s.histogram) {
        AppendHistogram(out, name, s.labels, *s.histogram);
        continue;
      }
      out += name;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += s.labels[i].first + "=\"";
          AppendEscaped(out, s.labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      double v = s.counter ? s.counter->value() : s.gauge ? s.gauge->value() : s.read();
      AppendValue(out, v);
      out += '\n';
    }
  }
  return out;
}

std::string SignalItems(const std::string& signal) {
  if (signal == "traces") return "spans";
  if (signal == "logs") return "log_records";
  return "metric_points";
}

ReceiverInstruments ReceiverInstruments::Create(Telemetry& t, const std::string& id,
                                                const std::string& signal,
                                                const std::string& transport) {
  Labels labels = {{"receiver", id}, {"transport", transport}};
  std::string items = SignalItems(signal);
  return {t.GetCounter("otelcol_receiver_accepted_" + items + "_total",
                       "Number of items successfully pushed into the pipeline.", labels),
          t.GetCounter("otelcol_receiver_refused_" + items + "_total",
                       "Number of items that could not be pushed into the pipeline.", labels)};
}

ProcessorInstruments ProcessorInstruments::Create(Telemetry& t, const std::string& id,
                                                  const std::string& signal) {
  Labels labels = {{"processor", id}, {"otel_signal", signal}};
  return {t.GetCounter("otelcol_processor_incoming_items_total",
                       "Number of items passed to the processor.", labels),
          t.GetCounter("otelcol_processor_outgoing_items_total",
                       "Number of items emitted from the processor.", labels)};
}

ExporterInstruments ExporterInstruments::Create(Telemetry& t, const std::string& id,
                                                const std::string& signal) {
  Labels labels = {{"exporter", id}};
  std::string items = SignalItems(signal);
  return {t.GetCounter("otelcol_exporter_sent_" + items + "_total",
                       "Number of items successfully sent to destination.", labels),
          t.GetCounter("otelcol_exporter_send_failed_" + items + "_total",
                       "Number of items in failed attempts to send to destination.", labels)};
}

namespace {

double ReadRssBytes() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  in >> pages_total >> pages_rss;
  return static_cast<double>(pages_rss) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double ReadCpuSeconds() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

void RegisterProcessMetrics(Telemetry& t, int64_t start_unix_nanos) {
  t.AddCallbackGauge("otelcol_process_memory_rss_bytes", "Total physical memory (resident set size).",
                     {}, ReadRssBytes);
  t.AddCallbackGauge("otelcol_process_cpu_seconds", "Total CPU user and system time in seconds.", {},
                     ReadCpuSeconds);
  t.AddCallbackGauge("otelcol_process_uptime_seconds", "Uptime of the process.", {},
                     [start_unix_nanos] {
                       return static_cast<double>(Clock::Real().NowUnixNanos() - start_unix_nanos) /
                              1e9;
                     });
}

}  // namespace astrolabe::component
