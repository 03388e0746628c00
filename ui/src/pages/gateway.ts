// Gateway page: Kong AI Gateway — requests, tokens by type and cost per provider and model,
// provider latency percentiles and heatmap, semantic-cache hit ratio and cache latencies when a
// cache plugin reports them. Matches `kong_ai_llm_*` and bare `ai_llm_*` (promql.ts KONG).

import type { Page, PageContext } from '../page';
import { fmtCost, fmtCount, fmtDuration, fmtPercent } from '../format';
import { asyncCard, h, Life, paramSelect } from './kit';
import { heatmapChart, lineChart } from './plot';
import * as P from './promql';
import { align, fmtLabel, legendNames, parseMatrix, parseVector, toHeatmap, type Sample } from './series';

const BY = ['ai_provider', 'ai_model'];
// token_type total_tokens is the sum of the other two: never added to them.
const TOKEN_TYPES = '=~prompt_tokens|completion_tokens';

function matchers(p: URLSearchParams): P.Matchers {
  return { ai_provider: p.get('provider') ?? undefined, ai_model: p.get('model') ?? undefined };
}

export async function listRoutes(ctx: PageContext): Promise<{ provider: string; model: string }[]> {
  const q = `count by (ai_provider, ai_model) (last_over_time(${P.selector([...P.KONG.requests])}[${P.rangeWindow(ctx.range.start, ctx.range.end)}]))`;
  return parseVector(await ctx.api.query(q, ctx.range.end))
    .map((s) => ({ provider: s.labels.ai_provider ?? '', model: s.labels.ai_model ?? '' }))
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}

async function summary(ctx: PageContext, m: P.Matchers): Promise<HTMLElement | null> {
  const { start, end } = ctx.range;
  const W = P.rangeWindow(start, end);
  const qs: Record<string, string> = {
    requests: P.sumIncrease(P.selector([...P.KONG.requests], m), W, BY),
    hits: P.sumIncrease(P.selector([...P.KONG.requests], { ...m, cache_status: 'hit' }), W, BY),
    prompt: P.sumIncrease(P.selector([...P.KONG.tokens], { ...m, token_type: 'prompt_tokens' }), W, BY),
    completion: P.sumIncrease(P.selector([...P.KONG.tokens], { ...m, token_type: 'completion_tokens' }), W, BY),
    cost: P.sumIncrease(P.selector([...P.KONG.cost], m), W, BY),
    p50: P.quantile(0.5, P.KONG.latency, m, W, BY),
    p95: P.quantile(0.95, P.KONG.latency, m, W, BY),
    p99: P.quantile(0.99, P.KONG.latency, m, W, BY),
  };
  const names = Object.keys(qs);
  const answers = await Promise.all(names.map((n) => ctx.api.query(qs[n], end).then(parseVector, () => [] as Sample[])));
  const rows = new Map<string, { labels: Record<string, string>; v: Record<string, number> }>();
  answers.forEach((samples, i) => {
    for (const s of samples) {
      const k = `${s.labels.ai_provider}\u0000${s.labels.ai_model}`;
      if (!rows.has(k)) rows.set(k, { labels: s.labels, v: {} });
      rows.get(k)!.v[names[i]] = s.value;
    }
  });
  if (!rows.size) return null;
  const sorted = [...rows.values()].sort((a, b) => (b.v.cost ?? 0) - (a.v.cost ?? 0) || (b.v.requests ?? 0) - (a.v.requests ?? 0));
  const total = (k: string) => sorted.reduce((a, r) => a + (Number.isFinite(r.v[k]) ? r.v[k] : 0), 0);
  const anyHits = sorted.some((r) => (r.v.hits ?? 0) > 0);
  const head = ['provider', 'model', 'requests', 'prompt tokens', 'completion tokens', 'cost', 'latency p50', 'p95', 'p99', ...(anyHits ? ['cache hits'] : [])];
  const cells = (v: Record<string, number>) => [
    h('td', { class: 'num' }, fmtCount(v.requests)),
    h('td', { class: 'num' }, fmtCount(v.prompt)),
    h('td', { class: 'num' }, fmtCount(v.completion)),
    h('td', { class: 'num' }, v.cost === undefined ? '–' : fmtCost(v.cost)),
  ];
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
        ...sorted.map(({ labels, v }) =>
          h(
            'tr',
            { class: 'gx-click', title: 'Show only this provider and model', onclick: () => ctx.setParams({ provider: labels.ai_provider, model: labels.ai_model }) },
            h('td', null, labels.ai_provider),
            h('td', null, labels.ai_model),
            ...cells(v),
            h('td', { class: 'num' }, fmtDuration(v.p50 / 1000)),
            h('td', { class: 'num' }, fmtDuration(v.p95 / 1000)),
            h('td', { class: 'num' }, fmtDuration(v.p99 / 1000)),
            anyHits ? h('td', { class: 'num' }, fmtPercent(v.requests > 0 ? (v.hits ?? 0) / v.requests : NaN)) : null,
          ),
        ),
      ),
      sorted.length > 1
        ? h(
            'tfoot',
            null,
            h(
              'tr',
              null,
              h('td', { colspan: 2 }, 'total'),
              ...cells({ requests: total('requests'), prompt: total('prompt'), completion: total('completion'), cost: total('cost') }),
              h('td', { colspan: 3 + (anyHits ? 1 : 0) }),
            ),
          )
        : null,
    ),
  );
}

async function lines(ctx: PageContext, q: string, keys: string[], unit: string, stacked = false, fmt = fmtLabel) {
  const series = parseMatrix(await ctx.api.queryRange(q, ctx.range)).filter((s) => s.vals.some(Number.isFinite));
  if (!series.length) return null;
  const key = (l: Record<string, string>) => keys.map((k) => l[k] ?? '').join('\u0000');
  series.sort((a, b) => key(a.labels).localeCompare(key(b.labels)));
  const names = legendNames(series.map((s) => s.labels), keys, fmt);
  return lineChart(align(series, ctx.range.start, ctx.range.end, ctx.range.step), names, { unit, stacked });
}

