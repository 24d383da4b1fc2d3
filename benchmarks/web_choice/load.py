"""A small closed-loop HTTP/1.1 load generator on asyncio streams (keep-alive).

*connections* clients each send one request, wait for the whole response, and send the
next, for *seconds*; the result holds requests/s, p50/p99 latency, the status codes seen
and the client's own CPU use (its share of one core: near 1.0 means the client, not the
server, may be the limit; compare with the bare ASGI endpoint's figure).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any


async def _one_connection(
    host: str, port: int, request: bytes, until: float, latencies: list[float], codes: Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (start := time.perf_counter()) < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            code = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            codes[code] += 1
    finally:
        writer.close()


def _request(method: str, target: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _run(
    port: int, requests: list[bytes], connections: int, seconds: float
) -> tuple[list[float], Counter[int], float, float]:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    until = wall + seconds
    await asyncio.gather(
        *(
            _one_connection("127.0.0.1", port, requests[i % len(requests)], until, latencies, codes)
            for i in range(connections)
        )
    )
    return latencies, codes, time.perf_counter() - wall, time.process_time() - cpu


def measure(
    port: int,
    method: str,
    targets: list[tuple[str, dict[str, str]]],
    *,
    body: bytes = b"",
    connections: int = 32,
    seconds: float = 3.0,
) -> dict[str, Any]:
    """Load *port* with *method* requests spread over *targets* (path, headers)."""
    requests = [_request(method, path, body, headers) for path, headers in targets]
    asyncio.run(_run(port, requests, connections, 0.5))  # warm up
    latencies, codes, wall, cpu = asyncio.run(_run(port, requests, connections, seconds))
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "rps": len(latencies) / wall,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "codes": dict(codes),
        "client_cpu": cpu / wall,
    }
