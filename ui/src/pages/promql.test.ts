import { describe, expect, it } from 'vitest';
import * as P from './promql';

describe('selector', () => {
  it('matches one name exactly and several by an escaped regex', () => {
    expect(P.selector(['up'])).toBe('{__name__="up"}');
    expect(P.selector(['a_total', 'vllm:a_total'])).toBe('{__name__=~"a_total|vllm:a_total"}');
    expect(P.selector(['a.b'])).toBe('{__name__="a.b"}');
    expect(P.selector(['a.b', 'c'])).toBe('{__name__=~"a\\\\.b|c"}');
  });
  it('adds matchers, skipping empty ones, with =~ != !~ prefixes', () => {
    expect(P.selector(['x'], { model_name: 'meta/llama-3.1-8b-instruct', instance: undefined, job: '' })).toBe('{__name__="x",model_name="meta/llama-3.1-8b-instruct"}');
    expect(P.selector(['x'], { r: P.SUCCESS, s: P.FAILURE, t: '!=' })).toBe('{__name__="x",r=~"stop|length",s!~"stop|length",t!=""}');
  });
  it('quotes label values', () => {
    expect(P.selector(['x'], { m: 'a"b\\c' })).toBe('{__name__="x",m="a\\"b\\\\c"}');
  });
});

describe('queries', () => {
  it('builds a quantile over both NIM and vLLM buckets', () => {
    expect(P.quantile(0.9, P.INFER.ttft, { model_name: 'm' }, '60s', ['instance'])).toBe(
      'histogram_quantile(0.9, sum by (le, instance) (rate({__name__=~"time_to_first_token_seconds_bucket|vllm:time_to_first_token_seconds_bucket",model_name="m"}[60s])))',
    );
  });
  it('labels several quantiles and unions them', () => {
    const q = P.quantiles([0.5, 0.99], P.KONG.latency, {}, '1m');
    expect(q.split(' or ')).toHaveLength(2);
    expect(q).toContain('label_replace(histogram_quantile(0.5, sum by (le) (rate({__name__=~"kong_ai_llm_provider_latency_ms_bucket|ai_llm_provider_latency_ms_bucket"}[1m]))), "quantile", "0.5", "", "")');
    expect(q).toContain('"quantile", "0.99"');
  });
  it('builds the mean from _sum and _count', () => {
    expect(P.mean(['e2e'], {}, '1m')).toBe('sum (rate({__name__="e2e_sum"}[1m])) / sum (rate({__name__="e2e_count"}[1m]))');
  });
  it('builds bucket rates and whole-range increases by le', () => {
    expect(P.bucketRates(['h'], {}, '40s')).toBe('sum by (le) (rate({__name__="h_bucket"}[40s]))');
    expect(P.bucketIncrease(['h'], {}, 1000, 4600)).toBe('sum by (le) (increase({__name__="h_bucket"}[3600s]))');
  });
  it('picks a rate window of at least four scrapes and one step plus a scrape', () => {
    expect(P.rateWindow(15)).toBe('40s');
    expect(P.rateWindow(60)).toBe('70s');
    expect(P.rateWindow(14.4)).toBe('40s');
    expect(P.rangeWindow(0, 0.2)).toBe('1s');
  });
  it('never sums TPOT under two vLLM names', () => {
    expect(P.INFER.tpot).toEqual(['time_per_output_token_seconds', 'vllm:time_per_output_token_seconds']);
  });
});
