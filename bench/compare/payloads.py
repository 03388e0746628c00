"""Payloads for bench/compare (Python 3 stdlib only).

- NIM-shaped Prometheus text bodies (the real NIM 1.x families and bucket layouts,
  ../shared/reference/genai-signals.md 1.2) for the scrape targets;
- Prometheus remote-write 1.0 requests (protobuf written by hand, snappy as literal-only
  blocks: valid snappy that every decoder accepts, no compression library needed);
- OTLP/HTTP protobuf ExportMetricsServiceRequest and ExportTraceServiceRequest bodies;
- a NIM + Kong fleet over time (counters that grow, histograms filled by drawn latencies,
  noisy gauges) for the 24 h storage and dashboard workloads.
"""
import math
import random
import struct

# ---------------------------------------------------------------- protobuf writing


def varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_str(num, s):
    return field_bytes(num, s.encode())


def field_varint(num, n):
    return varint(num << 3) + varint(n)


def field_fixed64(num, n):
    return varint(num << 3 | 1) + struct.pack("<Q", n)


def field_double(num, x):
    return varint(num << 3 | 1) + struct.pack("<d", x)


def snappy_literal(data):
    """Snappy block format with literal elements only (uncompressed, but valid snappy)."""
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out.append(60 << 2)
            out.append(n)
        else:
            out.append(61 << 2)
            out += struct.pack("<H", n)
        out += chunk
    return bytes(out)


# ---------------------------------------------------------------- remote write 1.0


def rw_labels(labels):
    """Encoded Label messages (field 1 of TimeSeries) for a sorted (name, value) list."""
    return b"".join(field_bytes(1, field_str(1, k) + field_str(2, v)) for k, v in sorted(labels))


def rw_series(encoded_labels, samples):
    """One TimeSeries: encoded labels + [(ts_ms, value)]."""
    body = encoded_labels + b"".join(
        field_bytes(2, field_double(1, v) + field_varint(2, ts)) for ts, v in samples)
    return field_bytes(1, body)  # WriteRequest.timeseries = 1


def rw_request(series_bytes):
    return snappy_literal(b"".join(series_bytes))


RW_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}

# ---------------------------------------------------------------- OTLP


def kv(key, value, num=1):
    """KeyValue with a string value, as field NUM (resource: 1, data point: 7, span: 9)."""
    return field_bytes(num, field_str(1, key) + field_bytes(2, field_str(1, value)))


def otlp_metrics_request(pods, now_ns, start_ns, step):
    """ExportMetricsServiceRequest: per pod one resource (service.name, k8s.pod.name), a gauge
    and a cumulative monotonic sum per model with model_name. Returns (body, data points)."""
    resources = []
    points = 0
    for pod in range(pods):
        metrics = []
        for name, is_sum in (("gpu_cache_usage_perc", False), ("generation_tokens", True),
                             ("prompt_tokens", True), ("num_requests_running", False)):
            dps = []
            for model in range(5):
                value = (step * 37 + pod * 11 + model) % 997 + 0.5
                dp = (kv("model_name", f"model-{model}", 7) + field_fixed64(2, start_ns)
                      + field_fixed64(3, now_ns) + field_double(4, value))
                dps.append(field_bytes(1, dp))
                points += 1
            data = b"".join(dps)
            if is_sum:
                data += field_varint(2, 2) + field_varint(3, 1)  # cumulative, monotonic
                metric = field_str(1, name) + field_bytes(7, data)
            else:
                metric = field_str(1, name) + field_bytes(5, data)
            metrics.append(field_bytes(2, metric))
        scope = field_bytes(1, field_str(1, "bench")) + b"".join(metrics)
        # service.instance.id makes each pod its own series (instance), as an OTel SDK sets it.
        resource = field_bytes(1, kv("service.name", "nim") + kv("service.instance.id", f"nim-{pod}")
                               + kv("k8s.pod.name", f"nim-{pod}"))
        resources.append(field_bytes(1, resource + field_bytes(2, scope)))
    return b"".join(resources), points


def otlp_traces_request(spans, now_ns, seed):
    """ExportTraceServiceRequest of GenAI client spans (OpenLLMetry-shaped attributes)."""
    rnd = random.Random(seed)
    out = []
    for i in range(spans):
        trace_id = rnd.getrandbits(128).to_bytes(16, "big")
        span_id = rnd.getrandbits(64).to_bytes(8, "big")
        dur = int(rnd.lognormvariate(math.log(0.8), 0.5) * 1e9)
        attrs = (kv("gen_ai.system", "openai", 9) + kv("gen_ai.request.model", f"model-{i % 5}", 9)
                 + kv("gen_ai.operation.name", "chat", 9)
                 + field_bytes(9, field_str(1, "gen_ai.usage.input_tokens")
                               + field_bytes(2, field_varint(3, rnd.randint(10, 2000))))
                 + field_bytes(9, field_str(1, "gen_ai.usage.output_tokens")
                               + field_bytes(2, field_varint(3, rnd.randint(10, 500)))))
        span = (field_bytes(1, trace_id) + field_bytes(2, span_id) + field_str(5, f"chat model-{i % 5}")
                + field_varint(6, 3) + field_fixed64(7, now_ns - dur) + field_fixed64(8, now_ns)
                + attrs)
        out.append(field_bytes(2, span))
    scope = field_bytes(1, field_str(1, "bench")) + b"".join(out)
    resource = field_bytes(1, kv("service.name", "chat-app"))
    return field_bytes(1, resource + field_bytes(2, scope))


