// PromQL answers → chart data: pure functions (no DOM), unit-tested in series.test.ts.
import type { TimeRange } from './page';

export type Labels = Record<string, string>;
export interface MatrixSeries { metric: Labels; values: [number, string][] }
export interface VectorSample { metric: Labels; value: [number, string] }
export interface Aligned { xs: number[]; series: { metric: Labels; label: string; values: (number | null)[] }[] }

export function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

// Puts every series of a query_range answer on the range's grid (start + k·step); missing
// points are null (uPlot draws gaps). Series labels keep only the labels that tell them apart.
export function alignMatrix(result: MatrixSeries[], r: TimeRange): Aligned {
  const n = Math.max(1, Math.floor((r.end - r.start) / r.step) + 1);
  const xs = new Array<number>(n);
  for (let i = 0; i < n; i++) xs[i] = r.start + i * r.step;
  const labels = seriesLabels(result.map((s) => s.metric));
  const series = result.map((s, si) => {
    const values = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values) {
      const i = Math.round((t - r.start) / r.step);
      if (i >= 0 && i < n) {
        const x = parseValue(v);
        values[i] = Number.isFinite(x) ? x : null;
      }
    }
    return { metric: s.metric, label: labels[si], values };
  });
  return { xs, series };
}

// `{__name__="a", job="x", instance="1"}` and `{…instance="2"}` → "instance=1", "instance=2".
export function seriesLabels(metrics: Labels[]): string[] {
  if (metrics.length === 0) return [];
  const keys = new Set<string>();
  for (const m of metrics) for (const k of Object.keys(m)) keys.add(k);
  const varying = [...keys].filter((k) => metrics.some((m) => m[k] !== metrics[0][k])).sort();
  return metrics.map((m) => {
    if (metrics.length === 1 || varying.length === 0) return metricString(m);
    if (varying.length === 1) return m[varying[0]] ?? '(none)';
    return varying.filter((k) => m[k] !== undefined).map((k) => `${k}=${m[k]}`).join(', ');
  });
}

export function metricString(m: Labels): string {
  const name = m.__name__ ?? '';
  const rest = Object.keys(m).filter((k) => k !== '__name__').sort().map((k) => `${k}="${m[k]}"`);
  if (rest.length === 0) return name || '{}';
  return `${name}{${rest.join(', ')}}`;
}

export interface Heatmap { xs: number[]; bounds: number[]; counts: number[][] } // counts[bucket][t]

// Cumulative `_bucket` rate series (one per `le`, as a query_range of
// `sum by (le) (rate(x_bucket[w]))` answers) → per-bucket (non-cumulative) rates over time.
// Buckets are sorted by their upper bound; +Inf is kept as the last row.
export function histogramToHeatmap(result: MatrixSeries[], r: TimeRange): Heatmap {
  const aligned = alignMatrix(result, r);
  const rows = aligned.series
    .map((s) => ({ le: parseValue(s.metric.le ?? 'NaN'), values: s.values }))
    .filter((s) => !Number.isNaN(s.le))
    .sort((a, b) => a.le - b.le);
  const counts = rows.map((row, i) =>
    row.values.map((v, t) => {
      if (v === null) return 0;
      const below = i > 0 ? rows[i - 1].values[t] ?? 0 : 0;
      return Math.max(0, v - below);
    }),
  );
  return { xs: aligned.xs, bounds: rows.map((r2) => r2.le), counts };
}

