#pragma once
// The span store's query and result types (src/spanstore/span_store.h answers them). Kept apart
// from the store so that the traces API can include them without the store's internals.
//
// Times are Unix nanoseconds. A span's place in every ordering is its start time, newest
// first; ties are broken by where the span was stored, so an order is total and stable across
// restarts, and a cursor resumes exactly where the previous page ended.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pdata/logs.h"
#include "pdata/traces.h"

namespace astrolabe::spanstore {

// The GenAI fields the store indexes for a span, as the index hook (span_index_hook.h) filled
// them. Empty strings, -1 tokens and a NaN cost mean "not known".
struct GenAiFields {
  std::string model;          // gen_ai.request.model, else gen_ai.response.model
  std::string provider;       // gen_ai.provider.name, else gen_ai.system
  std::string operation;      // gen_ai.operation.name
  std::string finish_reason;  // gen_ai.response.finish_reasons, joined with ","
  int64_t input_tokens = -1;
  int64_t output_tokens = -1;
  double cost = std::numeric_limits<double>::quiet_NaN();  // currency of src/genai's prices
};

// A span search. Every set field must match (AND). Strings match exactly; an empty string does
// not filter.
struct SpanQuery {
  // Span start time in [start_unix_nano, end_unix_nano).
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = UINT64_MAX;
  std::string service;  // resource attribute service.name
  std::string span_name;
  std::optional<pdata::SpanStatus::Code> status;
  std::optional<uint64_t> min_duration_nanos;  // end - start, inclusive bounds
  std::optional<uint64_t> max_duration_nanos;
  // key = value, compared with the attribute's text (pdata::AnyValueToString); the key is
  // looked up in the span's attributes, then the resource's, then the scope's.
  std::vector<std::pair<std::string, std::string>> attributes;
  // GenAI fields. finish_reason matches when any of the span's reasons is equal.
  std::string model;
  std::string provider;
  std::string operation;
  std::string finish_reason;
  std::optional<int64_t> min_input_tokens;
  std::optional<int64_t> min_output_tokens;
  std::optional<double> min_cost;
  // Page size, 1..10000 (SpanStore::Search rejects others).
  size_t limit = 100;
  // Empty for the first page, else SpanSearchResult::next_cursor of the previous page (with the
  // same filters). A cursor is opaque text; a malformed one is an InvalidArgument error.
  std::string cursor;
};

// What a search returns for each span: the indexed fields, without attributes (GetTrace has
// the whole span).
struct SpanSummary {
  pdata::TraceId trace_id;
  pdata::SpanId span_id;
  pdata::SpanId parent_span_id;
  std::string service;
  std::string name;
  pdata::SpanKind kind = pdata::SpanKind::kUnspecified;
  pdata::SpanStatus::Code status = pdata::SpanStatus::Code::kUnset;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  GenAiFields genai;
  uint64_t duration_nanos() const {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano
                                                     : 0;
  }
};

struct SpanSearchResult {
  std::vector<SpanSummary> spans;  // newest start first, at most `limit`
  // Pass as SpanQuery::cursor for the next page; empty when there is none.
  std::string next_cursor;
  uint64_t scanned = 0;  // index entries examined (for the API's own metrics)
};

// A stored span with its resource and scope.
struct StoredSpan {
  pdata::Resource resource;
  std::string resource_schema_url;
  pdata::InstrumentationScope scope;
  std::string scope_schema_url;
  pdata::Span span;
  GenAiFields genai;
};

// A stored log record with its resource and scope.
struct StoredLog {
  pdata::Resource resource;
  std::string resource_schema_url;
  pdata::InstrumentationScope scope;
  std::string scope_schema_url;
  pdata::LogRecord record;
};

// Everything stored for one trace id.
struct TraceResult {
  std::vector<StoredSpan> spans;  // by start time, oldest first
  std::vector<StoredLog> logs;    // log records with this trace id, by time, oldest first
};

}  // namespace astrolabe::spanstore
