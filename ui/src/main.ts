// The app shell: sign-in, top bar (nav, time range, auto-refresh, theme), hash routing, and the
// page lifecycle (render → disposer). Pages live in ./pages (see pages.ts).
import './style.css';
import { AuthError, HttpApi, storedToken, storeToken } from './api';
import { clear, errorBox, h } from './dom';
import type { Page, PageContext } from './page';
import { DEFAULT_PAGE, NAV, PAGES } from './pages';
import { buildHash, mergeParams, parseHash, shellParams } from './router';
import { fromLocalInput, parseRangeSpec, PRESETS, REFRESH, resolveRange, toLocalInput } from './time';
import { fmtTime } from './format';

const api = new HttpApi(storedToken());
const root = document.getElementById('app')!;

// ---- theme -----------------------------------------------------------------------------------
const THEME_KEY = 'astrolabe.theme';
function currentTheme(): 'dark' | 'light' {
  const t = localStorage.getItem(THEME_KEY);
  if (t === 'dark' || t === 'light') return t;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}
function applyTheme(t: 'dark' | 'light') {
  document.documentElement.dataset.theme = t;
}
applyTheme(currentTheme());

// ---- sign-in ---------------------------------------------------------------------------------
let signedIn = false;

function showSignIn(reason?: string) {
  signedIn = false;
  disposePage();
  stopRefresh();
  clear(root);
  const input = h('input', { class: 'input', type: 'password', id: 'token', name: 'token', placeholder: 'astro_…', autocomplete: 'current-password', autofocus: true });
  const msg = h('div', { class: 'signin-reason', role: 'alert' }, reason ?? '');
  const button = h('button', { class: 'btn primary', type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'signin card', onsubmit: async (ev: Event) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) {
      msg.textContent = 'Paste an API token.';
      return;
    }
    button.disabled = true;
    api.setToken(token);
    try {
      await api.get('status/buildinfo');
      storeToken(token);
      start();
    } catch (e) {
      api.setToken(null);
      msg.textContent = e instanceof AuthError ? `The server refused this token: ${e.message}` : (e as Error).message;
    } finally {
      button.disabled = false;
    }
  } },
    h('div', { class: 'brand big' }, logo(), 'Astrolabe'),
    h('p', { class: 'muted' }, 'Observability for AI services. Sign in with an API token that has the ',
      h('code', null, 'metrics.read'), ' and ', h('code', null, 'traces.read'), ' scopes.'),
    msg,
    h('label', { for: 'token' }, 'API token'),
    input,
    button,
    h('details', { class: 'muted' }, h('summary', null, 'Where do I get a token?'),
      h('p', null, 'On the server\'s machine: ', h('code', null, 'astrolabe token create --name ui --scopes metrics.read,traces.read'),
        '. The first start of the server and ', h('code', null, 'astrolabe demo'), ' print one.')));
  root.append(h('div', { class: 'signin-page' }, form));
  input.focus();
}

api.onAuthError = (e: AuthError) => {
  if (!signedIn) return;
  storeToken(null);
  api.setToken(null);
  showSignIn(e.status === 403 ? `This token lacks a scope the page needs: ${e.message}` : `Signed out: ${e.message}`);
};

function logo(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'logo');
  svg.innerHTML = '<circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M12 3v18M3 12h18" stroke="currentColor" stroke-width="0.8" opacity=".6"/><circle cx="16" cy="8" r="2.2" fill="var(--accent)"/>';
  return svg;
}

// ---- shell -----------------------------------------------------------------------------------
let nav: HTMLElement;
let rangeBar: HTMLElement;
let main: HTMLElement;
let activity: HTMLElement;
let footer: HTMLElement;
let disposer: (() => void) | null = null;
let refreshTimer: number | undefined;
let renderSeq = 0;

function disposePage() {
  if (disposer) {
    try {
      disposer();
    } catch (e) {
      console.warn('page disposer failed', e);
    }
    disposer = null;
  }
}

function stopRefresh() {
  if (refreshTimer !== undefined) clearInterval(refreshTimer);
  refreshTimer = undefined;
}

function route() {
  return parseHash(location.hash, DEFAULT_PAGE);
}

function go(page: string, params: URLSearchParams) {
  const hash = buildHash(page, params);
  if (hash === location.hash) render();
  else location.hash = hash;
}

function start() {
  signedIn = true;
  clear(root);
  nav = h('nav', { class: 'nav' });
  rangeBar = h('div', { class: 'range-bar' });
  activity = h('div', { class: 'activity' });
  main = h('main', { class: 'page', id: 'page' });
  footer = h('footer', { class: 'footer muted' });
  const themeBtn = h('button', { class: 'btn icon', type: 'button', title: 'Switch dark / light theme', 'aria-label': 'theme', onclick: () => {
    const t = currentTheme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, t);
    applyTheme(t);
    render();
  } }, '◐');
  const signOut = h('button', { class: 'btn small', type: 'button', title: 'Forget the token on this browser', onclick: () => {
    storeToken(null);
    api.setToken(null);
    showSignIn('Signed out.');
  } }, 'Sign out');
  root.append(
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/overview' }, logo(), 'Astrolabe'),
      nav, h('div', { class: 'spacer' }), rangeBar, themeBtn, api.token() ? signOut : null),
    activity, main, footer);
  api.onActivity = (n) => activity.classList.toggle('busy', n > 0);
  api.get('status/buildinfo').then((b) => {
    footer.textContent = `Astrolabe ${b?.version ?? ''} · ${b?.revision ?? ''}`;
  }).catch(() => {});
  render();
}

