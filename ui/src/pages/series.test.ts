import { describe, expect, it } from 'vitest';
import { align, byLabel, legendNames, num, parseMatrix, parseVector, seriesName, toDistribution, toHeatmap } from './series';

const matrix = (result: any[]) => ({ resultType: 'matrix', result });

describe('parsing', () => {
  it('reads Prometheus sample strings', () => {
    expect(num('0.25')).toBe(0.25);
    expect(num('+Inf')).toBe(Infinity);
    expect(num('-Inf')).toBe(-Infinity);
    expect(Number.isNaN(num('NaN'))).toBe(true);
  });
  it('parses matrices and vectors, and nothing else', () => {
    const m = parseMatrix(matrix([{ metric: { a: '1' }, values: [[10, '1'], [20, 'NaN']] }]));
    expect(m).toHaveLength(1);
    expect(m[0].ts).toEqual([10, 20]);
    expect(m[0].vals[0]).toBe(1);
    expect(parseMatrix({ resultType: 'vector', result: [] })).toEqual([]);
    expect(parseVector({ resultType: 'vector', result: [{ metric: { le: '+Inf' }, value: [1, '3'] }] })[0]).toEqual({ labels: { le: '+Inf' }, value: 3 });
    expect(parseVector({ resultType: 'scalar', result: [1, '2'] })[0].value).toBe(2);
    expect(parseVector(null)).toEqual([]);
  });
  it('names series by labels', () => {
    expect(seriesName({ model_name: 'm', instance: 'i:1' }, ['model_name', 'instance'])).toBe('m · i:1');
    expect(seriesName({}, ['model_name'], 'all')).toBe('all');
  });
  it('sums by a label', () => {
    const m = byLabel([{ labels: { r: 'stop' }, value: 2 }, { labels: { r: 'stop' }, value: 3 }, { labels: { r: 'length' }, value: NaN }], 'r');
    expect(m.get('stop')).toBe(5);
    expect(m.has('length')).toBe(false);
  });
});

describe('align', () => {
  it('places samples on the query grid with nulls for gaps and non-finite values', () => {
    const s = parseMatrix(matrix([
      { metric: {}, values: [[100, '1'], [130, '4']] },
      { metric: {}, values: [[110, '2'], [120, '+Inf']] },
    ]));
    const a = align(s, 100, 130, 10);
    expect(a.xs).toEqual([100, 110, 120, 130]);
    expect(a.ys[0]).toEqual([1, null, null, 4]);
    expect(a.ys[1]).toEqual([null, 2, null, null]);
  });
  it('aligns 10k points per series in linear time', () => {
    const n = 10000;
    const values = Array.from({ length: n }, (_, i) => [1000 + i * 15, String(i)]);
    const s = parseMatrix(matrix([{ metric: {}, values }, { metric: {}, values }]));
    const t0 = performance.now();
    const a = align(s, 1000, 1000 + (n - 1) * 15, 15);
    const ms = performance.now() - t0;
    expect(a.xs).toHaveLength(n);
    expect(a.ys[1][n - 1]).toBe(n - 1);
    expect(ms).toBeLessThan(200);
  });
});

describe('histograms', () => {
  const buckets = matrix([
    { metric: { le: '+Inf' }, values: [[0, '10'], [10, '20']] },
    { metric: { le: '0.1' }, values: [[0, '4'], [10, '5']] },
    { metric: { le: '1.0' }, values: [[0, '9'], [10, '4']] }, // skew: below the previous bucket
  ]);
  it('de-cumulates bucket rates into a heatmap sorted by bound', () => {
    const hm = toHeatmap(parseMatrix(buckets), 0, 10, 10);
    expect(hm.bounds).toEqual([0.1, 1, Infinity]);
    expect([...hm.counts[0]]).toEqual([4, 5]);
    expect([...hm.counts[1]]).toEqual([5, 0]); // 4 - 5 clamped
    expect([...hm.counts[2]]).toEqual([1, 16]);
    expect(hm.max).toBe(16);
  });
  it('turns whole-range increases into bars', () => {
    const bars = toDistribution([
      { labels: { le: '10' }, value: 3 },
      { labels: { le: '1' }, value: 1 },
      { labels: { le: '+Inf' }, value: 3 },
      { labels: {}, value: 99 },
    ]);
    expect(bars).toEqual([
      { lo: 0, hi: 1, count: 1 },
      { lo: 1, hi: 10, count: 2 },
      { lo: 10, hi: Infinity, count: 0 },
    ]);
  });
});

describe('legendNames', () => {
  it('keeps only the keys that tell series apart', () => {
    const ls = [
      { model_name: 'a', instance: 'i1', quantile: '0.5' },
      { model_name: 'a', instance: 'i1', quantile: '0.99' },
      { model_name: 'b', instance: 'i2', quantile: '0.5' },
    ];
    const q = (k: string, v: string) => (k === 'quantile' ? `p${Math.round(Number(v) * 100)}` : v);
    expect(legendNames(ls, ['model_name', 'instance', 'quantile'], q)).toEqual(['a · p50', 'a · p99', 'b · p50']);
    expect(legendNames([{ model_name: 'a', instance: 'x' }, { model_name: 'a', instance: 'y' }], ['model_name', 'instance'])).toEqual(['x', 'y']);
    expect(legendNames([{ model_name: 'a' }], ['model_name'])).toEqual(['a']);
    expect(legendNames([{}], ['model_name'], undefined, 'all')).toEqual(['all']);
  });
});

describe('histograms of several servers', () => {
  it('de-cumulates each histogram on its own bounds before merging', () => {
    // NIM-like: bounds 1, 10; vLLM-like: bounds 1, 5, 10 — summed by le they would mix.
    const m = matrix([
      { metric: { le: '1', instance: 'n' }, values: [[0, '2']] },
      { metric: { le: '10', instance: 'n' }, values: [[0, '3']] },
      { metric: { le: '+Inf', instance: 'n' }, values: [[0, '3']] },
      { metric: { le: '1', instance: 'v' }, values: [[0, '1']] },
      { metric: { le: '5', instance: 'v' }, values: [[0, '4']] },
      { metric: { le: '10', instance: 'v' }, values: [[0, '4']] },
      { metric: { le: '+Inf', instance: 'v' }, values: [[0, '4']] },
    ]);
    const hm = toHeatmap(parseMatrix(m), 0, 0, 10);
    expect(hm.bounds).toEqual([1, 5, 10, Infinity]); // +Inf is empty but kept as the margin
    expect(hm.counts.map((c) => c[0])).toEqual([3, 3, 1, 0]);
    const bars = toDistribution(parseVector({ resultType: 'vector', result: m.result.map((r: any) => ({ metric: r.metric, value: r.values[0] })) }));
    expect(bars.map((b) => [b.lo, b.hi, b.count])).toEqual([
      [0, 1, 3],
      [1, 5, 3],
      [5, 10, 1],
      [10, Infinity, 0],
    ]);
  });
  it('cuts empty rows at both ends, keeping one as a margin', () => {
    const m = matrix(['0.1', '1', '2', '5', '+Inf'].map((le, i) => ({ metric: { le }, values: [[0, String(i < 2 ? 0 : 7)]] })));
    const hm = toHeatmap(parseMatrix(m), 0, 0, 10);
    expect(hm.bounds).toEqual([1, 2, 5]);
    expect(hm.counts.map((c) => c[0])).toEqual([0, 7, 0]);
  });
});
