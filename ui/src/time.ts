// The time range of the view: presets relative to now, or a custom [from, to]; the step every
// range query uses; auto-refresh intervals. Pure functions (unit-tested in time.test.ts).
import type { TimeRange } from './page';

export const PRESETS: Record<string, number> = { '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800 };
export const REFRESH: Record<string, number> = { off: 0, '10s': 10, '30s': 30, '1m': 60 };
export const DEFAULT_RANGE = '1h';

// Steps a chart uses: the smallest of these giving at most `points` points over the range.
const STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export function stepFor(seconds: number, points = 240): number {
  for (const s of STEPS) if (seconds / s <= points) return s;
  return Math.ceil(seconds / points / 86400) * 86400;
}

export interface RangeSpec { range: string; from?: number; to?: number }

// From the URL's range/from/to parameters; an unknown preset falls back to the default.
export function parseRangeSpec(params: URLSearchParams): RangeSpec {
  const range = params.get('range') ?? DEFAULT_RANGE;
  if (range === 'custom') {
    const from = Number(params.get('from'));
    const to = Number(params.get('to'));
    if (Number.isFinite(from) && Number.isFinite(to) && from > 0 && to > from) return { range, from, to };
    return { range: DEFAULT_RANGE };
  }
  return { range: range in PRESETS ? range : DEFAULT_RANGE };
}

// The concrete range at `now` (unix seconds). Ends are aligned to the step so that refreshes
// reuse the same grid and charts do not jitter.
export function resolveRange(spec: RangeSpec, now: number): TimeRange {
  if (spec.range === 'custom' && spec.from !== undefined && spec.to !== undefined) {
    const step = stepFor(spec.to - spec.from);
    return { start: spec.from, end: spec.to, step };
  }
  const span = PRESETS[spec.range] ?? PRESETS[DEFAULT_RANGE];
  const step = stepFor(span);
  const end = Math.ceil(now / step) * step;
  return { start: end - span, end, step };
}

// "2026-11-23T03:00" (the value of an <input type=datetime-local>, local time) ⇄ unix seconds.
export function toLocalInput(unix: number): string {
  const d = new Date(unix * 1000);
  const p = (n: number) => (n < 10 ? '0' + n : String(n));
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(s: string): number | undefined {
  const t = new Date(s).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

// A PromQL range for rate() over the view: at least 4 steps (so a 10 s scrape still has points),
// at least 1m.
export function rateWindow(r: TimeRange): string {
  return `${Math.max(60, r.step * 4)}s`;
}
