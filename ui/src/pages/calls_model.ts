// The GenAI calls table: URL state → API parameters, API rows → table rows. Pure (tested in
// calls_model.test.ts).

import type { TimeRange } from '../page';

// Filters kept in the URL (#/calls?service=…&model=…). `q` is the free-text filter, applied to
// the rows of the page shown (the span search has no text search).
export const FILTER_KEYS = ['service', 'model', 'provider', 'operation', 'status', 'min_duration', 'min_cost', 'q'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface CallRow {
  trace_id: string;
  span_id: string;
  start: number; // unix seconds
  duration: number; // seconds
  service: string;
  name: string;
  model: string;
  provider: string;
  operation: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cost: number | null;
  status: string; // ok | error | unset
  finish_reasons: string[];
}

// A duration as the span search wants it (Go syntax): "250ms", "2s" pass; a bare number is ms.
export function normDuration(v: string | null | undefined): string | undefined {
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return `${t}ms`;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return t;
  return undefined;
}

export function normNumber(v: string | null | undefined): string | undefined {
  if (!v) return undefined;
  const t = v.trim();
  return /^\d+(\.\d+)?(e-?\d+)?$/i.test(t) ? t : undefined;
}

// Parameters of /api/v1/spans (and /api/v1/genai/calls, which takes the same filters).
export function searchParams(p: URLSearchParams, range: TimeRange, limit: number): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    start: String(range.start),
    end: String(range.end),
    limit: String(limit),
  };
  for (const k of ['service', 'model', 'provider', 'operation'] as const) {
    const v = p.get(k);
    if (v) out[k] = v;
  }
  const st = p.get('status');
  if (st === 'ok' || st === 'error' || st === 'unset') out.status = st;
  out.min_duration = normDuration(p.get('min_duration'));
  out.min_cost = normNumber(p.get('min_cost'));
  const c = p.get('cursor');
  if (c) out.cursor = c;
  return out;
}

function nanoStringToSeconds(v: any): number {
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    // Whole milliseconds through BigInt, then the rest as a fraction: exact to the µs.
    const b = BigInt(v);
    return Number(b / 1000000n) / 1000 + Number(b % 1000000n) / 1e9;
  }
  return Number(v) / 1e9;
}

function numOrNull(v: any): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

// A span of /api/v1/spans → a row (null when the span has no GenAI field: not an LLM call).
export function rowFromSpan(s: any): CallRow | null {
  const g = s?.genai;
  if (!g) return null;
  return {
    trace_id: s.trace_id,
    span_id: s.span_id,
    start: nanoStringToSeconds(s.start_time_unix_nano),
    duration: Number(s.duration_nanos ?? 0) / 1e9,
    service: s.service ?? '',
    name: s.name ?? '',
    model: g.model ?? '',
    provider: g.provider ?? '',
    operation: g.operation ?? '',
    input_tokens: numOrNull(g.input_tokens),
    output_tokens: numOrNull(g.output_tokens),
    cost: numOrNull(g.cost),
    status: s.status ?? 'unset',
    finish_reasons: Array.isArray(g.finish_reasons) ? g.finish_reasons.map(String) : [],
  };
}

// A time of the GenAI API: unix seconds (number or numeric text), nanosecond text, or RFC 3339.
export function parseTime(v: any): number {
  if (typeof v === 'number') return v > 1e14 ? v / 1e9 : v;
  if (typeof v === 'string') {
    if (/^\d{16,}$/.test(v)) return nanoStringToSeconds(v);
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t / 1000;
  }
  return NaN;
}

// A call of /api/v1/genai/calls (contract §5) → a row.
export function rowFromCall(c: any): CallRow {
  return {
    trace_id: c.trace_id,
    span_id: c.span_id,
    start: parseTime(c.start),
    duration: Number(c.duration ?? 0),
    service: c.service ?? '',
    name: c.name ?? '',
    model: c.model ?? '',
    provider: c.provider ?? '',
    operation: c.operation ?? '',
    input_tokens: numOrNull(c.input_tokens),
    output_tokens: numOrNull(c.output_tokens),
    cost: numOrNull(c.cost),
    status: c.status ?? 'unset',
    finish_reasons: Array.isArray(c.finish_reasons) ? c.finish_reasons.map(String) : [],
  };
}

// The free-text filter: every word must occur (case-insensitive) in one of the row's fields.
export function matchesText(r: CallRow, q: string | null | undefined): boolean {
  if (!q) return true;
  const hay = [r.service, r.name, r.model, r.provider, r.operation, r.status, r.trace_id, r.span_id, ...r.finish_reasons]
    .join(' ')
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}
