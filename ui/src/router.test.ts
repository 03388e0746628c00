import { describe, expect, it } from 'vitest';
import { buildHash, mergeParams, parseHash, shellParams } from './router';

describe('router', () => {
  it('parses and builds hashes', () => {
    const r = parseHash('#/explore?q=up&range=6h', 'overview');
    expect(r.page).toBe('explore');
    expect(r.params.get('q')).toBe('up');
    expect(parseHash('', 'overview').page).toBe('overview');
    expect(parseHash('#/', 'overview').page).toBe('overview');
    expect(buildHash('explore', new URLSearchParams({ q: 'rate(x[5m])', range: '1h' }))).toBe('#/explore?q=rate%28x%5B5m%5D%29&range=1h');
    const back = parseHash(buildHash('explore', new URLSearchParams({ q: 'sum by (a) (x{b="c d"})' })), 'x');
    expect(back.params.get('q')).toBe('sum by (a) (x{b="c d"})');
  });
  it('merges and carries the shell params', () => {
    const p = new URLSearchParams('range=6h&refresh=30s&model=m1');
    expect(mergeParams(p, { model: undefined, service: 's' }).toString()).toBe('range=6h&refresh=30s&service=s');
    expect(shellParams(p).toString()).toBe('range=6h&refresh=30s');
  });
});