function renderNav(page: string, params: URLSearchParams) {
  clear(nav);
  const carry = shellParams(params);
  // A page outside the nav (a call's detail, `call`) lights up its parent (`calls`).
  const current = NAV.some((n) => n.id === page) ? page : NAV.find((n) => n.id.startsWith(page))?.id;
  for (const item of NAV) {
    const p = PAGES[item.id];
    nav.append(h('a', { class: 'nav-link' + (item.id === current ? ' active' : ''), href: buildHash(item.id, carry), 'data-page': item.id },
      p?.title ?? item.title));
  }
}

function renderRangeBar(page: string, params: URLSearchParams) {
  clear(rangeBar);
  const spec = parseRangeSpec(params);
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'time range' });
  for (const r of Object.keys(PRESETS)) {
    seg.append(h('button', { class: 'seg-btn' + (spec.range === r ? ' active' : ''), type: 'button', 'data-range': r,
      onclick: () => go(page, mergeParams(params, { range: r, from: undefined, to: undefined })) }, r));
  }
  const now = Math.floor(Date.now() / 1000);
  const cur = resolveRange(spec, now);
  const from = h('input', { class: 'input small', type: 'datetime-local', value: toLocalInput(cur.start), 'aria-label': 'from' });
  const to = h('input', { class: 'input small', type: 'datetime-local', value: toLocalInput(cur.end), 'aria-label': 'to' });
  const custom = h('div', { class: 'custom-range' + (spec.range === 'custom' ? ' open' : '') }, from, '→', to,
    h('button', { class: 'btn small', type: 'button', onclick: () => {
      const a = fromLocalInput(from.value);
      const b = fromLocalInput(to.value);
      if (a !== undefined && b !== undefined && b > a) go(page, mergeParams(params, { range: 'custom', from: String(a), to: String(b) }));
    } }, 'Apply'));
  seg.append(h('button', { class: 'seg-btn' + (spec.range === 'custom' ? ' active' : ''), type: 'button', 'data-range': 'custom',
    title: spec.range === 'custom' ? `${fmtTime(cur.start)} → ${fmtTime(cur.end)}` : 'Pick a custom range',
    onclick: () => custom.classList.toggle('open') }, 'Custom'));
  const refresh = params.get('refresh') ?? 'off';
  const sel = h('select', { class: 'input small', 'aria-label': 'auto-refresh', title: 'Auto-refresh',
    onchange: () => go(page, mergeParams(params, { refresh: sel.value === 'off' ? undefined : sel.value })) },
    Object.keys(REFRESH).map((k) => h('option', { value: k, selected: k === refresh }, k === 'off' ? 'Auto-refresh off' : `Every ${k}`)));
  const now_ = h('button', { class: 'btn icon', type: 'button', title: 'Refresh now', 'aria-label': 'refresh', onclick: () => render() }, '↻');
  rangeBar.append(seg, custom, sel, now_);
}

// Renders the page of the URL. With `quiet` (auto-refresh), the new render is built off-screen and
// swapped in once its requests are done (at most 5 s), so the view does not flash spinners.
function render(quiet = false) {
  if (!signedIn) return;
  const { page: id, params } = route();
  const seq = ++renderSeq;
  renderNav(id, params);
  renderRangeBar(id, params);
  const spec = parseRangeSpec(params);
  const range = resolveRange(spec, Math.floor(Date.now() / 1000));
  const page: Page | undefined = PAGES[id];
  const ctx: PageContext = {
    api, range, params: new URLSearchParams(params),
    setParams: (p) => go(id, mergeParams(route().params, p)),
    navigate: (to, p) => {
      const next = shellParams(route().params);
      for (const [k, v] of Object.entries(p ?? {})) next.set(k, v);
      go(to, next);
    },
  };
  const target = h('div', { class: 'page-body', 'data-page': id });
  const mount = (el: HTMLElement) => {
    disposePage();
    clear(main);
    main.append(el);
  };
  if (!quiet) mount(target);
  let d: void | (() => void) = undefined;
  try {
    if (!page) {
      const known = NAV.find((n) => n.id === id);
      target.append(known
        ? h('div', { class: 'empty-state' }, h('h2', null, known.title), h('p', null, 'This page is not part of this build yet.'))
        : errorBox(`No page "${id}". Pick one from the bar above.`));
    } else {
      document.title = `${page.title} · Astrolabe`;
      d = page.render(target, ctx);
    }
  } catch (e) {
    console.error(e);
    target.append(errorBox(`This page failed: ${(e as Error).message}`));
  }
  if (quiet) {
    const t0 = Date.now();
    const swap = () => {
      if (seq !== renderSeq) {
        if (typeof d === 'function') d();
        return;
      }
      if (api.inflight > 0 && Date.now() - t0 < 5000) {
        setTimeout(swap, 100);
        return;
      }
      const y = window.scrollY;
      mount(target);
      disposer = typeof d === 'function' ? d : null;
      window.scrollTo(0, y);
    };
    setTimeout(swap, 50);
  } else {
    disposer = typeof d === 'function' ? d : null;
  }
  stopRefresh();
  const every = REFRESH[params.get('refresh') ?? 'off'] ?? 0;
  if (every > 0) refreshTimer = window.setInterval(() => render(true), every * 1000);
}

window.addEventListener('hashchange', () => render());
window.addEventListener('unhandledrejection', (ev) => {
  if (ev.reason instanceof AuthError) ev.preventDefault();
});

// ---- boot ------------------------------------------------------------------------------------
(async () => {
  if (api.token()) {
    start();
    return;
  }
  // No token stored: a server with `--auth none` answers without one.
  try {
    await api.get('status/buildinfo');
    start();
  } catch (e) {
    showSignIn(e instanceof AuthError ? undefined : (e as Error).message);
  }
})();
