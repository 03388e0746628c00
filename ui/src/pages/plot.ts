// uPlot charts of the GenAI pages: lines, a histogram heatmap and a distribution, all drawn on
// canvas (no per-point DOM: 10k points per series stay smooth). Each returns its element and a
// disposer; the charts follow their container's width.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtByUnit, fmtNumber } from '../format';
import type { Aligned, Bar, Heatmap } from './series';

export const COLORS = ['#4e9af1', '#f2a541', '#5cc689', '#e0607e', '#a57cf0', '#3cc3c9', '#e98b4f', '#c6c94f', '#ef6fc7', '#8a9bb0'];

export interface Chart {
  el: HTMLElement;
  destroy: () => void;
}

function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function empty(text = 'No data in this range'): Chart {
  const el = document.createElement('div');
  el.className = 'gx-chart gx-empty';
  el.textContent = text;
  return { el, destroy: () => {} };
}

// Resizes `u` with its container.
function follow(el: HTMLElement, u: uPlot, height: number): () => void {
  const ro = new ResizeObserver(() => {
    const w = Math.floor(el.clientWidth);
    if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
  });
  ro.observe(el);
  return () => ro.disconnect();
}

function axes(yValues: (v: number) => string): uPlot.Axis[] {
  const stroke = cssVar('--muted', '#8a94a6');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
  return [
    { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
    { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, size: 60, values: (_u, vs) => vs.map(yValues) },
  ];
}

export interface LineOptions {
  unit?: string; // a unit of format.ts fmtByUnit: 's', 'ms', 'ratio', 'cost', 'rate', ''
  height?: number;
  stacked?: boolean;
  dashed?: boolean[]; // per series
  colors?: (string | undefined)[]; // per series; undefined = the palette's
}

// Time series as lines (stacked areas with `stacked`).
export function lineChart(data: Aligned, names: string[], opts: LineOptions = {}): Chart {
  if (!data.ys.length || data.ys.every((y) => y.every((v) => v === null))) return empty();
  const height = opts.height ?? 200;
  const unit = opts.unit ?? '';
  const fmt = (v: number | null) => (v === null || v === undefined ? '–' : fmtByUnit(v, unit));
  let ys = data.ys;
  if (opts.stacked) {
    const acc = new Array<number>(data.xs.length).fill(0);
    ys = data.ys.map((y) => y.map((v, i) => (v === null ? (acc[i] === 0 ? null : acc[i]) : (acc[i] += v))));
  }
  const el = document.createElement('div');
  el.className = 'gx-chart';
  const u = new uPlot(
    {
      width: 400,
      height,
      legend: { show: true, live: true },
      cursor: { points: { size: 5 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1] } },
      axes: axes((v) => fmt(v)),
      series: [
        {},
        ...names.map((label, i) => ({
          label,
          stroke: opts.colors?.[i] ?? COLORS[i % COLORS.length],
          width: 1.5,
          dash: opts.dashed?.[i] ? [4, 4] : undefined,
          fill: opts.stacked ? (opts.colors?.[i] ?? COLORS[i % COLORS.length]) + '40' : undefined,
          points: { show: false },
          value: (_u: uPlot, v: number | null, _s: number, idx: number | null) =>
            opts.stacked && idx !== null ? fmt(data.ys[i][idx]) : fmt(v),
        })),
      ],
    },
    [data.xs, ...ys] as uPlot.AlignedData,
    el,
  );
  const stop = follow(el, u, height);
  return { el, destroy: () => (stop(), u.destroy()) };
}

// The heatmap's colour for a cell holding `frac` (0..1] of the busiest cell.
export function heatColor(frac: number): string {
  // sqrt so that a few slow requests next to many fast ones still show.
  const f = Math.min(1, Math.max(0, Math.sqrt(frac)));
  const hue = 210 - 170 * f; // blue → orange
  const light = 70 - 25 * f;
  return `hsl(${hue.toFixed(0)},80%,${light.toFixed(0)}%)`;
}

