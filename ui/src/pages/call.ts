// One GenAI call: the conversation as chat bubbles (redaction marks highlighted), parameters,
// tokens and cost, the trace's waterfall, and the span's events and the trace's linked logs.
// URL: #/call?trace=<32 hex>&span=<16 hex>.

import type { Page, PageContext } from '../page';
import { fmtCost, fmtCount, fmtDuration } from '../format';
import { errorText, h, Life } from './kit';
import { extractConversation, logEventName, splitMarks, type Message, type Part } from './messages';
import { layoutWaterfall } from './waterfall';

// Text with [REDACTED:kind] / [HASH:kind:…] marks wrapped in highlighted spans.
export function markedText(text: string): HTMLElement {
  const el = h('span', { class: 'gx-text' });
  for (const s of splitMarks(text)) {
    if (!s.mark) el.append(s.text);
    else el.append(h('mark', { class: `gx-mark gx-mark-${s.mark}`, title: s.mark === 'redacted' ? `redacted ${s.kind}` : `hashed ${s.kind}` }, s.text));
  }
  return el;
}

function partEl(p: Part): HTMLElement {
  if (p.type === 'text') return h('div', { class: 'gx-part' }, markedText(p.content ?? ''));
  if (p.type === 'tool_call') {
    let args = p.arguments ?? '';
    try {
      args = JSON.stringify(JSON.parse(args), null, 2);
    } catch {
      /* keep as is */
    }
    return h('div', { class: 'gx-part gx-tool' }, h('div', { class: 'gx-tool-head' }, '⚙ ', p.name ?? 'tool call', p.id ? h('span', { class: 'gx-dim' }, ` ${p.id}`) : null), h('pre', null, markedText(args)));
  }
  return h('div', { class: 'gx-part gx-part-other' }, h('span', { class: 'gx-dim' }, p.type + ': '), markedText(p.content ?? ''));
}

function bubble(m: Message, side: 'in' | 'out'): HTMLElement {
  const role = m.role || (side === 'in' ? 'user' : 'assistant');
  return h(
    'div',
    { class: `gx-bubble-row gx-role-${role.replace(/[^a-z_]/gi, '')}` },
    h(
      'div',
      { class: 'gx-bubble' },
      h('div', { class: 'gx-bubble-role' }, role, m.finish_reason ? h('span', { class: 'gx-dim' }, ` · finish: ${m.finish_reason}`) : null),
      ...(m.parts.length ? m.parts.map(partEl) : [h('div', { class: 'gx-dim' }, '(no content)')]),
    ),
  );
}

function conversation(span: any, logs: any[]): HTMLElement {
  const c = extractConversation(span, logs);
  const a = span.attributes || {};
  const el = h('div', { class: 'gx-convo' });
  const redactions = a['astrolabe.redaction.count'];
  if (redactions !== undefined) {
    el.append(h('div', { class: 'gx-note' }, `Redaction: ${redactions} item(s) replaced (mode ${a['astrolabe.redaction.mode'] ?? '?'}).`));
  }
  if (c.system.length) el.append(bubble({ role: 'system', parts: c.system }, 'in'));
  for (const m of c.input) el.append(bubble(m, 'in'));
  if (c.input.length && c.output.length) el.append(h('div', { class: 'gx-divider' }, 'response'));
  for (const m of c.output) el.append(bubble(m, 'out'));
  if (!c.input.length && !c.output.length && !c.system.length) {
    el.append(h('div', { class: 'gx-empty' }, a['astrolabe.redaction.mode'] === 'drop' ? 'The content was dropped by redaction (mode drop).' : 'No message content was recorded for this call (content capture off, or an embeddings call).'));
  } else {
    const src = [...new Set([c.inputSource, c.outputSource].filter((s) => s !== 'none'))];
    el.append(h('div', { class: 'gx-dim gx-source' }, 'from ', src.map((s) => ({ otel: 'gen_ai.input/output.messages', legacy: 'gen_ai.prompt/completion.N.*', events: 'span events', logs: 'log records' })[s] ?? s).join(' and ')));
  }
  return el;
}

function kv(rows: [string, any][]): HTMLElement {
  return h('table', { class: 'gx-kv' }, h('tbody', null, ...rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v instanceof Node ? v : typeof v === 'object' || typeof v === 'boolean' ? JSON.stringify(v) : v)))));
}

