// A GenAI call's conversation, from whichever dialect recorded it. Pure functions (tested in
// messages.test.ts). Sources, in order of preference (../shared/reference/genai-signals.md §3):
//   1. current OTel keys on the span: gen_ai.input.messages / gen_ai.output.messages /
//      gen_ai.system_instructions (JSON text, or already-structured values);
//   2. legacy OpenLLMetry indexed keys: gen_ai.prompt.N.{role,content},
//      gen_ai.completion.N.{role,content,finish_reason,tool_calls.J.*};
//   3. span events: gen_ai.{system,user,assistant,tool}.message / gen_ai.choice, the 1.37+
//      gen_ai.client.inference.operation.details, and the old gen_ai.content.prompt/completion;
//   4. the trace's log records linked to the span (event name in `event_name` or the
//      `event.name` attribute), same names as 3.

export interface Part {
  type: string; // text | tool_call | tool_call_response | reasoning | … (unknown kept as JSON)
  content?: string;
  id?: string;
  name?: string;
  arguments?: string;
}

export interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

export type Source = 'otel' | 'legacy' | 'events' | 'logs' | 'none';

export interface Conversation {
  system: Part[];
  input: Message[];
  output: Message[];
  inputSource: Source;
  outputSource: Source;
}

type Attrs = Record<string, any>;

function str(v: any): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

// A value that may be JSON text: parsed if it is, else as is.
function maybeJSON(v: any): any {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

// One part of the current shape, or of OpenAI's content array ({type:"text", text}).
function toPart(p: any): Part {
  if (typeof p === 'string') return { type: 'text', content: p };
  if (!p || typeof p !== 'object') return { type: 'text', content: str(p) };
  const type = typeof p.type === 'string' ? p.type : 'text';
  if (type === 'text' || type === 'reasoning' || type === 'thinking') {
    return { type, content: str(p.content ?? p.text ?? '') };
  }
  if (type === 'tool_call' || type === 'function') {
    const fn = p.function ?? {};
    return { type: 'tool_call', id: p.id, name: p.name ?? fn.name, arguments: str(p.arguments ?? fn.arguments ?? '') };
  }
  if (type === 'tool_call_response') {
    return { type, id: p.id, content: str(p.response ?? p.result ?? p.content ?? '') };
  }
  const { type: _t, ...rest } = p;
  return { type, content: str(rest) };
}

// OpenAI-style tool_calls [{id, function:{name, arguments}}] → parts.
function toolCallParts(tc: any): Part[] {
  const arr = maybeJSON(tc);
  if (!Array.isArray(arr)) return [];
  return arr.map((c: any) => ({
    type: 'tool_call',
    id: c?.id,
    name: c?.name ?? c?.function?.name,
    arguments: str(c?.arguments ?? c?.function?.arguments ?? ''),
  }));
}

// One message in the current shape ({role, parts, finish_reason}) or an older one
// ({role, content, tool_calls}; a choice {index, finish_reason, message}).
export function toMessage(m: any, defaultRole = 'user'): Message | null {
  if (m === null || m === undefined) return null;
  if (typeof m === 'string') return { role: defaultRole, parts: [{ type: 'text', content: m }] };
  if (typeof m !== 'object') return null;
  if (m.message && typeof m.message === 'object' && !m.parts) {
    const inner = toMessage(m.message, defaultRole);
    if (inner && m.finish_reason && !inner.finish_reason) inner.finish_reason = String(m.finish_reason);
    return inner;
  }
  const role = typeof m.role === 'string' && m.role ? m.role : defaultRole;
  let parts: Part[] = [];
  if (Array.isArray(m.parts)) parts = m.parts.map(toPart);
  else if (Array.isArray(m.content)) parts = m.content.map(toPart);
  else if (m.content !== undefined && m.content !== null && m.content !== '') parts = [{ type: 'text', content: str(m.content) }];
  if (m.tool_calls) parts = parts.concat(toolCallParts(m.tool_calls));
  const msg: Message = { role, parts };
  if (m.finish_reason !== undefined && m.finish_reason !== null) msg.finish_reason = String(m.finish_reason);
  return msg;
}

function toMessages(v: any, defaultRole: string): Message[] {
  const parsed = maybeJSON(v);
  if (parsed === undefined || parsed === null || parsed === '') return [];
  const arr = Array.isArray(parsed) ? parsed : [parsed];
  return arr.map((m) => toMessage(m, defaultRole)).filter((m): m is Message => m !== null);
}

function toParts(v: any): Part[] {
  const parsed = maybeJSON(v);
  if (parsed === undefined || parsed === null || parsed === '') return [];
  const arr = Array.isArray(parsed) ? parsed : [parsed];
  return arr.map(toPart);
}

// Legacy indexed keys `${prefix}.N.*` → messages in index order.
export function legacyMessages(attrs: Attrs, prefix: string, defaultRole: string): Message[] {
  const byIndex = new Map<number, Attrs>();
  const re = new RegExp('^' + prefix.replace(/\./g, '\\.') + '\\.(\\d+)\\.(.+)$');
  for (const [k, v] of Object.entries(attrs)) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    if (!byIndex.has(i)) byIndex.set(i, {});
    byIndex.get(i)![m[2]] = v;
  }
  const out: Message[] = [];
  for (const i of [...byIndex.keys()].sort((a, b) => a - b)) {
    const f = byIndex.get(i)!;
    const role = typeof f.role === 'string' && f.role ? f.role : defaultRole;
    const parts: Part[] = [];
    if (f.content !== undefined && f.content !== null && f.content !== '') {
      const c = maybeJSON(f.content);
      if (Array.isArray(c)) parts.push(...c.map(toPart));
      else parts.push({ type: 'text', content: str(f.content) });
    }
    if (f.refusal) parts.push({ type: 'refusal', content: str(f.refusal) });
    // tool_calls.J.{id,name,arguments}
    const calls = new Map<number, Attrs>();
    for (const [k, v] of Object.entries(f)) {
      const m = /^tool_calls\.(\d+)\.(.+)$/.exec(k);
      if (!m) continue;
      const j = Number(m[1]);
      if (!calls.has(j)) calls.set(j, {});
      calls.get(j)![m[2]] = v;
    }
    for (const j of [...calls.keys()].sort((a, b) => a - b)) {
      const c = calls.get(j)!;
      parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: str(c.arguments ?? '') });
    }
    const msg: Message = { role, parts };
    if (f.finish_reason) msg.finish_reason = String(f.finish_reason);
    out.push(msg);
  }
  return out;
}

