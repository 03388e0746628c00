// Writes js_sdk_{metrics,traces,logs}.binpb: OTLP protobuf requests serialized by the
// OpenTelemetry JS SDK (otlp-transformer), for src/wire/otlp_proto_decode_test.cc. See README.md.
const fs = require('fs');
const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const m = require('@opentelemetry/sdk-metrics');
const t = require('@opentelemetry/sdk-trace-base');
const l = require('@opentelemetry/sdk-logs');
const { ProtobufMetricsSerializer, ProtobufTraceSerializer, ProtobufLogsSerializer } = require('@opentelemetry/otlp-transformer');

const resource = resourceFromAttributes({ 'service.name': 'js-sdk-sample', 'service.version': '1.2.3', 'host.cpu.count': 8, 'feature.on': true, 'ratio': 0.5, 'tags': ['a', 'b'] });

async function metrics() {
  class Reader extends m.MetricReader { async onForceFlush() {} async onShutdown() {} }
  const reader = new Reader({ aggregationTemporalitySelector: (k) => k === m.InstrumentType.UP_DOWN_COUNTER ? m.AggregationTemporality.CUMULATIVE : m.AggregationTemporality.DELTA });
  const provider = new m.MeterProvider({ resource, readers: [reader], views: [
    { instrumentName: 'exp_latency', aggregation: { type: m.AggregationType.EXPONENTIAL_HISTOGRAM } } ] });
  const meter = provider.getMeter('sample-meter', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const c = meter.createCounter('requests', { description: 'requests served', unit: '{request}' });
  c.add(5, { route: '/a', code: 200 }); c.add(2.5, { route: '/b' });
  const ud = meter.createUpDownCounter('inflight', { valueType: api.ValueType.INT });
  ud.add(3); ud.add(-1);
  const h = meter.createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 5] } });
  for (const v of [0.05, 0.2, 0.7, 3, 9]) h.record(v, { model: 'llama' });
  const e = meter.createHistogram('exp_latency', { unit: 'ms' });
  for (const v of [-2, 0, 1, 2, 4, 1000, 0.001]) e.record(v);
  const g = meter.createObservableGauge('temperature', { unit: 'Cel' });
  g.addCallback((r) => { r.observe(21.5, { room: 'lab' }); r.observe(-3, { room: 'roof' }); });
  const sg = meter.createGauge('queue_depth', { valueType: api.ValueType.INT });
  sg.record(42, { q: 'x' });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw errors[0];
  return ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
}

function traces() {
  const exporter = new t.InMemorySpanExporter();
  const provider = new t.BasicTracerProvider({ resource, spanProcessors: [new t.SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('sample-tracer', '0.2.0');
  const root = tracer.startSpan('POST /v1/chat/completions', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'gen_ai.usage.input_tokens': 12 } });
  const ctx = api.trace.setSpan(api.context.active(), root);
  const child = tracer.startSpan('chat llama', { kind: api.SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { 'link.kind': 'parent' } }] }, ctx);
  child.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hello é ✓' });
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream timeout' });
  child.end();
  root.setStatus({ code: api.SpanStatusCode.OK });
  root.end();
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans());
}

async function logs() {
  const exporter = new l.InMemoryLogRecordExporter();
  const provider = new l.LoggerProvider({ resource, processors: [new l.SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('sample-logger', '0.3.0');
  logger.emit({ severityNumber: 13, severityText: 'WARN', body: 'disk almost full', attributes: { pct: 97.5, 'disk.id': 'sda' } });
  logger.emit({ severityNumber: 9, body: { msg: 'structured', n: 3, ok: true, list: [1, 'x'] }, eventName: 'device.disk.check' });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  if (records.length !== 2) throw new Error('got ' + records.length + ' log records');
  return ProtobufLogsSerializer.serializeRequest(records);
}

(async () => {
  const out = process.argv[2];
  fs.writeFileSync(out + '/js_sdk_metrics.binpb', Buffer.from(await metrics()));
  fs.writeFileSync(out + '/js_sdk_traces.binpb', Buffer.from(traces()));
  fs.writeFileSync(out + '/js_sdk_logs.binpb', Buffer.from(await logs()));
})().catch((e) => { console.error(e); process.exit(1); });
