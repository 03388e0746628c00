import { describe, expect, it } from 'vitest';
import { matchesText, normDuration, parseTime, rowFromCall, rowFromSpan, searchParams } from './calls_model';
import { searchCalls } from './calls';

const range = { start: 1000, end: 4600, step: 15 };

describe('searchParams', () => {
  it('passes the URL filters the span search knows, normalised', () => {
    const p = new URLSearchParams('service=support-bot&model=gpt-4o&status=error&min_duration=1500&min_cost=0.01&q=refund&cursor=c1.x&operation=chat&provider=openai');
    expect(searchParams(p, range, 50)).toEqual({
      start: '1000',
      end: '4600',
      limit: '50',
      service: 'support-bot',
      model: 'gpt-4o',
      provider: 'openai',
      operation: 'chat',
      status: 'error',
      min_duration: '1500ms',
      min_cost: '0.01',
      cursor: 'c1.x',
    });
  });
  it('drops malformed values rather than sending them', () => {
    const out = searchParams(new URLSearchParams('status=bad&min_duration=soon&min_cost=-1'), range, 10);
    expect(out.status).toBeUndefined();
    expect(out.min_duration).toBeUndefined();
    expect(out.min_cost).toBeUndefined();
  });
  it('normalises durations', () => {
    expect(normDuration('2s')).toBe('2s');
    expect(normDuration('1m30s')).toBe('1m30s');
    expect(normDuration('250')).toBe('250ms');
    expect(normDuration('2 s')).toBeUndefined();
  });
});

const span = (over: any = {}) => ({
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: 'eee19b7ec3c1b174',
  service: 'support-bot',
  name: 'openai.chat',
  status: 'error',
  start_time_unix_nano: '1763859612250000000',
  duration_nanos: 2250000000,
  genai: { model: 'gpt-4o-mini', provider: 'openai', operation: 'chat', finish_reasons: ['stop'], input_tokens: 42, output_tokens: 7 },
  ...over,
});

describe('rows', () => {
  it('maps a span with GenAI fields, and skips one without', () => {
    const r = rowFromSpan(span())!;
    expect(r.start).toBeCloseTo(1763859612.25, 6);
    expect(r.duration).toBe(2.25);
    expect([r.model, r.provider, r.operation, r.input_tokens, r.output_tokens, r.cost, r.status]).toEqual(['gpt-4o-mini', 'openai', 'chat', 42, 7, null, 'error']);
    expect(rowFromSpan(span({ genai: undefined }))).toBeNull();
  });
  it('maps a call of /api/v1/genai/calls whatever the time format', () => {
    const r = rowFromCall({ trace_id: 't', span_id: 's', start: '2025-11-23T01:00:12.25Z', duration: 1.5, cost: 0.002, finish_reasons: ['length'] });
    expect(r.start).toBeCloseTo(1763859612.25, 3);
    expect(r.cost).toBe(0.002);
    expect(parseTime(1763859612)).toBe(1763859612);
    expect(parseTime('1763859612250000000')).toBeCloseTo(1763859612.25, 6);
    expect(Number.isNaN(parseTime('nope'))).toBe(true);
  });
  it('filters by every word of the text', () => {
    const r = rowFromSpan(span())!;
    expect(matchesText(r, 'GPT-4o support')).toBe(true);
    expect(matchesText(r, 'gpt-4o claude')).toBe(false);
    expect(matchesText(r, '')).toBe(true);
    expect(matchesText(r, 'stop')).toBe(true);
  });
});

describe('searchCalls', () => {
  it('pages through the span search until enough LLM calls are found', async () => {
    const pages: Record<string, any> = {
      '': { spans: [span({ span_id: 'a' }), span({ span_id: 'w', genai: undefined })], next_cursor: 'c2' },
      c2: { spans: Array.from({ length: 60 }, (_, i) => span({ span_id: 'b' + i })), next_cursor: 'c3' },
      c3: { spans: [span({ span_id: 'never' })], next_cursor: null },
    };
    const seen: any[] = [];
    const res = await searchCalls(async (path, params) => {
      expect(path).toBe('spans');
      seen.push(params);
      return pages[params.cursor ?? ''];
    }, { start: '1', service: 'x' });
    expect(res.rows).toHaveLength(61);
    expect(res.next).toBe('c3');
    expect(res.scanned).toBe(62);
    expect(seen.map((p) => p.cursor)).toEqual([undefined, 'c2']);
    expect(seen[0].service).toBe('x');
  });
  it('stops at the last page', async () => {
    const res = await searchCalls(async () => ({ spans: [span()], next_cursor: null }), {});
    expect(res.rows).toHaveLength(1);
    expect(res.next).toBeNull();
  });
});

describe('agent spans', () => {
  it('are left out unless the operation filter asks for them', async () => {
    const spans = [span({ span_id: 'c' }), span({ span_id: 'a', genai: { operation: 'invoke_agent', provider: 'openai' } })];
    const get = async () => ({ spans, next_cursor: null });
    expect((await searchCalls(get, {})).rows.map((r) => r.span_id)).toEqual(['c']);
    expect((await searchCalls(get, { operation: 'invoke_agent' })).rows.map((r) => r.span_id)).toEqual(['c', 'a']);
  });
});
