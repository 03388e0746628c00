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

// The histograms in `series` (one per label set without `le`, e.g. one per server): a server's
// buckets only de-cumulate against its own, since NIM, vLLM V0 and vLLM V1 use different bounds.
function groupByHistogram<T extends { labels: Labels }>(series: T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const s of series) {
    if (s.labels.le === undefined || Number.isNaN(num(s.labels.le))) continue;
    const key = Object.keys(s.labels)
      .filter((k) => k !== 'le' && k !== '__name__')
      .sort()
      .map((k) => `${k}=${s.labels[k]}`)
      .join(',');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(s);
  }
  for (const g of groups.values()) g.sort((a, b) => num(a.labels.le) - num(b.labels.le));
  return [...groups.values()];
}

// The sorted union of the groups' upper bounds.
function unionBounds(groups: { labels: Labels }[][]): number[] {
  const set = new Set<number>();
  for (const g of groups) for (const s of g) set.add(num(s.labels.le));
  return [...set].sort((a, b) => a - b);
}

// Rows [lo, hi) of `rows` that hold something, with one empty row kept on each side.
function trimRange(nonEmpty: boolean[]): [number, number] {
  let a = 0;
  let b = nonEmpty.length;
  while (a < b && !nonEmpty[a]) a++;
  while (b > a && !nonEmpty[b - 1]) b--;
  if (a === b) return [0, 0];
  return [Math.max(0, a - 1), Math.min(nonEmpty.length, b + 1)];
}

// Bucket series (one per `le`, possibly of several histograms) as a heatmap: `bounds[i]` is row
// i's upper bound (le; Infinity for +Inf) and `counts[i][t]` what fell into (bounds[i-1],
// bounds[i]] at xs[t]. Each histogram is de-cumulated on its own (a negative difference from
// scrape skew is clamped to 0) and added into the row of the same upper bound; empty rows at
// both ends are cut.
export interface Heatmap {
  xs: number[];
  bounds: number[];
  counts: Float64Array[];
  max: number;
}

export function toHeatmap(series: Series[], start: number, end: number, step: number): Heatmap {
  const groups = groupByHistogram(series);
  const all = unionBounds(groups);
  const row = new Map(all.map((b, i) => [b, i]));
  const xs = align([], start, end, step).xs;
  const counts = all.map(() => new Float64Array(xs.length));
  for (const g of groups) {
    const { ys } = align(g, start, end, step);
    for (let i = 0; i < ys.length; i++) {
      const out = counts[row.get(num(g[i].labels.le))!];
      for (let t = 0; t < xs.length; t++) {
        const cur = ys[i][t];
        if (cur === null) continue;
        const prev = i > 0 ? ys[i - 1][t] ?? 0 : 0;
        out[t] += Math.max(0, cur - prev);
      }
    }
  }
  const [a, b] = trimRange(counts.map((c) => c.some((v) => v > 0)));
  const kept = counts.slice(a, b);
  let max = 0;
  for (const c of kept) for (let t = 0; t < c.length; t++) if (c[t] > max) max = c[t];
  return { xs, bounds: all.slice(a, b), counts: kept, max };
}

// Bucket samples (an instant vector with `le`, possibly of several histograms) as a
// distribution: one bar per bound of the union, (lo, hi] with the count that fell into it; empty
// bars at both ends are cut.
export interface Bar {
  lo: number;
  hi: number;
  count: number;
}

export function toDistribution(samples: Sample[]): Bar[] {
  const groups = groupByHistogram(samples.filter((s) => Number.isFinite(s.value)));
  const all = unionBounds(groups);
  const counts = new Array<number>(all.length).fill(0);
  const row = new Map(all.map((b, i) => [b, i]));
  for (const g of groups) {
    let prev = 0;
    for (const s of g) {
      counts[row.get(num(s.labels.le))!] += Math.max(0, s.value - prev);
      prev = Math.max(prev, s.value);
    }
  }
  const bars = all.map((hi, i) => ({ lo: i === 0 ? 0 : all[i - 1], hi, count: counts[i] }));
  const [a, b] = trimRange(counts.map((c) => c > 0));
  return bars.slice(a, b);
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

// Legend names for a set of series: the values of those `keys` (in order) that tell the series
// apart — a key whose values add no distinction (constant, or implied by earlier keys) is left
// out, so "meta/llama-3.1-8b-instruct · 127.0.0.1:33653" becomes "meta/llama-3.1-8b-instruct"
// when each model runs on one instance. `fmt` renders a value (e.g. quantile 0.99 → p99).
export function legendNames(labels: Labels[], keys: string[], fmt: (k: string, v: string) => string = (_k, v) => v, fallback = 'value'): string[] {
  const chosen: string[] = [];
  const distinct = (ks: string[]) => new Set(labels.map((l) => ks.map((k) => l[k] ?? '').join('\u0000'))).size;
  let have = 1;
  for (const k of keys) {
    const n = distinct([...chosen, k]);
    if (n > have) {
      chosen.push(k);
      have = n;
    }
  }
  return labels.map((l) => {
    const parts = chosen.filter((k) => l[k] !== undefined && l[k] !== '').map((k) => fmt(k, l[k]));
    if (parts.length) return parts.join(' · ');
    const first = keys.find((k) => l[k] !== undefined && l[k] !== '');
    return first ? fmt(first, l[first]) : fallback;
  });
}

// quantile="0.99" → p99; other label values as they are.
export function fmtLabel(k: string, v: string): string {
  return k === 'quantile' ? `p${Math.round(Number(v) * 1000) / 10}` : v;
}
