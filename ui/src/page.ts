export interface TimeRange { start: number; end: number; step: number } // unix seconds
export interface Api {
  query(q: string, time?: number): Promise<any>;              // data of /api/v1/query
  queryRange(q: string, r: TimeRange): Promise<any>;           // data of /api/v1/query_range
  get(path: string, params?: Record<string, string | number | undefined>): Promise<any>; // data of any /api/v1 route
}
export interface PageContext {
  api: Api; range: TimeRange;
  params: URLSearchParams;                      // the view's state in the URL (after #/page?)
  setParams(p: Record<string, string | undefined>): void; // updates the URL, re-renders
  navigate(page: string, params?: Record<string, string>): void;
}
export interface Page { title: string; render(el: HTMLElement, ctx: PageContext): void | (() => void) } // returns a disposer
