#!/usr/bin/env node
// Sends one known set of traces, metrics and logs through the real OpenTelemetry JS SDK
// (3.x) and its OTLP/HTTP exporters, for tests/otlp_crosscheck_test.cc.
//
//   otlp_emit.js BASE_URL proto|json
//
// BASE_URL gets /v1/traces, /v1/metrics and /v1/logs appended. `proto` uses the
// exporter-*-otlp-proto packages (binary protobuf, their own hand-written encoder), `json`
// the exporter-*-otlp-http ones (OTLP/JSON). What is sent is fixed: the C++ test checks it
// field by field.
'use strict';

const { SpanKind, SpanStatusCode, ROOT_CONTEXT, trace } = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { TracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } =
  require('@opentelemetry/sdk-metrics');
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');

function exporters(protocol) {
  if (protocol === 'proto') {
    return {
      Trace: require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
      Metric: require('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter,
      Log: require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter,
    };
  }
  if (protocol === 'json') {
    return {
      Trace: require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter,
      Metric: require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter,
      Log: require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter,
    };
  }
  throw new Error(`unknown protocol "${protocol}" (proto or json)`);
}

// Fixed times so the test can check them: 2026-01-01T00:00:00Z plus offsets.
const T0_MS = Date.UTC(2026, 0, 1);

async function emitTraces(Exporter, base, resource) {
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: new Exporter({ url: `${base}/v1/traces` }) })],
  });
  const tracer = provider.getTracer('astrolabe-crosscheck', '1.2.3');
  const parent = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    startTime: T0_MS,
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.request.temperature': 0.25,
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      'llm.is_streaming': false,
    },
  });
  parent.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'Say hello' }, T0_MS + 5);
  const child = tracer.startSpan(
    'POST /v1/chat/completions',
    { kind: SpanKind.INTERNAL, startTime: T0_MS + 10, links: [{ context: parent.spanContext(), attributes: { 'link.kind': 'follows' } }] },
    trace.setSpan(ROOT_CONTEXT, parent));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
  child.end(T0_MS + 900);
  parent.end(T0_MS + 1000);
  await provider.forceFlush();
  await provider.shutdown();
}

async function emitMetrics(Exporter, base, resource) {
  const reader = new PeriodicExportingMetricReader({
    exporter: new Exporter({ url: `${base}/v1/metrics`, temporalityPreference: AggregationTemporality.CUMULATIVE }),
    exportIntervalMillis: 600000,
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('astrolabe-crosscheck', '1.2.3');
  const tokens = meter.createCounter('gen_ai.client.token.usage.total', { unit: '{token}', description: 'tokens used' });
  tokens.add(42, { 'gen_ai.token.type': 'input' });
  tokens.add(7, { 'gen_ai.token.type': 'output' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  for (const v of [0.1, 0.4, 2.5]) duration.record(v, { 'gen_ai.request.model': 'gpt-4o-mini' });
  const running = meter.createUpDownCounter('requests.running');
  running.add(3);
  running.add(-1);
  await provider.forceFlush();
  await provider.shutdown();
}

async function emitLogs(Exporter, base, resource) {
  const provider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: new Exporter({ url: `${base}/v1/logs` }) })],
  });
  const logger = provider.getLogger('astrolabe-crosscheck', '1.2.3');
  logger.emit({
    timestamp: T0_MS + 20,
    severityNumber: 13,
    severityText: 'WARN',
    body: 'rate limited by upstream',
    attributes: { 'http.response.status_code': 429, 'retry.after': 1.5 },
  });
  logger.emit({ timestamp: T0_MS + 30, severityNumber: 9, body: { msg: 'structured', n: 3 } });
  await provider.forceFlush();
  await provider.shutdown();
}

async function main(argv) {
  const [base, protocol] = argv;
  if (!base) throw new Error('usage: otlp_emit.js BASE_URL proto|json');
  const E = exporters(protocol);
  const resource = resourceFromAttributes({ 'service.name': 'crosscheck-app', 'deployment.environment': 'test' });
  await emitTraces(E.Trace, base, resource);
  await emitMetrics(E.Metric, base, resource);
  await emitLogs(E.Log, base, resource);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`otlp_emit: ${error.stack || error}\n`);
  process.exit(1);
});