// Bucket rates over time: x = time, y = bucket (one row per `le`, labelled by its bound).
export function heatmapChart(hm: Heatmap, unit: 's' | 'ms' | '', opts: { height?: number } = {}): Chart {
  if (!hm.bounds.length || hm.max <= 0) return empty();
  const height = opts.height ?? 220;
  const label = (i: number) => {
    const b = hm.bounds[Math.round(i)];
    if (b === undefined) return '';
    return Number.isFinite(b) ? '≤' + fmtByUnit(b, unit) : '+Inf';
  };
  const el = document.createElement('div');
  el.className = 'gx-chart';
  const n = hm.bounds.length;
  const step = hm.xs.length > 1 ? hm.xs[1] - hm.xs[0] : 60;
  // One Path2D per colour level, and cells that fall on the same pixel column merged (their
  // maximum): a 22-bucket × 10k-step heatmap is a few thousand rectangles and 24 fills.
  const LEVELS = 24;
  const palette = Array.from({ length: LEVELS }, (_, l) => heatColor(((l + 1) / LEVELS) ** 2)); // heatColor takes sqrt
  const draw = (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    const T = hm.xs.length;
    const xl = new Float64Array(T + 1);
    for (let t = 0; t < T; t++) xl[t] = u.valToPos(hm.xs[t] - step / 2, 'x', true);
    xl[T] = u.valToPos(hm.xs[T - 1] + step / 2, 'x', true);
    const paths = palette.map(() => new Path2D());
    for (let i = 0; i < n; i++) {
      const top = u.valToPos(i + 1, 'y', true);
      const height = Math.max(1, u.valToPos(i, 'y', true) - top - 1);
      const row = hm.counts[i];
      let t = 0;
      while (t < T) {
        const px = Math.floor(xl[t]);
        let v = row[t];
        let e = t + 1;
        while (e < T && Math.floor(xl[e]) === px) {
          if (row[e] > v) v = row[e];
          e++;
        }
        if (v > 0 && xl[e] >= u.bbox.left && px <= u.bbox.left + u.bbox.width) {
          const lvl = Math.min(LEVELS - 1, Math.floor(Math.sqrt(v / hm.max) * LEVELS));
          paths[lvl].rect(px, top, Math.max(1, Math.ceil(xl[e]) - px), height);
        }
        t = e;
      }
    }
    paths.forEach((p, l) => {
      ctx.fillStyle = palette[l];
      ctx.fill(p);
    });
    ctx.restore();
  };
  const stroke = cssVar('--muted', '#8a94a6');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
  const u = new uPlot(
    {
      width: 400,
      height,
      legend: { show: true, live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { auto: false, range: [0, n] } },
      axes: [
        { stroke, grid: { show: false }, ticks: { stroke: grid } },
        {
          stroke,
          grid: { show: false },
          ticks: { stroke: grid },
          size: 72,
          splits: () => Array.from({ length: n }, (_, i) => i + 0.5),
          values: (_u, vs) => vs.map((v, k) => (n > 12 && k % 2 === 1 ? '' : label(v - 0.5))),
        },
      ],
      series: [
        {},
        {
          label: 'requests/s in bucket',
          stroke: 'transparent',
          points: { show: false },
          paths: () => null,
          value: (uu: uPlot, _v: number | null, _s: number, idx: number | null) => {
            if (idx === null || uu.cursor.top === undefined || uu.cursor.top < 0) return '–';
            const b = Math.floor(uu.posToVal(uu.cursor.top, 'y'));
            if (b < 0 || b >= n) return '–';
            const lo = b === 0 ? 0 : hm.bounds[b - 1];
            return `${fmtByUnit(lo, unit)}–${label(b).replace('≤', '')}: ${fmtNumber(hm.counts[b][idx])}/s`;
          },
        },
      ],
      hooks: { draw: [draw] },
    },
    [hm.xs, hm.xs.map(() => null)] as unknown as uPlot.AlignedData,
    el,
  );
  const stop = follow(el, u, height);
  return { el, destroy: () => (stop(), u.destroy()) };
}

// A distribution (one bar per bucket) with the bucket bounds on the x axis.
export function barsChart(bars: Bar[], unit: string, opts: { height?: number; color?: string } = {}): Chart {
  if (!bars.length || bars.every((b) => b.count <= 0)) return empty();
  const height = opts.height ?? 200;
  const xs = bars.map((_, i) => i);
  const label = (i: number) => {
    const b = bars[Math.round(i)];
    if (!b) return '';
    return Number.isFinite(b.hi) ? '≤' + fmtByUnit(b.hi, unit) : '+Inf';
  };
  const el = document.createElement('div');
  el.className = 'gx-chart';
  const stroke = cssVar('--muted', '#8a94a6');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
  const color = opts.color ?? COLORS[0];
  const total = bars.reduce((a, b) => a + b.count, 0);
  const u = new uPlot(
    {
      width: 400,
      height,
      legend: { show: true, live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _lo, hi) => [0, hi * 1.1 || 1] } },
      axes: [
        {
          stroke,
          grid: { show: false },
          ticks: { stroke: grid },
          splits: () => xs,
          values: (_u, vs) => vs.map((v, k) => (bars.length > 14 && k % 2 === 1 ? '' : label(v))),
          rotate: bars.length > 10 ? -45 : 0,
          size: bars.length > 10 ? 56 : 36,
        } as uPlot.Axis,
        { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56, values: (_u, vs) => vs.map((v) => fmtNumber(v)) },
      ],
      series: [
        { label: 'bucket', value: (_u, v) => (v === null || v === undefined ? '–' : `${fmtByUnit(bars[v].lo, unit)}–${label(v).replace('≤', '')}`) },
        {
          label: 'requests',
          stroke: color,
          fill: color + 'aa',
          width: 1,
          points: { show: false },
          paths: uPlot.paths.bars!({ size: [0.8, 80] }),
          value: (_u, v) => (v === null || v === undefined ? '–' : `${fmtNumber(v)} (${total ? ((v / total) * 100).toFixed(1) : 0}%)`),
        },
      ],
    },
    [xs, bars.map((b) => b.count)] as uPlot.AlignedData,
    el,
  );
  const stop = follow(el, u, height);
  return { el, destroy: () => (stop(), u.destroy()) };
}
