#pragma once
// OTLP/JSON codec: the bodies of OTLP/HTTP requests and responses sent with
// `Content-Type: application/json`, read straight into pdata and written straight from it.
//
//   ExportMetricsServiceRequest  <-> pdata::Metrics
//   ExportTraceServiceRequest    <-> pdata::Traces
//   ExportLogsServiceRequest     <-> pdata::Logs
//   Export{Metrics,Trace,Logs}ServiceResponse <-> ExportResponse
//   google.rpc.Status            <-> RpcStatus
//
// The mapping is protobuf's JSON mapping (protojson) with the deviations the OTLP
// specification makes for OTLP/HTTP (docs/design/wire.md, "OTLP/JSON"):
//   - keys are lowerCamelCase on encode; the decoder also accepts the proto field names
//     (snake_case), as protojson does;
//   - trace and span ids are hex strings (either case on decode), not base64;
//   - enums are integers on encode; the decoder accepts integers or the enum value names
//     ("SPAN_KIND_SERVER");
//   - 64-bit integers are decimal strings on encode; the decoder accepts strings or numbers;
//   - doubles are numbers, NaN and infinities the strings "NaN", "Infinity", "-Infinity";
//     the decoder accepts numbers or strings;
//   - AnyValue.bytesValue is base64 (standard on encode; standard or URL-safe, padded or not
//     on decode);
//   - unknown keys are ignored, `null` means "default", default values are omitted on
//     encode (oneof members and `optional` fields are written whenever set).
//
// Decoding rejects, with kInvalidArgument and a message naming the JSON path and what is
// wrong, e.g.
//   "resourceMetrics[0].scopeMetrics[1].metrics[3].sum.dataPoints[2].asInt: expected an
//    integer"
// malformed JSON (simdjson's error; JSON is always checked for UTF-8), a known key whose
// value has the wrong JSON type or is out of range, a bad hex id (not 0/32 or 0/16 digits),
// invalid base64, an unknown enum name, and message nesting deeper than
// DecodeOptions::max_depth (counted as the protobuf decoder counts it).
// DecodeOptions::validate_utf8 has no effect: JSON text is always valid UTF-8.
//
// Encoding writes compact JSON (no whitespace), fields in field-number order. Strings that
// are not valid UTF-8 (pdata may hold them: the protobuf decoder passes them through) are
// written with each invalid byte replaced by U+FFFD, as opentelemetry-proto recommends, so
// the output is always valid JSON. The same presence rules as the protobuf encoder apply
// (an empty Resource, scope, status or AnyValue is not written), so for every pdata value p
// with valid UTF-8 strings DecodeJson(EncodeJson(p)) == p, NaN payloads aside.
//
// Thread-safe. Decoding uses a per-thread simdjson parser (kept between calls for documents
// up to 8 MiB; larger ones get a parser of their own that is freed afterwards).

#include <string>
#include <string_view>

#include "common/status.h"
#include "wire/otlp_proto.h"

namespace astrolabe::wire {

Result<pdata::Metrics> DecodeMetricsJson(std::string_view json, const DecodeOptions& options = {});
Result<pdata::Traces> DecodeTracesJson(std::string_view json, const DecodeOptions& options = {});
Result<pdata::Logs> DecodeLogsJson(std::string_view json, const DecodeOptions& options = {});

// Append the JSON Export*ServiceRequest to *out (which is not cleared).
void AppendMetricsJson(const pdata::Metrics& metrics, std::string* out);
void AppendTracesJson(const pdata::Traces& traces, std::string* out);
void AppendLogsJson(const pdata::Logs& logs, std::string* out);

std::string EncodeMetricsJson(const pdata::Metrics& metrics);
std::string EncodeTracesJson(const pdata::Traces& traces);
std::string EncodeLogsJson(const pdata::Logs& logs);

// Which Export*ServiceResponse a partial success belongs to: the JSON name of the rejected
// count differs (rejectedDataPoints, rejectedSpans, rejectedLogRecords).
enum class OtlpSignal { kMetrics, kTraces, kLogs };

// {} for a full success; {"partialSuccess":{...}} when set (even when empty).
std::string EncodeExportResponseJson(const ExportResponse& response, OtlpSignal signal);
// Accepts any of the three rejected-count names (and their snake_case forms) whatever the
// signal, so one decoder serves all three responses. An empty body is a full success.
Result<ExportResponse> DecodeExportResponseJson(std::string_view json,
                                                const DecodeOptions& options = {});

// google.rpc.Status as JSON: {"code":3,"message":"...","details":[{"@type":"..."}]}.
// A detail is a google.protobuf.Any whose JSON form spells out the fields of the packed
// message, which we cannot do without its schema: the encoder writes only "@type", and the
// decoder keeps "@type" as type_url and leaves value empty.
std::string EncodeRpcStatusJson(const RpcStatus& status);
Result<RpcStatus> DecodeRpcStatusJson(std::string_view json, const DecodeOptions& options = {});

}  // namespace astrolabe::wire
