// The API client every page gets (page.ts `Api`): the token from sign-in on every request,
// the JSON envelopes of the server's APIs unwrapped, errors turned into ApiError with the
// server's own message. 401/403 raise AuthError, which sends the app back to sign-in.
import type { Api, TimeRange } from './page';

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly path: string) {
    super(message);
  }
}

export class AuthError extends ApiError {}

const TOKEN_KEY = 'astrolabe.token';

export function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

// The message of any of the server's error bodies: Prometheus' {"status":"error","error"},
// the platform's {"error":{"code","message"}}, or plain text.
export function errorMessage(body: string, status: number): string {
  try {
    const j = JSON.parse(body);
    if (typeof j?.error === 'string') return j.error;
    if (typeof j?.error?.message === 'string') return j.error.message;
  } catch {
    /* not JSON */
  }
  const text = body.trim().slice(0, 300);
  return text || `HTTP ${status}`;
}

export type Params = Record<string, string | number | undefined> | URLSearchParams;

export function encodeParams(params?: Params): string {
  if (!params) return '';
  const q = params instanceof URLSearchParams ? new URLSearchParams(params) : new URLSearchParams();
  if (!(params instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

export class HttpApi implements Api {
  // Requests in flight count, for the shell's activity bar.
  inflight = 0;
  onActivity: (inflight: number) => void = () => {};
  // Called on every 401/403 before the AuthError is thrown (the shell goes back to sign-in).
  onAuthError: (e: AuthError) => void = () => {};

  constructor(private tok: string | null, private base = 'api/v1') {}

  token(): string | null {
    return this.tok;
  }

  setToken(token: string | null) {
    this.tok = token;
  }

  async raw(path: string, params?: Params, init?: RequestInit): Promise<any> {
    const rel = path.replace(/^\/?(api\/v1\/)?/, '');
    const url = `${this.base}/${rel}${encodeParams(params)}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.tok) headers.Authorization = `Bearer ${this.tok}`;
    this.onActivity(++this.inflight);
    let resp: Response;
    try {
      resp = await fetch(url, { ...init, headers: { ...headers, ...(init?.headers ?? {}) } });
    } catch (e) {
      throw new ApiError(`cannot reach the server: ${(e as Error).message}`, 0, rel);
    } finally {
      this.onActivity(--this.inflight);
    }
    const body = await resp.text();
    if (resp.status === 401 || resp.status === 403) {
      const e = new AuthError(errorMessage(body, resp.status), resp.status, rel);
      this.onAuthError(e);
      throw e;
    }
    if (!resp.ok) throw new ApiError(errorMessage(body, resp.status), resp.status, rel);
    try {
      return JSON.parse(body);
    } catch {
      throw new ApiError(`${rel}: the answer is not JSON`, resp.status, rel);
    }
  }

  // The `data` of a {"status":"success","data":…} answer, or the whole answer of routes without
  // that envelope (the traces API).
  async get(path: string, params?: Record<string, string | number | undefined>): Promise<any> {
    const j = await this.raw(path, params);
    if (j && typeof j === 'object' && 'status' in j && 'data' in j) {
      if (j.status !== 'success') throw new ApiError(j.error ?? 'query failed', 200, path);
      return j.data;
    }
    return j;
  }

  query(q: string, time?: number): Promise<any> {
    return this.get('query', { query: q, time });
  }

  queryRange(q: string, r: TimeRange): Promise<any> {
    return this.get('query_range', { query: q, start: r.start, end: r.end, step: r.step });
  }
}
