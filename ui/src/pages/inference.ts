// Inference page: NIM and vLLM servers per model and instance — latency percentiles and
// heatmaps, token throughput, scheduler state, KV cache, finish reasons, request lengths.
// Every query matches both NIM's unprefixed and vLLM's `vllm:` names (promql.ts INFER).

import type { Page, PageContext } from '../page';
import { fmtCount, fmtDuration, fmtNumber, fmtPercent } from '../format';
import { asyncCard, h, Life, paramSelect } from './kit';
import { barsChart, heatmapChart, lineChart } from './plot';
import * as P from './promql';
import { align, fmtLabel, legendNames, parseMatrix, parseVector, toDistribution, toHeatmap, type Sample } from './series';

// The label sets that identify one server's model: vLLM adds `engine`, both have model_name.
const KEY = ['model_name', 'job', 'instance'];

export interface Target {
  model: string;
  job: string;
  instance: string;
}

// The models and instances that report, from the scheduler gauges both servers expose.
export async function listTargets(ctx: PageContext): Promise<Target[]> {
  const q = `count by (model_name, job, instance) (last_over_time(${P.selector([...P.INFER.running])}[${P.rangeWindow(ctx.range.start, ctx.range.end)}]))`;
  const v = parseVector(await ctx.api.query(q, ctx.range.end));
  return v
    .map((s) => ({ model: s.labels.model_name ?? '', job: s.labels.job ?? '', instance: s.labels.instance ?? '' }))
    .filter((t) => t.model)
    .sort((a, b) => a.model.localeCompare(b.model) || a.instance.localeCompare(b.instance));
}

function matchers(p: URLSearchParams): P.Matchers {
  return { model_name: p.get('model') ?? undefined, instance: p.get('instance') ?? undefined };
}

function keyOf(l: Record<string, string>): string {
  return KEY.map((k) => l[k] ?? '').join('\u0000');
}

// Per-target summary over the whole range: rows of the models table.
async function summary(ctx: PageContext, m: P.Matchers): Promise<HTMLElement | null> {
  const { start, end } = ctx.range;
  const W = P.rangeWindow(start, end);
  const by = KEY;
  const qs: Record<string, string> = {
    requests: P.sumIncrease(P.selector([...P.INFER.finish], m), W, by),
    ok: P.sumIncrease(P.selector([...P.INFER.finish], { ...m, finished_reason: P.SUCCESS }), W, by),
    ttft50: P.quantile(0.5, P.INFER.ttft, m, W, by),
    ttft99: P.quantile(0.99, P.INFER.ttft, m, W, by),
    tpot50: P.quantile(0.5, P.INFER.tpot, m, W, by),
    e2e50: P.quantile(0.5, P.INFER.e2e, m, W, by),
    e2e99: P.quantile(0.99, P.INFER.e2e, m, W, by),
    gen: P.sumRate(P.selector([...P.INFER.genTokens], m), W, by),
    kv: `max by (model_name, job, instance) (max_over_time(${P.selector([...P.INFER.kvCache], m)}[${W}]))`,
    waiting: `max by (model_name, job, instance) (max_over_time(${P.selector([...P.INFER.waiting], m)}[${W}]))`,
  };
  const names = Object.keys(qs);
  const answers = await Promise.all(names.map((n) => ctx.api.query(qs[n], end).then(parseVector, () => [] as Sample[])));
  const rows = new Map<string, { labels: Record<string, string>; v: Record<string, number> }>();
  answers.forEach((samples, i) => {
    for (const s of samples) {
      const k = keyOf(s.labels);
      if (!rows.has(k)) rows.set(k, { labels: s.labels, v: {} });
      rows.get(k)!.v[names[i]] = s.value;
    }
  });
  if (!rows.size) return null;
  const sorted = [...rows.values()].sort((a, b) => (b.v.requests ?? 0) - (a.v.requests ?? 0));
  const head = ['model', 'instance', 'requests', 'failed', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'E2E p50', 'E2E p99', 'gen tok/s', 'KV max', 'waiting max'];
  return h(
    'div',
    { class: 'gx-table-wrap' },
    h(
      'table',
      { class: 'gx-table' },
      h('thead', null, h('tr', null, ...head.map((t, i) => h('th', { class: i > 1 ? 'num' : '' }, t)))),
      h(
        'tbody',
        null,
        ...sorted.map(({ labels, v }) => {
          const req = v.requests ?? NaN;
          const failed = req - (v.ok ?? 0);
          return h(
            'tr',
            {
              class: 'gx-click',
              title: 'Show only this model and instance',
              onclick: () => ctx.setParams({ model: labels.model_name, instance: labels.instance }),
            },
            h('td', null, labels.model_name),
            h('td', { class: 'gx-dim' }, `${labels.instance ?? ''}${labels.job ? ` (${labels.job})` : ''}`),
            h('td', { class: 'num' }, fmtCount(req)),
            h('td', { class: 'num' + (failed > 0 ? ' gx-bad' : '') }, Number.isFinite(failed) ? `${fmtCount(failed)} (${fmtPercent(req > 0 ? failed / req : 0)})` : '–'),
            h('td', { class: 'num' }, fmtDuration(v.ttft50)),
            h('td', { class: 'num' }, fmtDuration(v.ttft99)),
            h('td', { class: 'num' }, fmtDuration(v.tpot50)),
            h('td', { class: 'num' }, fmtDuration(v.e2e50)),
            h('td', { class: 'num' }, fmtDuration(v.e2e99)),
            h('td', { class: 'num' }, fmtNumber(v.gen)),
            h('td', { class: 'num' }, fmtPercent(v.kv)),
            h('td', { class: 'num' }, fmtNumber(v.waiting)),
          );
        }),
      ),
    ),
  );
}

