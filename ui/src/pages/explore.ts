// Explore: a PromQL editor (completion of metric names, functions, label names and values from
// /api/v1/label/__name__/values, /api/v1/labels and /api/v1/label/<l>/values), its result as a
// chart and a table. The query and the view are in the URL (q, view).
import type { Api, Page, PageContext } from '../page';
import { AuthError } from '../api';
import { card, clear, errorBox, h, spinner } from '../dom';
import {
  alignMatrix, fmtByUnit, fmtNumber, metricString, parseValue, table, timeSeriesChart, unitOfMetric,
  type MatrixSeries, type VectorSample,
} from '../chart';
import { applyCompletion, completionContext, FUNCTIONS, rank, type CompletionContext } from '../promql_complete';
import { emptyState } from '../onboarding';

const EXAMPLES = [
  'sum by (model_name) (rate(generation_tokens_total[5m]))',
  'histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:e2e_request_latency_seconds_bucket[5m])))',
  'sum by (ai_provider, ai_model) (rate(kong_ai_llm_requests_total[5m]))',
  'max by (model_name) (gpu_cache_usage_perc or vllm:kv_cache_usage_perc)',
];

// Caches per API client, so completion does not refetch on every key.
const cache = new WeakMap<Api, Map<string, Promise<string[]>>>();
function cached(api: Api, key: string, f: () => Promise<string[]>): Promise<string[]> {
  let m = cache.get(api);
  if (!m) cache.set(api, (m = new Map()));
  let p = m.get(key);
  if (!p) {
    p = f().catch((e) => {
      m!.delete(key);
      if (e instanceof AuthError) throw e;
      return [];
    });
    m.set(key, p);
  }
  return p;
}

async function candidates(api: Api, c: CompletionContext, start: number, end: number): Promise<{ value: string; kind: string }[]> {
  const match = c.metric ? { 'match[]': c.metric } : {};
  if (c.kind === 'metric') {
    const names = await cached(api, 'names', () => api.get('label/__name__/values', { start, end }));
    return [...rank(names, c.prefix, 40).map((v) => ({ value: v, kind: 'metric' })),
      ...rank(FUNCTIONS, c.prefix, 10).map((v) => ({ value: v, kind: 'function' }))];
  }
  if (c.kind === 'label') {
    const labels = await cached(api, 'labels:' + (c.metric ?? ''), () => api.get('labels', { ...match, start, end }));
    return rank(labels.filter((l) => l !== '__name__' || !c.metric), c.prefix, 50).map((v) => ({ value: v, kind: 'label' }));
  }
  if (c.kind === 'value' && c.label) {
    const values = await cached(api, `values:${c.label}:${c.metric ?? ''}`, () =>
      api.get(`label/${encodeURIComponent(c.label!)}/values`, { ...match, start, end }));
    return rank(values, c.prefix, 50).map((v) => ({ value: v, kind: 'value' }));
  }
  return [];
}

