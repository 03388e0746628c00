#!/usr/bin/env python3
"""Remote-write ingest side by side: samples per CPU-second of the receiving process.

One vmagent is the load: it takes SERIES-line exposition pushes on its import endpoint
(/api/v1/import/prometheus) PUSHES times and remote-writes every sample, fanned out, to
  - astrolabe collector: prometheus_remote_write receiver with `store: store`, the direct path
    the server takes (series straight into the tsdb, WAL fsynced before the 204: the same work
    the others do); RW_SINK=store: the pipeline path instead (receiver -> pdata -> `store`
    exporter -> tsdb); RW_SINK=debug: the debug exporter (basic: one log line per batch; the
    data is otherwise discarded),
  - VictoriaMetrics 1.79 (/api/v1/write, stores),
  - Prometheus 2.42 (--web.enable-remote-write-receiver, stores).
Each receiver's CPU time (utime + stime from /proc/PID/stat) is read before the first push and
after it has counted every sample (ours: otelcol_receiver_accepted_metric_points_total; VM:
vm_rows_inserted_total{type="promremotewrite"}; Prometheus:
prometheus_tsdb_head_samples_appended_total). vmagent's own CPU is not counted.

Usage: bench/remote_write_compare.py BINARY [SERIES] [PUSHES]   (defaults 20000, 50)
Everything listens on 127.0.0.1 ephemeral-ish ports, lives in a temp dir, and is stopped by
PID at the end.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return ""


def metric(text, name, label_filter=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and label_filter in line and not line.startswith("#"):
            m = re.match(r"^[^ {]+(\{[^}]*\})? ([^ ]+)", line)
            if m and (m.group(0).split(" ")[0].split("{")[0] == name):
                total += float(m.group(2))
    return total


def wait_ready(url, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if get(url):
            return True
        time.sleep(0.1)
    return False


def main():
    binary = sys.argv[1]
    series = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    pushes = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    total = series * pushes
    tmp = tempfile.mkdtemp(prefix="rwbench")
    procs = []
    try:
        ours, tel, vm, prom, agent = (free_port() for _ in range(5))
        cfg = os.path.join(tmp, "astrolabe.yaml")
        sink = os.environ.get("RW_SINK", "direct")
        receiver_extra = f"    store: store\n" if sink == "direct" else ""
        if sink in ("store", "direct"):
            exporter = f"exporters:\n  store: {{}}\nextensions:\n  store: {{directory: {tmp}/astrolabe}}\n"
            service_extensions = "  extensions: [store]\n"
        else:
            exporter = "exporters:\n  debug:\n    verbosity: basic\n"
            service_extensions = ""
        with open(cfg, "w") as f:
            f.write(f"""receivers:
  prometheus_remote_write:
    endpoint: 127.0.0.1:{ours}
{receiver_extra}{exporter}service:
{service_extensions}  telemetry:
    metrics:
      address: 127.0.0.1:{tel}
  pipelines:
    metrics:
      receivers: [prometheus_remote_write]
      exporters: [{"store" if sink == "direct" else sink}]
""")
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1h}\nscrape_configs: []\n")
        log = open(os.path.join(tmp, "log.txt"), "w")
        a = subprocess.Popen([binary, "collector", "--config", cfg], stdout=log, stderr=log)
        v = subprocess.Popen(["victoria-metrics", f"-storageDataPath={tmp}/vm",
                              f"-httpListenAddr=127.0.0.1:{vm}", "-retentionPeriod=1"],
                             stdout=log, stderr=log)
        p = subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                              f"--storage.tsdb.path={tmp}/prom", f"--web.listen-address=127.0.0.1:{prom}",
                              "--web.enable-remote-write-receiver"], stdout=log, stderr=log)
        procs += [a, v, p]
        for url in (f"http://127.0.0.1:{tel}/metrics", f"http://127.0.0.1:{vm}/health",
                    f"http://127.0.0.1:{prom}/-/ready"):
            if not wait_ready(url):
                sys.exit(f"not ready: {url} (see {tmp}/log.txt)")
        g = subprocess.Popen(["vmagent", f"-httpListenAddr=127.0.0.1:{agent}",
                              f"-remoteWrite.url=http://127.0.0.1:{ours}/api/v1/write",
                              f"-remoteWrite.url=http://127.0.0.1:{vm}/api/v1/write",
                              f"-remoteWrite.url=http://127.0.0.1:{prom}/api/v1/write",
                              f"-remoteWrite.tmpDataPath={tmp}/vmagent",
                              # One queue per URL keeps each series' samples in order, which
                              # Prometheus requires (it drops out-of-order samples).
                              "-remoteWrite.queues=1"], stdout=log, stderr=log)
        procs.append(g)
        if not wait_ready(f"http://127.0.0.1:{agent}/health"):
            sys.exit("vmagent not ready")
        time.sleep(1)
        counts = {
            "astrolabe": lambda: metric(get(f"http://127.0.0.1:{tel}/metrics"),
                                        "otelcol_receiver_accepted_metric_points_total"),
            "victoria-metrics 1.79": lambda: metric(get(f"http://127.0.0.1:{vm}/metrics"),
                                                    "vm_rows_inserted_total", 'type="promremotewrite"'),
            "prometheus 2.42": lambda: metric(get(f"http://127.0.0.1:{prom}/metrics"),
                                              "prometheus_tsdb_head_samples_appended_total"),
        }
        pids = {"astrolabe": a.pid, "victoria-metrics 1.79": v.pid, "prometheus 2.42": p.pid}
        base_count = {k: f() for k, f in counts.items()}
        base_cpu = {k: cpu_seconds(pid) for k, pid in pids.items()}
        lines = [f'bench_metric_{i % 100}{{instance="host-{i // 100}",job="bench",device="d{i % 7}"}} {i}.5'
                 for i in range(series)]
        t0 = int(time.time() * 1000) - pushes * 1000
        start = time.time()
        for k in range(pushes):
            # Explicit timestamps one second apart: no two pushes share a sample timestamp.
            body = "".join(f"{line} {t0 + k * 1000}\n" for line in lines).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{agent}/api/v1/import/prometheus",
                                         data=body, method="POST")
            urllib.request.urlopen(req, timeout=30).read()
        done = {}
        end = time.time() + float(os.environ.get("RW_BENCH_TIMEOUT", "300"))
        while len(done) < len(counts) and time.time() < end:
            for k, f in counts.items():
                if k not in done and f() - base_count[k] >= total:
                    done[k] = (cpu_seconds(pids[k]) - base_cpu[k], time.time() - start)
            time.sleep(0.2)
        print(f"{series} series x {pushes} pushes = {total} samples, via vmagent 1.79 remote write; "
              f"astrolabe into {sink}")
        print(f"| receiver | samples | CPU s | samples per CPU-second | wall s | peak RSS MiB |")
        print(f"|---|---|---|---|---|---|")
        for k in counts:
            if k not in done:
                print(f"| {k} | {counts[k]() - base_count[k]:.0f} (incomplete) | | | | |")
                continue
            cpu, wall = done[k]
            print(f"| {k} | {total} | {cpu:.2f} | {total / cpu if cpu else float('inf'):,.0f} | "
                  f"{wall:.1f} | {hwm_mib(pids[k]):.0f} |")
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pr.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
