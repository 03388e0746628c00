// The Overview's data: one row per model from whichever sources have it (the GenAI API when the
// server has it; else the inference servers' metrics, the gateway's metrics and the spans), and
// the health colour. Pure functions, unit-tested in overview_data.test.ts.

export type Source = 'inference' | 'gateway' | 'spans' | 'api';

export interface ModelRow {
  model: string;
  provider: string | null;
  services: string[];
  sources: Source[];
  rps: number | null;           // requests per second, averaged over the rate window
  errorRate: number | null;     // 0..1
  p95: number | null;           // seconds
  tokensPerSec: number | null;
  cost: number | null;          // in the range
  currency: string;
  spark: (number | null)[];     // requests/s over the range
}

export interface ServiceRow {
  service: string;
  models: string[];
  calls: number;
  errors: number;
  p95: number | null;           // seconds
  tokens: number;
  cost: number | null;
  spark: number[];              // calls per bucket over the range
}

export type Health = 'ok' | 'warn' | 'bad' | 'idle';

// Thresholds (docs/ui.md "Health"): red at ≥ 5 % errors or p95 ≥ 10 s; amber at ≥ 1 % errors or
// p95 ≥ 4 s; grey without traffic; green otherwise.
export const HEALTH = { errorBad: 0.05, errorWarn: 0.01, p95Bad: 10, p95Warn: 4 };

export function health(rps: number | null, errorRate: number | null, p95: number | null): Health {
  if (rps === null || rps <= 0) return 'idle';
  if ((errorRate ?? 0) >= HEALTH.errorBad || (p95 ?? 0) >= HEALTH.p95Bad) return 'bad';
  if ((errorRate ?? 0) >= HEALTH.errorWarn || (p95 ?? 0) >= HEALTH.p95Warn) return 'warn';
  return 'ok';
}

export function healthReason(rps: number | null, errorRate: number | null, p95: number | null): string {
  const h = health(rps, errorRate, p95);
  if (h === 'idle') return 'no requests in this range';
  const parts: string[] = [];
  if ((errorRate ?? 0) >= HEALTH.errorWarn) parts.push(`errors ≥ ${HEALTH.errorWarn * 100}%`);
  if ((p95 ?? 0) >= HEALTH.p95Warn) parts.push(`p95 ≥ ${HEALTH.p95Warn}s`);
  return parts.length ? parts.join(', ') : 'healthy';
}

// Per-model values from several instant queries: `key` picks the model label of each sample.
export type Sample = { metric: Record<string, string>; value: [number, string] };

export function byKey(results: Sample[][], key: (m: Record<string, string>) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const result of results) {
    for (const s of result) {
      const k = key(s.metric);
      const v = Number(s.value[1]);
      if (k === undefined || !Number.isFinite(v)) continue;
      out.set(k, (out.get(k) ?? 0) + v);
    }
  }
  return out;
}

export interface SourceValues {
  rps: Map<string, number>;
  errors: Map<string, number>;     // errors per second
  tokens: Map<string, number>;     // tokens per second
  p95: Map<string, number>;        // seconds
  cost: Map<string, number>;
  provider: Map<string, string>;
  spark: Map<string, (number | null)[]>;
}

export function emptyValues(): SourceValues {
  return { rps: new Map(), errors: new Map(), tokens: new Map(), p95: new Map(), cost: new Map(), provider: new Map(), spark: new Map() };
}

