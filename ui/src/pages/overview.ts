// Overview: every model and service at a glance — requests/s, error rate, p95 latency, tokens/s,
// cost and its month-end forecast, sparklines and a health colour (thresholds in
// overview_data.ts, documented in docs/ui.md). Data: /api/v1/genai/models and /api/v1/genai/cost
// when the server has them; otherwise PromQL over the NIM, vLLM and Kong metrics plus /api/v1/spans.
import type { Api, Page, PageContext, TimeRange } from '../page';
import { ApiError, AuthError } from '../api';
import { card, clear, errorBox, h, spinner } from '../dom';
import {
  alignMatrix, fmtCost, fmtCount, fmtDuration, fmtPercent, fmtRate, sparkline, table, timeSeriesChart,
  type Aligned, type MatrixSeries,
} from '../chart';
import {
  byKey, emptyValues, filterRows, forecastMonthEnd, health, healthReason, mergeModels, servicesByModel,
  servicesFromSpans, startOfDay, startOfMonth, type ModelRow, type Sample, type ServiceRow, type SpanLite,
} from '../overview_data';
import { emptyState } from '../onboarding';
import { rateWindow } from '../time';

// Metric families by source (../shared/reference/genai-signals.md §1–2).
const INF_REQUESTS = ['request_success_total', 'request_failure_total', 'vllm:request_success_total'];
const INF_ERRORS = ['request_failure_total', 'vllm:request_success_total{finished_reason="error"}'];
const INF_TOKENS = ['prompt_tokens_total', 'generation_tokens_total', 'vllm:prompt_tokens_total', 'vllm:generation_tokens_total'];
const INF_LATENCY = ['e2e_request_latency_seconds_bucket', 'vllm:e2e_request_latency_seconds_bucket'];
const GW_REQUESTS = ['kong_ai_llm_requests_total', 'ai_llm_requests_total'];
// Kong counts token_type prompt_tokens, completion_tokens and total_tokens: never sum them all.
const GW_TOKENS = ['kong_ai_llm_tokens_total{token_type="total_tokens"}', 'ai_llm_tokens_total{token_type="total_tokens"}'];
const GW_GEN_TOKENS = ['kong_ai_llm_tokens_total{token_type="completion_tokens"}', 'ai_llm_tokens_total{token_type="completion_tokens"}'];
const GW_COST = ['kong_ai_llm_cost_total', 'ai_llm_cost_total'];
const GW_LATENCY_MS = ['kong_ai_llm_provider_latency_ms_bucket', 'ai_llm_provider_latency_ms_bucket'];

const infKey = (m: Record<string, string>) => m.model_name ?? m.model;
const gwKey = (m: Record<string, string>) => m.ai_model;

async function instant(api: Api, q: string, time: number): Promise<Sample[]> {
  try {
    const d = await api.query(q, time);
    return d?.resultType === 'vector' ? d.result : [];
  } catch (e) {
    if (e instanceof AuthError) throw e;
    return [];
  }
}

async function ranged(api: Api, q: string, r: TimeRange): Promise<MatrixSeries[]> {
  try {
    const d = await api.queryRange(q, r);
    return d?.result ?? [];
  } catch (e) {
    if (e instanceof AuthError) throw e;
    return [];
  }
}

function sumRate(names: string[], by: string, w: string): string[] {
  return names.map((n) => `sum by (${by}) (rate(${n}[${w}]))`);
}

// Sums the series of several range queries per key, on the range grid.
function sparkByKey(results: MatrixSeries[][], key: (m: Record<string, string>) => string | undefined, r: TimeRange): Map<string, (number | null)[]> {
  const out = new Map<string, (number | null)[]>();
  for (const res of results) {
    const a = alignMatrix(res, r);
    a.series.forEach((s) => {
      const k = key(s.metric);
      if (k === undefined) return;
      const cur = out.get(k);
      if (!cur) out.set(k, [...s.values]);
      else s.values.forEach((v, i) => { if (v !== null) cur[i] = (cur[i] ?? 0) + v; });
    });
  }
  return out;
}

