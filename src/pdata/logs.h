#pragma once
// Logs in memory, mirroring opentelemetry-proto logs/v1: Logs (the content of an
// ExportLogsServiceRequest) → ResourceLogs → ScopeLogs → LogRecord. Field names follow
// the proto's. Timestamps are Unix nanoseconds; 0 means unset.
//
// Logs is move-only: a pipeline moves it into a LogsBatch and shares it from there;
// Clone() makes the one deep copy a mutating processor may need.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pdata/batch.h"
#include "pdata/common.h"

namespace astrolabe::pdata {

// SEVERITY_NUMBER_*; values outside 0..24 survive a round trip unchanged.
enum class SeverityNumber : int32_t {
  kUnspecified = 0,
  kTrace = 1,
  kTrace2,
  kTrace3,
  kTrace4,
  kDebug = 5,
  kDebug2,
  kDebug3,
  kDebug4,
  kInfo = 9,
  kInfo2,
  kInfo3,
  kInfo4,
  kWarn = 13,
  kWarn2,
  kWarn3,
  kWarn4,
  kError = 17,
  kError2,
  kError3,
  kError4,
  kFatal = 21,
  kFatal2,
  kFatal3,
  kFatal4,
};
// "Unspecified", "Trace", "Trace2", ..., "Fatal4" (upstream plog); "" when out of range.
std::string_view SeverityNumberName(SeverityNumber n);

struct LogRecord {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  SeverityNumber severity_number = SeverityNumber::kUnspecified;
  std::string severity_text;
  AnyValue body;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  TraceId trace_id;
  SpanId span_id;
  std::string event_name;
  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

struct ScopeLogs {
  InstrumentationScope scope;
  std::vector<LogRecord> log_records;
  std::string schema_url;
  friend bool operator==(const ScopeLogs&, const ScopeLogs&) = default;
};

struct ResourceLogs {
  Resource resource;
  std::vector<ScopeLogs> scope_logs;
  std::string schema_url;
  friend bool operator==(const ResourceLogs&, const ResourceLogs&) = default;
};

// The content of one ExportLogsServiceRequest.
struct Logs {
  std::vector<ResourceLogs> resource_logs;

  Logs() = default;
  explicit Logs(std::vector<ResourceLogs> rl) : resource_logs(std::move(rl)) {}
  Logs(Logs&&) = default;
  Logs& operator=(Logs&&) = default;
  Logs(const Logs&) = delete;
  Logs& operator=(const Logs&) = delete;

  // A deep copy.
  Logs Clone() const;
  size_t LogRecordCount() const;
  bool empty() const { return resource_logs.empty(); }

  friend bool operator==(const Logs&, const Logs&) = default;
};

using LogsBatch = Batch<Logs>;

}  // namespace astrolabe::pdata
