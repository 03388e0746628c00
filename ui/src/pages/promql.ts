// PromQL building for the GenAI pages. Pure functions (tested in promql.test.ts).
//
// NIM exposes vLLM V0's families without the `vllm:` prefix; vLLM exposes them with it; Kong's
// AI metrics are `kong_ai_llm_*` on OSS Kong and bare `ai_llm_*` elsewhere. A page never knows
// which one a deployment runs, so every selector matches all spellings of one family through
// `{__name__=~"…"}` (../shared/reference/genai-signals.md §1.2, §1.3, §2.2).

// Quotes `s` as a PromQL string literal.
export function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

// Escapes the regular-expression metacharacters of `s` (RE2 syntax).
export function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Label matchers: a value of undefined or '' is left out; a value starting with `=~`, `!~` or
// `!=` is matched that way, any other value exactly.
export type Matchers = Record<string, string | undefined>;

// A selector matching any of `names` (exact names) with the extra `matchers`.
export function selector(names: string[], matchers: Matchers = {}): string {
  const parts: string[] = [];
  if (names.length === 1) {
    parts.push(`__name__=${quote(names[0])}`);
  } else {
    parts.push(`__name__=~${quote(names.map(reEscape).join('|'))}`);
  }
  for (const [k, v] of Object.entries(matchers)) {
    if (v === undefined || v === '') continue;
    if (v.startsWith('=~')) parts.push(`${k}=~${quote(v.slice(2))}`);
    else if (v.startsWith('!~')) parts.push(`${k}!~${quote(v.slice(2))}`);
    else if (v.startsWith('!=')) parts.push(`${k}!=${quote(v.slice(2))}`);
    else parts.push(`${k}=${quote(v)}`);
  }
  return '{' + parts.join(',') + '}';
}

// The inference-server families, each under its NIM and vLLM names (vLLM V0 and V1 spellings).
export const INFER = {
  ttft: ['time_to_first_token_seconds', 'vllm:time_to_first_token_seconds'],
  tpot: ['time_per_output_token_seconds', 'vllm:time_per_output_token_seconds'],
  e2e: ['e2e_request_latency_seconds', 'vllm:e2e_request_latency_seconds'],
  promptLen: ['request_prompt_tokens', 'vllm:request_prompt_tokens'],
  genLen: ['request_generation_tokens', 'vllm:request_generation_tokens'],
  promptTokens: ['prompt_tokens_total', 'vllm:prompt_tokens_total'],
  genTokens: ['generation_tokens_total', 'vllm:generation_tokens_total'],
  running: ['num_requests_running', 'vllm:num_requests_running'],
  waiting: ['num_requests_waiting', 'vllm:num_requests_waiting'],
  max: ['num_request_max'],
  kvCache: ['gpu_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'vllm:kv_cache_usage_perc'],
  // Finished requests by `finished_reason`: NIM's request_finish_total and vLLM's
  // request_success_total count the same thing (NIM's own request_success_total does not).
  finish: ['request_finish_total', 'vllm:request_success_total'],
} as const;

// Kong AI Gateway families (OSS prefix `kong_`, or bare).
export const KONG = {
  requests: ['kong_ai_llm_requests_total', 'ai_llm_requests_total'],
  tokens: ['kong_ai_llm_tokens_total', 'ai_llm_tokens_total'],
  cost: ['kong_ai_llm_cost_total', 'ai_llm_cost_total'],
  latency: ['kong_ai_llm_provider_latency_ms', 'ai_llm_provider_latency_ms'],
  cacheFetch: ['kong_ai_cache_fetch_latency', 'ai_cache_fetch_latency'],
  cacheEmbed: ['kong_ai_cache_embeddings_latency', 'ai_cache_embeddings_latency'],
} as const;

// The names of a histogram family's `_bucket` series.
export function buckets(family: readonly string[]): string[] {
  return family.map((n) => n + '_bucket');
}

// Finish reasons that count as success (NIM: "stop or length"); the rest are failures.
export const SUCCESS_REASONS = ['stop', 'length'];
export const SUCCESS = '=~' + SUCCESS_REASONS.join('|'); // a finished_reason matcher
export const FAILURE = '!~' + SUCCESS_REASONS.join('|');

// The rate window for a range query of step `step` seconds: Grafana's $__rate_interval idea
// (at least four scrapes of 10 s, and at least one step plus a scrape), as a PromQL duration.
export function rateWindow(step: number, scrape = 10): string {
  const s = Math.max(4 * scrape, Math.ceil(step) + scrape);
  return `${s}s`;
}

// A PromQL duration covering a whole range (for increase() over [start, end]).
export function rangeWindow(start: number, end: number): string {
  return `${Math.max(1, Math.round(end - start))}s`;
}

function byClause(by: string[]): string {
  return by.length ? ` by (${by.join(', ')})` : '';
}

// sum by (by) (rate(sel[w]))
export function sumRate(sel: string, w: string, by: string[] = []): string {
  return `sum${byClause(by)} (rate(${sel}[${w}]))`;
}

// sum by (by) (increase(sel[w]))
export function sumIncrease(sel: string, w: string, by: string[] = []): string {
  return `sum${byClause(by)} (increase(${sel}[${w}]))`;
}

// The q-quantile of a classic histogram family per `by` over windows of `w`.
export function quantile(q: number, family: readonly string[], m: Matchers, w: string, by: string[] = []): string {
  return `histogram_quantile(${q}, ${sumRate(selector(buckets(family), m), w, ['le', ...by])})`;
}

// Several quantiles of one family as one query, each series labelled quantile="0.5" etc., so a
// chart needs one request (label_replace adds the label; `or` unions the disjoint results).
export function quantiles(qs: number[], family: readonly string[], m: Matchers, w: string, by: string[] = []): string {
  return qs
    .map((q) => `label_replace(${quantile(q, family, m, w, by)}, "quantile", "${q}", "", "")`)
    .join(' or ');
}

// The mean of a histogram family: rate(_sum) / rate(_count).
export function mean(family: readonly string[], m: Matchers, w: string, by: string[] = []): string {
  const s = selector(family.map((n) => n + '_sum'), m);
  const c = selector(family.map((n) => n + '_count'), m);
  return `${sumRate(s, w, by)} / ${sumRate(c, w, by)}`;
}

// Per-bucket rates of a histogram family, one series per `le` and `by` (the labels that tell
// one histogram from another: servers may use different bucket bounds), for a heatmap.
export function bucketRates(family: readonly string[], m: Matchers, w: string, by: string[] = []): string {
  return sumRate(selector(buckets(family), m), w, ['le', ...by]);
}

// Per-bucket increases of a histogram family over the whole range, for a distribution.
export function bucketIncrease(family: readonly string[], m: Matchers, start: number, end: number, by: string[] = []): string {
  return sumIncrease(selector(buckets(family), m), rangeWindow(start, end), ['le', ...by]);
}