interface OverviewData {
  models: ModelRow[];
  services: ServiceRow[];
  currency: string;
  costToday: number | null;
  monthToDate: number | null;
  forecast: number | null;
  charts: { requests: Aligned; tokens: Aligned; latency: Aligned; cost: Aligned };
  viaApi: boolean;
  spansTruncated: boolean;
}

async function loadSpans(api: Api, r: TimeRange): Promise<{ spans: SpanLite[]; truncated: boolean }> {
  const spans: SpanLite[] = [];
  let cursor: string | undefined;
  // Up to 3 pages of 1000: the overview's service figures come from a sample this size.
  for (let page = 0; page < 3; page++) {
    try {
      const d = await api.get('spans', { start: r.start, end: r.end, limit: 1000, cursor });
      spans.push(...(d?.spans ?? []));
      cursor = d?.next_cursor ?? undefined;
      if (!cursor) return { spans, truncated: false };
    } catch (e) {
      if (e instanceof AuthError) throw e;
      return { spans, truncated: false };
    }
  }
  return { spans, truncated: true };
}

async function load(api: Api, r: TimeRange): Promise<OverviewData> {
  const w = rateWindow(r);
  const now = new Date(r.end * 1000);
  const t = r.end;
  const span = r.end - r.start;
  const sinceDay = Math.max(60, Math.round(t - startOfDay(now)));
  const sinceMonth = Math.max(60, Math.round(t - startOfMonth(now)));

  // The GenAI API, when this server has it (404 otherwise).
  let apiModels: any[] | null = null;
  let apiCost: any = null;
  try {
    const [m, c] = await Promise.all([
      api.get('genai/models', { start: r.start, end: r.end }),
      api.get('genai/cost', { start: r.start, end: r.end, by: 'model', step: r.step }).catch((e) => {
        if (e instanceof AuthError) throw e;
        return null;
      }),
    ]);
    apiModels = Array.isArray(m?.models) ? m.models : null;
    apiCost = c;
  } catch (e) {
    if (e instanceof AuthError) throw e;
    if (!(e instanceof ApiError)) throw e;
  }

  const inf = emptyValues();
  const gw = emptyValues();
  const [infReq, infErr, infTok, infLat, gwReq, gwTok, gwCost, gwLat, gwProv, infSpark, gwSpark, spanData, tok, lat, costSeries, costDay, costMonth, costRate] = await Promise.all([
    Promise.all(sumRate(INF_REQUESTS, 'model_name', w).map((q) => instant(api, q, t))),
    Promise.all(sumRate(INF_ERRORS, 'model_name', w).map((q) => instant(api, q, t))),
    Promise.all(sumRate(INF_TOKENS, 'model_name', w).map((q) => instant(api, q, t))),
    Promise.all(INF_LATENCY.map((n) => instant(api, `histogram_quantile(0.95, sum by (model_name, le) (rate(${n}[${w}])))`, t))),
    Promise.all(sumRate(GW_REQUESTS, 'ai_model', w).map((q) => instant(api, q, t))),
    Promise.all(sumRate(GW_TOKENS, 'ai_model', w).map((q) => instant(api, q, t))),
    Promise.all(GW_COST.map((n) => instant(api, `sum by (ai_model) (increase(${n}[${span}s]))`, t))),
    Promise.all(GW_LATENCY_MS.map((n) => instant(api, `histogram_quantile(0.95, sum by (ai_model, le) (rate(${n}[${w}]))) / 1000`, t))),
    Promise.all(GW_REQUESTS.map((n) => instant(api, `count by (ai_model, ai_provider) (${n})`, t))),
    Promise.all(sumRate(INF_REQUESTS, 'model_name', w).map((q) => ranged(api, q, r))),
    Promise.all(sumRate(GW_REQUESTS, 'ai_model', w).map((q) => ranged(api, q, r))),
    loadSpans(api, r),
    Promise.all([...sumRate([INF_TOKENS[1], INF_TOKENS[3]], 'model_name', w), ...sumRate(GW_GEN_TOKENS, 'ai_model', w)].map((q) => ranged(api, q, r))),
    Promise.all([...INF_LATENCY.map((n) => `histogram_quantile(0.95, sum by (model_name, le) (rate(${n}[${w}])))`),
      ...GW_LATENCY_MS.map((n) => `histogram_quantile(0.95, sum by (ai_model, le) (rate(${n}[${w}]))) / 1000`)].map((q) => ranged(api, q, r))),
    Promise.all(GW_COST.map((n) => ranged(api, `sum by (ai_model) (rate(${n}[${w}])) * 3600`, r))),
    Promise.all(GW_COST.map((n) => instant(api, `sum(increase(${n}[${sinceDay}s]))`, t))),
    Promise.all(GW_COST.map((n) => instant(api, `sum(increase(${n}[${sinceMonth}s]))`, t))),
    Promise.all(GW_COST.map((n) => instant(api, `sum(rate(${n}[6h]))`, t))),
  ]);
  inf.rps = byKey(infReq, infKey);
  inf.errors = byKey(infErr, infKey);
  inf.tokens = byKey(infTok, infKey);
  inf.p95 = byKey(infLat, infKey);
  inf.spark = sparkByKey(infSpark, infKey, r);
  gw.rps = byKey(gwReq, gwKey);
  gw.tokens = byKey(gwTok, gwKey);
  gw.cost = byKey(gwCost, gwKey);
  gw.p95 = byKey(gwLat, gwKey);
  gw.spark = sparkByKey(gwSpark, gwKey, r);
  for (const res of gwProv) for (const s of res) if (s.metric.ai_model && s.metric.ai_provider) gw.provider.set(s.metric.ai_model, s.metric.ai_provider);

  // Spans: per-model figures for models no metrics describe, and the services table.
  const sp = emptyValues();
  const genaiSpans = spanData.spans.filter((s) => s.genai?.model);
  const perModel = new Map<string, SpanLite[]>();
  for (const s of genaiSpans) {
    const m = s.genai!.model!;
    if (!perModel.has(m)) perModel.set(m, []);
    perModel.get(m)!.push(s);
  }
  for (const [m, list] of perModel) {
    sp.rps.set(m, list.length / span);
    sp.errors.set(m, list.filter((s) => s.status === 'error').length / span);
    sp.tokens.set(m, list.reduce((a, s) => a + (s.genai!.input_tokens ?? 0) + (s.genai!.output_tokens ?? 0), 0) / span);
    const costs = list.map((s) => s.genai!.cost).filter((c): c is number => typeof c === 'number');
    if (costs.length) sp.cost.set(m, costs.reduce((a, b) => a + b, 0));
    const d = list.map((s) => s.duration_nanos / 1e9).sort((a, b) => a - b);
    sp.p95.set(m, d[Math.min(d.length - 1, Math.floor(d.length * 0.95))]);
    if (list[0].genai!.provider) sp.provider.set(m, list[0].genai!.provider!);
  }

  const sum = (rs: Sample[][]) => {
    const xs = rs.flat().map((s) => Number(s.value[1])).filter(Number.isFinite);
    return xs.length ? xs.reduce((a, b) => a + b, 0) : null;
  };
  let currency = 'USD';
  let costToday = sum(costDay);
  let monthToDate = sum(costMonth);
  let forecast = monthToDate !== null ? forecastMonthEnd(monthToDate, sum(costRate) ?? 0, now) : null;
  let costAligned = alignMatrix(costSeries.flat(), r);

  let models: ModelRow[];
  if (apiModels) {
    const api_ = emptyValues();
    for (const m of apiModels) {
      const rps = (m.requests ?? 0) / span;
      api_.rps.set(m.model, rps);
      if (m.errors !== null && m.errors !== undefined) api_.errors.set(m.model, m.errors / span);
      if (m.latency_p95 !== null && m.latency_p95 !== undefined) api_.p95.set(m.model, m.latency_p95);
      api_.tokens.set(m.model, ((m.input_tokens ?? 0) + (m.output_tokens ?? 0)) / span);
      if (m.cost !== null && m.cost !== undefined) api_.cost.set(m.model, m.cost);
      if (m.provider) api_.provider.set(m.model, m.provider);
      api_.spark.set(m.model, inf.spark.get(m.model) ?? gw.spark.get(m.model) ?? []);
      if (m.currency) currency = m.currency;
    }
    const svc = servicesByModel(spanData.spans);
    for (const m of apiModels) if (Array.isArray(m.services)) svc.set(m.model, new Set([...(svc.get(m.model) ?? []), ...m.services]));
    models = mergeModels([['api', api_]], svc, currency);
  } else {
    models = mergeModels([['inference', inf], ['gateway', gw], ['spans', sp]], servicesByModel(spanData.spans), currency);
  }
  if (apiCost) {
    currency = apiCost.currency ?? currency;
    costToday = apiCost.today ?? costToday;
    monthToDate = apiCost.month_to_date ?? monthToDate;
    forecast = apiCost.forecast_month_end ?? forecast;
    if (Array.isArray(apiCost.series)) {
      // The API gives the cost of each step; the chart shows the spend per hour.
      costAligned = alignMatrix(apiCost.series.map((s: any) => ({ metric: { model: String(s.key) }, values: (s.values ?? []).map((v: [number, number]) => [v[0], String((Number(v[1]) * 3600) / r.step)]) })), r);
    }
  }

  // Charts: requests/s per model from its primary source (inference before gateway).
  const reqSeries = new Map(inf.spark);
  for (const [m, v] of gw.spark) if (!reqSeries.has(m)) reqSeries.set(m, v);
  const toAligned = (m: Map<string, (number | null)[]>): Aligned => {
    const xs: number[] = [];
    for (let x = r.start; x <= r.end; x += r.step) xs.push(x);
    const series = [...m.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([label, values]) => ({ metric: { model: label }, label, values }));
    return { xs, series };
  };
  const pickFirst = (res: MatrixSeries[][], keys: ((m: Record<string, string>) => string | undefined)[]) => {
    const out = new Map<string, (number | null)[]>();
    res.forEach((one, i) => {
      const k = keys[i];
      for (const [model, v] of sparkByKey([one], k, r)) if (!out.has(model)) out.set(model, v);
    });
    return out;
  };
  const tokKeys = [infKey, infKey, gwKey, gwKey];
  const latKeys = [infKey, infKey, gwKey, gwKey];
  return {
    models,
    services: servicesFromSpans(spanData.spans, r.start, r.end),
    currency,
    costToday,
    monthToDate,
    forecast,
    charts: { requests: toAligned(reqSeries), tokens: toAligned(pickFirst(tok, tokKeys)), latency: toAligned(pickFirst(lat, latKeys)), cost: costAligned },
    viaApi: apiModels !== null,
    spansTruncated: spanData.truncated,
  };
}

