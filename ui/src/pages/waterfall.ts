// A trace's spans as waterfall rows. Pure (tested in waterfall.test.ts).
//
// Times come from the traces API as decimal strings of nanoseconds (beyond 2^53), so offsets
// are computed with BigInt relative to the trace's first start and only then made Numbers.

export interface WaterfallRow {
  span: any;
  depth: number;
  startNs: number; // from the trace's start
  durNs: number;
  offset: number; // 0..1 of the trace's duration
  width: number; // 0..1, at least 0 (the renderer gives a minimum pixel width)
  hasChildren: boolean;
}

export interface Waterfall {
  rows: WaterfallRow[];
  totalNs: number;
}

function ns(v: any): bigint {
  try {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return BigInt(Math.round(v));
    if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  } catch {
    /* fall through */
  }
  return 0n;
}

// Depth-first order: roots (no parent, or a parent not in the trace) by start time, each
// followed by its children by start time. A cycle in bad data is cut (each span once).
export function layoutWaterfall(spans: any[]): Waterfall {
  if (!spans.length) return { rows: [], totalNs: 0 };
  const starts = spans.map((s) => ns(s.start_time_unix_nano));
  const ends = spans.map((s, i) => {
    const e = ns(s.end_time_unix_nano);
    return e >= starts[i] ? e : starts[i];
  });
  let t0 = starts[0];
  let t1 = ends[0];
  for (let i = 1; i < spans.length; i++) {
    if (starts[i] < t0) t0 = starts[i];
    if (ends[i] > t1) t1 = ends[i];
  }
  const totalNs = Number(t1 - t0);
  const ids = new Map<string, number>();
  spans.forEach((s, i) => ids.set(s.span_id, i));
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  spans.forEach((s, i) => {
    const p = s.parent_span_id ? ids.get(s.parent_span_id) : undefined;
    if (p === undefined || p === i) roots.push(i);
    else {
      if (!children.has(p)) children.set(p, []);
      children.get(p)!.push(i);
    }
  });
  const byStart = (a: number, b: number) => (starts[a] < starts[b] ? -1 : starts[a] > starts[b] ? 1 : a - b);
  roots.sort(byStart);
  for (const c of children.values()) c.sort(byStart);

  const rows: WaterfallRow[] = [];
  const seen = new Set<number>();
  const visit = (i: number, depth: number) => {
    if (seen.has(i)) return;
    seen.add(i);
    const startNs = Number(starts[i] - t0);
    const durNs = Number(ends[i] - starts[i]);
    const kids = children.get(i) || [];
    rows.push({
      span: spans[i],
      depth,
      startNs,
      durNs,
      offset: totalNs > 0 ? startNs / totalNs : 0,
      width: totalNs > 0 ? durNs / totalNs : 1,
      hasChildren: kids.length > 0,
    });
    for (const c of kids) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  // Spans only reachable through a cycle.
  for (let i = 0; i < spans.length; i++) if (!seen.has(i)) visit(i, 0);
  return { rows, totalNs };
}
