#include "pdata/spares.h"

#include <utility>

namespace astrolabe::pdata {

namespace {
// Capacity of a default-constructed std::string: its inline buffer, nothing on the heap.
const size_t kInlineCapacity = std::string().capacity();
}  // namespace

size_t TracesSpares::HeapBytes(const std::string& s) {
  return s.capacity() > kInlineCapacity ? s.capacity() : 0;
}

size_t TracesSpares::HeapBytes(const Span& s) {
  return HeapBytes(s.name) + HeapBytes(s.trace_state) + HeapBytes(s.status.message);
}

size_t TracesSpares::HeapBytes(const ScopeSpans& s) {
  return HeapBytes(s.scope.name) + HeapBytes(s.scope.version) + HeapBytes(s.schema_url);
}

void TracesSpares::ClearString(std::string& s) {
  const size_t heap = HeapBytes(s);
  if (heap == 0) {
    s.clear();
  } else if (heap <= kMaxKeptString && kept_bytes_ + heap <= kMaxKeptBytes) {
    s.clear();
    kept_bytes_ += heap;
  } else {
    std::string().swap(s);  // gives the buffer back
  }
}

void TracesSpares::HarvestValue(AnyValue& value) {
  switch (value.type()) {
    case AnyValue::Type::kString: {
      std::string& s = value.mutable_string_value();
      if (HeapBytes(s) > 0) {
        ClearString(s);
        if (HeapBytes(s) > 0) strings_.push_back(std::move(s));
      }
      break;
    }
    case AnyValue::Type::kArray: {
      ArrayValue& a = value.array_value();
      for (AnyValue& v : a) HarvestValue(v);
      a.clear();
      arrays_.push_back(std::move(a));
      break;
    }
    default:
      break;
  }
  value = AnyValue();
}

void TracesSpares::HarvestAttributes(Attributes& attributes) {
  for (KeyValue& kv : attributes) {
    ClearString(kv.key);
    HarvestValue(kv.value);
    key_values_.push_back(std::move(kv));
  }
  attributes.clear();
}

// Every member of Span is reset here: one added to Span must be added here too. The size
// check (LP64, libstdc++) is there to remind whoever adds one; spares_test and the otlp_proto
// fuzz target compare a decode into spares with a fresh decode.
static_assert(sizeof(void*) != 8 || sizeof(std::string) != 32 || sizeof(Span) == 264,
              "pdata::Span changed: update TracesSpares::HarvestSpan");

void TracesSpares::HarvestSpan(Span& span) {
  span.trace_id = TraceId();
  span.span_id = SpanId();
  ClearString(span.trace_state);
  span.parent_span_id = SpanId();
  span.flags = 0;
  ClearString(span.name);
  span.kind = SpanKind::kUnspecified;
  span.start_time_unix_nano = 0;
  span.end_time_unix_nano = 0;
  // span.attributes stay as they are: the decoder writes over them (in place, or after
  // RecycleValue) and hands the rest back (TakeBack).
  span.dropped_attributes_count = 0;
  span.events.clear();
  span.dropped_events_count = 0;
  span.links.clear();
  span.dropped_links_count = 0;
  ClearString(span.status.message);
  span.status.code = SpanStatus::Code::kUnset;
  spans_.push_back(std::move(span));
}

void TracesSpares::Harvest(Traces& traces) {
  Clear();
  for (ResourceSpans& rs : traces.resource_spans) {
    HarvestAttributes(rs.resource.attributes);
    rs.resource.dropped_attributes_count = 0;
    for (ScopeSpans& ss : rs.scope_spans) {
      ClearString(ss.scope.name);
      ClearString(ss.scope.version);
      HarvestAttributes(ss.scope.attributes);
      ss.scope.dropped_attributes_count = 0;
      for (Span& span : ss.spans) HarvestSpan(span);
      ss.spans.clear();
      ClearString(ss.schema_url);
      scope_spans_.push_back(std::move(ss));
    }
    rs.scope_spans.clear();
    ClearString(rs.schema_url);
    resource_spans_.push_back(std::move(rs));
  }
  traces.resource_spans.clear();
}

void TracesSpares::TakeBack(Attributes& attributes, size_t from) {
  for (size_t i = from; i < attributes.size(); ++i) {
    KeyValue& kv = attributes[i];
    ClearString(kv.key);
    HarvestValue(kv.value);
    key_values_.push_back(std::move(kv));
  }
  attributes.erase(attributes.begin() + std::ptrdiff_t(std::min(from, attributes.size())),
                   attributes.end());
}

void TracesSpares::Clear() {
  resource_spans_.clear();
  scope_spans_.clear();
  spans_.clear();
  next_span_ = 0;
  key_values_.clear();
  arrays_.clear();
  strings_.clear();
  kept_bytes_ = 0;
}

}  // namespace astrolabe::pdata