function tile(label: string, value: string, hint: string, spark?: (number | null)[], cls = ''): HTMLElement {
  return h('div', { class: 'tile ' + cls }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
    h('div', { class: 'hint' }, hint), spark && spark.length ? sparkline(spark, { width: 90, height: 30 }) : null);
}

function totalSeries(rows: (number | null)[][]): (number | null)[] {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const out = new Array<number | null>(n).fill(null);
  for (const r of rows) r.forEach((v, i) => { if (v !== null) out[i] = (out[i] ?? 0) + v; });
  return out;
}

function render(el: HTMLElement, ctx: PageContext): () => void {
  const disposers: (() => void)[] = [];
  let alive = true;
  const q = ctx.params.get('q') ?? '';
  const filter = h('input', { class: 'input', type: 'search', placeholder: 'Filter models and services…', value: q, 'aria-label': 'filter', id: 'overview-filter' });
  let debounce: number | undefined;
  filter.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(() => ctx.setParams({ q: filter.value || undefined }), 350);
  });
  const body = h('div', null, spinner('Loading models and services…'));
  el.append(h('div', { class: 'page-head' }, h('h1', null, 'Overview'), h('span', { class: 'sub' }, 'Every model and service in the selected range'),
    h('div', { class: 'spacer' })), h('div', { class: 'toolbar' }, filter), body);

  load(ctx.api, ctx.range).then((d) => {
    if (!alive) return;
    clear(body);
    if (d.models.length === 0 && d.services.length === 0) {
      body.append(emptyState());
      return;
    }
    const models = filterRows(d.models, q);
    const services = d.services.filter((s) => !q || [s.service, ...s.models].some((x) => x.toLowerCase().includes(q.toLowerCase())));
    const rps = models.reduce((a, m) => a + (m.rps ?? 0), 0);
    const errs = models.reduce((a, m) => a + (m.errorRate !== null && m.rps ? m.errorRate * m.rps : 0), 0);
    const tokens = models.reduce((a, m) => a + (m.tokensPerSec ?? 0), 0);
    const worstP95 = models.reduce((a, m) => Math.max(a, m.p95 ?? 0), 0);
    const hcount = { ok: 0, warn: 0, bad: 0, idle: 0 };
    for (const m of models) hcount[health(m.rps, m.errorRate, m.p95)]++;
    body.append(h('div', { class: 'tiles' },
      tile('Requests', fmtRate(rps), `${models.length} models · ${hcount.bad} red, ${hcount.warn} amber`, totalSeries(models.map((m) => m.spark))),
      tile('Error rate', fmtPercent(rps > 0 ? errs / rps : null), 'of requests with a known outcome', undefined, rps > 0 && errs / rps >= 0.05 ? 'bad-text' : ''),
      tile('Slowest p95', fmtDuration(worstP95 || null), 'end-to-end, worst model'),
      tile('Tokens', fmtRate(tokens), 'prompt + generated'),
      tile('Cost today', fmtCost(d.costToday, d.currency), d.monthToDate !== null ? `${fmtCost(d.monthToDate, d.currency)} this month` : 'no priced calls'),
      tile('Month-end forecast', fmtCost(d.forecast, d.currency), 'this month so far + the last 6 h\'s rate')));
    if (!d.viaApi) {
      body.append(h('div', { class: 'note' }, 'Figures from the NIM, vLLM and Kong metrics and a sample of spans',
        d.spansTruncated ? ' (the newest 3000 spans of this range)' : '', '. Inference servers take precedence over the gateway for the same model, so calls are not counted twice.'));
    }

    const modelCols = [
      { title: 'Model', value: (m: ModelRow) => m.model, render: (m: ModelRow) => h('div', null,
        h('span', { class: 'health ' + health(m.rps, m.errorRate, m.p95), title: healthReason(m.rps, m.errorRate, m.p95) }),
        h('span', { class: 'cell-main' }, m.model),
        h('div', { class: 'cell-sub', style: { marginLeft: '17px' } }, [m.provider ?? '', ...m.sources.map((s) => ' · ' + s)].join('').replace(/^ · /, ''))) },
      { title: 'Services', value: (m: ModelRow) => m.services.join(', '), render: (m: ModelRow) => h('div', null, m.services.length ? m.services.map((s) => h('span', { class: 'pill' }, s)) : h('span', { class: 'muted' }, '–')) },
      { title: 'Requests', align: 'right' as const, value: (m: ModelRow) => m.rps, render: (m: ModelRow) => fmtRate(m.rps) },
      { title: 'Trend', value: (m: ModelRow) => m.rps, render: (m: ModelRow) => sparkline(m.spark, { width: 110, height: 26 }) },
      { title: 'Errors', align: 'right' as const, value: (m: ModelRow) => m.errorRate, render: (m: ModelRow) => h('span', { class: (m.errorRate ?? 0) >= 0.05 ? 'bad-text' : (m.errorRate ?? 0) >= 0.01 ? 'warn-text' : '' }, fmtPercent(m.errorRate)) },
      { title: 'p95 latency', align: 'right' as const, value: (m: ModelRow) => m.p95, render: (m: ModelRow) => fmtDuration(m.p95) },
      { title: 'Tokens', align: 'right' as const, value: (m: ModelRow) => m.tokensPerSec, render: (m: ModelRow) => fmtRate(m.tokensPerSec) },
      { title: 'Cost (range)', align: 'right' as const, value: (m: ModelRow) => m.cost, render: (m: ModelRow) => fmtCost(m.cost, m.currency) },
    ];
    body.append(card(`Models (${models.length})`, table(modelCols, models, {
      sort: 2,
      empty: `No model matches "${q}"`,
      onRowClick: (m) => {
        if (m.sources.includes('inference')) ctx.navigate('inference', { model: m.model });
        else if (m.sources.includes('gateway')) ctx.navigate('gateway', { model: m.model });
        else ctx.navigate('calls', { model: m.model });
      },
    }), { cls: 'models-card' }));

    const zoom = (a: number, b: number) => ctx.setParams({ range: 'custom', from: String(a), to: String(b) });
    const charts = h('div', { class: 'grid charts' });
    const add = (title: string, data: Aligned, unit: string, stacked = false) => {
      const c = timeSeriesChart(data, { unit, stacked, onZoom: zoom, height: 200 });
      disposers.push(c.destroy);
      charts.append(card(title, c.el));
    };
    const only = (a: Aligned) => q ? { ...a, series: a.series.filter((s) => s.label.toLowerCase().includes(q.toLowerCase())) } : a;
    add('Requests/s by model', only(d.charts.requests), 'rate', true);
    add('Tokens/s generated by model', only(d.charts.tokens), 'rate');
    add('p95 latency by model', only(d.charts.latency), 's');
    add('Spend rate by model (per hour)', only(d.charts.cost), 'cost', true);
    body.append(charts);

    const svcCols = [
      { title: 'Service', value: (s: ServiceRow) => s.service, render: (s: ServiceRow) => h('div', null,
        h('span', { class: 'health ' + health(s.calls, s.calls ? s.errors / s.calls : null, s.p95) }), h('span', { class: 'cell-main' }, s.service)) },
      { title: 'Models', value: (s: ServiceRow) => s.models.join(', '), render: (s: ServiceRow) => h('div', null, s.models.map((m) => h('span', { class: 'pill' }, m))) },
      { title: 'Calls', align: 'right' as const, value: (s: ServiceRow) => s.calls, render: (s: ServiceRow) => fmtCount(s.calls) },
      { title: 'Trend', value: (s: ServiceRow) => s.calls, render: (s: ServiceRow) => sparkline(s.spark, { width: 110, height: 26, color: 'var(--ok)' }) },
      { title: 'Errors', align: 'right' as const, value: (s: ServiceRow) => (s.calls ? s.errors / s.calls : null), render: (s: ServiceRow) => fmtPercent(s.calls ? s.errors / s.calls : null) },
      { title: 'p95 duration', align: 'right' as const, value: (s: ServiceRow) => s.p95, render: (s: ServiceRow) => fmtDuration(s.p95) },
      { title: 'Tokens', align: 'right' as const, value: (s: ServiceRow) => s.tokens, render: (s: ServiceRow) => fmtCount(s.tokens) },
      { title: 'Cost', align: 'right' as const, value: (s: ServiceRow) => s.cost, render: (s: ServiceRow) => fmtCost(s.cost, d.currency) },
    ];
    body.append(card(`Services calling models (${services.length})`, table(svcCols, services, {
      sort: 2,
      empty: d.services.length ? `No service matches "${q}"` : emptyState('No GenAI spans in this range.'),
      onRowClick: (s) => ctx.navigate('calls', { service: s.service }),
    }), { cls: 'services-card' }));
  }).catch((e) => {
    if (!alive || e instanceof AuthError) return;
    clear(body);
    body.append(errorBox(`Could not load the overview: ${(e as Error).message}`));
  });
  return () => {
    alive = false;
    clearTimeout(debounce);
    disposers.forEach((f) => f());
  };
}

export const page: Page = { title: 'Overview', render };