// Merges the sources into one row per model. For each figure the first source (in the order
// given: inference servers before the gateway before spans) that knows it wins, so a call routed
// through Kong to NIM is not counted twice; cost comes from whichever source prices it.
export function mergeModels(sources: [Source, SourceValues][], services: Map<string, Set<string>>, currency = 'USD'): ModelRow[] {
  const models = new Set<string>();
  for (const [, v] of sources) for (const m of v.rps.keys()) models.add(m);
  for (const [, v] of sources) for (const m of v.cost.keys()) models.add(m);
  const rows: ModelRow[] = [];
  for (const model of models) {
    const pick = <T>(f: (v: SourceValues) => Map<string, T>): [T | null, Source | null] => {
      for (const [name, v] of sources) {
        const x = f(v).get(model);
        if (x !== undefined) return [x, name];
      }
      return [null, null];
    };
    const [rps, rpsSource] = pick((v) => v.rps);
    const src = sources.find(([n]) => n === rpsSource)?.[1];
    const errs = src?.errors.get(model);
    const errorRate = rps !== null && rps > 0 && errs !== undefined ? Math.min(1, errs / rps) : rps !== null && src?.errors.size ? 0 : null;
    const used = sources.filter(([, v]) => v.rps.has(model) || v.cost.has(model)).map(([n]) => n);
    rows.push({
      model,
      provider: pick((v) => v.provider)[0],
      services: [...(services.get(model) ?? [])].sort(),
      sources: used,
      rps,
      errorRate,
      p95: pick((v) => v.p95)[0],
      tokensPerSec: pick((v) => v.tokens)[0],
      cost: pick((v) => v.cost)[0],
      currency,
      spark: pick((v) => v.spark)[0] ?? [],
    });
  }
  rows.sort((a, b) => (b.rps ?? -1) - (a.rps ?? -1) || a.model.localeCompare(b.model));
  return rows;
}

export interface SpanLite {
  service: string;
  status: string;
  start_time_unix_nano: string;
  duration_nanos: number;
  genai?: { model?: string; provider?: string; input_tokens?: number; output_tokens?: number; cost?: number };
}

export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// GenAI spans (those with a model) grouped by service; `buckets` sparkline buckets over [start, end).
export function servicesFromSpans(spans: SpanLite[], start: number, end: number, buckets = 30): ServiceRow[] {
  const groups = new Map<string, { models: Set<string>; durations: number[]; errors: number; tokens: number; cost: number | null; spark: number[] }>();
  const width = Math.max(1, (end - start) / buckets);
  for (const s of spans) {
    if (!s.genai?.model) continue;
    let g = groups.get(s.service);
    if (!g) {
      g = { models: new Set(), durations: [], errors: 0, tokens: 0, cost: null, spark: new Array(buckets).fill(0) };
      groups.set(s.service, g);
    }
    g.models.add(s.genai.model);
    g.durations.push(s.duration_nanos / 1e9);
    if (s.status === 'error') g.errors++;
    g.tokens += (s.genai.input_tokens ?? 0) + (s.genai.output_tokens ?? 0);
    if (typeof s.genai.cost === 'number') g.cost = (g.cost ?? 0) + s.genai.cost;
    const t = Number(BigInt(s.start_time_unix_nano) / 1000000n) / 1000;
    const b = Math.floor((t - start) / width);
    if (b >= 0 && b < buckets) g.spark[b]++;
  }
  return [...groups.entries()].map(([service, g]) => ({
    service,
    models: [...g.models].sort(),
    calls: g.durations.length,
    errors: g.errors,
    p95: quantile(g.durations.sort((a, b) => a - b), 0.95),
    tokens: g.tokens,
    cost: g.cost,
    spark: g.spark,
  })).sort((a, b) => b.calls - a.calls);
}

// Model → services that call it, from spans.
export function servicesByModel(spans: SpanLite[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of spans) {
    const m = s.genai?.model;
    if (!m) continue;
    if (!out.has(m)) out.set(m, new Set());
    out.get(m)!.add(s.service);
  }
  return out;
}

// Month-end forecast: what is spent so far this month plus the recent rate for the rest of it.
export function forecastMonthEnd(monthToDate: number, ratePerSecond: number, now: Date): number {
  const end = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime() / 1000;
  const left = Math.max(0, end - now.getTime() / 1000);
  return monthToDate + Math.max(0, ratePerSecond) * left;
}

export function startOfDay(now: Date): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() / 1000;
}

export function startOfMonth(now: Date): number {
  return new Date(now.getFullYear(), now.getMonth(), 1).getTime() / 1000;
}

// Case-insensitive substring filter over model, provider and services.
export function filterRows(rows: ModelRow[], q: string): ModelRow[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return rows;
  return rows.filter((r) => [r.model, r.provider ?? '', ...r.services].some((s) => s.toLowerCase().includes(needle)));
}