const QS = [0.5, 0.9, 0.99];


// A percentile chart: p50/p90/p99 of one target; with several targets in view, p50 and p99 of
// each (p99 dashed), so the chart stays readable.
async function percentiles(ctx: PageContext, family: readonly string[], m: P.Matchers, single: boolean) {
  const w = P.rateWindow(ctx.range.step);
  const qs = single ? QS : [0.5, 0.99];
  const by = single ? [] : ['model_name', 'instance'];
  const series = parseMatrix(await ctx.api.queryRange(P.quantiles(qs, family, m, w, by), ctx.range)).filter((s) => s.vals.some(Number.isFinite));
  if (!series.length) return null;
  const key = (l: Record<string, string>) => `${l.model_name ?? ''} ${l.instance ?? ''} ${Number(l.quantile).toFixed(3)}`;
  series.sort((a, b) => key(a.labels).localeCompare(key(b.labels)));
  const names = legendNames(series.map((s) => s.labels), [...by, 'quantile'], fmtLabel);
  const dashed = series.map((s) => !single && s.labels.quantile === '0.99');
  return lineChart(align(series, ctx.range.start, ctx.range.end, ctx.range.step), names, { unit: 's', dashed });
}

async function heat(ctx: PageContext, family: readonly string[], m: P.Matchers, unit: 's' | '') {
  const w = P.rateWindow(ctx.range.step);
  const series = parseMatrix(await ctx.api.queryRange(P.bucketRates(family, m, w, KEY), ctx.range));
  if (!series.length) return null;
  return heatmapChart(toHeatmap(series, ctx.range.start, ctx.range.end, ctx.range.step), unit);
}

// Fixed colours for values whose meaning has one: outcomes, finish reasons, scheduler states.
const MEANING: Record<string, string> = {
  success: '#5cc689',
  failure: '#e0607e',
  stop: '#5cc689',
  length: '#f2a541',
  abort: '#8a9bb0',
  error: '#e0607e',
  repetition: '#a57cf0',
  running: '#4e9af1',
  waiting: '#f2a541',
  max: '#8a9bb0',
};

async function lines(ctx: PageContext, q: string, keys: string[], unit: string, opts: { stacked?: boolean; dashed?: (l: Record<string, string>) => boolean; colorBy?: string } = {}) {
  const series = parseMatrix(await ctx.api.queryRange(q, ctx.range)).filter((s) => s.vals.some(Number.isFinite));
  if (!series.length) return null;
  const key = (l: Record<string, string>) => keys.map((k) => l[k] ?? '').join('\u0000');
  series.sort((a, b) => key(a.labels).localeCompare(key(b.labels)));
  const labels = series.map((s) => s.labels);
  return lineChart(align(series, ctx.range.start, ctx.range.end, ctx.range.step), legendNames(labels, keys, fmtLabel), {
    unit,
    stacked: opts.stacked,
    dashed: opts.dashed ? labels.map(opts.dashed) : undefined,
    // Only when one series has each value; otherwise the palette tells the series apart.
    colors: opts.colorBy && new Set(labels.map((l) => l[opts.colorBy!])).size === labels.length ? labels.map((l) => MEANING[l[opts.colorBy!]]) : undefined,
  });
}

async function distribution(ctx: PageContext, family: readonly string[], m: P.Matchers, color: string) {
  const v = parseVector(await ctx.api.query(P.bucketIncrease(family, m, ctx.range.start, ctx.range.end, KEY), ctx.range.end));
  if (!v.length) return null;
  const bars = toDistribution(v); // empty 1-2-5 buckets up to the context length are cut
  return barsChart(bars, '', { color });
}

