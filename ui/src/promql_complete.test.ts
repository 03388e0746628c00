import { describe, expect, it } from 'vitest';
import { applyCompletion, completionContext, rank } from './promql_complete';

const at = (s: string) => completionContext(s.replace('|', ''), s.indexOf('|'));

describe('PromQL completion', () => {
  it('metric names and functions at the top level', () => {
    expect(at('vllm:num|')).toMatchObject({ kind: 'metric', prefix: 'vllm:num', from: 0 });
    expect(at('sum(rate(kong_ai|')).toMatchObject({ kind: 'metric', prefix: 'kong_ai', from: 9 });
    expect(at('rate(x[5|')).toMatchObject({ kind: 'none' });
    expect(at('1 + 2|')).toMatchObject({ kind: 'none' });
  });
  it('label names in selectors and grouping', () => {
    expect(at('up{jo|')).toMatchObject({ kind: 'label', prefix: 'jo', metric: 'up' });
    expect(at('up{job="a", inst|}')).toMatchObject({ kind: 'label', prefix: 'inst', metric: 'up' });
    expect(at('sum by (model_name, |) (x)')).toMatchObject({ kind: 'label', prefix: '' });
    expect(at('{__name__=~"a.*", |')).toMatchObject({ kind: 'label', prefix: '', metric: undefined });
  });
  it('label values after an operator and a quote', () => {
    expect(at('up{job="no|')).toMatchObject({ kind: 'value', prefix: 'no', label: 'job', metric: 'up', from: 8 });
    expect(at('up{job=~"|"}')).toMatchObject({ kind: 'value', prefix: '', label: 'job' });
    expect(at('up{job="a b|')).toMatchObject({ kind: 'value', prefix: 'a b' });
  });
  it('ranks by prefix, then substring', () => {
    expect(rank(['b_rate', 'rate', 'rates', 'irate', 'x'], 'rat')).toEqual(['rate', 'rates', 'b_rate', 'irate']);
    expect(rank(['a', 'b'], '')).toEqual(['a', 'b']);
  });
  it('applies completions', () => {
    const t1 = 'up{jo';
    expect(applyCompletion(t1, completionContext(t1, 5), 'job', 5)).toEqual({ text: 'up{job="', cursor: 8 });
    const t2 = 'up{job="n';
    expect(applyCompletion(t2, completionContext(t2, 9), 'nim', 9)).toEqual({ text: 'up{job="nim"', cursor: 12 });
    const t3 = 'sum by (mo) (x)';
    expect(applyCompletion(t3, completionContext(t3, 10), 'model_name', 10)).toEqual({ text: 'sum by (model_name) (x)', cursor: 18 });
    const t4 = 'vllm:num';
    expect(applyCompletion(t4, completionContext(t4, 8), 'vllm:num_requests_running', 8).text).toBe('vllm:num_requests_running');
  });
});
