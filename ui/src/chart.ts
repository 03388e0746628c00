// Shared chart and table helpers (GenAI contract §6): time-series charts (uPlot, fine with 10k
// points per series), sparklines (SVG), latency heatmaps from histogram buckets (canvas), sortable
// tables, and the formatting the pages share (re-exported from format.ts).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';
import { fmtByUnit, fmtNumber } from './format';
import type { Aligned, Heatmap } from './series';

export * from './format';
export * from './series';

export const PALETTE = ['#4e9af1', '#f2a541', '#5cc689', '#e0607e', '#a57cf0', '#3cc3c9', '#c6c94f', '#ef6fc7', '#8a9bb0', '#e98b4f'];
export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length];
}

// ---- time-series chart -----------------------------------------------------------------------

export interface ChartOptions {
  unit?: string;                 // format.ts unit: 's', 'ms', 'bytes', 'ratio', 'cost', 'rate', ''
  height?: number;
  stacked?: boolean;             // areas stacked (cumulative) — for parts of a whole
  fill?: boolean;                // light area under single lines
  legend?: boolean;
  onZoom?: (start: number, end: number) => void; // drag-select on the plot
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function stack(series: (number | null)[][]): (number | null)[][] {
  const out: (number | null)[][] = [];
  const acc = new Array<number>(series[0]?.length ?? 0).fill(0);
  for (const s of series) {
    out.push(s.map((v, i) => (acc[i] += v ?? 0)));
  }
  return out;
}

// A uPlot chart that follows its container's width. Returns its element and a disposer.
export function timeSeriesChart(data: Aligned, opts: ChartOptions = {}): { el: HTMLElement; destroy: () => void } {
  const el = h('div', { class: 'chart' });
  if (data.series.length === 0) {
    el.append(h('div', { class: 'chart-empty' }, 'No data in this range'));
    return { el, destroy: () => {} };
  }
  const unit = opts.unit ?? '';
  const fmt = (v: number | null) => (v === null ? '–' : fmtByUnit(v, unit));
  const axis = cssVar('--muted', '#8a94a6');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
  const ys = data.series.map((s) => s.values);
  const plotted = opts.stacked ? stack(ys) : ys;
  const many = data.series.length > 8;
  const u = new uPlot(
    {
      width: 400,
      height: opts.height ?? 220,
      cursor: { drag: { x: !!opts.onZoom, y: false }, points: { size: 6 } },
      legend: { show: opts.legend ?? !many, live: true },
      scales: { x: { time: true } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 64,
          values: (_u, splits) => splits.map((v) => fmt(v)) },
      ],
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: colorOf(i),
          width: 1.5,
          fill: opts.stacked || (opts.fill && data.series.length === 1) ? colorOf(i) + '33' : undefined,
          points: { show: false },
          spanGaps: false,
          value: (_u: uPlot, v: number | null, _si: number, idx: number | null) =>
            opts.stacked && idx !== null ? fmt(data.series[i].values[idx]) : fmt(v),
        })),
      ],
      hooks: opts.onZoom
        ? {
            setSelect: [
              (self: uPlot) => {
                if (self.select.width < 5) return;
                const a = self.posToVal(self.select.left, 'x');
                const b = self.posToVal(self.select.left + self.select.width, 'x');
                self.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
                opts.onZoom!(Math.floor(a), Math.ceil(b));
              },
            ],
          }
        : {},
    },
    [data.xs, ...plotted] as uPlot.AlignedData,
    el,
  );
  const ro = new ResizeObserver(() => {
    const w = Math.floor(el.clientWidth);
    if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height: opts.height ?? 220 });
  });
  ro.observe(el);
  return { el, destroy: () => { ro.disconnect(); u.destroy(); } };
}

// ---- sparkline -------------------------------------------------------------------------------

