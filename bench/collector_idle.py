#!/usr/bin/env python3
"""Measures `astrolabe collector` start-to-healthy time and idle RSS.

Starts the collector RUNS times with bench/configs/idle.yaml on free loopback ports,
measures the time from exec to the first 200 from health_check (polled every 0.5 ms over
a raw socket), then samples VmRSS after IDLE_SECONDS of idling. Prints medians and all
runs as a Markdown table row. Usage: bench/collector_idle.py [BINARY] [RUNS] [IDLE_SECONDS]
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_status(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return int(s.recv(64).split(b" ")[1])
    except (OSError, IndexError, ValueError):
        return 0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(binary, idle_seconds):
    health, telemetry, target = free_port(), free_port(), free_port()
    template = open(os.path.join(ROOT, "bench/configs/idle.yaml")).read()
    config = template.format(health=health, telemetry=telemetry, target=telemetry)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(config)
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "collector", "--config", f.name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 10
        while health_status(health) != 200:
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError("collector did not become healthy")
            time.sleep(0.0005)
        ready_ms = (time.perf_counter() - start) * 1000
        time.sleep(idle_seconds)
        rss = rss_kib(proc.pid) / 1024
        return ready_ms, rss
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(f.name)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/astrolabe")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    idle = float(sys.argv[3]) if len(sys.argv) > 3 else 5
    results = [one_run(binary, idle) for _ in range(runs)]
    ready = [r[0] for r in results]
    rss = [r[1] for r in results]
    print("| measure | median | runs |")
    print("|---|---|---|")
    print(f"| start → healthy (ms) | {statistics.median(ready):.1f} | "
          + ", ".join(f"{x:.1f}" for x in ready) + " |")
    print(f"| idle RSS after {idle:g} s (MiB) | {statistics.median(rss):.1f} | "
          + ", ".join(f"{x:.1f}" for x in rss) + " |")


if __name__ == "__main__":
    main()
