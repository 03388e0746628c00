import { describe, expect, it } from 'vitest';
import { eventMessages, extractConversation, legacyMessages, splitMarks, toMessage } from './messages';

const text = (m: any) => m.parts.map((p: any) => p.content).join('|');

describe('current OTel GenAI attributes', () => {
  it('reads gen_ai.input/output.messages JSON text and system instructions', () => {
    const span = {
      span_id: 's1',
      attributes: {
        'gen_ai.system_instructions': '[{"type":"text","content":"Be terse."}]',
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Capital of France?"}]}]',
        'gen_ai.output.messages':
          '[{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"Paris."},{"type":"tool_call","id":"c1","name":"lookup","arguments":{"q":"x"}}]}]',
      },
    };
    const c = extractConversation(span);
    expect(c.inputSource).toBe('otel');
    expect(c.outputSource).toBe('otel');
    expect(c.system).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(c.input).toHaveLength(1);
    expect(c.input[0].role).toBe('user');
    expect(text(c.input[0])).toBe('Capital of France?');
    expect(c.output[0].finish_reason).toBe('stop');
    expect(c.output[0].parts[1]).toEqual({ type: 'tool_call', id: 'c1', name: 'lookup', arguments: '{"q":"x"}' });
  });
  it('accepts already-structured values', () => {
    const c = extractConversation({ attributes: { 'gen_ai.input.messages': [{ role: 'system', parts: [{ type: 'text', content: 'S' }] }, { role: 'user', parts: [{ type: 'text', content: 'U' }] }] } });
    expect(c.input.map((m) => m.role)).toEqual(['system', 'user']);
  });
  it('keeps bad JSON as text instead of failing', () => {
    const c = extractConversation({ attributes: { 'gen_ai.input.messages': '[{"role":' } });
    expect(c.input).toHaveLength(1);
    expect(text(c.input[0])).toBe('[{"role":');
  });
});

describe('legacy OpenLLMetry attributes', () => {
  it('orders gen_ai.prompt.N by index (10 after 2) and reads completions with tool calls', () => {
    const attrs: Record<string, any> = {
      'gen_ai.prompt.10.role': 'user',
      'gen_ai.prompt.10.content': 'last',
      'gen_ai.prompt.2.role': 'assistant',
      'gen_ai.prompt.2.content': 'middle',
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'first',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.finish_reason': 'tool_calls',
      'gen_ai.completion.0.tool_calls.1.name': 'b',
      'gen_ai.completion.0.tool_calls.0.name': 'a',
      'gen_ai.completion.0.tool_calls.0.arguments': '{"x":1}',
    };
    const c = extractConversation({ attributes: attrs });
    expect(c.inputSource).toBe('legacy');
    expect(c.input.map(text)).toEqual(['first', 'middle', 'last']);
    expect(c.input.map((m) => m.role)).toEqual(['system', 'assistant', 'user']);
    expect(c.output[0].finish_reason).toBe('tool_calls');
    expect(c.output[0].parts.map((p) => p.name)).toEqual(['a', 'b']);
  });
  it('defaults the role (embeddings have content only) and reads JSON content arrays', () => {
    const m = legacyMessages({ 'gen_ai.prompt.0.content': '[{"type":"text","text":"hi"}]' }, 'gen_ai.prompt', 'user');
    expect(m).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]);
  });
  it('does not mistake gen_ai.prompt_filter_results-like keys for messages', () => {
    expect(legacyMessages({ 'gen_ai.prompt.prompt_filter_results': '[]' }, 'gen_ai.prompt', 'user')).toEqual([]);
  });
});

describe('events and logs', () => {
  it('reads per-message log records (attribute event.name) linked to the span', () => {
    const logs = [
      { span_id: 's1', attributes: { 'event.name': 'gen_ai.system.message' }, body: { content: 'sys' } },
      { span_id: 's1', attributes: { 'event.name': 'gen_ai.user.message' }, body: { content: 'question' } },
      { span_id: 'other', attributes: { 'event.name': 'gen_ai.user.message' }, body: { content: 'not mine' } },
      { span_id: 's1', attributes: { 'event.name': 'gen_ai.choice' }, body: { finish_reason: 'stop', index: 0, message: { content: 'answer' } } },
    ];
    const c = extractConversation({ span_id: 's1', attributes: {} }, logs);
    expect(c.inputSource).toBe('logs');
    expect(c.system.map((p) => p.content)).toEqual(['sys']);
    expect(c.input.map(text)).toEqual(['question']);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'answer' }], finish_reason: 'stop' }]);
  });
  it('reads the 1.37+ operation-details record (event_name field, structured messages)', () => {
    const logs = [
      {
        span_id: 's1',
        event_name: 'gen_ai.client.inference.operation.details',
        attributes: {
          'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'Q' }] }],
          'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'A' }], finish_reason: 'length' }],
        },
      },
    ];
    const c = extractConversation({ span_id: 's1', attributes: {} }, logs);
    expect(c.input.map(text)).toEqual(['Q']);
    expect(c.output[0].finish_reason).toBe('length');
  });
  it('prefers span attributes and takes only the missing side from events', () => {
    const span = {
      span_id: 's1',
      attributes: { 'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"from span"}]}]' },
      events: [{ name: 'gen_ai.content.completion', attributes: { 'gen_ai.completion': '[{"role":"assistant","content":"from event"}]' } }],
    };
    const c = extractConversation(span);
    expect([c.inputSource, c.outputSource]).toEqual(['otel', 'events']);
    expect(text(c.output[0])).toBe('from event');
  });
  it('maps OpenAI-shaped tool calls', () => {
    const e = eventMessages([{ name: 'gen_ai.assistant.message', attributes: {}, body: { tool_calls: [{ id: 't', function: { name: 'f', arguments: '{}' } }] } }]);
    expect(e.input[0].role).toBe('assistant');
    expect(e.input[0].parts).toEqual([{ type: 'tool_call', id: 't', name: 'f', arguments: '{}' }]);
  });
  it('returns nothing for a call without content', () => {
    const c = extractConversation({ attributes: { 'gen_ai.request.model': 'm' } }, []);
    expect([c.input, c.output, c.system, c.inputSource]).toEqual([[], [], [], 'none']);
  });
  it('ignores junk messages', () => {
    expect(toMessage(42)).toBeNull();
    expect(toMessage(null)).toBeNull();
  });
});

describe('redaction marks', () => {
  it('splits [REDACTED:kind] and [HASH:kind:hex] out of text', () => {
    const s = splitMarks('mail [REDACTED:email] or call [HASH:phone:0123456789abcdef].');
    expect(s).toEqual([
      { text: 'mail ' },
      { text: '[REDACTED:email]', mark: 'redacted', kind: 'email' },
      { text: ' or call ' },
      { text: '[HASH:phone:0123456789abcdef]', mark: 'hash', kind: 'phone' },
      { text: '.' },
    ]);
  });
  it('leaves look-alikes alone and handles marks at the edges', () => {
    expect(splitMarks('[HASH:phone:0123]')).toEqual([{ text: '[HASH:phone:0123]' }]);
    expect(splitMarks('[REDACTED:api_key]')).toEqual([{ text: '[REDACTED:api_key]', mark: 'redacted', kind: 'api_key' }]);
    expect(splitMarks('')).toEqual([]);
    expect(splitMarks('[REDACTED:my rule][REDACTED:ip]').map((s) => s.kind)).toEqual(['my rule', 'ip']);
  });
});
