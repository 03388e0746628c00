#!/usr/bin/env python3
"""Measures `astrolabe collector` start-to-healthy time and idle RSS.

Starts the collector RUNS times with bench/configs/idle.yaml on free loopback ports,
measures the time from exec to the first 200 from health_check (polled every 0.5 ms over
a raw socket), then samples VmRSS after IDLE_SECONDS of idling. Prints medians and all
runs as a Markdown table row. With --libs, also where the last run's RSS lives: Rss per
mapped file (/proc/PID/smaps), largest first.
Usage: bench/collector_idle.py [BINARY] [RUNS] [IDLE_SECONDS] [--libs]
"""
import collections
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


def rss_by_mapping(pid):
    """KiB of Rss per mapped file basename ([heap], [stack], [anon] for the rest)."""
    rss = collections.Counter()
    name = "[anon]"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts[0].endswith(":"):  # a mapping's header line
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif parts[0] == "Rss:":
                rss[name] += int(parts[1])
    return rss


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
        return ready_ms, rss, rss_by_mapping(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(f.name)


def main():
    args = [a for a in sys.argv[1:] if a != "--libs"]
    libs = len(args) != len(sys.argv) - 1
    binary = args[0] if len(args) > 0 else os.path.join(ROOT, "build/astrolabe")
    runs = int(args[1]) if len(args) > 1 else 5
    idle = float(args[2]) if len(args) > 2 else 5
    results = [one_run(binary, idle) for _ in range(runs)]
    ready = [r[0] for r in results]
    rss = [r[1] for r in results]
    print("| measure | median | runs |")
    print("|---|---|---|")
    print(f"| start → healthy (ms) | {statistics.median(ready):.1f} | "
          + ", ".join(f"{x:.1f}" for x in ready) + " |")
    print(f"| idle RSS after {idle:g} s (MiB) | {statistics.median(rss):.1f} | "
          + ", ".join(f"{x:.1f}" for x in rss) + " |")
    if libs:
        print()
        print("| mapping (last run) | RSS KiB |")
        print("|---|---|")
        for name, kib in results[-1][2].most_common():
            if kib:
                print(f"| {name} | {kib} |")


if __name__ == "__main__":
    main()
