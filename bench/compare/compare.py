#!/usr/bin/env python3
"""Astrolabe side by side with its peers: one harness, one Markdown table (Python 3 stdlib).

Starts Astrolabe (a Release build) and Prometheus 2.42, VictoriaMetrics 1.79 and vmagent 1.79
(Debian packages) on loopback ports it picks, under the same load, and measures each from
outside: CPU-seconds (utime + stime of the process and its children, /proc/PID/stat), RSS
(sum over the process tree, sampled every 0.2 s; the peak is reported), bytes on disk (du of
the data directory after a clean stop) and query latency (wall time of /api/v1/query_range
seen by this script). Every figure is the median of --runs runs (dashboard latency: of --runs
timed runs per query after a warm-up). Workloads (--only picks some):

  scrape        TARGETS targets x SERIES NIM-shaped series (targets.py), scraped every 1 s
                by `astrolabe collector` (-> debug exporter), Prometheus (-> its TSDB) and
                vmagent (-> remote write into a discarding sink), one after the other
  rw            remote-write ingest: vmagent fans the same pushes (RW_SERIES active series,
                RW_PUSHES pushes spread over one simulated hour) out to `astrolabe server`,
                VictoriaMetrics and Prometheus, which all store; once without churn and once
                with CHURN (10 %/h) of the series replaced over that hour
  otlp          OTLP/HTTP protobuf metrics and spans into `astrolabe server`; the peers are
                probed for an OTLP endpoint and measured only where one answers 2xx
  storage       a NIM + Kong fleet (PODS pods, KONG routes) over HOURS (24 h) at INTERVAL,
                remote-written in time order into all three stores: ingest CPU, bytes on disk
                per sample after a clean stop, RSS
  dashboard     the UI's dashboard PromQL (DASHBOARD below) over the last 1 h and 24 h of that
                data, step 60 s, against each store's /api/v1/query_range

usage: bench/compare/compare.py [--astrolabe BIN] [--runs N] [--quick] [--only w1,w2] [--out F]
Ratios are ours / peer on cost figures (CPU, memory, bytes, latency): below 1 is better for us.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import payloads  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SUBJECTS = ["astrolabe", "prometheus", "victoriametrics", "vmagent"]
TITLES = {"astrolabe": "Astrolabe", "prometheus": "Prometheus 2.42",
          "victoriametrics": "VictoriaMetrics 1.79", "vmagent": "vmagent 1.79"}
WORKLOADS = ["scrape", "rw", "otlp", "storage", "dashboard"]

# The UI's dashboard panels (NIM and Kong pages), as range queries.
DASHBOARD = [
    ("NIM TTFT p95", "histogram_quantile(0.95, sum by (le, model_name) "
                     "(rate(time_to_first_token_seconds_bucket[5m])))"),
    ("NIM tokens/s", "sum by (model_name) (rate(generation_tokens_total[5m]))"),
    ("NIM KV cache", "avg by (model_name) (gpu_cache_usage_perc)"),
    ("NIM running", "sum by (model_name) (num_requests_running)"),
    ("NIM error ratio", "sum(rate(request_failure_total[5m])) / "
                        "(sum(rate(request_success_total[5m])) + sum(rate(request_failure_total[5m])))"),
    ("Kong cost by provider", "sum by (ai_provider) (increase(kong_ai_llm_cost_total[1h]))"),
    ("Kong tokens/s", "sum by (token_type) (rate(kong_ai_llm_tokens_total[5m]))"),
    ("Kong latency p95", "histogram_quantile(0.95, sum by (le, ai_provider) "
                         "(rate(kong_ai_llm_provider_latency_ms_bucket[5m])))"),
]


# ---------------------------------------------------------------- processes and /proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _children():
    """{ppid: [pid, ...]} of every live process: one pass over /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(int(_stat(name)[1]), []).append(int(name))
            except (OSError, IndexError):
                pass
    return children


def tree(root, children=None):
    """ROOT and every live descendant (CHILDREN: a _children() pass to reuse)."""
    if children is None:
        children = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def tree_cpu(root):
    """CPU-seconds of ROOT and its children: utime + stime of every live process in the tree
    plus cutime + cstime (children already reaped)."""
    total = 0
    for pid in tree(root):
        try:
            f = _stat(pid)
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        except (OSError, IndexError):
            pass
    return total / CLK


def tree_rss(root, children=None):
    total = 0
    for pid in tree(root, children):
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total