# ---------------------------------------------------------------- NIM exposition

TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
TPOT = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]
E2E = [1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0]
TOKENS = [float(m * 10 ** e) for e in range(6) for m in (1, 2, 5)][:16]
NIM_HISTOGRAMS = [("time_to_first_token_seconds", TTFT, 0.3), ("time_per_output_token_seconds", TPOT, 0.04),
                  ("e2e_request_latency_seconds", E2E, 6.0), ("request_prompt_tokens", TOKENS, 600.0),
                  ("request_generation_tokens", TOKENS, 200.0)]
SERIES_PER_NIM_MODEL = 4 + 6 + sum(len(b) + 3 for _, b, _ in NIM_HISTOGRAMS)


def nim_body(series, variant):
    """A NIM 1.x /v1/metrics body with enough models for at least SERIES series
    (SERIES_PER_NIM_MODEL each); counters and histograms move with VARIANT."""
    models = max(1, -(-series // SERIES_PER_NIM_MODEL))
    lines = []
    names = [f"meta/llama-3.1-8b-instruct-{m}" for m in range(models)]

    def family(name, kind, help_):
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")

    for name, value in (("num_requests_running", lambda m: (m + variant) % 7),
                        ("num_requests_waiting", lambda m: (m * 3 + variant) % 5),
                        ("num_request_max", lambda m: 64),
                        ("gpu_cache_usage_perc", lambda m: ((m * 7919 + variant * 104729) % 10000) / 10000)):
        family(name, "gauge", name.replace("_", " "))
        for m, model in enumerate(names):
            lines.append(f'{name}{{model_name="{model}"}} {float(value(m))}')
    base = 1000 * variant
    for name in ("prompt_tokens_total", "generation_tokens_total", "request_success_total",
                 "request_failure_total"):
        family(name, "counter", name.replace("_", " "))
        for m, model in enumerate(names):
            lines.append(f'{name}{{model_name="{model}"}} {float(base + m * 13 + len(name))}')
    family("request_finish_total", "counter", "finished requests")
    for m, model in enumerate(names):
        for reason in ("stop", "length"):
            lines.append(f'request_finish_total{{finished_reason="{reason}",model_name="{model}"}} '
                         f'{float(variant * 10 + m)}')
    for name, bounds, typical in NIM_HISTOGRAMS:
        family(name, "histogram", name.replace("_", " "))
        for m, model in enumerate(names):
            count = 100 * variant + m
            cum = 0
            for b in bounds:
                cum = max(cum, int(count * min(1.0, b / (typical * 2))))
                lines.append(f'{name}_bucket{{le="{b}",model_name="{model}"}} {float(cum)}')
            lines.append(f'{name}_bucket{{le="+Inf",model_name="{model}"}} {float(count)}')
            lines.append(f'{name}_count{{model_name="{model}"}} {float(count)}')
            lines.append(f'{name}_sum{{model_name="{model}"}} {count * typical}')
    return ("\n".join(lines) + "\n").encode(), models * SERIES_PER_NIM_MODEL


# ---------------------------------------------------------------- NIM + Kong fleet over time

KONG_BUCKETS = [250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 10000, 30000, 60000]
PROVIDERS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-3-5-sonnet"),
             ("azure", "gpt-4o"), ("mistral", "mistral-large")]


class Fleet:
    """PODS NIM pods (5 models across them, 55 series each: 3 gauges, 4 counters, TTFT, TPOT and e2e histograms) and KONG routes (22 series each),
    advanced one scrape at a time: requests arrive at random, draw TTFT/TPOT/tokens and fill
    cumulative buckets, as a client library would."""

    def __init__(self, pods, kong_routes, seed=1):
        self.rnd = random.Random(seed)
        self.series = []   # (encoded labels, state key)
        self.state = {}
        for p in range(pods):
            model = f"meta/llama-3.1-{8 + p % 5}b-instruct"
            base = [("job", "nim"), ("instance", f"10.0.{p // 250}.{p % 250}:8000"), ("pod", f"nim-{p}"),
                    ("model_name", model)]
            for g in ("num_requests_running", "num_requests_waiting", "gpu_cache_usage_perc"):
                self._add(base + [("__name__", g)], ("g", p, g))
            for c in ("prompt_tokens_total", "generation_tokens_total", "request_success_total",
                      "request_failure_total"):
                self._add(base + [("__name__", c)], ("c", p, c))
            for name, bounds, _ in NIM_HISTOGRAMS[:3]:
                for i, b in enumerate(bounds + [math.inf]):
                    le = "+Inf" if b == math.inf else repr(float(b))
                    self._add(base + [("__name__", name + "_bucket"), ("le", le)], ("b", p, name, i))
                self._add(base + [("__name__", name + "_count")], ("n", p, name))
                self._add(base + [("__name__", name + "_sum")], ("s", p, name))
        for r in range(kong_routes):
            provider, model = PROVIDERS[r % len(PROVIDERS)]
            base = [("job", "kong"), ("instance", f"kong-{r % 2}:8100"), ("ai_provider", provider),
                    ("ai_model", model), ("workspace", f"team-{r % 3}"), ("route", f"r{r}")]
            self._add(base + [("__name__", "kong_ai_llm_requests_total")], ("kr", r))
            self._add(base + [("__name__", "kong_ai_llm_cost_total")], ("kc", r))
            for tt in ("prompt_tokens", "completion_tokens", "total_tokens"):
                self._add(base + [("__name__", "kong_ai_llm_tokens_total"), ("token_type", tt)], ("kt", r, tt))
            for i, b in enumerate(KONG_BUCKETS + [math.inf]):
                le = "+Inf" if b == math.inf else str(b)
                self._add(base + [("__name__", "kong_ai_llm_provider_latency_ms_bucket"), ("le", le)],
                          ("kb", r, i))
            self._add(base + [("__name__", "kong_ai_llm_provider_latency_ms_count")], ("kn", r))
            self._add(base + [("__name__", "kong_ai_llm_provider_latency_ms_sum")], ("ks", r))
        self.pods, self.routes = pods, kong_routes

    def _add(self, labels, key):
        self.series.append((rw_labels(labels), key))
        self.state[key] = 0.0

    def step(self, interval_s):
        """Advance the fleet by one scrape interval; returns the values in series order."""
        rnd, st = self.rnd, self.state
        for p in range(self.pods):
            n = self._poisson(0.05 * interval_s)
            st[("g", p, "num_requests_running")] = float(min(n, 64))
            st[("g", p, "num_requests_waiting")] = float(max(0, n - 40))
            st[("g", p, "gpu_cache_usage_perc")] = min(1.0, max(0.0, rnd.gauss(0.4, 0.1)))
            fails = 0
            for _ in range(n):
                ttft = rnd.lognormvariate(math.log(0.25), 0.6)
                tpot = rnd.lognormvariate(math.log(0.03), 0.3)
                gen = int(rnd.lognormvariate(math.log(200), 0.7)) + 1
                st[("c", p, "prompt_tokens_total")] += int(rnd.lognormvariate(math.log(600), 0.8)) + 1
                st[("c", p, "generation_tokens_total")] += gen
                if rnd.random() < 0.01:
                    fails += 1
                for (name, bounds, _), x in zip(NIM_HISTOGRAMS[:3], (ttft, tpot, ttft + tpot * gen)):
                    for i, b in enumerate(bounds):
                        if x <= b:
                            st[("b", p, name, i)] += 1
                    st[("b", p, name, len(bounds))] += 1
                    st[("n", p, name)] += 1
                    st[("s", p, name)] += x
            st[("c", p, "request_success_total")] += n - fails
            st[("c", p, "request_failure_total")] += fails
        for r in range(self.routes):
            n = self._poisson(0.05 * interval_s)
            for _ in range(n):
                inp = int(rnd.lognormvariate(math.log(500), 0.8)) + 1
                outp = int(rnd.lognormvariate(math.log(150), 0.7)) + 1
                lat = int(rnd.lognormvariate(math.log(1200), 0.6))
                st[("kr", r)] += 1
                st[("kc", r)] += (inp * 2.5 + outp * 10) / 1e6
                st[("kt", r, "prompt_tokens")] += inp
                st[("kt", r, "completion_tokens")] += outp
                st[("kt", r, "total_tokens")] += inp + outp
                for i, b in enumerate(KONG_BUCKETS):
                    if lat <= b:
                        st[("kb", r, i)] += 1
                st[("kb", r, len(KONG_BUCKETS))] += 1
                st[("kn", r)] += 1
                st[("ks", r)] += lat
        return [st[key] for _, key in self.series]

    def _poisson(self, lam):
        limit, k, prod = math.exp(-lam), 0, self.rnd.random()
        while prod > limit:
            k += 1
            prod *= self.rnd.random()
        return k
