#!/usr/bin/env python3
"""PromQL range queries side by side: ours against Prometheus 2.42 on the same data, same run.

Data: the NIM + Kong fleet of bench/genai_series.h (PODS NIM pods, 97 series each, and 60 Kong
routes, 22 series each: 10,050 series with PODS=90), one sample every INTERVAL_S for 24 h, written in
time order by `promql_compare load` over remote write (1.0, snappy) into BOTH
  - Prometheus 2.42 (--web.enable-remote-write-receiver; in time order every sample is inside
    its head's append window, and it cuts 2 h blocks as the head grows), and
  - `astrolabe server --auth none` (remote write on its OTLP/HTTP port; tsdb blocks likewise).
Then, for each of the dashboard queries below and each window (the last 1 h, the whole 24 h;
step 60 s), one warm-up then RUNS timed runs, medians reported:
  - both HTTP APIs (/api/v1/query_range), interleaved query by query: wall time per request,
    from this script (urllib, one connection per request; JSON parsed);
  - the engines alone: Prometheus' own execTotalTime (stats=all) against ours in-process
    (`promql_compare query`: src/query over the tsdb the server wrote, opened after it stopped).
The result's series count is printed for all three (they must agree; the oracle test,
tests/promql_oracle_test.cc, checks the values).

Usage: bench/promql_compare.py BUILD_DIR [PODS] [RUNS] [INTERVAL_S]   (defaults 90, 5, 60)
BUILD_DIR holds a Release `astrolabe` and `bench/promql_compare` (make bench's build-bench/).
Everything listens on 127.0.0.1, lives in a temp dir, and is stopped by PID at the end.
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

QUERIES = [
    "sum by (model_name) (rate(request_success_total[5m]))",
    "sum by (model_name) (rate(generation_tokens_total[5m]))",
    "histogram_quantile(0.99, sum by (le, model_name) (rate(time_to_first_token_seconds_bucket[5m])))",
    "histogram_quantile(0.5, sum by (le, model_name) (rate(time_per_output_token_seconds_bucket[5m])))",
    "histogram_quantile(0.9, sum by (le) (rate(e2e_request_latency_seconds_bucket[5m])))",
    "sum(rate(request_failure_total[5m])) / (sum(rate(request_success_total[5m])) + sum(rate(request_failure_total[5m])))",
    "sum by (model_name) (rate(time_to_first_token_seconds_sum[5m])) / sum by (model_name) (rate(time_to_first_token_seconds_count[5m]))",
    "avg by (model_name) (gpu_cache_usage_perc)",
    "sum by (model_name) (num_requests_running)",
    "topk(5, sum by (pod) (rate(generation_tokens_total[5m])))",
    "sum by (ai_provider, ai_model) (rate(kong_ai_llm_requests_total[5m]))",
    "sum by (workspace) (increase(kong_ai_llm_cost_total[1h]))",
    "histogram_quantile(0.95, sum by (le, ai_provider) (rate(kong_ai_llm_provider_latency_ms_bucket[5m])))",
    "sum by (token_type) (rate(kong_ai_llm_tokens_total[5m]))",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(url, timeout=300):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_ready(url, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        try:
            get(url, timeout=1)
            return True
        except Exception:
            time.sleep(0.1)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build-bench"
    pods = sys.argv[2] if len(sys.argv) > 2 else "90"
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    interval = sys.argv[4] if len(sys.argv) > 4 else "60"
    binary = os.path.join(build, "astrolabe")
    tool = os.path.join(build, "bench", "promql_compare")
    tmp = tempfile.mkdtemp(prefix="promql-compare-")
    procs = []
    try:
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 30s, evaluation_interval: 30s}\n")
        pport = free_port()
        prom = subprocess.Popen(
            ["/usr/bin/prometheus", f"--config.file={tmp}/prometheus.yml",
             f"--storage.tsdb.path={tmp}/prom", f"--web.listen-address=127.0.0.1:{pport}",
             "--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=30d",
             "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prom.log"), "w"))
        procs.append(prom)
        ports = {k: free_port() for k in ("http", "otlp_http", "otlp_grpc", "health")}
        ours = subprocess.Popen(
            [binary, "server", "--auth", "none", "--data", f"{tmp}/astro",
             "--http", f"127.0.0.1:{ports['http']}", "--otlp-http", f"127.0.0.1:{ports['otlp_http']}",
             "--otlp-grpc", f"127.0.0.1:{ports['otlp_grpc']}", "--health", f"127.0.0.1:{ports['health']}"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "astrolabe.log"), "w"))
        procs.append(ours)
        if not wait_ready(f"http://127.0.0.1:{pport}/-/ready") or \
                not wait_ready(f"http://127.0.0.1:{ports['health']}/"):
            sys.exit("a server did not start; logs in " + tmp)

        end_ms = int(time.time() // 60) * 60 * 1000
        t0 = time.time()
        load = subprocess.run(
            [tool, "load", "--end-ms", str(end_ms), "--hours", "24", "--interval-s", interval,
             "--pods", pods, "--url", f"http://127.0.0.1:{pport}/api/v1/write",
             "--url", f"http://127.0.0.1:{ports['otlp_http']}/api/v1/write"],
            capture_output=True, text=True)
        if load.returncode != 0:
            sys.exit("load failed: " + load.stderr)
        info = json.loads(load.stdout)
        print(f"loaded {info['series']} series, {info['samples']} samples ({interval} s apart, "
              f"24 h) into both in {time.time() - t0:.0f} s", flush=True)
        windows = [("1h", end_ms - 3600_000, end_ms), ("24h", info["start_ms"], end_ms)]

        def timed(port, q, start, end):
            """Median wall ms over RUNS runs after a warm-up, median execTotalTime, series."""
            params = urllib.parse.urlencode({
                "query": q, "start": f"{start / 1000:.3f}", "end": f"{end / 1000:.3f}",
                "step": "60", "stats": "all"})
            url = f"http://127.0.0.1:{port}/api/v1/query_range?{params}"
            walls, execs, nseries = [], [], 0
            for r in range(runs + 1):
                t = time.perf_counter()
                body = json.loads(get(url))
                wall = (time.perf_counter() - t) * 1000
                if body.get("status") != "success":
                    sys.exit(f"port {port}: {q}: {body}")
                nseries = len(body["data"]["result"])
                timings = (body["data"].get("stats") or {}).get("timings", {})
                if r > 0:
                    walls.append(wall)
                    if "execTotalTime" in timings:
                        execs.append(timings["execTotalTime"] * 1000)
            return (statistics.median(walls),
                    statistics.median(execs) if execs else float("nan"), nseries)

        # Both HTTP APIs, query by query, interleaved.
        http_rows = {}
        for wname, start, end in windows:
            for q in QUERIES:
                http_rows[(wname, q)] = (timed(pport, q, start, end),
                                         timed(ports["http"], q, start, end))
        stop(ours)
        # Our engine alone, in-process over the tsdb the server left (compare with Prometheus'
        # execTotalTime: both without HTTP and JSON).
        rows = []
        for wname, start, end in windows:
            ours_out = subprocess.run(
                [tool, "query", "--tsdb", f"{tmp}/astro/tsdb", "--start-ms", str(start),
                 "--end-ms", str(end), "--step-s", "60", "--runs", str(runs)] + QUERIES,
                capture_output=True, text=True)
            if ours_out.returncode != 0:
                sys.exit("ours: " + ours_out.stderr)
            engine = [json.loads(l) for l in ours_out.stdout.splitlines() if l.startswith("{")]
            for q, e in zip(QUERIES, engine):
                (pw, pe, ps), (ow, _, os_) = http_rows[(wname, q)]
                rows.append((wname, q, pw, ow, pe, e["median_ms"], ps, os_, e["series"]))

        print(f"\n{runs} timed runs each after one warm-up; medians in ms; step 60 s\n")
        print("| window | query | Prometheus HTTP | ours HTTP | HTTP speedup | Prometheus exec | "
              "ours engine | engine speedup | series P/ours |")
        print("|---|---|---|---|---|---|---|---|---|")
        for wname, q, pw, ow, pe, oe, ps, os_, es in rows:
            flag = "" if ps == os_ == es else " MISMATCH"
            print(f"| {wname} | `{q}` | {pw:.1f} | {ow:.1f} | {pw / ow:.2f}x | {pe:.1f} | "
                  f"{oe:.1f} | {pe / oe:.2f}x | {ps}/{os_}{flag} |")
        for wname in ("1h", "24h"):
            sel = [r for r in rows if r[0] == wname]
            print(f"\n{wname}: sums Prometheus HTTP {sum(r[2] for r in sel):.0f} ms, ours HTTP "
                  f"{sum(r[3] for r in sel):.0f} ms; Prometheus exec {sum(r[4] for r in sel):.0f} ms, "
                  f"ours engine {sum(r[5] for r in sel):.0f} ms; geometric mean of per-query "
                  f"speedups: HTTP {statistics.geometric_mean([r[2] / r[3] for r in sel]):.2f}x, "
                  f"engine {statistics.geometric_mean([r[4] / r[5] for r in sel]):.2f}x")
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
