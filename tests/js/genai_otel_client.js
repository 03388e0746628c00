#!/usr/bin/env node
// openai@6 instrumented by @opentelemetry/instrumentation-openai 0.22.0 with the OpenTelemetry
// JS SDK 3.x, exporting OTLP/protobuf traces, metrics and logs, for tests/genai_e2e_test.cc.
//
//   genai_otel_client.js OPENAI_BASE_URL OTLP_BASE_URL MODEL
//
// Makes a chat, a streamed chat (with the usage chunk), an embeddings call and a chat the
// simulator fails (x-sim-fail: error), then flushes everything to OTLP_BASE_URL/v1/{traces,
// metrics,logs} and prints one JSON object with what the client saw.
'use strict';

const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { TracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');

async function main() {
  const [baseURL, otlp, model] = process.argv.slice(2);
  const resource = resourceFromAttributes({ 'service.name': 'genai-e2e-otel' });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }) })],
  });
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${otlp}/v1/metrics` }),
    exportIntervalMillis: 600000,
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${otlp}/v1/logs` }) })],
  });
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  if (api.logs) api.logs.setGlobalLoggerProvider(loggerProvider);
  // Before openai is loaded: the instrumentation patches it as it is required.
  registerInstrumentations({
    instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
    tracerProvider, meterProvider, loggerProvider,
  });
  const { OpenAI } = require('openai');
  const client = new OpenAI({ baseURL, apiKey: 'sk-simulator', maxRetries: 0, timeout: 60000 });
  const out = {};

  const chat = await client.chat.completions.create({
    model, max_tokens: 24, messages: [{ role: 'user', content: 'What does a KV cache hold?' }] });
  out.chat = { id: chat.id, finish: chat.choices[0].finish_reason, usage: chat.usage };

  const stream = await client.chat.completions.create({
    model, max_tokens: 16, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Stream a short answer about batching.' }] });
  let chunks = 0, text = '', usage = null, finish = null, firstAt = 0;
  const t0 = Date.now();
  for await (const chunk of stream) {
    if (chunks++ === 0) firstAt = Date.now() - t0;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta && c.delta.content) text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  out.stream = { chunks, finish, usage, first_chunk_ms: firstAt, total_ms: Date.now() - t0, text };

  const emb = await client.embeddings.create({ model, input: ['first text', 'second text'] });
  out.embeddings = { count: emb.data.length, usage: emb.usage };

  try {
    await client.chat.completions.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'fail please' }] },
                                         { headers: { 'x-sim-fail': 'error' } });
    out.error = { status: 0 };
  } catch (e) {
    out.error = { status: e.status, type: e.constructor.name };
  }

  await tracerProvider.forceFlush();
  await meterProvider.forceFlush();
  await loggerProvider.forceFlush();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  await loggerProvider.shutdown();
  // Flat figures first (the C++ test reads them with a regex), then the details.
  const u = (x, k) => (x && x.usage && x.usage[k] !== undefined ? x.usage[k] : -1);
  const facts = {
    chat_in: u(out.chat, 'prompt_tokens'), chat_out: u(out.chat, 'completion_tokens'),
    stream_in: u(out.stream, 'prompt_tokens'), stream_out: u(out.stream, 'completion_tokens'),
    stream_chunks: out.stream.chunks, emb_in: u(out.embeddings, 'prompt_tokens'),
    error_status: out.error.status, first_chunk_ms: out.stream.first_chunk_ms, stream_ms: out.stream.total_ms,
  };
  console.log(JSON.stringify({ facts, out }));
}

main().catch((e) => { console.error(e); process.exit(1); });