// A span event or log record reduced to what the extraction needs.
export interface Record_ {
  name: string;
  attributes: Attrs;
  body?: any;
}

const ROLE_OF_EVENT: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

// Messages carried by events (span events or log records), in their order.
export function eventMessages(records: Record_[]): { system: Part[]; input: Message[]; output: Message[] } {
  const system: Part[] = [];
  const input: Message[] = [];
  const output: Message[] = [];
  for (const r of records) {
    const a = r.attributes || {};
    if (r.name === 'gen_ai.client.inference.operation.details') {
      system.push(...toParts(a['gen_ai.system_instructions']));
      input.push(...toMessages(a['gen_ai.input.messages'], 'user'));
      output.push(...toMessages(a['gen_ai.output.messages'], 'assistant'));
      continue;
    }
    if (r.name === 'gen_ai.content.prompt') {
      input.push(...toMessages(a['gen_ai.prompt'], 'user'));
      continue;
    }
    if (r.name === 'gen_ai.content.completion') {
      output.push(...toMessages(a['gen_ai.completion'], 'assistant'));
      continue;
    }
    const role = ROLE_OF_EVENT[r.name];
    const payload = r.body !== undefined && r.body !== null && r.body !== '' ? maybeJSON(r.body) : a;
    if (role) {
      const m = toMessage(payload, role);
      if (m) {
        if (!payload || typeof payload !== 'object' || !payload.role) m.role = role;
        if (role === 'system') system.push(...m.parts);
        else input.push(m);
      }
    } else if (r.name === 'gen_ai.choice') {
      const m = toMessage(payload, 'assistant');
      if (m) output.push(m);
    }
  }
  return { system, input, output };
}

// The event name of a log record of the traces API: `event_name`, else attribute `event.name`.
export function logEventName(log: any): string {
  return log?.event_name || log?.attributes?.['event.name'] || '';
}

// The conversation of `span` (a span of /api/v1/traces/<id>) with the trace's `logs`.
export function extractConversation(span: any, logs: any[] = []): Conversation {
  const a: Attrs = span?.attributes || {};
  const conv: Conversation = { system: [], input: [], output: [], inputSource: 'none', outputSource: 'none' };

  const otelIn = toMessages(a['gen_ai.input.messages'], 'user');
  const otelOut = toMessages(a['gen_ai.output.messages'], 'assistant');
  conv.system = toParts(a['gen_ai.system_instructions']);
  if (otelIn.length) [conv.input, conv.inputSource] = [otelIn, 'otel'];
  if (otelOut.length) [conv.output, conv.outputSource] = [otelOut, 'otel'];

  if (!conv.input.length) {
    const l = legacyMessages(a, 'gen_ai.prompt', 'user');
    if (l.length) [conv.input, conv.inputSource] = [l, 'legacy'];
  }
  if (!conv.output.length) {
    const l = legacyMessages(a, 'gen_ai.completion', 'assistant');
    if (l.length) [conv.output, conv.outputSource] = [l, 'legacy'];
  }

  const sources: [Source, Record_[]][] = [
    ['events', (span?.events || []).map((e: any) => ({ name: e.name, attributes: e.attributes || {} }))],
    [
      'logs',
      logs
        .filter((l) => !span?.span_id || !l.span_id || l.span_id === span.span_id)
        .map((l) => ({ name: logEventName(l), attributes: l.attributes || {}, body: l.body })),
    ],
  ];
  for (const [src, recs] of sources) {
    if (conv.input.length && conv.output.length) break;
    const e = eventMessages(recs);
    if (!conv.system.length && e.system.length) conv.system = e.system;
    if (!conv.input.length && e.input.length) [conv.input, conv.inputSource] = [e.input, src];
    if (!conv.output.length && e.output.length) [conv.output, conv.outputSource] = [e.output, src];
  }

  // A system message inside the input stays where it is; system instructions given apart
  // are shown first.
  return conv;
}

// Redaction marks of the `redaction` processor (contract §2): [REDACTED:<kind>] and
// [HASH:<kind>:<16 hex digits>].
export interface Segment {
  text: string;
  mark?: 'redacted' | 'hash';
  kind?: string;
}

const MARK_RE = /\[REDACTED:([^\]\n]{1,64})\]|\[HASH:([^\]:\n]{1,64}):([0-9a-fA-F]{16})\]/g;

export function splitMarks(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  MARK_RE.lastIndex = 0;
  for (let m = MARK_RE.exec(text); m !== null; m = MARK_RE.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ text: m[0], mark: 'redacted', kind: m[1] });
    else out.push({ text: m[0], mark: 'hash', kind: m[2] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
