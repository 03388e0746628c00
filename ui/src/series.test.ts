import { describe, expect, it } from 'vitest';
import { alignMatrix, histogramToHeatmap, metricString, seriesLabels } from './series';

describe('series', () => {
  const r = { start: 100, end: 160, step: 15 };
  it('aligns a matrix on the range grid with gaps as null', () => {
    const a = alignMatrix([
      { metric: { __name__: 'up', job: 'a' }, values: [[100, '1'], [130, '2'], [160, 'NaN']] },
      { metric: { __name__: 'up', job: 'b' }, values: [[115, '+Inf'], [145, '3.5'], [999, '9']] },
    ], r);
    expect(a.xs).toEqual([100, 115, 130, 145, 160]);
    expect(a.series[0].values).toEqual([1, null, 2, null, null]);
    expect(a.series[1].values).toEqual([null, null, null, 3.5, null]);
    expect(a.series.map((s) => s.label)).toEqual(['a', 'b']);
  });
  it('labels series by what tells them apart', () => {
    expect(seriesLabels([{ __name__: 'x', a: '1', b: '2' }, { __name__: 'x', a: '1', b: '3' }])).toEqual(['2', '3']);
    expect(seriesLabels([{ a: '1', b: '2' }, { a: '2', b: '3' }])).toEqual(['a=1, b=2', 'a=2, b=3']);
    expect(seriesLabels([{ __name__: 'x', job: 'j' }])).toEqual(['x{job="j"}']);
    expect(metricString({})).toBe('{}');
  });
  it('turns cumulative bucket rates into per-bucket rates, sorted by le', () => {
    const hm = histogramToHeatmap([
      { metric: { le: '+Inf' }, values: [[100, '10'], [115, '12']] },
      { metric: { le: '0.5' }, values: [[100, '4'], [115, '6']] },
      { metric: { le: '0.1' }, values: [[100, '1'], [115, '6']] },
    ], { start: 100, end: 115, step: 15 });
    expect(hm.bounds).toEqual([0.1, 0.5, Infinity]);
    expect(hm.counts).toEqual([[1, 6], [3, 0], [6, 6]]);
  });
});