// A small SVG line with a faint area; nulls break the line. Cheap for hundreds of rows.
export function sparkline(values: (number | null)[], opts: { width?: number; height?: number; color?: string } = {}): SVGSVGElement {
  const w = opts.width ?? 120;
  const hgt = opts.height ?? 28;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'sparkline');
  const nums = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (nums.length === 0) return svg;
  const max = Math.max(...nums);
  const min = Math.min(0, ...nums);
  const span = max - min || 1;
  const n = values.length;
  const x = (i: number) => (n === 1 ? w / 2 : (i / (n - 1)) * (w - 2) + 1);
  const y = (v: number) => hgt - 2 - ((v - min) / span) * (hgt - 4);
  let line = '';
  let area = '';
  let open = false;
  let firstX = 0;
  let lastX = 0;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (open) area += `L${lastX},${hgt}L${firstX},${hgt}Z`;
      open = false;
      return;
    }
    const px = x(i).toFixed(1);
    const py = y(v).toFixed(1);
    if (!open) {
      line += `M${px},${py}`;
      area += `M${px},${hgt}L${px},${py}`;
      firstX = Number(px);
      open = true;
    } else {
      line += `L${px},${py}`;
      area += `L${px},${py}`;
    }
    lastX = Number(px);
  });
  if (open) area += `L${lastX},${hgt}L${firstX},${hgt}Z`;
  const color = opts.color ?? 'var(--accent)';
  const a = document.createElementNS(ns, 'path');
  a.setAttribute('d', area);
  a.setAttribute('fill', color);
  a.setAttribute('fill-opacity', '0.15');
  const l = document.createElementNS(ns, 'path');
  l.setAttribute('d', line);
  l.setAttribute('fill', 'none');
  l.setAttribute('stroke', color);
  l.setAttribute('stroke-width', '1.5');
  svg.append(a, l);
  return svg;
}

// ---- heatmap ---------------------------------------------------------------------------------