function render(el: HTMLElement, ctx: PageContext): () => void {
  const life = new Life();
  const p = ctx.params;
  const m = matchers(p);
  const model = p.get('model') ?? '';
  const instance = p.get('instance') ?? '';
  const single = !!model && !!instance;
  const w = P.rateWindow(ctx.range.step);
  const toolbar = h('div', { class: 'gx-toolbar' }, h('span', { class: 'gx-dim' }, 'Loading models…'));
  const grid = h('div', { class: 'gx-grid' });
  el.append(
    h('div', { class: 'gx-page' }, h('div', { class: 'gx-title' }, h('h2', null, 'Inference'), h('span', { class: 'gx-sub' }, 'NVIDIA NIM and vLLM servers'), toolbar), grid),
  );

  listTargets(ctx).then(
    (targets) => {
      if (!life.alive) return;
      const models = [...new Set(targets.map((t) => t.model))];
      const instances = [...new Set(targets.filter((t) => !model || t.model === model).map((t) => t.instance))];
      toolbar.textContent = '';
      toolbar.append(
        paramSelect('Model', 'model', model, [['', `All models (${models.length})`], ...models.map((x) => [x, x] as [string, string])], ctx.setParams),
        paramSelect('Instance', 'instance', instance, [['', `All instances (${instances.length})`], ...instances.map((x) => [x, x] as [string, string])], ctx.setParams),
      );
      if (!targets.length) toolbar.append(h('span', { class: 'gx-dim' }, 'No NIM or vLLM server reported in this range.'));
    },
    () => {
      toolbar.textContent = '';
    },
  );

  const by = ['model_name', 'instance'];
  const pctHint = 'histogram_quantile over the rate of the _bucket series; ' + (single ? 'p50, p90, p99' : 'p50 (solid) and p99 (dashed) per model; pick a model and instance for p90');
  grid.append(
    asyncCard(life, 'Models', () => summary(ctx, m), { cls: 'gx-wide', hint: 'Over the whole range. Click a row to focus on it.' }),
    asyncCard(life, 'Time to first token', () => percentiles(ctx, P.INFER.ttft, m, single), { hint: pctHint }),
    asyncCard(life, 'Time per output token', () => percentiles(ctx, P.INFER.tpot, m, single), { hint: pctHint }),
    asyncCard(life, 'End-to-end latency', () => percentiles(ctx, P.INFER.e2e, m, single), { hint: pctHint }),
    asyncCard(life, 'Token throughput', () =>
      lines(ctx, `label_replace(${P.sumRate(P.selector([...P.INFER.promptTokens], m), w, by)}, "kind", "prompt", "", "") or label_replace(${P.sumRate(P.selector([...P.INFER.genTokens], m), w, by)}, "kind", "generation", "", "")`, [...by, 'kind'], 'rate'),
      { hint: 'prompt (prefill) and generation tokens per second' },
    ),
    asyncCard(life, 'TTFT heatmap', () => heat(ctx, P.INFER.ttft, m, 's'), { hint: 'requests per second in each bucket of time_to_first_token_seconds' }),
    asyncCard(life, 'E2E latency heatmap', () => heat(ctx, P.INFER.e2e, m, 's'), { hint: 'requests per second in each bucket of e2e_request_latency_seconds' }),
    asyncCard(life, 'TPOT heatmap', () => heat(ctx, P.INFER.tpot, m, 's')),
    asyncCard(life, 'Requests: running, waiting, max', () =>
      lines(
        ctx,
        ['running', 'waiting', 'max']
          .map((k) => `label_replace(sum by (model_name, instance) (${P.selector([...P.INFER[k as 'running' | 'waiting' | 'max']], m)}), "state", "${k}", "", "")`)
          .join(' or '),
        [...by, 'state'],
        '',
        { dashed: (l) => l.state === 'max', colorBy: 'state' },
      ),
      { hint: 'num_requests_running / _waiting and NIM’s num_request_max (vLLM has no max)' },
    ),
    asyncCard(life, 'KV-cache usage', () => lines(ctx, `max by (model_name, instance) (${P.selector([...P.INFER.kvCache], m)})`, by, 'ratio'), {
      hint: 'gpu_cache_usage_perc / vllm:kv_cache_usage_perc (fraction of the KV cache in use)',
    }),
    asyncCard(life, 'Finished requests by reason', () =>
      lines(ctx, P.sumRate(P.selector([...P.INFER.finish], m), w, ['finished_reason']), ['finished_reason'], 'rate', { stacked: true, colorBy: 'finished_reason' }),
      { hint: 'request_finish_total / vllm:request_success_total by finished_reason, stacked; stop and length count as success' },
    ),
    asyncCard(life, 'Success and failure', () =>
      lines(
        ctx,
        `label_replace(${P.sumRate(P.selector([...P.INFER.finish], { ...m, finished_reason: P.SUCCESS }), w, by)}, "outcome", "success", "", "") or label_replace(${P.sumRate(P.selector([...P.INFER.finish], { ...m, finished_reason: P.FAILURE }), w, by)}, "outcome", "failure", "", "")`,
        [...by, 'outcome'],
        'rate',
        { colorBy: 'outcome' },
      ),
    ),
    asyncCard(life, 'Prompt length', () => distribution(ctx, P.INFER.promptLen, m, '#4e9af1'), { hint: 'request_prompt_tokens over the range (tokens per request)' }),
    asyncCard(life, 'Output length', () => distribution(ctx, P.INFER.genLen, m, '#5cc689'), { hint: 'request_generation_tokens over the range (tokens per request)' }),
  );
  return () => life.dispose();
}

export const page: Page = { title: 'Inference', render };

// Exposed for tests.
export const _internal = { matchers };
