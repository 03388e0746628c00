import { describe, expect, it } from 'vitest';
import { fmtBytes, fmtCost, fmtCount, fmtDuration, fmtNumber, fmtPercent, fmtRate, fmtTime, sig3, unitOfMetric } from './format';

describe('format', () => {
  it('numbers', () => {
    expect(fmtNumber(0)).toBe('0');
    expect(fmtNumber(950)).toBe('950');
    expect(fmtNumber(1234)).toBe('1.23k');
    expect(fmtNumber(5.6e6)).toBe('5.6M');
    expect(fmtNumber(-2500)).toBe('-2.5k');
    expect(fmtNumber(0.25)).toBe('0.25');
    expect(fmtNumber(0.012345)).toBe('0.0123');
    expect(fmtNumber(NaN)).toBe('–');
    expect(fmtNumber(null)).toBe('–');
    expect(fmtNumber(Infinity)).toBe('+Inf');
    expect(sig3(12.34)).toBe('12.3');
    expect(sig3(1.5)).toBe('1.5');
  });
  it('rates', () => {
    expect(fmtRate(12.34)).toBe('12.3/s');
    expect(fmtRate(0.05)).toBe('3/min');
    expect(fmtRate(0)).toBe('0/s');
  });
  it('percent', () => {
    expect(fmtPercent(0.0123)).toBe('1.23%');
    expect(fmtPercent(0)).toBe('0%');
    expect(fmtPercent(1)).toBe('100%');
    expect(fmtPercent(0.00001)).toBe('<0.01%');
  });
  it('durations', () => {
    expect(fmtDuration(0)).toBe('0s');
    expect(fmtDuration(8.5e-7)).toBe('850ns');
    expect(fmtDuration(0.00042)).toBe('420µs');
    expect(fmtDuration(0.0123)).toBe('12.3ms');
    expect(fmtDuration(1.25)).toBe('1.25s');
    expect(fmtDuration(125)).toBe('2m 05s');
    expect(fmtDuration(3 * 3600 + 4 * 60)).toBe('3h 04m');
    expect(fmtDuration(2 * 86400 + 3 * 3600)).toBe('2d 3h');
    expect(fmtDuration(-0.5)).toBe('-500ms');
    expect(fmtDuration(undefined)).toBe('–');
  });
  it('cost', () => {
    expect(fmtCost(0)).toBe('$0.00');
    expect(fmtCost(0.0042)).toBe('$0.0042');
    expect(fmtCost(0.00123456)).toBe('$0.0012');
    expect(fmtCost(12.345)).toBe('$12.35');
    expect(fmtCost(1234.5)).toBe('$1,235');
    expect(fmtCost(12.5, 'EUR')).toBe('€12.50');
    expect(fmtCost(12.5, 'CHF')).toBe('12.50 CHF');
    expect(fmtCost(-3, 'USD')).toBe('-$3.00');
    expect(fmtCost(null)).toBe('–');
  });
  it('counts and bytes', () => {
    expect(fmtCount(1234)).toBe('1,234');
    expect(fmtCount(123456)).toBe('123k');
    expect(fmtBytes(1536)).toBe('1.5 KiB');
    expect(fmtBytes(100)).toBe('100 B');
  });
  it('time', () => {
    expect(fmtTime(1763859612, true)).toBe('2025-11-23 01:00:12');
  });
  it('units of metric names', () => {
    expect(unitOfMetric('vllm:e2e_request_latency_seconds_bucket')).toBe('s');
    expect(unitOfMetric('kong_ai_llm_provider_latency_ms_bucket')).toBe('ms');
    expect(unitOfMetric('gpu_cache_usage_perc')).toBe('ratio');
    expect(unitOfMetric('up')).toBe('');
  });
});
