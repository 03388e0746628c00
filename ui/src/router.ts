// Hash routes: #/<page>?<params>. The params hold the view's whole state (range, refresh,
// filters), so a URL is shareable. Pure functions (unit-tested in router.test.ts).

export const SHELL_PARAMS = ['range', 'from', 'to', 'refresh'];

export interface Route { page: string; params: URLSearchParams }

export function parseHash(hash: string, fallback: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const page = decodeURIComponent(q >= 0 ? h.slice(0, q) : h) || fallback;
  const params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
  return { page, params };
}

export function buildHash(page: string, params: URLSearchParams): string {
  const s = params.toString();
  return `#/${encodeURIComponent(page)}${s ? '?' + s : ''}`;
}

// Merges `changes` into `params` (undefined or '' removes a key).
export function mergeParams(params: URLSearchParams, changes: Record<string, string | undefined>): URLSearchParams {
  const out = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') out.delete(k);
    else out.set(k, v);
  }
  return out;
}

// The shell's parameters (range, refresh) carried over to another page.
export function shellParams(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of SHELL_PARAMS) {
    const v = params.get(k);
    if (v !== null) out.set(k, v);
  }
  return out;
}
