import { describe, expect, it } from 'vitest';
import { parseRangeSpec, rateWindow, resolveRange, stepFor } from './time';

describe('time range', () => {
  it('steps give at most 240 points', () => {
    expect(stepFor(900)).toBe(10);
    expect(stepFor(3600)).toBe(15);
    expect(stepFor(86400)).toBe(600);
    expect(stepFor(604800)).toBe(3600);
  });
  it('presets end at a step boundary at or after now', () => {
    const r = resolveRange({ range: '1h' }, 1000007);
    expect(r.step).toBe(15);
    expect(r.end % 15).toBe(0);
    expect(r.end).toBeGreaterThanOrEqual(1000007);
    expect(r.end - r.start).toBe(3600);
  });
  it('custom ranges from the URL, bad ones fall back', () => {
    expect(parseRangeSpec(new URLSearchParams('range=custom&from=100&to=4000'))).toEqual({ range: 'custom', from: 100, to: 4000 });
    expect(parseRangeSpec(new URLSearchParams('range=custom&from=4000&to=100'))).toEqual({ range: '1h' });
    expect(parseRangeSpec(new URLSearchParams('range=bogus'))).toEqual({ range: '1h' });
    expect(parseRangeSpec(new URLSearchParams(''))).toEqual({ range: '1h' });
    const r = resolveRange({ range: 'custom', from: 100, to: 3700 }, 99999);
    expect(r).toEqual({ start: 100, end: 3700, step: 15 });
  });
  it('rate windows cover four steps, at least a minute', () => {
    expect(rateWindow({ start: 0, end: 900, step: 10 })).toBe('60s');
    expect(rateWindow({ start: 0, end: 86400, step: 600 })).toBe('2400s');
  });
});