function render(el: HTMLElement, ctx: PageContext): () => void {
  const disposers: (() => void)[] = [];
  let alive = true;
  const q = ctx.params.get('q') ?? '';
  const view = ctx.params.get('view') === 'table' ? 'table' : 'chart';
  const editor = h('textarea', { class: 'input editor', id: 'promql', spellcheck: false, rows: 2, placeholder: 'PromQL, e.g. sum by (model_name) (rate(generation_tokens_total[5m]))  — Ctrl+Enter runs, Tab completes', 'aria-label': 'PromQL query' });
  editor.value = q;
  const list = h('div', { class: 'completions', role: 'listbox' });
  let items: { value: string; kind: string }[] = [];
  let active = 0;
  let cctx: CompletionContext | null = null;
  let seq = 0;

  const closeList = () => {
    list.classList.remove('open');
    items = [];
  };
  const drawList = () => {
    clear(list);
    items.forEach((it, i) => {
      const row = h('div', { class: 'completion' + (i === active ? ' active' : ''), role: 'option', onmousedown: (ev: Event) => {
        ev.preventDefault();
        active = i;
        accept();
      } }, h('span', null, it.value), h('span', { class: 'kind' }, it.kind));
      list.append(row);
    });
    list.classList.toggle('open', items.length > 0);
    (list.children[active] as HTMLElement | undefined)?.scrollIntoView?.({ block: 'nearest' });
  };
  const suggest = async () => {
    const my = ++seq;
    const c = completionContext(editor.value, editor.selectionStart ?? editor.value.length);
    if (c.kind === 'none' || (c.kind === 'metric' && c.prefix.length < 1)) {
      closeList();
      return;
    }
    try {
      const found = await candidates(ctx.api, c, ctx.range.start, ctx.range.end);
      if (my !== seq || !alive) return;
      cctx = c;
      items = found;
      active = 0;
      drawList();
    } catch {
      closeList();
    }
  };
  const accept = () => {
    if (!cctx || !items[active]) return;
    const r = applyCompletion(editor.value, cctx, items[active].value, editor.selectionStart ?? editor.value.length);
    editor.value = r.text;
    editor.setSelectionRange(r.cursor, r.cursor);
    closeList();
    editor.focus();
    if (cctx.kind === 'label') void suggest();
  };
  const run = () => {
    closeList();
    ctx.setParams({ q: editor.value.trim() || undefined });
  };
  editor.addEventListener('input', () => void suggest());
  editor.addEventListener('blur', () => setTimeout(closeList, 150));
  editor.addEventListener('keydown', (ev) => {
    const open = list.classList.contains('open');
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey || (!ev.shiftKey && !open))) {
      ev.preventDefault();
      run();
    } else if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
      ev.preventDefault();
      active = (active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      drawList();
    } else if (open && (ev.key === 'Tab' || ev.key === 'Enter')) {
      ev.preventDefault();
      accept();
    } else if (ev.key === 'Escape') {
      closeList();
    } else if (ev.key === ' ' && ev.ctrlKey) {
      ev.preventDefault();
      void suggest();
    }
  });

  const tabs = h('div', { class: 'seg' },
    h('button', { class: 'seg-btn' + (view === 'chart' ? ' active' : ''), type: 'button', onclick: () => ctx.setParams({ view: undefined }) }, 'Chart'),
    h('button', { class: 'seg-btn' + (view === 'table' ? ' active' : ''), type: 'button', onclick: () => ctx.setParams({ view: 'table' }) }, 'Table'));
  const result = h('div', { class: 'explore-result' });
  el.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Explore'), h('span', { class: 'sub' }, 'PromQL over everything stored')),
    card('Query', h('div', null,
      h('div', { class: 'editor-wrap' }, editor, list),
      h('div', { class: 'toolbar', style: { marginTop: '8px', marginBottom: '0' } },
        h('button', { class: 'btn primary', type: 'button', id: 'run', onclick: run }, 'Run query'), tabs,
        h('span', { class: 'muted' }, 'Ctrl+Enter runs · Tab completes · Ctrl+Space suggests')),
      q ? null : h('div', { class: 'examples' }, EXAMPLES.map((x) => h('button', { class: 'btn small', type: 'button', onclick: () => ctx.setParams({ q: x }) }, x))))),
    result);

  if (!q) {
    result.append(h('div', { class: 'note' }, 'Type a query, or pick an example. Metric names, functions, label names and values complete as you type.'));
    ctx.api.get('label/__name__/values', { start: ctx.range.start, end: ctx.range.end }).then((names: string[]) => {
      if (!alive) return;
      if (names.length === 0) result.append(emptyState('No metrics stored in this range yet.'));
      else result.append(card(`Metrics (${names.length})`, h('div', { class: 'examples' }, names.slice(0, 400).map((n) =>
        h('button', { class: 'btn small', type: 'button', onclick: () => ctx.setParams({ q: n }) }, n)))));
    }).catch(() => {});
  } else {
    result.append(spinner('Running…'));
    const t0 = performance.now();
    const isRange = view === 'chart';
    (isRange ? ctx.api.queryRange(q, ctx.range) : ctx.api.query(q, ctx.range.end)).then((d) => {
      if (!alive) return;
      clear(result);
      const ms = performance.now() - t0;
      const unit = unitOfMetric((q.match(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\{|\[|$|\)))/g) ?? []).find((x) => !FUNCTIONS.includes(x)) ?? '');
      const n = Array.isArray(d?.result) ? d.result.length : 1;
      result.append(h('div', { class: 'stat-line', id: 'result-stats' }, `${d?.resultType} · ${n} series · ${Math.round(ms)} ms` + (unit ? ` · unit ${unit}` : '')));
      if (d.resultType === 'matrix') {
        const res = d.result as MatrixSeries[];
        const aligned = alignMatrix(res, ctx.range);
        const chart = timeSeriesChart(aligned, { unit, height: 320, legend: res.length <= 12,
          onZoom: (a, b) => ctx.setParams({ range: 'custom', from: String(a), to: String(b) }) });
        disposers.push(chart.destroy);
        result.append(card('Result', chart.el));
        const rows = aligned.series.map((s, i) => {
          const vals = s.values.filter((v): v is number => v !== null);
          return { i, s, last: vals.length ? vals[vals.length - 1] : null, min: vals.length ? Math.min(...vals) : null,
            max: vals.length ? Math.max(...vals) : null, avg: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null };
        });
        const f = (v: number | null) => fmtByUnit(v, unit);
        result.append(card('Series', table([
          { title: 'Series', value: (r) => metricString(r.s.metric), render: (r) => h('span', { class: 'mono' }, metricString(res[r.i].metric)) },
          { title: 'Last', align: 'right', value: (r) => r.last, render: (r) => f(r.last) },
          { title: 'Min', align: 'right', value: (r) => r.min, render: (r) => f(r.min) },
          { title: 'Avg', align: 'right', value: (r) => r.avg, render: (r) => f(r.avg) },
          { title: 'Max', align: 'right', value: (r) => r.max, render: (r) => f(r.max) },
        ], rows, { sort: 1 })));
      } else if (d.resultType === 'vector') {
        const res = d.result as VectorSample[];
        result.append(card(`Result at ${new Date(ctx.range.end * 1000).toLocaleString()}`, table([
          { title: 'Series', value: (r: VectorSample) => metricString(r.metric), render: (r: VectorSample) => h('span', { class: 'mono' }, metricString(r.metric)) },
          { title: 'Value', align: 'right', value: (r: VectorSample) => parseValue(r.value[1]), render: (r: VectorSample) => h('span', { title: r.value[1] }, unit ? fmtByUnit(parseValue(r.value[1]), unit) : r.value[1]) },
        ], res, { sort: 1, empty: 'Empty result: no series match at this time.' })));
      } else {
        const v = d.result as [number, string];
        result.append(card(d.resultType, h('div', { class: 'tile' }, h('div', { class: 'value' }, d.resultType === 'scalar' ? fmtNumber(parseValue(v[1])) : String(v[1])))));
      }
    }).catch((e) => {
      if (!alive || e instanceof AuthError) return;
      clear(result);
      result.append(errorBox(`${(e as Error).message}`));
    });
  }
  editor.focus();
  return () => {
    alive = false;
    disposers.forEach((f) => f());
  };
}

export const page: Page = { title: 'Explore', render };