class RssSampler:
    """One thread samples the tree RSS of every live Proc every 0.2 s, with one pass over /proc
    per tick for all of them (a pass costs ~4 ms of CPU: a thread per process, each scanning
    /proc on its own, took CPU from the subjects being measured)."""

    def __init__(self):
        self._procs = set()
        self._lock = threading.Lock()
        self._thread = None

    def add(self, proc):
        with self._lock:
            self._procs.add(proc)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
        proc.peak = max(proc.peak, tree_rss(proc.pid))  # a first sample at once

    def remove(self, proc):
        with self._lock:
            self._procs.discard(proc)

    def _run(self):
        while True:
            with self._lock:
                procs = list(self._procs)
            if procs:
                children = _children()
                for p in procs:
                    p.peak = max(p.peak, tree_rss(p.pid, children))
            time.sleep(0.2)


SAMPLER = RssSampler()
BAD_EXITS = []  # astrolabe processes that did not exit 0 on SIGTERM (notes under the table)


class Proc:
    """A started subject: its Popen, its peak tree RSS (sampled by SAMPLER), its log."""

    def __init__(self, name, argv, log_dir):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        log = open(self.log_path, "w")
        self.popen = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        self.peak = 0
        self.reported = False
        SAMPLER.add(self)

    def cpu(self):
        return tree_cpu(self.pid)

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        SAMPLER.remove(self)
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        # Astrolabe must shut down cleanly on SIGTERM: exit status 0, so that a sanitizer
        # report (an ASan build exits 1, LeakSanitizer 23) or a hang fails the smoke test.
        if self.name == "astrolabe" and self.popen.returncode != 0 and not self.reported:
            self.reported = True
            BAD_EXITS.append(f"{self.name} {' '.join(self.popen.args[1:2])} exited with status "
                             f"{self.popen.returncode} after SIGTERM ({self.log_path})")
            print(f"  {BAD_EXITS[-1]}:\n{self.tail()}", file=sys.stderr, flush=True)

    def tail(self):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-15:])
        except OSError:
            return ""


def http(url, data=None, headers=None, timeout=60):
    """(status, body text); status 0 when the connection failed."""
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (OSError, urllib.error.URLError):
        return 0, ""


