// What the PromQL editor completes at the cursor: a metric or function name, a label name (inside
// `{…}` or `by (…)`), or a label value (after `label="`). Pure (unit-tested in
// promql_complete.test.ts); the Explore page fetches the candidates.

export type CompletionKind = 'metric' | 'label' | 'value' | 'none';

export interface CompletionContext {
  kind: CompletionKind;
  prefix: string;        // what is typed already
  from: number;          // where the replacement starts
  metric?: string;       // the selector's metric name, when known
  label?: string;        // for values: the label
}

export const FUNCTIONS = [
  'abs', 'absent', 'avg', 'avg_over_time', 'ceil', 'changes', 'clamp_max', 'clamp_min', 'count', 'count_over_time',
  'delta', 'deriv', 'exp', 'floor', 'group', 'histogram_quantile', 'idelta', 'increase', 'irate', 'label_join',
  'label_replace', 'last_over_time', 'ln', 'log2', 'max', 'max_over_time', 'min', 'min_over_time', 'predict_linear',
  'quantile', 'quantile_over_time', 'rate', 'resets', 'round', 'scalar', 'sort', 'sort_desc', 'sqrt', 'stddev',
  'sum', 'sum_over_time', 'time', 'timestamp', 'topk', 'bottomk', 'vector', 'without', 'by', 'offset',
];

const WORD = /[A-Za-z0-9_:]/;

export function completionContext(text: string, cursor: number): CompletionContext {
  const before = text.slice(0, cursor);
  // Inside a quoted label value: label="abc|
  const open = before.lastIndexOf('{');
  const close = before.lastIndexOf('}');
  if (open > close) {
    const inner = before.slice(open + 1);
    const metric = (before.slice(0, open).match(/([A-Za-z_:][A-Za-z0-9_:]*)\s*$/) ?? [])[1];
    const seg = inner.slice(Math.max(inner.lastIndexOf(','), -1) + 1);
    const v = seg.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/);
    if (v) return { kind: 'value', prefix: v[3], from: cursor - v[3].length, metric, label: v[1] };
    if (/"/.test(seg)) return { kind: 'none', prefix: '', from: cursor };
    const w = wordBefore(before);
    return { kind: 'label', prefix: w, from: cursor - w.length, metric };
  }
  const by = before.match(/\b(by|without)\s*\(([^()]*)$/);
  if (by) {
    const w = wordBefore(before);
    return { kind: 'label', prefix: w, from: cursor - w.length };
  }
  const w = wordBefore(before);
  if (!w || /^[0-9]/.test(w)) return { kind: 'none', prefix: '', from: cursor };
  // Inside a range or offset duration ([5m]) nothing is completed.
  const lb = before.lastIndexOf('[');
  if (lb > before.lastIndexOf(']')) return { kind: 'none', prefix: '', from: cursor };
  return { kind: 'metric', prefix: w, from: cursor - w.length };
}

function wordBefore(s: string): string {
  let i = s.length;
  while (i > 0 && WORD.test(s[i - 1])) i--;
  return s.slice(i);
}

// Candidates starting with the prefix first, then those containing it; at most `limit`.
export function rank(candidates: string[], prefix: string, limit = 50): string[] {
  const p = prefix.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const c of candidates) {
    const l = c.toLowerCase();
    if (l === p) continue;
    if (l.startsWith(p)) starts.push(c);
    else if (p && l.includes(p)) contains.push(c);
  }
  return [...starts.sort(), ...contains.sort()].slice(0, limit);
}

// Applies a chosen completion: returns the new text and cursor.
export function applyCompletion(text: string, ctx: CompletionContext, value: string, cursor: number): { text: string; cursor: number } {
  let insert = value;
  if (ctx.kind === 'value') {
    const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const closing = text[cursor] === '"' ? '' : '"';
    insert = escaped + closing;
    const next = text.slice(0, ctx.from) + insert + text.slice(cursor);
    return { text: next, cursor: ctx.from + insert.length + (closing ? 0 : 1) };
  }
  if (ctx.kind === 'label' && !/\b(by|without)\s*\([^()]*$/.test(text.slice(0, ctx.from))) insert = value + '="';
  const next = text.slice(0, ctx.from) + insert + text.slice(cursor);
  return { text: next, cursor: ctx.from + insert.length };
}
