#!/usr/bin/env node
// openai@6 traced by OpenLLMetry (@traceloop/node-server-sdk 0.27.0), for
// tests/genai_e2e_test.cc. Run from tests/js/traceloop (its own node_modules: OpenTelemetry
// JS 0.203 / 2.0.x).
//
//   genai_traceloop_client.js OPENAI_BASE_URL OTLP_BASE_URL MODEL
//
// Makes a chat, a streamed chat, an embeddings call and a chat the simulator fails
// (x-sim-fail: error; recorded on an application span, see below), flushes the spans to OTLP_BASE_URL/v1/traces and prints one JSON object
// with what the client saw.
//
// Off the internet: a loopback baseUrl (the SDK syncs prompts from api.traceloop.com only when
// its baseUrl contains "traceloop", and crashes when that fails), TRACELOOP_SYNC_ENABLED=false,
// and a guard that refuses, and reports, any connection or name lookup that is not loopback.
'use strict';

const net = require('net');
const dns = require('dns');

const outside = [];
const loopback = (host) =>
  host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(String(host));
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const opts = typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0], host: args[1] };
  if (opts.path === undefined && !loopback(opts.host)) {
    outside.push(`connect ${opts.host}:${opts.port}`);
    throw new Error(`genai_traceloop_client: refused a non-loopback connection to ${opts.host}`);
  }
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function guardedLookup(host, ...rest) {
  if (!loopback(host)) {
    outside.push(`lookup ${host}`);
    const cb = rest[rest.length - 1];
    process.nextTick(() => cb(new Error(`genai_traceloop_client: refused to look up ${host}`)));
    return {};
  }
  return lookup.call(this, host, ...rest);
};

process.env.TRACELOOP_SYNC_ENABLED = 'false';
const OpenAI = require('openai');
const traceloop = require('@traceloop/node-server-sdk');
const api = require('@opentelemetry/api');

async function main() {
  const [baseURL, otlp, model] = process.argv.slice(2);
  traceloop.initialize({
    appName: 'genai-e2e-traceloop',
    baseUrl: otlp,            // spans go to `${otlp}/v1/traces`
    apiKey: 'unused-on-loopback',
    disableBatch: true,
    silenceInitializationMessage: true,
    instrumentModules: { openAI: OpenAI.OpenAI },
  });
  const client = new OpenAI.OpenAI({ baseURL, apiKey: 'sk-simulator', maxRetries: 0, timeout: 60000 });
  const out = {};

  const chat = await client.chat.completions.create({
    model, max_tokens: 24, messages: [{ role: 'user', content: 'What does a KV cache hold?' }] });
  out.chat = { id: chat.id, finish: chat.choices[0].finish_reason, usage: chat.usage };

  const stream = await client.chat.completions.create({
    model, max_tokens: 16, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Stream a short answer about batching.' }] });
  let chunks = 0, usage = null, finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) if (c.finish_reason) finish = c.finish_reason;
  }
  out.stream = { chunks, finish, usage };

  const emb = await client.embeddings.create({ model, input: ['first text', 'second text'] });
  out.embeddings = { count: emb.data.length, usage: emb.usage };

  // OpenLLMetry 0.27 ends its span only when the call succeeds (its promise wrapper has no
  // rejection path), so a failed call leaves no span of its own. The application records the
  // failure on its own span, through the tracer provider OpenLLMetry installed.
  const tracer = api.trace.getTracer('genai-e2e-app');
  await tracer.startActiveSpan('failing chat', async (span) => {
    span.setAttribute('gen_ai.operation.name', 'chat');
    span.setAttribute('gen_ai.request.model', model);
    try {
      await client.chat.completions.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'fail please' }] },
                                           { headers: { 'x-sim-fail': 'error' } });
      out.error = { status: 0 };
    } catch (e) {
      out.error = { status: e.status, type: e.constructor.name };
      span.recordException(e);
      span.setAttribute('error.type', String(e.status));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message });
    } finally {
      span.end();
    }
  });

  await traceloop.forceFlush();
  out.outside = outside;
  // Flat figures first (the C++ test reads them with a regex), then the details.
  const u = (x, k) => (x && x.usage && x.usage[k] !== undefined ? x.usage[k] : -1);
  const facts = {
    chat_in: u(out.chat, 'prompt_tokens'), chat_out: u(out.chat, 'completion_tokens'),
    stream_in: u(out.stream, 'prompt_tokens'), stream_out: u(out.stream, 'completion_tokens'),
    stream_chunks: out.stream.chunks, emb_in: u(out.embeddings, 'prompt_tokens'),
    error_status: out.error.status,
  };
  console.log(JSON.stringify({ facts, out }));
  if (outside.length > 0) process.exit(2);
}

main().catch((e) => { console.error(e); process.exit(1); });
