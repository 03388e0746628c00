#pragma once
// Traces in memory, mirroring opentelemetry-proto trace/v1: Traces (the content of an
// ExportTraceServiceRequest) → ResourceSpans → ScopeSpans → Span. Field names follow the
// proto's. Timestamps are Unix nanoseconds.
//
// Traces is move-only: a pipeline moves it into a TracesBatch and shares it from there;
// Clone() makes the one deep copy a mutating processor may need.
//
// A Traces decoded over a pooled request's objects carries what that request left over
// (`spares`, pdata/spares.h; protobuf's arena, in pdata's terms): code that adds to the
// request takes its new objects from there before allocating.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pdata/batch.h"
#include "pdata/common.h"

namespace astrolabe::pdata {

enum class SpanKind : int32_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
// "Unspecified", "Internal", "Server", "Client", "Producer", "Consumer" (upstream ptrace).
std::string_view SpanKindName(SpanKind kind);

struct SpanStatus {
  enum class Code : int32_t { kUnset = 0, kOk = 1, kError = 2 };
  std::string message;
  Code code = Code::kUnset;
  friend bool operator==(const SpanStatus&, const SpanStatus&) = default;
};
// "Unset", "Ok", "Error" (upstream ptrace).
std::string_view SpanStatusCodeName(SpanStatus::Code code);

struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const SpanEvent&, const SpanEvent&) = default;
};

struct SpanLink {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  friend bool operator==(const SpanLink&, const SpanLink&) = default;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  SpanId parent_span_id;  // empty for a root span
  uint32_t flags = 0;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  uint32_t dropped_links_count = 0;
  SpanStatus status;
  friend bool operator==(const Span&, const Span&) = default;
};

struct ScopeSpans {
  InstrumentationScope scope;
  std::vector<Span> spans;
  std::string schema_url;
  friend bool operator==(const ScopeSpans&, const ScopeSpans&) = default;
};

struct ResourceSpans {
  Resource resource;
  std::vector<ScopeSpans> scope_spans;
  std::string schema_url;
  friend bool operator==(const ResourceSpans&, const ResourceSpans&) = default;
};

class TracesSpares;  // pdata/spares.h

// The content of one ExportTraceServiceRequest.
struct Traces {
  std::vector<ResourceSpans> resource_spans;
  // Cleared objects left from the request this one was decoded over, when a pool keeps them
  // (receiver/otlp); null otherwise. A processor that adds key-values to spans takes them from
  // here (TracesSpares::TakeKeyValue), so that request after request the same objects serve
  // instead of being allocated and freed. Not part of the data: Clone() and == ignore it.
  std::unique_ptr<TracesSpares> spares;

  Traces();
  explicit Traces(std::vector<ResourceSpans> rs);
  Traces(Traces&&) noexcept;
  Traces& operator=(Traces&&) noexcept;
  ~Traces();
  Traces(const Traces&) = delete;
  Traces& operator=(const Traces&) = delete;

  // A deep copy.
  Traces Clone() const;
  size_t SpanCount() const;
  bool empty() const { return resource_spans.empty(); }

  friend bool operator==(const Traces& a, const Traces& b) {
    return a.resource_spans == b.resource_spans;
  }
};

using TracesBatch = Batch<Traces>;

}  // namespace astrolabe::pdata
