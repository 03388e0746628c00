import { describe, expect, it } from 'vitest';
import { byKey, emptyValues, filterRows, forecastMonthEnd, health, mergeModels, quantile, servicesFromSpans } from './overview_data';

describe('overview data', () => {
  it('health thresholds', () => {
    expect(health(0, 0, 1)).toBe('idle');
    expect(health(null, null, null)).toBe('idle');
    expect(health(1, 0, 1)).toBe('ok');
    expect(health(1, 0.01, 1)).toBe('warn');
    expect(health(1, 0, 4)).toBe('warn');
    expect(health(1, 0.05, 1)).toBe('bad');
    expect(health(1, 0.001, 12)).toBe('bad');
  });
  it('sums samples per key across queries', () => {
    const m = byKey([
      [{ metric: { model_name: 'a' }, value: [0, '1'] }, { metric: { model_name: 'b' }, value: [0, 'NaN'] }],
      [{ metric: { model_name: 'a' }, value: [0, '2.5'] }, { metric: {}, value: [0, '9'] }],
    ], (l) => l.model_name);
    expect([...m.entries()]).toEqual([['a', 3.5]]);
  });
  it('merges sources: the inference server wins, the gateway adds cost and models', () => {
    const inf = emptyValues();
    inf.rps.set('llama', 2);
    inf.errors.set('llama', 0.1);
    inf.p95.set('llama', 1.5);
    const gw = emptyValues();
    gw.rps.set('llama', 3);
    gw.rps.set('gpt-4o', 1);
    gw.cost.set('llama', 0.5);
    gw.cost.set('gpt-4o', 2);
    gw.provider.set('gpt-4o', 'openai');
    const rows = mergeModels([['inference', inf], ['gateway', gw]], new Map([['gpt-4o', new Set(['bot'])]]));
    expect(rows.map((r) => r.model)).toEqual(['llama', 'gpt-4o']);
    expect(rows[0]).toMatchObject({ rps: 2, errorRate: 0.05, p95: 1.5, cost: 0.5, sources: ['inference', 'gateway'] });
    expect(rows[1]).toMatchObject({ rps: 1, errorRate: null, provider: 'openai', services: ['bot'], sources: ['gateway'] });
    expect(filterRows(rows, 'BOT').map((r) => r.model)).toEqual(['gpt-4o']);
    expect(filterRows(rows, '').length).toBe(2);
  });
  it('groups GenAI spans by service', () => {
    const mk = (service: string, t: number, d: number, status = 'ok', cost?: number) => ({
      service, status, start_time_unix_nano: String(BigInt(t) * 1000000000n), duration_nanos: d * 1e9,
      genai: { model: 'm', input_tokens: 10, output_tokens: 5, cost },
    });
    const rows = servicesFromSpans([mk('a', 100, 1), mk('a', 150, 3, 'error', 0.25), mk('b', 190, 2),
      { service: 'c', status: 'ok', start_time_unix_nano: '0', duration_nanos: 1 }], 100, 200, 2);
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatchObject({ service: 'a', calls: 2, errors: 1, tokens: 30, cost: 0.25, spark: [1, 1] });
    expect(rows[0].p95).toBeCloseTo(2.9);
    expect(rows[1]).toMatchObject({ service: 'b', cost: null, spark: [0, 1] });
  });
  it('quantiles and forecasts', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    const now = new Date(2026, 10, 30, 0, 0, 0); // 30 Nov: one day left
    expect(forecastMonthEnd(10, 1 / 864, now)).toBeCloseTo(110);
  });
});
