#!/usr/bin/env python3
"""Scrape targets for bench/compare: TARGETS loopback ports, each serving a NIM-shaped /metrics
body of about SERIES series (payloads.nim_body), plus a sink port that accepts and discards
POSTs (remote write, OTLP) and answers GET /stats with the number of /metrics responses served
so far.

Bodies are pre-rendered (VARIANTS of them: counters and histograms move every second, and
each variant also gzip-compressed once at start) and every target serves the variant of the
current second, so serving a scrape costs parsing the request line and one write of bytes
that already exist: the scrapers, not this process, are what is measured.

The ports are spread over WORKERS forked processes (default: one per CPU), each an asyncio
loop over its share of the ports, so that one process descheduled on a loaded machine does not
delay every target at once. A scrape counts as served once its whole response has been handed
to the kernel; the counters live in a shared anonymous mapping that the sink (in the parent)
sums for /stats.

usage: targets.py BASE_PORT TARGETS SERIES SINK_PORT [--workers N] [--gzip]
  --gzip   answer with the pre-compressed body when the request accepts gzip (what a real
           exporter does; Prometheus, vmagent and our collector all ask for it) instead of
           the identity body
Prints "ready SERIES_PER_TARGET" on stdout once every port listens.
"""
import argparse
import asyncio
import gzip
import mmap
import os
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payloads  # noqa: E402

VARIANTS = 16
SLOT = struct.Struct("<q")


def response(body, encoding=None):
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
    if encoding:
        head += f"Content-Encoding: {encoding}\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


class Target(asyncio.Protocol):
    """One connection to a target: every complete request head gets the current body."""

    def __init__(self, bodies, gz_bodies, counters, slot):
        self.bodies, self.gz_bodies = bodies, gz_bodies
        self.counters, self.slot = counters, slot
        self.buf = b""
        self.pending = 0

    def connection_made(self, transport):
        self.transport = transport
        transport.set_write_buffer_limits(high=0, low=0)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self.transport.close()
                return
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            variant = int(time.time()) % VARIANTS
            wants_gzip = self.gz_bodies is not None and b"gzip" in head.lower()
            self.transport.write((self.gz_bodies if wants_gzip else self.bodies)[variant])
            # Loopback takes the whole body at once unless the scraper stopped reading; a
            # scrape counts once nothing of it is left in our buffer (resume_writing below).
            if self.transport.get_write_buffer_size() == 0:
                self._count()
            else:
                self.pending += 1

    def pause_writing(self):
        pass

    def resume_writing(self):  # the buffer drained to 0 (limits set in connection_made)
        for _ in range(self.pending):
            self._count()
        self.pending = 0

    def _count(self):
        off = self.slot * SLOT.size
        SLOT.pack_into(self.counters, off, SLOT.unpack_from(self.counters, off)[0] + 1)


class Sink(asyncio.Protocol):
    """Discards POSTed bodies (remote write, OTLP); GET /stats answers the served count."""

    def __init__(self, counters, workers):
        self.counters, self.workers = counters, workers
        self.buf = bytearray()
        self.need = None  # bytes of body still to skip

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while True:
            if self.need is not None:
                if len(self.buf) < self.need:
                    return
                del self.buf[:self.need]
                self.need = None
                self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end])
            del self.buf[:end + 4]
            if head.startswith(b"GET /stats"):
                total = sum(SLOT.unpack_from(self.counters, i * SLOT.size)[0] for i in range(self.workers))
                text = f"{total}\n".encode()
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
                continue
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            self.need = length


def serve(ports, factory, ready=None):
    async def run():
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(factory, "127.0.0.1", p, backlog=512) for p in ports]
        if ready:
            ready()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(run())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base", type=int)
    ap.add_argument("targets", type=int)
    ap.add_argument("series", type=int)
    ap.add_argument("sink", type=int)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--gzip", action="store_true")
    a = ap.parse_args()
    workers = max(1, min(a.workers, a.targets))
    bodies, gz_bodies = [], [] if a.gzip else None
    per_target = 0
    for v in range(VARIANTS):
        body, per_target = payloads.nim_body(a.series, v)
        bodies.append(response(body))
        if a.gzip:
            gz_bodies.append(response(gzip.compress(body, 6), "gzip"))
    counters = mmap.mmap(-1, SLOT.size * workers)  # MAP_SHARED|MAP_ANONYMOUS: seen by every fork
    children = []
    for w in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            ports = [a.base + i for i in range(a.targets) if i % workers == w]
            serve(ports, lambda w=w: Target(bodies, gz_bodies, counters, w))
            os._exit(0)
        children.append(pid)

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def ready():
        # Every worker binds its ports after the fork; wait until each port accepts.
        end = time.time() + 60
        for i in range(a.targets):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", a.base + i), timeout=1).close()
                    break
                except OSError:
                    if time.time() > end:
                        print(f"target port {a.base + i} did not listen", flush=True)
                        stop()
                    time.sleep(0.05)
        print(f"ready {per_target}", flush=True)

    try:
        serve([a.sink], lambda: Sink(counters, workers), ready)
    finally:
        stop()


if __name__ == "__main__":
    main()
