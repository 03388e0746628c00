#!/usr/bin/env python3
"""Scrape targets for bench/scrape_compare.sh: N loopback ports, each serving a Prometheus
text body of S series at /metrics, from one asyncio process; plus a sink port that accepts
and discards POSTs (remote write) and answers GET /stats with the number of /metrics
responses served.

Bodies are pre-rendered: V variants (counter values move every second, gauges wobble), all
targets serve the variant of the current second, so serving costs a lookup and a write.

usage: scrape_targets.py BASE_PORT TARGETS SERIES SINK_PORT
Prints "ready" on stdout once every port listens.
"""
import asyncio
import sys
import time

VARIANTS = 16


def render(series, variant):
    lines = []
    families = max(1, series // 100)
    per = series // families
    for f in range(families):
        kind = "counter" if f % 2 == 0 else "gauge"
        name = f"bench_metric_{f}_total" if kind == "counter" else f"bench_metric_{f}"
        lines.append(f"# HELP {name} Generated series {f}.")
        lines.append(f"# TYPE {name} {kind}")
        for i in range(per):
            value = (f * 1000 + i) * 10 + variant if kind == "counter" else (i * 7 + variant) % 100
            lines.append(f'{name}{{model="m{i % 10}",route="/v1/r{i // 10}",code="200"}} {value}')
    return ("\n".join(lines) + "\n").encode()


def main():
    base, targets, series, sink_port = (int(a) for a in sys.argv[1:5])
    bodies = []
    for v in range(VARIANTS):
        body = render(series, v)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        bodies.append(head + body)
    served = [0]

    async def read_head(reader):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        return head, body

    async def serve_target(reader, writer):
        try:
            while True:
                await read_head(reader)
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
                head, _ = await read_head(reader)
                if head.startswith(b"GET /stats"):
                    text = f"{served[0]}\n".encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text)
                    )
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
        print("ready", flush=True)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(run())


if __name__ == "__main__":
    main()
