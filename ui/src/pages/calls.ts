// GenAI calls page: a searchable table of LLM calls (time, service, model, operation, tokens,
// cost, duration, status) with filters held in the URL and paging by cursor, from the span
// search (/api/v1/spans); "top by cost/duration" comes from /api/v1/genai/calls when the server
// has it. A row opens the call's detail page (call.ts).

import type { Page, PageContext } from '../page';
import { fmtCost, fmtCount, fmtDuration } from '../format';
import { errorText, h, Life } from './kit';
import { matchesText, rowFromCall, rowFromSpan, searchParams, type CallRow } from './calls_model';

const PAGE_ROWS = 50; // rows wanted per page
const SCAN_LIMIT = 100; // spans per request; non-LLM spans of the same traces are skipped
const MAX_SCANS = 5; // requests per page at most

export interface PageResult {
  rows: CallRow[];
  next: string | null;
  scanned: number;
}

// One page of LLM calls from the span search: requests pages of spans and keeps those with
// GenAI fields until PAGE_ROWS are found, the spans run out, or MAX_SCANS requests were made.
// GenAI spans that are not model calls (agents, workflows, tools): left out of the table unless
// the operation filter asks for them.
export const NOT_CALLS = new Set(['invoke_agent', 'create_agent', 'invoke_workflow', 'execute_tool']);

export async function searchCalls(get: (path: string, params: Record<string, string | undefined>) => Promise<any>, params: Record<string, string | undefined>): Promise<PageResult> {
  const rows: CallRow[] = [];
  let cursor = params.cursor;
  let scanned = 0;
  for (let i = 0; i < MAX_SCANS; i++) {
    const ans = await get('spans', { ...params, limit: String(SCAN_LIMIT), cursor });
    const spans: any[] = ans?.spans ?? [];
    scanned += spans.length;
    for (const s of spans) {
      const r = rowFromSpan(s);
      if (r && (params.operation || !NOT_CALLS.has(r.operation))) rows.push(r);
    }
    cursor = ans?.next_cursor ?? undefined;
    if (!cursor || rows.length >= PAGE_ROWS) break;
  }
  return { rows, next: cursor ?? null, scanned };
}

// Whether the server has /api/v1/genai/calls (asked once per page load).
let genaiCalls: Promise<boolean> | null = null;
function hasGenaiCalls(ctx: PageContext): Promise<boolean> {
  if (!genaiCalls) {
    const now = Math.floor(Date.now() / 1000);
    genaiCalls = ctx.api.get('genai/calls', { limit: 1, start: now - 60, end: now }).then(
      () => true,
      () => false,
    );
  }
  return genaiCalls;
}

function textInput(ctx: PageContext, key: string, label: string, placeholder: string, width = '9em'): HTMLElement {
  const input = h('input', { type: 'text', value: ctx.params.get(key) ?? '', placeholder, style: { width } });
  const apply = () => {
    const v = input.value.trim();
    if (v !== (ctx.params.get(key) ?? '')) ctx.setParams({ [key]: v || undefined, cursor: undefined, back: undefined });
  };
  input.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') apply();
  });
  input.addEventListener('change', apply);
  return h('label', { class: 'gx-field' }, h('span', null, label), input);
}

function selectInput(ctx: PageContext, key: string, label: string, options: [string, string][]): HTMLElement {
  const cur = ctx.params.get(key) ?? '';
  const sel = h(
    'select',
    { onchange: () => ctx.setParams({ [key]: sel.value || undefined, cursor: undefined, back: undefined }) },
    ...options.map(([v, l]) => h('option', { value: v, selected: v === cur }, l)),
  );
  if (cur && !options.some(([v]) => v === cur)) sel.append(h('option', { value: cur, selected: true }, cur));
  return h('label', { class: 'gx-field' }, h('span', null, label), sel);
}

