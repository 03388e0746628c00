#pragma once
// OTLP protobuf codec: the bodies of OTLP/HTTP (application/x-protobuf) and OTLP/gRPC
// messages, read straight into pdata and written straight from it, with no generated code.
//
//   ExportMetricsServiceRequest  <-> pdata::Metrics
//   ExportTraceServiceRequest    <-> pdata::Traces
//   ExportLogsServiceRequest     <-> pdata::Logs
//   Export{Metrics,Trace,Logs}ServiceResponse <-> ExportResponse
//   google.rpc.Status            <-> RpcStatus
//
// Decoding covers every field of opentelemetry-proto (HEAD ac2c4b5d) that pdata models;
// fields it does not model (Resource.entity_refs, the profiles-only *_strindex fields, any
// future field) are skipped as unknown fields, as protobuf requires. Repeated scalars are
// accepted packed and unpacked; a repeated message field or a non-repeated field seen twice
// merges as protobuf merges (last scalar wins, repeated fields append, messages merge).
//
// Decoding rejects, with kInvalidArgument and a message naming the field path and the byte
// offset of the offending field's tag, e.g.
//   "resource_metrics[0].scope_metrics[1].metrics[3]: truncated length-delimited field at
//    offset 1234"
// any malformed wire data, a known field with the wrong wire type, a trace id that is not
// 0 or 16 bytes (span id: 0 or 8), and message nesting deeper than
// DecodeOptions::max_depth. Strings are not checked for UTF-8 unless
// DecodeOptions::validate_utf8 is set: the Go collector passes invalid UTF-8 through
// (collector issue #11449; opentelemetry-proto #845 lets intermediaries do so), and so do we
// by default. No input, however malformed, causes undefined behaviour.
//
// Encoding is libprotobuf's canonical serialization of the message that pdata describes:
// fields in field-number order, repeated scalars packed, proto3 defaults (0, "", false, empty
// repeated fields) omitted, doubles omitted only when +0.0 (-0.0 is written), oneof members
// and `optional` fields written whenever set. pdata cannot tell an absent sub-message from an
// empty one, so Resource, InstrumentationScope, Span.status, Buckets and AnyValue are written
// only when they hold something other than their defaults; Metric.data is written whenever
// it is set, even with no points. So encode(decode(b)) == b for every b so written, and the
// bytes are stable enough for golden tests. Strings are written as they are (no UTF-8 check).
//
// pdata types are only forward-declared here, to keep this header light for the receivers and
// exporters that include it; include pdata/metrics.h (traces.h, logs.h) to use the results.
//
// All functions are thread-safe (no shared state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::pdata {
struct Metrics;
struct Traces;
struct Logs;
struct Span;
struct LogRecord;
class TracesSpares;
}  // namespace astrolabe::pdata

