import { describe, expect, it } from 'vitest';
import { layoutWaterfall } from './waterfall';

const base = 1763859612000000000n;
const sp = (id: string, parent: string | undefined, startMs: number, endMs: number) => ({
  span_id: id,
  parent_span_id: parent,
  start_time_unix_nano: String(base + BigInt(startMs) * 1000000n),
  end_time_unix_nano: String(base + BigInt(endMs) * 1000000n),
});

describe('layoutWaterfall', () => {
  it('orders depth-first by start time with offsets relative to the trace', () => {
    const w = layoutWaterfall([sp('c2', 'r', 60, 100), sp('r', undefined, 0, 100), sp('c1', 'r', 10, 50), sp('g', 'c1', 20, 30)]);
    expect(w.totalNs).toBe(100e6);
    expect(w.rows.map((r) => [r.span.span_id, r.depth])).toEqual([
      ['r', 0],
      ['c1', 1],
      ['g', 2],
      ['c2', 1],
    ]);
    const g = w.rows[2];
    expect(g.offset).toBeCloseTo(0.2);
    expect(g.width).toBeCloseTo(0.1);
    expect(g.startNs).toBe(20e6);
    expect(w.rows[0].hasChildren).toBe(true);
    expect(g.hasChildren).toBe(false);
  });
  it('keeps nanosecond precision beyond 2^53', () => {
    const a = { span_id: 'a', start_time_unix_nano: '1763859612000000001', end_time_unix_nano: '1763859612000000003' };
    const w = layoutWaterfall([a]);
    expect(w.rows[0].durNs).toBe(2);
  });
  it('treats spans whose parent is missing as roots, and survives cycles and bad times', () => {
    const w = layoutWaterfall([
      sp('x', 'missing', 5, 10),
      { span_id: 'p', parent_span_id: 'q', start_time_unix_nano: 'bad', end_time_unix_nano: null },
      { span_id: 'q', parent_span_id: 'p', start_time_unix_nano: String(base), end_time_unix_nano: String(base) },
    ]);
    expect(w.rows.map((r) => r.span.span_id).sort()).toEqual(['p', 'q', 'x']);
    expect(w.rows.every((r) => Number.isFinite(r.offset) && r.width >= 0)).toBe(true);
  });
  it('is empty for no spans', () => {
    expect(layoutWaterfall([])).toEqual({ rows: [], totalNs: 0 });
  });
});
