// openai@6 (the real npm client) against an Astrolabe simulator: node js/sim_openai_client.js
// BASE_URL MODEL. Prints one JSON object with what the client saw; exits 0 when every call
// behaved (the C++ test, tests/sim_e2e_test.cc, checks the figures against the metrics).
'use strict';
const { OpenAI } = require('openai');

async function main() {
  const [baseURL, model] = process.argv.slice(2);
  // Loopback only, one attempt per call (the client retries 429/5xx twice by default).
  const client = new OpenAI({ baseURL, apiKey: 'sk-simulator', maxRetries: 0, timeout: 60000 });
  const out = {};

  const chat = await client.chat.completions.create({
    model, max_tokens: 24, messages: [{ role: 'system', content: 'Be brief.' },
                                      { role: 'user', content: 'What does a KV cache hold?' }] });
  out.chat = { object: chat.object, finish: chat.choices[0].finish_reason,
               content: chat.choices[0].message.content, usage: chat.usage };

  const stream = await client.chat.completions.create({
    model, max_tokens: 16, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Stream a short answer.' }] });
  let text = '', chunks = 0, usage = null, finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta && c.delta.content) text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  out.stream = { chunks, text, usage, finish };

  const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8 });
  out.completion = { object: completion.object, usage: completion.usage };

  // The client asks for base64 by default and decodes it to floats.
  const emb = await client.embeddings.create({ model, input: ['first text', 'second text'] });
  out.embeddings = { count: emb.data.length, dims: emb.data[0].embedding.length,
                     norm: Math.sqrt(emb.data[0].embedding.reduce((s, x) => s + x * x, 0)),
                     usage: emb.usage };

  const models = await client.models.list();
  out.models = models.data.map((m) => m.id);

  const errors = {};
  for (const [name, call] of [
    ['unknown_model', () => client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })],
    ['bad_request', () => client.chat.completions.create({ model, messages: [] })],
    ['server_error', () => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] },
                                                          { headers: { 'x-sim-fail': 'error' } })],
  ]) {
    try {
      await call();
      errors[name] = { status: 0 };
    } catch (e) {
      errors[name] = { status: e.status, type: e.constructor.name, message: e.message,
                       param: e.param === undefined ? null : e.param };
    }
  }
  out.errors = errors;
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
