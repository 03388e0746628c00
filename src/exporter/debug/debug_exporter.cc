#include "exporter/debug/debug_exporter.h"

#include <ctime>
#include <fstream>
#include <iostream>

#include "exporter/debug/marshal.h"

namespace astrolabe::exporter::debug {

using component::Signal;

namespace {

constexpr int64_t kTickNanos = 1'000'000'000;  // zap samples per one-second tick

// zap's ISO8601 time encoder with millisecond precision, in UTC.
std::string EntryTime(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1'000'000'000;
  int64_t millis = (unix_nanos % 1'000'000'000) / 1'000'000;
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lldZ", static_cast<long long>(millis));
  return buf;
}

uint32_t Fnv32a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

std::string Count(const char* name, size_t n) {
  return std::string("\"") + name + "\": " + std::to_string(n);
}

}  // namespace

DebugExporter::DebugExporter(const component::CreateSettings& settings, const Config& config,
                             DebugExporterOptions options)
    : id_(settings.id.ToString()),
      config_(config),
      telemetry_(settings.telemetry),
      clock_(options.clock ? *options.clock : Clock::Real()),
      injected_(options.out) {
  // With sampling_thereafter 1 (the default) every entry is written: no counters needed.
  if (config_.sampling_thereafter != 1) {
    samples_ = std::make_unique<std::array<SampleCounter, kSampleSlots>>();
  }
  if (injected_) {
    outputs_.push_back(injected_);
  } else if (config_.use_internal_logger) {
    outputs_.push_back(&std::cerr);  // where the process log goes
  }
}

DebugExporter::~DebugExporter() { (void)Shutdown(component::Deadline()); }

Status DebugExporter::Start(component::Host&) {
  if (injected_ || config_.use_internal_logger) return Status::Ok();
  std::vector<std::string> paths = config_.output_paths;
  if (paths.empty()) paths.push_back("stdout");
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& path : paths) {
    if (path == "stdout") {
      outputs_.push_back(&std::cout);
    } else if (path == "stderr") {
      outputs_.push_back(&std::cerr);
    } else {
      auto file = std::make_unique<std::ofstream>(path, std::ios::app);
      if (!*file) return Unavailable("debug exporter: cannot open output path \"" + path + "\"");
      outputs_.push_back(file.get());
      files_.push_back(std::move(file));
    }
  }
  return Status::Ok();
}

Status DebugExporter::Shutdown(component::Deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::ostream* out : outputs_) out->flush();
  files_.clear();
  outputs_.clear();
  return Status::Ok();
}

bool DebugExporter::SampledLocked(const std::string& message, int64_t now) {
  // zap.NewSamplerWithOptions: the n-th entry with this message in the current tick is
  // written when n <= initial, or when (n - initial) is a multiple of thereafter (never,
  // when thereafter is 0). Like zap, the settings are read as unsigned.
  if (!samples_) return false;
  SampleCounter& c = (*samples_)[Fnv32a(message) % kSampleSlots];
  if (now >= c.reset_at) {
    c.reset_at = now + kTickNanos;
    c.n = 0;
  }
  uint64_t n = ++c.n;
  uint64_t first = static_cast<uint64_t>(config_.sampling_initial);
  uint64_t thereafter = static_cast<uint64_t>(config_.sampling_thereafter);
  return n > first && (thereafter == 0 || (n - first) % thereafter != 0);
}

void DebugExporter::Log(Signal signal, const std::string& message, const std::string& fields) {
  int64_t now = clock_.NowUnixNanos();
  std::string entry;
  if (config_.use_internal_logger) {
    // The process logger's shape: time, level, message, then the component's fields.
    entry = EntryTime(now) + "\tinfo\t" + message + "\t{\"otelcol.component.id\": \"" + id_ +
            "\", \"otelcol.component.kind\": \"exporter\", \"otelcol.signal\": \"" +
            std::string(component::SignalName(signal)) + "\"" +
            (fields.empty() ? "" : ", " + fields) + "}\n";
  } else {
    // Upstream's own console logger: no time, no level, no component fields.
    entry = message + (fields.empty() ? "" : "\t{" + fields + "}") + "\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (SampledLocked(message, now)) return;
  for (std::ostream* out : outputs_) {
    *out << entry;
    out->flush();
  }
}

void DebugExporter::CountSent(Signal signal, size_t items) {
  if (telemetry_ == nullptr) return;
  component::Counter* sent;
  {
    // Instruments are created on first use so that only the signals this exporter
    // really serves show up in the process's metrics.
    std::lock_guard<std::mutex> lock(mu_);
    size_t i = static_cast<size_t>(signal);
    if (sent_[i] == nullptr) {
      sent_[i] = component::ExporterInstruments::Create(*telemetry_, id_,
                                                        std::string(component::SignalName(signal)))
                     .sent;
    }
    sent = sent_[i];
  }
  sent->Add(static_cast<double>(items));
}

Status DebugExporter::ConsumeMetrics(component::MetricsBatch batch) {
  const pdata::Metrics& md = batch.get();
  Log(Signal::kMetrics, "Metrics",
      Count("resource metrics", md.resource_metrics.size()) + ", " +
          Count("metrics", md.MetricCount()) + ", " + Count("data points", md.DataPointCount()));
  if (config_.verbosity == Verbosity::kNormal) Log(Signal::kMetrics, MarshalNormal(md), "");
  if (config_.verbosity == Verbosity::kDetailed) Log(Signal::kMetrics, MarshalDetailed(md), "");
  CountSent(Signal::kMetrics, md.DataPointCount());
  return Status::Ok();
}

Status DebugExporter::ConsumeTraces(component::TracesBatch batch) {
  const pdata::Traces& td = batch.get();
  Log(Signal::kTraces, "Traces",
      Count("resource spans", td.resource_spans.size()) + ", " + Count("spans", td.SpanCount()));
  if (config_.verbosity == Verbosity::kNormal) Log(Signal::kTraces, MarshalNormal(td), "");
  if (config_.verbosity == Verbosity::kDetailed) Log(Signal::kTraces, MarshalDetailed(td), "");
  CountSent(Signal::kTraces, td.SpanCount());
  return Status::Ok();
}

Status DebugExporter::ConsumeLogs(component::LogsBatch batch) {
  const pdata::Logs& ld = batch.get();
  Log(Signal::kLogs, "Logs",
      Count("resource logs", ld.resource_logs.size()) + ", " +
          Count("log records", ld.LogRecordCount()));
  if (config_.verbosity == Verbosity::kNormal) Log(Signal::kLogs, MarshalNormal(ld), "");
  if (config_.verbosity == Verbosity::kDetailed) Log(Signal::kLogs, MarshalDetailed(ld), "");
  CountSent(Signal::kLogs, ld.LogRecordCount());
  return Status::Ok();
}

}  // namespace astrolabe::exporter::debug