// Draws a heatmap on a canvas that fills its container's width. Colour: sqrt scale of the count.
export function heatmapChart(hm: Heatmap, opts: { unit?: string; height?: number } = {}): { el: HTMLElement; destroy: () => void } {
  const el = h('div', { class: 'heatmap' });
  if (hm.bounds.length === 0 || hm.xs.length === 0) {
    el.append(h('div', { class: 'chart-empty' }, 'No histogram data in this range'));
    return { el, destroy: () => {} };
  }
  const canvas = h('canvas', { class: 'heatmap-canvas' });
  const tip = h('div', { class: 'heatmap-tip' });
  el.append(canvas, tip);
  const height = opts.height ?? 200;
  const left = 64;
  const bottom = 4;
  let max = 0;
  for (const row of hm.counts) for (const v of row) if (v > max) max = v;
  const draw = () => {
    const width = Math.max(100, el.clientWidth);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = height * dpr;
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    const g = canvas.getContext('2d');
    if (!g) return;
    g.scale(dpr, dpr);
    g.clearRect(0, 0, width, height);
    const nb = hm.bounds.length;
    const nt = hm.xs.length;
    const cw = (width - left) / nt;
    const ch = (height - bottom) / nb;
    const hue = cssVar('--heat-hue', '210');
    for (let b = 0; b < nb; b++) {
      for (let t = 0; t < nt; t++) {
        const v = hm.counts[b][t];
        if (v <= 0) continue;
        const a = max > 0 ? Math.sqrt(v / max) : 0;
        g.fillStyle = `hsla(${hue}, 85%, ${65 - a * 25}%, ${0.15 + a * 0.85})`;
        g.fillRect(left + t * cw, height - bottom - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
      }
    }
    g.fillStyle = cssVar('--muted', '#8a94a6');
    g.font = '11px system-ui, sans-serif';
    g.textAlign = 'right';
    const every = Math.max(1, Math.ceil(nb / Math.max(1, Math.floor((height - bottom) / 16))));
    for (let b = 0; b < nb; b += every) {
      const le = hm.bounds[b];
      g.fillText(Number.isFinite(le) ? '≤' + fmtByUnit(le, opts.unit ?? '') : '+Inf', left - 6, height - bottom - b * ch - ch / 2 + 4);
    }
  };
  canvas.addEventListener('mousemove', (ev) => {
    const rect = canvas.getBoundingClientRect();
    const nt = hm.xs.length;
    const nb = hm.bounds.length;
    const t = Math.floor(((ev.clientX - rect.left - left) / (rect.width - left)) * nt);
    const b = nb - 1 - Math.floor(((ev.clientY - rect.top) / (rect.height - bottom)) * nb);
    if (t < 0 || t >= nt || b < 0 || b >= nb) {
      tip.style.display = 'none';
      return;
    }
    const lo = b > 0 ? fmtByUnit(hm.bounds[b - 1], opts.unit ?? '') : '0';
    const hi = Number.isFinite(hm.bounds[b]) ? fmtByUnit(hm.bounds[b], opts.unit ?? '') : '+Inf';
    tip.textContent = `${new Date(hm.xs[t] * 1000).toLocaleTimeString()} · ${lo}–${hi}: ${fmtNumber(hm.counts[b][t])}/s`;
    tip.style.display = 'block';
    tip.style.left = ev.clientX - rect.left + 12 + 'px';
    tip.style.top = ev.clientY - rect.top + 12 + 'px';
  });
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  const ro = new ResizeObserver(draw);
  ro.observe(el);
  return { el, destroy: () => ro.disconnect() };
}

// ---- table -----------------------------------------------------------------------------------

export interface Column<T> {
  title: string;
  value: (row: T) => number | string | null | undefined;   // what sorts (and shows, without render)
  render?: (row: T) => Node | string;
  align?: 'left' | 'right';
  width?: string;
}

export interface TableOptions<T> {
  sort?: number;           // column index sorted by at first
  desc?: boolean;
  onRowClick?: (row: T) => void;
  empty?: Node | string;
  rowClass?: (row: T) => string;
}

// A sortable table (click a header). Rows are rendered once per sort; fine for a few thousand.
export function table<T>(columns: Column<T>[], rows: T[], opts: TableOptions<T> = {}): HTMLElement {
  const wrap = h('div', { class: 'table-wrap' });
  let sortCol = opts.sort ?? -1;
  let desc = opts.desc ?? true;
  const render = () => {
    wrap.textContent = '';
    if (rows.length === 0) {
      wrap.append(h('div', { class: 'empty-row' }, opts.empty ?? 'Nothing to show'));
      return;
    }
    const sorted = [...rows];
    if (sortCol >= 0) {
      const c = columns[sortCol];
      sorted.sort((a, b) => compare(c.value(a), c.value(b)) * (desc ? -1 : 1));
    }
    const head = h('tr', null, columns.map((c, i) =>
      h('th', {
        class: (c.align === 'right' ? 'num ' : '') + (i === sortCol ? (desc ? 'sorted desc' : 'sorted asc') : ''),
        style: c.width ? { width: c.width } : undefined,
        onclick: () => {
          if (sortCol === i) desc = !desc;
          else {
            sortCol = i;
            desc = true;
          }
          render();
        },
      }, c.title)));
    const body = sorted.map((row) => {
      const tr = h('tr', { class: (opts.onRowClick ? 'clickable ' : '') + (opts.rowClass?.(row) ?? '') },
        columns.map((c) => {
          const content = c.render ? c.render(row) : fmtCell(c.value(row));
          return h('td', { class: c.align === 'right' ? 'num' : '' }, content);
        }));
      if (opts.onRowClick) tr.addEventListener('click', () => opts.onRowClick!(row));
      return tr;
    });
    wrap.append(h('table', { class: 'table' }, h('thead', null, head), h('tbody', null, body)));
  };
  render();
  return wrap;
}

function fmtCell(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'number' ? fmtNumber(v) : v;
}

function compare(a: unknown, b: unknown): number {
  const na = a === null || a === undefined || (typeof a === 'number' && Number.isNaN(a));
  const nb = b === null || b === undefined || (typeof b === 'number' && Number.isNaN(b));
  if (na || nb) return na && nb ? 0 : na ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