def wait_ready(proc, url, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        if not proc.alive():
            break
        if http(url, timeout=2)[0] == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready at {url}:\n{proc.tail()}")


def counter(text, name, label_filter=""):
    """Sum of every sample of NAME (any labels containing LABEL_FILTER) in exposition TEXT."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or label_filter not in line:
            continue
        head, _, rest = line.partition(" ")
        if head.split("{")[0] == name:
            try:
                total += float(rest.split()[0])
            except (ValueError, IndexError):
                pass
    return total


# ---------------------------------------------------------------- the subjects


class Bench:
    def __init__(self, args):
        self.args = args
        self.binary = args.astrolabe
        self.procs = []

    def start(self, name, argv, tmp):
        p = Proc(name, argv, tmp)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:  # SIGTERM to all first: they shut down side by side
            SAMPLER.remove(p)
            if p.alive():
                p.popen.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.stop()
        self.procs = []

    @staticmethod
    def ready(*procs):
        """Started side by side; wait until each answers its readiness URL."""
        for p in procs:
            wait_ready(p, p.ready_url)
        return procs

    def server(self, tmp):
        ports = {k: free_port() for k in ("http", "otlp_http", "otlp_grpc", "health")}
        p = self.start("astrolabe", [self.binary, "server", "--auth", "none", "--data", f"{tmp}/astrolabe",
                                     "--http", f"127.0.0.1:{ports['http']}",
                                     "--otlp-http", f"127.0.0.1:{ports['otlp_http']}",
                                     "--otlp-grpc", f"127.0.0.1:{ports['otlp_grpc']}",
                                     "--health", f"127.0.0.1:{ports['health']}"], tmp)
        p.ready_url = f"http://127.0.0.1:{ports['health']}/"
        p.data = f"{tmp}/astrolabe"
        p.metrics = f"http://127.0.0.1:{ports['http']}/metrics"
        p.api = f"http://127.0.0.1:{ports['http']}"
        p.write = f"http://127.0.0.1:{ports['otlp_http']}/api/v1/write"
        p.otlp = f"http://127.0.0.1:{ports['otlp_http']}"
        p.count = lambda: counter(http(p.metrics)[1], "otelcol_receiver_accepted_metric_points_total")
        return p

    def prometheus(self, tmp, config="global: {scrape_interval: 1h}\nscrape_configs: []\n"):
        port = free_port()
        with open(f"{tmp}/prometheus.yml", "w") as f:
            f.write(config)
        p = self.start("prometheus", ["prometheus", f"--config.file={tmp}/prometheus.yml",
                                      f"--storage.tsdb.path={tmp}/prometheus",
                                      f"--web.listen-address=127.0.0.1:{port}",
                                      "--web.enable-remote-write-receiver",
                                      "--storage.tsdb.retention.time=30d", "--log.level=warn"], tmp)
        p.ready_url = f"http://127.0.0.1:{port}/-/ready"
        p.data = f"{tmp}/prometheus"
        p.api = f"http://127.0.0.1:{port}"
        p.metrics = p.api + "/metrics"
        p.write = p.api + "/api/v1/write"
        p.count = lambda: counter(http(p.metrics)[1], "prometheus_tsdb_head_samples_appended_total")
        return p

    def victoriametrics(self, tmp, extra=()):
        port = free_port()
        p = self.start("victoriametrics", ["victoria-metrics", f"-storageDataPath={tmp}/victoriametrics",
                                           f"-httpListenAddr=127.0.0.1:{port}", "-retentionPeriod=1",
                                           "-search.latencyOffset=0s", "-loggerLevel=WARN", *extra], tmp)
        p.ready_url = f"http://127.0.0.1:{port}/health"
        p.data = f"{tmp}/victoriametrics"
        p.api = f"http://127.0.0.1:{port}"
        p.metrics = p.api + "/metrics"
        p.write = p.api + "/api/v1/write"
        p.count = lambda: counter(http(p.metrics)[1], "vm_rows_inserted_total", 'type="promremotewrite"')
        return p


# ---------------------------------------------------------------- workloads
# Each returns {(workload, measure): {subject: value}}; a str value is a note ("not accepted").


def scrape(b, tmp, run):
    a = b.args
    # targets.py takes a base port and a count: find a run of consecutive free ports.
    base = None
    for start in range(21000, 60000, a.targets + 10):
        socks = []
        try:
            for p in range(start, start + a.targets + 1):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            base = start
            break
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    if base is None:
        raise RuntimeError(f"no {a.targets + 1} consecutive free loopback ports")
    sink = base + a.targets
    gen = b.start("targets", [sys.executable, os.path.join(HERE, "targets.py"), str(base),
                              str(a.targets), str(a.series), str(sink),
                              f"--workers={a.target_workers}"] + (["--gzip"] if a.target_gzip else []), tmp)
    end = time.time() + 60
    per_target = 0
    while time.time() < end and not per_target:
        with open(gen.log_path) as f:
            for line in f:
                if line.startswith("ready"):
                    per_target = int(line.split()[1])
        time.sleep(0.1)
    if not per_target:
        raise RuntimeError("scrape targets did not start:\n" + gen.tail())
    targets = ",".join(f"'127.0.0.1:{base + i}'" for i in range(a.targets))
    prom_cfg = ("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n"
                f"  - job_name: bench\n    static_configs:\n      - targets: [{targets}]\n")
    ours_cfg = ("receivers:\n  prometheus:\n    config:\n"
                + "".join(f"      {line}\n" for line in prom_cfg.splitlines())
                + ("processors:\n  cumulativetodelta:\n    max_staleness: 25h\n  batch: {}\n"
                   f"exporters:\n  otlp_http:\n    endpoint: http://127.0.0.1:{sink}\n"
                   if a.scrape_pipeline else "exporters:\n  debug:\n    verbosity: basic\n")
                + f"service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{free_port()}\n"
                + "  pipelines:\n    metrics:\n      receivers: [prometheus]\n"
                + ("      processors: [cumulativetodelta, batch]\n      exporters: [otlp_http]\n"
                   if a.scrape_pipeline else "      exporters: [debug]\n"))
    with open(f"{tmp}/collector.yaml", "w") as f:
        f.write(ours_cfg)
    with open(f"{tmp}/scrape.yml", "w") as f:
        f.write(prom_cfg)
    served = lambda: int(http(f"http://127.0.0.1:{sink}/stats")[1] or 0)  # noqa: E731
    out = {}
    label = (f"scrape {a.targets} × {per_target:,} series, 1 s" +
             (" (ours: delta → batch → otlp_http)" if a.scrape_pipeline else ""))
    order = ["astrolabe", "prometheus", "vmagent"]
    order = order[run % 3:] + order[:run % 3]  # rotate who goes first across runs
    for who in order:
        if who == "astrolabe":
            p = b.start(who, [b.binary, "collector", "--config", f"{tmp}/collector.yaml"], tmp)
        elif who == "prometheus":
            port = free_port()
            p = b.start(who, ["prometheus", f"--config.file={tmp}/scrape.yml",
                              f"--storage.tsdb.path={tmp}/scrape-prometheus",
                              f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], tmp)
        else:
            p = b.start(who, ["vmagent", f"-promscrape.config={tmp}/scrape.yml",
                              f"-httpListenAddr=127.0.0.1:{free_port()}",
                              f"-remoteWrite.url=http://127.0.0.1:{sink}/api/v1/write",
                              f"-remoteWrite.tmpDataPath={tmp}/scrape-vmagent", "-loggerLevel=WARN"], tmp)
        # Warm-up: until the scraper has made one round of scrapes (start-up takes seconds on a
        # loaded machine), then --warmup more.
        s_start, end = served(), time.time() + 60
        while served() - s_start < a.targets and time.time() < end and p.alive():
            time.sleep(0.2)
        time.sleep(a.warmup)
        s0, c0, g0, t0 = served(), p.cpu(), gen.cpu(), time.time()
        time.sleep(a.scrape_seconds)
        if not p.alive():
            raise RuntimeError(f"{who} exited during the scrape run:\n{p.tail()}")
        s1, c1, g1, t1 = served(), p.cpu(), gen.cpu(), time.time()
        p.stop()
        b.procs.remove(p)
        samples = (s1 - s0) * per_target
        out.setdefault((label, "CPU-µs per scraped sample"), {})[who] = (c1 - c0) / samples * 1e6 \
            if samples else float("nan")
        out.setdefault((label, "peak RSS, MiB"), {})[who] = p.peak / 2**20
        out.setdefault((label, "scrapes done / due, %"), {})[who] = \
            100.0 * (s1 - s0) / (a.targets * (t1 - t0))
        # What serving cost the targets (all their worker processes) while this one scraped:
        # a figure to show they were not the bottleneck, not a cost of the subject.
        out.setdefault((label, "targets' own CPU, % of a core"), {})[who] = 100.0 * (g1 - g0) / (t1 - t0)
    return out


def remote_write(b, tmp, run, churn):
    a = b.args
    label = f"rw {a.rw_series:,} series" + (f", {churn:.0%}/h churn" if churn else ", no churn")
    ours, vm, prom = b.ready(b.server(tmp), b.victoriametrics(tmp), b.prometheus(tmp))
    agent_port = free_port()
    agent = b.start("vmagent", ["vmagent", f"-httpListenAddr=127.0.0.1:{agent_port}",
                                *(f"-remoteWrite.url={p.write}" for p in (ours, vm, prom)),
                                f"-remoteWrite.tmpDataPath={tmp}/vmagent",
                                # One queue per URL keeps each series in time order (Prometheus
                                # drops out-of-order samples).
                                "-remoteWrite.queues=1", "-loggerLevel=WARN"], tmp)
    wait_ready(agent, f"http://127.0.0.1:{agent_port}/health")
    subjects = {"astrolabe": ours, "victoriametrics": vm, "prometheus": prom}
    # Compressed time: the pushes span one simulated hour; with churn, CHURN of the series
    # are replaced over that hour (the oldest ids stop, new ids start), spread evenly.
    step_ms = 3600_000 // a.rw_pushes
    per_push = churn * a.rw_series / a.rw_pushes
    total_ids = a.rw_series + int(per_push * a.rw_pushes) + 1
    # Bytes throughout: at 1 M series a push is ~85 MB of text, and bytes.join costs half of
    # str.join + encode (the harness must not be what limits the ingest rate).
    lines = [b'nim_bench_metric_%d{instance="pod-%d",job="bench",model_name="m%d"} ' % (i % 50, i // 50, i % 7)
             for i in range(total_ids)]
    t0 = int(time.time() * 1000) - 3600_000
    base = {k: p.count() for k, p in subjects.items()}
    cpu0 = {k: p.cpu() for k, p in subjects.items()}
    for k in range(a.rw_pushes):
        first = int(per_push * k)
        sep = b"%d.5 %d\n" % (k * 10 + run, t0 + k * step_ms)
        body = sep.join(lines[first:first + a.rw_series]) + sep
        status, text = http(f"http://127.0.0.1:{agent_port}/api/v1/import/prometheus", data=body, timeout=600)
        if status not in (200, 204):
            raise RuntimeError(f"vmagent import: {status} {text[:200]}")
    total = a.rw_series * a.rw_pushes
    done = {}
    end = time.time() + a.rw_timeout
    while len(done) < len(subjects) and time.time() < end:
        for k, p in subjects.items():
            if k not in done and p.count() - base[k] >= total:
                done[k] = p.cpu() - cpu0[k]
        time.sleep(0.2)
    b.stop_all()
    out = {}
    for k, p in subjects.items():
        out.setdefault((label, "CPU-µs per sample"), {})[k] = \
            done[k] / total * 1e6 if k in done else "incomplete"
        out.setdefault((label, "peak RSS, MiB"), {})[k] = p.peak / 2**20
        out.setdefault((label, "disk after stop, MiB"), {})[k] = du(p.data) / 2**20
    return out


def otlp(b, tmp, run):
    a = b.args
    ours, vm, prom = b.ready(b.server(tmp), b.victoriametrics(tmp), b.prometheus(tmp))
    now = time.time_ns()
    metric_bodies = [payloads.otlp_metrics_request(a.otlp_pods, now - (a.otlp_requests - i) * 10**10,
                                                   now - 3600 * 10**9, i) for i in range(a.otlp_requests)]
    points = sum(n for _, n in metric_bodies)
    span_bodies = [payloads.otlp_traces_request(a.otlp_spans, now, run * 1000 + i) for i in range(a.otlp_requests)]
    spans = a.otlp_spans * a.otlp_requests
    headers = {"Content-Type": "application/x-protobuf"}
    probe = metric_bodies[0][0]
    endpoints = {"astrolabe": ours.otlp + "/v1/metrics",
                 "victoriametrics": None, "prometheus": None}
    notes = {}
    for who, p, paths in (("victoriametrics", vm, ["/opentelemetry/v1/metrics", "/opentelemetry/api/v1/push"]),
                          ("prometheus", prom, ["/api/v1/otlp/v1/metrics"])):
        tried = []
        for path in paths:
            status, _ = http(p.api + path, data=probe, headers=headers)
            tried.append(f"{path} {status}")
            if 200 <= status < 300:
                endpoints[who] = p.api + path
                break
        notes[who] = "no OTLP (" + ", ".join(tried) + ")"
    out = {}
    procs = {"astrolabe": ours, "victoriametrics": vm, "prometheus": prom}
    for who, url in endpoints.items():
        key = ("otlp metrics", "CPU-µs per data point")
        if url is None:
            out.setdefault(key, {})[who] = notes[who]
            continue
        c0 = procs[who].cpu()
        for body, _ in metric_bodies:
            status, text = http(url, data=body, headers=headers)
            if not 200 <= status < 300:
                raise RuntimeError(f"{who} OTLP metrics: {status} {text[:200]}")
        time.sleep(0.5)
        out.setdefault(key, {})[who] = (procs[who].cpu() - c0) / points * 1e6
    accepted = counter(http(ours.metrics)[1], "otelcol_receiver_accepted_metric_points_total")
    if accepted < points:
        raise RuntimeError(f"astrolabe accepted {accepted:.0f} of {points} OTLP data points")
    c0 = ours.cpu()
    for body in span_bodies:
        status, text = http(ours.otlp + "/v1/traces", data=body, headers=headers)
        if not 200 <= status < 300:
            raise RuntimeError(f"astrolabe OTLP traces: {status} {text[:200]}")
    time.sleep(0.5)
    accepted = counter(http(ours.metrics)[1], "otelcol_receiver_accepted_spans_total")
    if accepted < spans:
        raise RuntimeError(f"astrolabe accepted {accepted:.0f} of {spans} spans")
    out[("otlp spans", "CPU-µs per span")] = {
        "astrolabe": (ours.cpu() - c0) / spans * 1e6,
        "victoriametrics": "no trace store", "prometheus": "no trace store"}
    out[("otlp metrics + spans", "peak RSS, MiB")] = {"astrolabe": ours.peak / 2**20}
    b.stop_all()
    return out


def storage_and_dashboard(b, tmp, want_dashboard):
    """One load of the fleet into all three stores; the dashboard's queries RUNS times each."""
    a = b.args
    ours, vm, prom = b.ready(b.server(tmp), b.victoriametrics(tmp, ["-search.disableCache"]),
                             b.prometheus(tmp))
    subjects = {"astrolabe": ours, "victoriametrics": vm, "prometheus": prom}
    fleet = payloads.Fleet(a.pods, a.kong_routes)
    steps = a.hours * 3600 // a.interval
    end_ms = int(time.time() // 60) * 60_000
    start_ms = end_ms - (steps - 1) * a.interval * 1000
    cpu0 = {k: p.cpu() for k, p in subjects.items()}
    queues = {k: [] for k in subjects}
    cond = threading.Condition()
    errors = []

    def sender(who, p):
        while True:
            with cond:
                while not queues[who]:
                    cond.wait()
                body = queues[who].pop(0)
                cond.notify_all()
            if body is None:
                return
            status, text = http(p.write, data=body, headers=payloads.RW_HEADERS, timeout=600)
            if not 200 <= status < 300:
                errors.append(f"{who}: {status} {text[:200]}")

    threads = [threading.Thread(target=sender, args=(k, p), daemon=True) for k, p in subjects.items()]
    for t in threads:
        t.start()
    pack = payloads.struct.Struct("<d").pack
    per_request = 20
    samples = 0
    for first in range(0, steps, per_request):
        n = min(per_request, steps - first)
        cols = []
        for s in range(first, first + n):
            ts = payloads.varint(start_ms + s * a.interval * 1000)
            cols.append((ts, fleet.step(a.interval)))
        series = []
        for i, (labels, _) in enumerate(fleet.series):
            body = labels + b"".join(
                b"\x12" + bytes([10 + len(ts)]) + b"\x09" + pack(vals[i]) + b"\x10" + ts for ts, vals in cols)
            series.append(payloads.field_bytes(1, body))
        samples += n * len(fleet.series)
        req = payloads.rw_request(series)
        with cond:
            while max(len(q) for q in queues.values()) > 4:
                cond.wait()
            for q in queues.values():
                q.append(req)
            cond.notify_all()
    with cond:
        for q in queues.values():
            q.append(None)
        cond.notify_all()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("remote write: " + "; ".join(errors[:3]))
    out = {}
    label = f"storage: {a.hours} h of {len(fleet.series):,} series at {a.interval} s"
    for k, p in subjects.items():
        out.setdefault((label, "ingest CPU-µs per sample"), {})[k] = (p.cpu() - cpu0[k]) / samples * 1e6
    # The storage rows first in the table; RSS and bytes are filled in after the queries.
    out[(label, "RSS after load, MiB")] = {k: tree_rss(p.pid) / 2**20 for k, p in subjects.items()}
    out[(label, "RSS after load + queries, MiB")] = {}
    out[(label, "bytes on disk per sample")] = {}
    http(vm.api + "/internal/force_flush")
    if want_dashboard:
        for window, hours in (("1 h", 1), (f"{a.hours} h", a.hours)):
            s_ms = max(start_ms, end_ms - hours * 3600_000)
            totals, counts, per_panel = {}, {}, {}
            for name, q in DASHBOARD:
                params = urllib.parse.urlencode({"query": q, "start": s_ms / 1000, "end": end_ms / 1000,
                                                 "step": "60"})
                for k, p in subjects.items():
                    times = []
                    for r in range(a.runs + 1):
                        t = time.perf_counter()
                        status, text = http(f"{p.api}/api/v1/query_range?{params}", timeout=600)
                        wall = (time.perf_counter() - t) * 1000
                        if status != 200:
                            raise RuntimeError(f"{k}: {name}: {status} {text[:300]}")
                        if r:
                            times.append(wall)
                        else:
                            counts.setdefault(name, {})[k] = len(json.loads(text)["data"]["result"])
                    totals[k] = totals.get(k, 0) + statistics.median(times)
                    per_panel.setdefault(name, {})[k] = statistics.median(times)
            for name, c in counts.items():
                if len(set(c.values())) > 1:
                    b.notes.append(f"dashboard {window} `{name}`: series counts differ {c}")
            out[(f"dashboard {window} ({len(DASHBOARD)} panels)", "sum of median query ms")] = totals
            if a.panels:
                for name, row in per_panel.items():
                    out[(f"dashboard {window}: {name}", "median query ms")] = row
    for k, p in subjects.items():
        out.setdefault((label, "RSS after load + queries, MiB"), {})[k] = tree_rss(p.pid) / 2**20
    b.stop_all()
    for k, p in subjects.items():
        out.setdefault((label, "bytes on disk per sample"), {})[k] = du(p.data) / samples
    return out


# ---------------------------------------------------------------- the table


def fmt(x):
    if isinstance(x, str):
        return x
    if x != x:
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def median_cell(values):
    nums = [v for v in values if not isinstance(v, str)]
    if nums and len(nums) == len(values):
        return statistics.median(nums)
    return values[0] if values else None


def table(results, order):
    if not order:
        return "(no results)"
    cols = [s for s in SUBJECTS if any(s in results[k][0] for k in order)]
    head = "| workload | measure | " + " | ".join(TITLES[s] for s in cols) + " | " + \
           " | ".join(f"ours / {TITLES[s].split()[0]}" for s in cols if s != "astrolabe") + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(cols) - 1)]
    for key in order:
        per_run = results[key]
        med = {s: median_cell([r[s] for r in per_run if s in r]) for s in cols}
        cells = [fmt(med[s]) if med[s] is not None else "—" for s in cols]
        ratios = []
        for s in cols:
            if s == "astrolabe":
                continue
            o, p = med.get("astrolabe"), med.get(s)
            # Ratios of costs only ("scrapes done / due" is not one); n/a without two numbers.
            ok = isinstance(o, (int, float)) and isinstance(p, (int, float)) and p and o == o and \
                p == p and "%" not in key[1]
            ratios.append(f"{o / p:.2f}" if ok else "—")
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--astrolabe", default=os.path.join(ROOT, "build-bench", "astrolabe"))
    ap.add_argument("--runs", type=int, help="runs per workload (median reported); default 5, --quick 1")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not a measurement")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated: " + ",".join(WORKLOADS))
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (logs, data)")
    ap.add_argument("--check", action="store_true",
                    help="then check the table (check_table.py: a row per workload, numbers parse); "
                         "exit 1 if not (the smoke test)")
    ap.add_argument("--targets", type=int)
    ap.add_argument("--series", type=int, help="series per scrape target")
    ap.add_argument("--scrape-seconds", type=int)
    ap.add_argument("--scrape-pipeline", action="store_true",
                    help="our collector runs the documents' pipeline (prometheus -> cumulativetodelta "
                         "-> batch -> otlp_http, gzip, into the sink) instead of -> debug")
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--target-workers", type=int, default=os.cpu_count() or 1,
                    help="processes serving the scrape targets (default: one per CPU)")
    ap.add_argument("--target-gzip", action="store_true",
                    help="targets answer gzip (pre-compressed) when the scraper accepts it, as real "
                         "exporters do; default: the identity body")
    ap.add_argument("--rw-series", type=int, help="active series of the remote-write workload")
    ap.add_argument("--rw-pushes", type=int)
    ap.add_argument("--rw-timeout", type=float, default=900)
    ap.add_argument("--churn", type=float, default=0.10, help="series replaced per (simulated) hour")
    ap.add_argument("--otlp-requests", type=int)
    ap.add_argument("--otlp-pods", type=int, help="resources per OTLP metrics request (20 points each)")
    ap.add_argument("--otlp-spans", type=int, help="spans per OTLP traces request")
    ap.add_argument("--pods", type=int, help="NIM pods of the storage fleet (55 series each)")
    ap.add_argument("--kong-routes", type=int)
    ap.add_argument("--panels", action="store_true",
                    help="dashboard: also a row per panel (median ms), not only the sum")
    ap.add_argument("--hours", type=int)
    ap.add_argument("--interval", type=int, help="seconds between the fleet's samples")
    ap.add_argument("--nice", type=int, default=0,
                    help="run the harness and everything it starts at this niceness (negative needs "
                         "root; with autogroup scheduling also its session's group, when run under "
                         "`setsid`): on a machine shared with builds, the subjects then get the CPU "
                         "when the schedule asks for it; CPU-seconds are not changed by it")
    a = ap.parse_args()
    full = dict(runs=5, targets=100, series=2000, scrape_seconds=30, warmup=5, rw_series=1_000_000,
                rw_pushes=12, otlp_requests=50, otlp_pods=50, otlp_spans=500, pods=150, kong_routes=80,
                hours=24, interval=60)
    quick = dict(runs=1, targets=3, series=200, scrape_seconds=2, warmup=0, rw_series=2000, rw_pushes=3,
                 otlp_requests=3, otlp_pods=5, otlp_spans=50, pods=2, kong_routes=3, hours=3, interval=60)
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    only = [w.strip() for w in a.only.split(",") if w.strip()]
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"--only: unknown workload {w!r} (one of {', '.join(WORKLOADS)})")
    if not os.access(a.astrolabe, os.X_OK):
        ap.error(f"no astrolabe binary at {a.astrolabe}: build it (make bench, or ninja -C build-bench astrolabe)")
    for tool in ("prometheus", "victoria-metrics", "vmagent"):
        if not shutil.which(tool):
            ap.error(f"{tool} not on PATH: apt-get install prometheus victoria-metrics (scripts/setup)")

    if a.nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, a.nice)
        except OSError as e:
            ap.error(f"--nice {a.nice}: {e}")
        # With autogroup scheduling (Linux's default for desktops and many VMs) the kernel first
        # shares the CPU between sessions, and a process's nice only counts inside its own
        # session: the session's group has a nice of its own. Set it when the harness leads its
        # session (run it under `setsid`), so that nothing else of the user's is affected.
        try:
            with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
                autogroup = f.read().strip() == "1"
        except OSError:
            autogroup = False
        if autogroup and os.getsid(0) == os.getpid():
            try:
                with open("/proc/self/autogroup", "w") as f:
                    f.write(str(a.nice))
            except OSError as e:
                ap.error(f"--nice {a.nice}: /proc/self/autogroup: {e}")
        elif autogroup:
            print(f"--nice {a.nice}: autogroup scheduling is on and the harness does not lead its "
                  "session, so the niceness only counts against the session's other processes; "
                  "run it as `setsid bench/compare/compare.py ...`", file=sys.stderr)
    def terminated(*_):  # SIGTERM as ^C: stop what was started instead of leaving orphans
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)

    # Versions for the header: asked first, so that nothing runs beside a measurement; with
    # --quick (figures not measurements) while the workloads run, as an ASan astrolabe takes
    # seconds to start on a loaded machine.
    versions = {}

    def ask_versions():
        versions["ours"] = version([a.astrolabe, "version"])
        versions["peers"] = version(["dpkg-query", "-W", "-f", "prometheus ${Version}\n", "prometheus"]) + \
            ", " + version(["dpkg-query", "-W", "-f", "victoria-metrics ${Version}\n", "victoria-metrics"])
    asker = threading.Thread(target=ask_versions, daemon=True)
    asker.start()
    if not a.quick:
        asker.join()

    b = Bench(a)
    b.notes = []
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = open("/proc/loadavg").read().split()[:3]
    results, order = {}, []

    def record(out):
        for key, row in out.items():
            if key not in results:
                results[key] = []
                order.append(key)
            results[key].append(row)

    def phase(name, fn, *fn_args):
        tmp = tempfile.mkdtemp(prefix=f"bench-compare-{name}-")
        try:
            print(f"  {name} ...", file=sys.stderr, flush=True)
            t = time.time()
            record(fn(b, tmp, *fn_args))
            print(f"  {name}: {time.time() - t:.0f} s", file=sys.stderr, flush=True)
        except (RuntimeError, OSError, ValueError, KeyError) as e:
            # A failed workload leaves its rows out and says why under the table; the others
            # still run (check_table.py, the smoke test, fails on the missing rows).
            b.notes.append(f"FAILED {name}: {str(e).splitlines()[0][:300]}")
            print(f"  {name} FAILED: {e}", file=sys.stderr, flush=True)
        finally:
            b.stop_all()
            if a.keep:
                print(f"  kept {tmp}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)

    def render(runs_done, final):
        load1 = open("/proc/loadavg").read().split()[:3]
        ours_version, peers = versions.get("ours", "?"), versions.get("peers", "?")
        cmd = "bench/compare/compare.py " + " ".join(sys.argv[1:])
        md = [f"Measured {started:%Y-%m-%d %H:%M} UTC on {os.uname().nodename}: nproc {os.cpu_count()}, "
              f"load average {' '.join(load0)} at the start and {' '.join(load1)} at the end; "
              f"astrolabe `{ours_version}`, {peers}.",
              f"Command: `{cmd}` ({runs_done}" + ("" if final else f" of {a.runs}, so far,") +
              " run(s) per workload, medians; "
              + (f"everything at niceness {a.nice}; " if a.nice else "") +
              f"dashboard: median of {a.runs} timed runs per query after a warm-up, from one load).",
              "Cost figures: lower is better; ratio < 1 means Astrolabe uses less.", "",
              table(results, order)]
        if b.notes:
            md += ["", "Notes:"] + [f"- {n}" for n in b.notes]
        text = "\n".join(md) + "\n"
        if a.out:  # rewritten after every run: an interrupted long run keeps what it measured
            with open(a.out, "w") as f:
                f.write(text)
            # Every run's figures, not only the medians: to merge invocations or show the spread.
            with open(a.out + ".json", "w") as f:
                json.dump({"command": cmd, "runs_done": runs_done, "load_start": load0, "load_end": load1,
                           "rows": [{"workload": k[0], "measure": k[1], "runs": results[k]} for k in order]},
                          f, indent=1, ensure_ascii=False)
        return text

    try:
        for run in range(a.runs):
            print(f"run {run + 1}/{a.runs}", file=sys.stderr, flush=True)
            if "scrape" in only:
                phase("scrape", scrape, run)
            if "rw" in only:
                phase("rw", remote_write, run, 0.0)
                if a.churn:
                    phase("rw-churn", remote_write, run, a.churn)
            if "otlp" in only:
                phase("otlp", otlp, run)
            if run + 1 < a.runs:
                render(run + 1, False)
        if "storage" in only or "dashboard" in only:
            phase("storage", storage_and_dashboard, "dashboard" in only)
    except KeyboardInterrupt:
        b.stop_all()
        raise
    b.notes += [f"FAILED {e}" for e in BAD_EXITS]
    asker.join()
    text = render(a.runs, True)
    print(text)
    if a.check:
        import check_table
        errors = check_table.check(text, only)
        if errors:
            print("check failed:\n" + "\n".join(errors), file=sys.stderr)
            sys.exit(1)
        print(f"check ok: a row for each of {', '.join(only)}; every figure parses", file=sys.stderr)


if __name__ == "__main__":
    main()
