#!/usr/bin/env node
// The protobufjs OTLP decoder of @opentelemetry/otlp-transformer@0.203.0 as a command-line
// tool, for cross-checking our own codec (tests/otlp_crosscheck_test.cc).
//
//   otlp_protobufjs.js reencode SIGNAL IN OUT  decode IN, encode it again into OUT
//   otlp_protobufjs.js tojson SIGNAL IN        decode IN, print it as canonical OTLP/JSON
//
// SIGNAL is metrics, traces or logs. Exit status 0 on success; on a decode error the
// message goes to stderr and the status is 1.
'use strict';

const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const collector = root.opentelemetry.proto.collector;
const REQUESTS = {
  metrics: collector.metrics.v1.ExportMetricsServiceRequest,
  traces: collector.trace.v1.ExportTraceServiceRequest,
  logs: collector.logs.v1.ExportLogsServiceRequest,
};

// OTLP/JSON writes trace and span ids as hex, every other bytes field as base64.
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
// Fields whose presence means something even at the default value: the members of a
// oneof (AnyValue, NumberDataPoint, Exemplar) and proto3 `optional` fields.
const PRESENCE_KEYS = new Set([
  'stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue', 'arrayValue', 'kvlistValue',
  'asDouble', 'asInt', 'sum', 'min', 'max',
]);

function isDefault(value) {
  if (Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0;
  return value === 0 || value === '0' || value === '' || value === false || value === null;
}

// protobufjs reports a field set to its default when the sender wrote it out (the JS
// SDK's encoder writes droppedAttributesCount: 0, for one); proto3 JSON, and our encoder,
// leave such fields out. Both forms mean the same message, so the canonical form drops
// them, keeping the fields in PRESENCE_KEYS.
function toOtlpJson(value, key) {
  if (Array.isArray(value)) return value.map((v) => toOtlpJson(v, key));
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const canonical = toOtlpJson(v, k);
      if (!isDefault(canonical) || PRESENCE_KEYS.has(k)) out[k] = canonical;
    }
    return out;
  }
  if (HEX_ID_KEYS.has(key) && typeof value === 'string') {
    return Buffer.from(value, 'base64').toString('hex');
  }
  return value;
}

function decode(signal, path) {
  const type = REQUESTS[signal];
  if (!type) throw new Error(`unknown signal "${signal}" (metrics, traces or logs)`);
  // No type.verify(): it rejects enum values outside the .proto's list, which proto3's open
  // enums allow on the wire (and our test payloads use on purpose).
  return { type, message: type.decode(fs.readFileSync(path)) };
}

function main(argv) {
  const [command, signal, input, output] = argv;
  if (command === 'reencode' && output) {
    const { type, message } = decode(signal, input);
    fs.writeFileSync(output, type.encode(message).finish());
  } else if (command === 'tojson' && input) {
    const { type, message } = decode(signal, input);
    // NaN and ±Infinity become the strings OTLP/JSON uses; 64-bit integers are strings.
    const object = type.toObject(message, { longs: String, enums: Number, bytes: String, json: true });
    process.stdout.write(JSON.stringify(toOtlpJson(object, '')) + '\n');
  } else {
    throw new Error('usage: otlp_protobufjs.js reencode SIGNAL IN OUT | tojson SIGNAL IN');
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`otlp_protobufjs: ${error.message}\n`);
  process.exit(1);
}
