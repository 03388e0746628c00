// Prometheus answers → chart data. Pure functions (tested in series.test.ts).

export type Labels = Record<string, string>;

// One series of a matrix answer, values as numbers (NaN for "NaN", ±Infinity for "±Inf").
export interface Series {
  labels: Labels;
  ts: number[]; // unix seconds
  vals: number[];
}

export interface Sample {
  labels: Labels;
  value: number;
}

export function num(v: string | number): number {
  if (typeof v === 'number') return v;
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v); // "NaN" → NaN
}

// data.result of a matrix answer (or [] for anything else).
export function parseMatrix(data: any): Series[] {
  if (!data || data.resultType !== 'matrix' || !Array.isArray(data.result)) return [];
  return data.result.map((r: any) => {
    const n = r.values ? r.values.length : 0;
    const ts = new Array<number>(n);
    const vals = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      ts[i] = Number(r.values[i][0]);
      vals[i] = num(r.values[i][1]);
    }
    return { labels: r.metric || {}, ts, vals };
  });
}

// data.result of a vector (or scalar) answer.
export function parseVector(data: any): Sample[] {
  if (!data) return [];
  if (data.resultType === 'scalar') return [{ labels: {}, value: num(data.result[1]) }];
  if (data.resultType !== 'vector' || !Array.isArray(data.result)) return [];
  return data.result.map((r: any) => ({ labels: r.metric || {}, value: num(r.value[1]) }));
}

// A legend name from the labels `keys` (the first key's value alone when only one is set).
export function seriesName(labels: Labels, keys: string[], fallback = 'value'): string {
  const vals = keys.map((k) => labels[k]).filter((v) => v !== undefined && v !== '');
  if (vals.length === 0) return fallback;
  return vals.join(' · ');
}

// uPlot's aligned data: x (seconds) then one y array per series; null where a series has no
// sample. `start`/`step` give the grid the query ran on, so a sample's column is computed, not
// searched: O(points), no per-point allocation beyond the arrays.
export interface Aligned {
  xs: number[];
  ys: (number | null)[][];
}

export function align(series: Series[], start: number, end: number, step: number): Aligned {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  const xs = new Array<number>(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const ys = series.map((s) => {
    const y = new Array<number | null>(n).fill(null);
    for (let i = 0; i < s.ts.length; i++) {
      const col = Math.round((s.ts[i] - start) / step);
      if (col < 0 || col >= n) continue;
      const v = s.vals[i];
      y[col] = Number.isFinite(v) ? v : null;
    }
    return y;
  });
  return { xs, ys };
}

// A histogram's buckets as a heatmap: `bounds[i]` is bucket i's upper bound (le; Infinity for
// +Inf) and `counts[i][t]` what fell into (bounds[i-1], bounds[i]] at time xs[t]
// (de-cumulated; a negative difference from scrape skew is clamped to 0).
export interface Heatmap {
  xs: number[];
  bounds: number[];
  counts: Float64Array[];
  max: number;
}

export function toHeatmap(series: Series[], start: number, end: number, step: number): Heatmap {
  const byLe = series
    .filter((s) => s.labels.le !== undefined)
    .map((s) => ({ le: num(s.labels.le), s }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const { xs, ys } = align(byLe.map((b) => b.s), start, end, step);
  const bounds = byLe.map((b) => b.le);
  const counts: Float64Array[] = [];
  let max = 0;
  for (let i = 0; i < ys.length; i++) {
    const row = new Float64Array(xs.length);
    for (let t = 0; t < xs.length; t++) {
      const cur = ys[i][t];
      if (cur === null) continue;
      const prev = i > 0 ? ys[i - 1][t] ?? 0 : 0;
      const v = Math.max(0, cur - prev);
      row[t] = v;
      if (v > max) max = v;
    }
    counts.push(row);
  }
  return { xs, bounds, counts, max };
}

// A histogram's buckets (an instant vector with `le`) as a distribution: one bar per bucket,
// (lo, hi] with the count that fell into it.
export interface Bar {
  lo: number;
  hi: number;
  count: number;
}

export function toDistribution(samples: Sample[]): Bar[] {
  const bs = samples
    .filter((s) => s.labels.le !== undefined)
    .map((s) => ({ le: num(s.labels.le), v: s.value }))
    .filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.v))
    .sort((a, b) => a.le - b.le);
  const out: Bar[] = [];
  let prevLe = 0;
  let prevV = 0;
  for (const b of bs) {
    out.push({ lo: prevLe, hi: b.le, count: Math.max(0, b.v - prevV) });
    prevLe = b.le;
    prevV = b.v;
  }
  return out;
}

// Groups samples by the value of `key` into {key value → value}, summing duplicates.
export function byLabel(samples: Sample[], key: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    const k = s.labels[key] ?? '';
    if (!Number.isFinite(s.value)) continue;
    m.set(k, (m.get(k) ?? 0) + s.value);
  }
  return m;
}
