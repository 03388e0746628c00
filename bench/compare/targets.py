#!/usr/bin/env python3
"""Scrape targets for bench/compare: TARGETS loopback ports from one asyncio process, each
serving a NIM-shaped /metrics body of about SERIES series (payloads.nim_body), plus a sink
port that accepts and discards POSTs (remote write, OTLP) and answers GET /stats with the
number of /metrics responses served so far.

Bodies are pre-rendered (VARIANTS of them: counters and histograms move every second) and
every target serves the variant of the current second, so serving costs a lookup and a write:
the scrapers, not this process, are what is measured.

usage: targets.py BASE_PORT TARGETS SERIES SINK_PORT
Prints "ready SERIES_PER_TARGET" on stdout once every port listens.
"""
import asyncio
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payloads  # noqa: E402

VARIANTS = 16


def main():
    base, targets, series, sink_port = (int(a) for a in sys.argv[1:5])
    bodies = []
    per_target = 0
    for v in range(VARIANTS):
        body, per_target = payloads.nim_body(series, v)
        head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        bodies.append(head + body)
    served = [0]

    async def read_request(reader):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await reader.readexactly(length)
        return head

    async def serve_target(reader, writer):
        try:
            while True:
                await read_request(reader)
                writer.write(bodies[int(time.time()) % VARIANTS])
                served[0] += 1
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def serve_sink(reader, writer):
        try:
            while True:
                head = await read_request(reader)
                if head.startswith(b"GET /stats"):
                    text = f"{served[0]}\n".encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
                else:
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def run():
        servers = [await asyncio.start_server(serve_target, "127.0.0.1", base + i) for i in range(targets)]
        servers.append(await asyncio.start_server(serve_sink, "127.0.0.1", sink_port, limit=1 << 24))
        print(f"ready {per_target}", flush=True)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(run())


if __name__ == "__main__":
    main()
