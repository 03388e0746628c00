// A tiny element builder: h('div', {class: 'x', onclick: f}, 'text', child). No framework.
type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'dataset' && typeof v === 'object') Object.assign(el.dataset, v);
      else if (k in el && k !== 'list' && typeof v !== 'string') (el as any)[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// A card: a titled panel the pages lay out in grids.
export function card(title: string | Node, body: Child, opts: { cls?: string; actions?: Child } = {}): HTMLElement {
  return h('section', { class: 'card ' + (opts.cls ?? '') },
    h('header', { class: 'card-head' }, h('h3', null, title), opts.actions ? h('div', { class: 'card-actions' }, opts.actions) : null),
    h('div', { class: 'card-body' }, body));
}

export function spinner(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading' }, h('span', { class: 'spin' }), text);
}

export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, message);
}