const PARAM_KEYS = /^(gen_ai\.request\.|llm\.(frequency|presence)_penalty|llm\.top_k|llm\.is_streaming|llm\.request\.type|gen_ai\.openai\.|gen_ai\.response\.(id|model))/;

function details(span: any): HTMLElement {
  const a = span.attributes || {};
  const g = span.genai || {};
  const num = (k: string) => (a[k] === undefined ? undefined : fmtCount(Number(a[k])));
  const cost = a['astrolabe.genai.cost'] ?? g.cost;
  const ttft = a['astrolabe.genai.time_to_first_token'] ?? a['gen_ai.response.time_to_first_chunk'];
  const usage = kv([
    ['input tokens', g.input_tokens !== undefined ? fmtCount(g.input_tokens) : num('gen_ai.usage.input_tokens') ?? num('gen_ai.usage.prompt_tokens')],
    ['output tokens', g.output_tokens !== undefined ? fmtCount(g.output_tokens) : num('gen_ai.usage.output_tokens') ?? num('gen_ai.usage.completion_tokens')],
    ['cache read', num('gen_ai.usage.cache_read.input_tokens')],
    ['cache creation', num('gen_ai.usage.cache_creation.input_tokens')],
    ['reasoning', num('gen_ai.usage.reasoning.output_tokens')],
    ['cost', cost !== undefined ? fmtCost(Number(cost), a['astrolabe.genai.cost.currency'] ?? 'USD') : undefined],
    ['duration', fmtDuration(Number(span.duration_nanos) / 1e9)],
    ['time to first token', ttft !== undefined ? fmtDuration(Number(ttft)) : undefined],
    ['finish reasons', (g.finish_reasons ?? a['gen_ai.response.finish_reasons'] ?? []).join?.(', ')],
  ]);
  const params = kv(
    Object.keys(a)
      .filter((k) => PARAM_KEYS.test(k))
      .sort()
      .map((k) => [k.replace(/^gen_ai\.request\./, ''), a[k]]),
  );
  return h('div', { class: 'gx-details' }, h('div', null, h('h4', null, 'Usage'), usage), h('div', null, h('h4', null, 'Parameters'), params));
}

function waterfall(spans: any[], current: string, ctx: PageContext, traceId: string): HTMLElement {
  const wf = layoutWaterfall(spans);
  const el = h('div', { class: 'gx-waterfall' });
  for (const r of wf.rows) {
    const s = r.span;
    const isLLM = !!s.genai?.model;
    el.append(
      h(
        'div',
        {
          class: 'gx-wf-row' + (s.span_id === current ? ' gx-wf-current' : '') + (isLLM ? ' gx-click' : ''),
          title: `${s.service} · ${s.name} · ${fmtDuration(r.durNs / 1e9)}${s.status_message ? ' · ' + s.status_message : ''}`,
          onclick: isLLM && s.span_id !== current ? () => ctx.navigate('call', { trace: traceId, span: s.span_id }) : undefined,
        },
        h('div', { class: 'gx-wf-name', style: { paddingLeft: `${r.depth * 14 + 4}px` } }, h('span', { class: 'gx-wf-svc' }, s.service), ' ', s.name),
        h(
          'div',
          { class: 'gx-wf-track' },
          h('div', {
            class: 'gx-wf-bar' + (s.status === 'error' ? ' gx-wf-err' : isLLM ? ' gx-wf-llm' : ''),
            style: { left: `${(r.offset * 100).toFixed(3)}%`, width: `max(2px, ${(r.width * 100).toFixed(3)}%)` },
          }),
        ),
        h('div', { class: 'gx-wf-dur' }, fmtDuration(r.durNs / 1e9)),
      ),
    );
  }
  return el;
}