namespace astrolabe::wire {

struct DecodeOptions {
  // Deepest nesting of messages accepted, counting the request itself as depth 1 (the same
  // bound as libprotobuf's default recursion limit). Bounds recursion on AnyValue arrays
  // and kvlists, which is the only unbounded nesting OTLP has.
  int max_depth = 100;
  // Reject strings that are not well-formed UTF-8 (protobuf's rule for `string` fields).
  bool validate_utf8 = false;
};

Result<pdata::Metrics> DecodeMetricsRequest(std::string_view bytes,
                                            const DecodeOptions& options = {});
Result<pdata::Traces> DecodeTracesRequest(std::string_view bytes,
                                          const DecodeOptions& options = {});
Result<pdata::Logs> DecodeLogsRequest(std::string_view bytes, const DecodeOptions& options = {});

// As DecodeTracesRequest, into *out, building resources, scopes, spans, attributes, their
// string values and arrays from `spares` (pdata/spares.h) while it has them, so that a server
// decoding request after request reuses the buffers of the ones before. The result equals
// DecodeTracesRequest's. On an error *out holds what was decoded before it.
// REQUIRES: out->empty().
Status DecodeTracesRequest(std::string_view bytes, pdata::Traces* out, pdata::TracesSpares* spares,
                           const DecodeOptions& options = {});

// Append the serialized Export*ServiceRequest to *out (which is not cleared), so that an
// exporter may reuse one buffer. REQUIRES: the encoding is smaller than 2 GiB.
void AppendMetricsRequest(const pdata::Metrics& metrics, std::string* out);
void AppendTracesRequest(const pdata::Traces& traces, std::string* out);
void AppendLogsRequest(const pdata::Logs& logs, std::string* out);

// One opentelemetry.proto.trace.v1.Span (logs.v1.LogRecord) message alone, in two steps: the
// span store (src/spanstore) keeps each record in a row of its own, whose length prefixes
// come before it, and reads it back by wrapping the bytes in a request with one resource and
// one scope. Size sizes the record; Write then writes exactly that many bytes where the
// caller has made room, so the record is written once, in place. Reusable (its scratch keeps
// its capacity); not thread-safe.
class RecordEncoder {
 public:
  // kWhole: the record as a request holds it. kWithoutKeys: without the fields that name it
  // and place it, which a caller keeping them beside the record (the span store's row) puts
  // back when it decodes it: a span's trace_id, span_id, parent_span_id, name and start and end
  // times; a log record's trace_id, span_id and event_name.
  enum class Fields { kWhole, kWithoutKeys };
  explicit RecordEncoder(Fields fields = Fields::kWhole) : fields_(fields) {}

  size_t Size(const pdata::Span& span);
  size_t Size(const pdata::LogRecord& record);
  // Returns p + the size. REQUIRES: the last Size call was for this record, unchanged since.
  char* Write(const pdata::Span& span, char* p) const;
  char* Write(const pdata::LogRecord& record, char* p) const;

 private:
  bool keys() const { return fields_ == Fields::kWhole; }

  Fields fields_;
  std::vector<size_t> sizes_;  // the nested messages' sizes, from Size for Write
};

std::string EncodeMetricsRequest(const pdata::Metrics& metrics);
std::string EncodeTracesRequest(const pdata::Traces& traces);
std::string EncodeLogsRequest(const pdata::Logs& logs);

// Export{Metrics,Trace,Logs}PartialSuccess. The three messages are identical on the wire:
// field 1 is rejected_data_points / rejected_spans / rejected_log_records, field 2
// error_message.
struct ExportPartialSuccess {
  int64_t rejected = 0;
  std::string error_message;
  friend bool operator==(const ExportPartialSuccess&, const ExportPartialSuccess&) = default;
};

// Export{Metrics,Trace,Logs}ServiceResponse. A full success leaves partial_success unset
// (an empty body); a set partial_success is written even when it holds only defaults.
struct ExportResponse {
  std::optional<ExportPartialSuccess> partial_success;
  friend bool operator==(const ExportResponse&, const ExportResponse&) = default;
};

std::string EncodeExportResponse(const ExportResponse& response);
Result<ExportResponse> DecodeExportResponse(std::string_view bytes,
                                            const DecodeOptions& options = {});

// google.protobuf.Any, kept as bytes.
struct RpcAny {
  std::string type_url;
  std::string value;
  friend bool operator==(const RpcAny&, const RpcAny&) = default;
};

// google.rpc.Status: the body of an OTLP/HTTP 4xx/5xx response. `code` is a gRPC code
// (google.rpc.Code), not an HTTP status.
struct RpcStatus {
  int32_t code = 0;
  std::string message;
  std::vector<RpcAny> details;
  friend bool operator==(const RpcStatus&, const RpcStatus&) = default;
};

std::string EncodeRpcStatus(const RpcStatus& status);
Result<RpcStatus> DecodeRpcStatus(std::string_view bytes, const DecodeOptions& options = {});

}  // namespace astrolabe::wire