// p50/p90/p99 of a millisecond histogram, drawn in seconds.
function latencyQuery(family: readonly string[], m: P.Matchers, w: string, by: string[] = []): string {
  return `(${P.quantiles([0.5, 0.9, 0.99], family, m, w, by)}) / 1000`;
}


function render(el: HTMLElement, ctx: PageContext): () => void {
  const life = new Life();
  const p = ctx.params;
  const m = matchers(p);
  const provider = p.get('provider') ?? '';
  const model = p.get('model') ?? '';
  const w = P.rateWindow(ctx.range.step);
  const toolbar = h('div', { class: 'gx-toolbar' }, h('span', { class: 'gx-dim' }, 'Loading routes…'));
  const grid = h('div', { class: 'gx-grid' });
  el.append(h('div', { class: 'gx-page' }, h('div', { class: 'gx-title' }, h('h2', null, 'Gateway'), h('span', { class: 'gx-sub' }, 'Kong AI Gateway'), toolbar), grid));

  listRoutes(ctx).then(
    (routes) => {
      if (!life.alive) return;
      const providers = [...new Set(routes.map((r) => r.provider))];
      const models = [...new Set(routes.filter((r) => !provider || r.provider === provider).map((r) => r.model))];
      toolbar.textContent = '';
      toolbar.append(
        paramSelect('Provider', 'provider', provider, [['', `All providers (${providers.length})`], ...providers.map((x) => [x, x] as [string, string])], ctx.setParams),
        paramSelect('Model', 'model', model, [['', `All models (${models.length})`], ...models.map((x) => [x, x] as [string, string])], ctx.setParams),
      );
      if (!routes.length) toolbar.append(h('span', { class: 'gx-dim' }, 'No Kong AI metrics in this range (enable ai_metrics on the Prometheus plugin and log_statistics on AI Proxy).'));
    },
    () => (toolbar.textContent = ''),
  );

  const byModel = ['ai_model', 'ai_provider'];
  grid.append(
    asyncCard(life, 'Providers and models', () => summary(ctx, m), { cls: 'gx-wide', hint: 'Over the whole range. Click a row to focus on it.' }),
    asyncCard(life, 'Requests', () => lines(ctx, P.sumRate(P.selector([...P.KONG.requests], m), w, BY), byModel, 'rate', true), { hint: 'kong_ai_llm_requests_total per second, stacked' }),
    asyncCard(life, 'Tokens by type', () =>
      lines(ctx, P.sumRate(P.selector([...P.KONG.tokens], { ...m, token_type: TOKEN_TYPES }), w, ['token_type']), ['token_type'], 'rate', true, (_k, v) => v.replace(/_tokens$/, '')),
      { hint: 'kong_ai_llm_tokens_total per second: prompt and completion, stacked' },
    ),
    asyncCard(life, 'Tokens by model', () =>
      lines(ctx, P.sumRate(P.selector([...P.KONG.tokens], { ...m, token_type: TOKEN_TYPES }), w, BY), byModel, 'rate', true),
      { hint: 'prompt + completion tokens per second, stacked' },
    ),
    asyncCard(life, 'Cost per hour', () => lines(ctx, `${P.sumRate(P.selector([...P.KONG.cost], m), w, BY)} * 3600`, byModel, 'cost', true), {
      hint: 'kong_ai_llm_cost_total rate × 3600, in the currency of the route prices; routes without prices add nothing',
    }),
    asyncCard(life, 'Provider latency', () => lines(ctx, latencyQuery(P.KONG.latency, m, w), ['quantile'], 's'), { hint: 'kong_ai_llm_provider_latency_ms, p50/p90/p99' }),
    asyncCard(life, 'Provider latency p95 by model', () => lines(ctx, `${P.quantile(0.95, P.KONG.latency, m, w, BY)} / 1000`, byModel, 's')),
    asyncCard(life, 'Provider latency heatmap', async () => {
      const series = parseMatrix(await ctx.api.queryRange(P.bucketRates(P.KONG.latency, m, w, ['job', 'instance']), ctx.range));
      return series.length ? heatmapChart(toHeatmap(series, ctx.range.start, ctx.range.end, ctx.range.step), 'ms') : null;
    }),
    asyncCard(
      life,
      'Cache hit ratio',
      async () => {
        const q = `${P.sumRate(P.selector([...P.KONG.requests], { ...m, cache_status: 'hit' }), w, BY)} / ${P.sumRate(P.selector([...P.KONG.requests], m), w, BY)}`;
        const series = parseMatrix(await ctx.api.queryRange(q, ctx.range)).filter((s) => s.vals.some((v) => v > 0));
        if (!series.length) return null;
        return lineChart(align(series, ctx.range.start, ctx.range.end, ctx.range.step), legendNames(series.map((s) => s.labels), byModel), { unit: 'ratio' });
      },
      { hideEmpty: true, hint: 'requests with cache_status="hit" / all requests (needs a semantic-cache plugin)' },
    ),
    asyncCard(life, 'Cache fetch latency', () => lines(ctx, latencyQuery(P.KONG.cacheFetch, m, w), ['quantile'], 's'), { hideEmpty: true }),
    asyncCard(life, 'Cache embeddings latency', () => lines(ctx, latencyQuery(P.KONG.cacheEmbed, m, w), ['quantile'], 's'), { hideEmpty: true }),
  );
  return () => life.dispose();
}

export const page: Page = { title: 'Gateway', render };
export const _internal = { matchers, latencyQuery };