function eventsAndLogs(span: any, logs: any[]): HTMLElement {
  const items: { t: string; kind: string; name: string; body: any }[] = [];
  for (const e of span.events || []) items.push({ t: e.time_unix_nano ?? '0', kind: 'event', name: e.name, body: e.attributes });
  for (const l of logs) {
    if (l.span_id && l.span_id !== span.span_id) continue;
    items.push({ t: l.time_unix_nano ?? '0', kind: `log ${l.severity_text || ''}`.trim(), name: logEventName(l) || '(log)', body: l.body ?? l.attributes });
  }
  items.sort((a, b) => (BigInt(a.t || '0') < BigInt(b.t || '0') ? -1 : 1));
  if (!items.length) return h('div', { class: 'gx-empty' }, 'No events or logs linked to this span.');
  const t0 = BigInt(span.start_time_unix_nano || '0');
  return h(
    'table',
    { class: 'gx-table gx-events' },
    h('thead', null, h('tr', null, h('th', null, 'at'), h('th', null, 'kind'), h('th', null, 'name'), h('th', null, 'content'))),
    h(
      'tbody',
      null,
      ...items.map((it) =>
        h(
          'tr',
          null,
          h('td', { class: 'gx-mono gx-nowrap' }, '+' + fmtDuration(Number(BigInt(it.t || '0') - t0) / 1e9)),
          h('td', { class: 'gx-dim' }, it.kind),
          h('td', null, it.name),
          h('td', null, h('pre', { class: 'gx-pre' }, markedText(typeof it.body === 'string' ? it.body : JSON.stringify(it.body, null, 1) ?? ''))),
        ),
      ),
    ),
  );
}

function section(title: string, body: HTMLElement, cls = ''): HTMLElement {
  return h('section', { class: 'card gx-card ' + cls }, h('header', { class: 'card-head' }, h('h3', null, title)), h('div', { class: 'card-body' }, body));
}

function render(el: HTMLElement, ctx: PageContext): () => void {
  const life = new Life();
  const traceId = (ctx.params.get('trace') ?? '').toLowerCase();
  const spanId = (ctx.params.get('span') ?? '').toLowerCase();
  const back = h('a', { href: '#/calls', class: 'gx-back', onclick: (e: Event) => (e.preventDefault(), ctx.navigate('calls')) }, '← GenAI calls');
  const root = h('div', { class: 'gx-page' }, back, h('div', { class: 'loading gx-loading' }, 'Loading…'));
  el.append(root);
  if (!/^[0-9a-f]{32}$/.test(traceId)) {
    root.lastChild!.replaceWith(h('div', { class: 'error-box gx-error' }, 'No trace id in the address (#/call?trace=<32 hex digits>&span=<16>).'));
    return () => life.dispose();
  }
  ctx.api.get(`traces/${traceId}`).then(
    (t) => {
      if (!life.alive) return;
      const spans: any[] = t?.spans ?? [];
      const logs: any[] = t?.logs ?? [];
      const span = spans.find((s) => s.span_id === spanId) ?? spans.find((s) => s.genai) ?? spans[0];
      root.lastChild!.remove();
      if (!span) {
        root.append(h('div', { class: 'gx-empty' }, 'This trace has no spans.'));
        return;
      }
      const g = span.genai || {};
      root.append(
        h(
          'div',
          { class: 'gx-title' },
          h('h2', null, span.name),
          h('span', { class: `gx-badge ${span.status === 'error' ? 'gx-badge-err' : span.status === 'ok' ? 'gx-badge-ok' : ''}` }, span.status),
          h('span', { class: 'gx-sub' }, [span.service, g.provider, g.model, g.operation].filter(Boolean).join(' · ')),
        ),
        h('div', { class: 'gx-dim gx-ids' }, `${span.start_time} · trace ${traceId} · span ${span.span_id}`, span.status_message ? h('div', { class: 'gx-bad' }, span.status_message) : null),
        h(
          'div',
          { class: 'gx-call-grid' },
          section('Conversation', conversation(span, logs), 'gx-convo-card'),
          h('div', { class: 'gx-side' }, section('Tokens, cost and parameters', details(span))),
        ),
        section(`Trace (${spans.length} spans)`, waterfall(spans, span.span_id, ctx, traceId), 'gx-wide'),
        section('Events and logs', eventsAndLogs(span, logs), 'gx-wide'),
        section(
          'All attributes',
          h('details', null, h('summary', null, `${Object.keys(span.attributes || {}).length} span attributes, ${Object.keys(span.resource?.attributes || {}).length} resource attributes`), kv(Object.entries({ ...(span.attributes || {}) }).map(([k, v]) => [k, typeof v === 'string' ? markedText(v) : v])), kv(Object.entries(span.resource?.attributes || {}))),
          'gx-wide',
        ),
      );
    },
    (e) => {
      if (!life.alive) return;
      root.lastChild!.replaceWith(h('div', { class: 'error-box gx-error' }, errorText(e)));
    },
  );
  return () => life.dispose();
}

export const page: Page = { title: 'Call', render };
