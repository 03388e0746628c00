// Small view helpers shared by the GenAI pages: element builder, cards whose body loads
// asynchronously, selects bound to URL parameters, and a lifetime that ignores answers arriving
// after the page was left.

import type { Chart } from './plot';
import './genai.css';

type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, unknown> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'value' || k === 'checked' || k === 'selected') (el as any)[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  add(el, children);
  return el;
}

function add(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// What a page owns while shown: charts to destroy, and whether it is still shown.
export class Life {
  alive = true;
  private charts: Chart[] = [];
  private fns: (() => void)[] = [];
  own(c: Chart): Chart {
    if (!this.alive) c.destroy();
    else this.charts.push(c);
    return c;
  }
  onDispose(f: () => void) {
    this.fns.push(f);
  }
  dispose() {
    this.alive = false;
    for (const c of this.charts) c.destroy();
    for (const f of this.fns) f();
    this.charts = [];
    this.fns = [];
  }
}

// A card whose body is filled by `load` (a spinner until then, the error if it fails).
export function asyncCard(
  life: Life,
  title: string,
  load: () => Promise<Chart | HTMLElement | null>,
  opts: { cls?: string; hint?: string; hideEmpty?: boolean } = {},
): HTMLElement {
  const body = h('div', { class: 'card-body' }, h('div', { class: 'loading gx-loading' }, 'Loading…'));
  const card = h(
    'section',
    { class: 'card gx-card ' + (opts.cls ?? '') },
    h('header', { class: 'card-head' }, h('h3', null, title), opts.hint ? h('span', { class: 'gx-hint', title: opts.hint }, 'i') : null),
    body,
  );
  load().then(
    (r) => {
      if (!life.alive) {
        if (r && 'destroy' in r) r.destroy();
        return;
      }
      body.textContent = '';
      if (r === null) {
        if (opts.hideEmpty) card.remove();
        else body.append(h('div', { class: 'gx-empty' }, 'No data in this range'));
        return;
      }
      if ('destroy' in r) {
        life.own(r);
        if (opts.hideEmpty && r.el.classList.contains('gx-empty')) card.remove();
        else body.append(r.el);
      } else body.append(r);
    },
    (e) => {
      if (!life.alive) return;
      body.textContent = '';
      body.append(h('div', { class: 'error-box gx-error' }, errorText(e)));
    },
  );
  return card;
}

// A <select> of `options` (value, label) bound to URL parameter `key` ('' = all).
export function paramSelect(label: string, key: string, current: string, options: [string, string][], set: (p: Record<string, string | undefined>) => void): HTMLElement {
  const sel = h(
    'select',
    { onchange: () => set({ [key]: sel.value || undefined, cursor: undefined }) },
    ...options.map(([v, l]) => h('option', { value: v, selected: v === current }, l)),
  );
  if (current && !options.some(([v]) => v === current)) sel.append(h('option', { value: current, selected: true }, current));
  return h('label', { class: 'gx-field' }, h('span', null, label), sel);
}