function fmtWhen(t: number): string {
  if (!Number.isFinite(t)) return '–';
  const d = new Date(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function statusCell(r: CallRow): HTMLElement {
  const cls = r.status === 'error' ? 'gx-badge gx-badge-err' : r.status === 'ok' ? 'gx-badge gx-badge-ok' : 'gx-badge';
  const reason = r.finish_reasons.filter(Boolean).join(', ');
  return h('td', null, h('span', { class: cls }, r.status), reason ? h('span', { class: 'gx-dim gx-reason' }, reason) : null);
}

export function callsTable(rows: CallRow[], open: (r: CallRow) => void, currency = 'USD'): HTMLElement {
  const maxDur = Math.max(1e-9, ...rows.map((r) => r.duration));
  const head = ['time', 'service', 'model', 'operation', 'tokens in → out', 'cost', 'duration', 'status'];
  return h(
    'table',
    { class: 'gx-table gx-calls' },
    h('thead', null, h('tr', null, ...head.map((t, i) => h('th', { class: i >= 4 && i <= 6 ? 'num' : '' }, t)))),
    h(
      'tbody',
      null,
      ...rows.map((r) =>
        h(
          'tr',
          { class: 'gx-click' + (r.status === 'error' ? ' gx-row-err' : ''), onclick: () => open(r), title: r.name },
          h('td', { class: 'gx-mono gx-nowrap' }, fmtWhen(r.start)),
          h('td', null, r.service),
          h('td', null, r.model || '–', r.provider ? h('span', { class: 'gx-dim' }, ` ${r.provider}`) : null),
          h('td', null, r.operation || '–'),
          h('td', { class: 'num gx-nowrap' }, r.input_tokens === null && r.output_tokens === null ? '–' : `${fmtCount(r.input_tokens)} → ${fmtCount(r.output_tokens)}`),
          h('td', { class: 'num' }, r.cost === null ? '–' : fmtCost(r.cost, currency)),
          h(
            'td',
            { class: 'num gx-nowrap' },
            h('span', { class: 'gx-durbar', style: { width: `${Math.max(2, (r.duration / maxDur) * 60).toFixed(0)}px` } }),
            fmtDuration(r.duration),
          ),
          statusCell(r),
        ),
      ),
    ),
  );
}

function render(el: HTMLElement, ctx: PageContext): () => void {
  const life = new Life();
  const p = ctx.params;
  const sort = p.get('sort') ?? '';
  const q = p.get('q') ?? '';
  const services = h('span');
  const filters = h(
    'div',
    { class: 'gx-toolbar gx-filters' },
    services,
    textInput(ctx, 'model', 'Model', 'any'),
    textInput(ctx, 'provider', 'Provider', 'any', '7em'),
    selectInput(ctx, 'operation', 'Operation', [['', 'any model call'], ...['chat', 'text_completion', 'embeddings', 'rerank', 'generate_content', ...NOT_CALLS].map((o) => [o, o] as [string, string])]),
    selectInput(ctx, 'status', 'Status', [['', 'any'], ['ok', 'ok'], ['error', 'error'], ['unset', 'unset']]),
    textInput(ctx, 'min_duration', 'Min duration', '2s, 500ms', '6em'),
    textInput(ctx, 'min_cost', 'Min cost', '0.01', '5em'),
    textInput(ctx, 'q', 'Text', 'search this page', '11em'),
    selectInput(ctx, 'sort', 'Show', [['', 'newest first'], ['cost', 'top by cost'], ['duration', 'top by duration']]),
  );
  const body = h('div', { class: 'card gx-card gx-wide' }, h('div', { class: 'loading gx-loading' }, 'Loading…'));
  const pager = h('div', { class: 'gx-pager' });
  el.append(h('div', { class: 'gx-page' }, h('div', { class: 'gx-title' }, h('h2', null, 'GenAI calls'), h('span', { class: 'gx-sub' }, 'LLM calls recorded as spans')), filters, body, pager));

  ctx.api.get('services', { start: ctx.range.start, end: ctx.range.end }).then(
    (ans) => {
      if (!life.alive) return;
      const list: string[] = ans?.services ?? [];
      services.replaceWith(selectInput(ctx, 'service', 'Service', [['', `any (${list.length})`], ...list.map((s) => [s, s] as [string, string])]));
    },
    () => services.replaceWith(textInput(ctx, 'service', 'Service', 'any')),
  );

  const open = (r: CallRow) => ctx.navigate('call', { trace: r.trace_id, span: r.span_id });
  let currency = 'USD';
  const show = (rows: CallRow[], note: string) => {
    const shown = rows.filter((r) => matchesText(r, q));
    body.textContent = '';
    if (!shown.length) {
      body.append(h('div', { class: 'gx-empty' }, rows.length ? `No call on this page matches “${q}”.` : 'No LLM call matches these filters in this range.'));
    } else {
      body.append(h('div', { class: 'gx-table-wrap' }, callsTable(shown, open, currency)));
    }
    pager.prepend(h('span', { class: 'gx-dim' }, note + (q && rows.length !== shown.length ? ` · ${shown.length} of ${rows.length} match the text` : '')));
  };

  const load = async () => {
    const params = searchParams(p, ctx.range, PAGE_ROWS);
    if (sort && (await hasGenaiCalls(ctx))) {
      const { cursor: _c, ...rest } = params;
      const ans = await ctx.api.get('genai/calls', { ...rest, sort, limit: 100 });
      if (!life.alive) return;
      const rows = (ans?.calls ?? []).map(rowFromCall).filter((r: CallRow) => params.operation || !NOT_CALLS.has(r.operation));
      currency = ans?.currency ?? 'USD';
      show(rows, `${rows.length} calls, top by ${sort}`);
      return;
    }
    const res = await searchCalls((path, prm) => ctx.api.get(path, prm), params);
    if (!life.alive) return;
    let rows = res.rows;
    let note = `${rows.length} calls (${res.scanned} spans searched)`;
    if (sort) {
      rows = [...rows].sort((a, b) => (sort === 'cost' ? (b.cost ?? -1) - (a.cost ?? -1) : b.duration - a.duration));
      note += `, this page sorted by ${sort} (the server has no /api/v1/genai/calls)`;
    }
    show(rows, note);
    const back = (p.get('back') ?? '').split(',').filter(Boolean);
    const cur = p.get('cursor') ?? '';
    pager.append(
      h('button', { class: 'btn', disabled: !cur, onclick: () => ctx.setParams({ cursor: back[back.length - 1] === '-' ? undefined : back[back.length - 1], back: back.slice(0, -1).join(',') || undefined }) }, '← Newer'),
      h('button', { class: 'btn', disabled: !res.next, onclick: () => ctx.setParams({ cursor: res.next ?? undefined, back: [...back, cur || '-'].join(',') }) }, 'Older →'),
    );
  };
  load().catch((e) => {
    if (!life.alive) return;
    body.textContent = '';
    body.append(h('div', { class: 'error-box gx-error' }, errorText(e)));
  });
  return () => life.dispose();
}

export const page: Page = { title: 'GenAI calls', render };
