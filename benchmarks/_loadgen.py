"""An open-loop HTTP/1.1 load generator on asyncio streams, with a keep-alive pool.

`open_loop` sends requests at *scheduled* instants (constant gaps, or Poisson arrivals)
whatever the server does: a request that waits for a free connection, or whose server
is slow, still has its latency counted from the instant it was due, so a stalled
server cannot hide its stall by slowing the client down (no coordinated omission).
A request that fails (connection error, timeout) counts with an infinite latency, so
the percentiles never drop the worst requests.  `closed_loop` keeps *connections*
clients busy back to back: the throughput at saturation.

The requests come from a `Workload` (see ``_serve_workload.py``): it builds each
request and classifies each answer as ``ok``, ``refused`` (a valid refusal such as a
stale ``If-Match``) or ``error``.  The client measures its own CPU (its share of one
core: near 1.0 means the client, not the server, may be the limit) and how late it
dispatched requests (``send_lag``); with the server's process id it also reads the
server's CPU from ``/proc`` (Linux only).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import time
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import attrs

__all__ = [
    "Outcome",
    "Pool",
    "Request",
    "Response",
    "Step",
    "Workload",
    "closed_loop",
    "http_request",
    "open_loop",
    "percentile",
    "server_cpu_seconds",
]

Outcome = str  # "ok" | "refused" | "error"
MIN_SLEEP = 0.001


@attrs.frozen(kw_only=True)
class Request:
    """One request: its kind (``tracking``, ``action``...), its bytes, and the workload's note."""

    kind: str
    data: bytes
    context: Any = None


@attrs.frozen(kw_only=True)
class Response:
    """One answer: status, headers (names lower-cased) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Workload(Protocol):
    """What the generator asks of a workload."""

    def next_request(self) -> Request:
        """Build the next request of the mix."""

    def on_response(self, request: Request, response: Response | None) -> Outcome:
        """Learn from *response* (``None``: the request failed) and classify it."""


def http_request(
    method: str, target: str, headers: Iterable[tuple[str, str]] = (), body: bytes = b""
) -> bytes:
    """Return the bytes of an HTTP/1.1 keep-alive request."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection: one request at a time (no pipelining)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = True

    async def exchange(self, data: bytes) -> Response:
        """Send *data* and read the whole response."""
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0][9:12])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks()
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            self.reusable = False
        return Response(status=status, headers=headers, body=body)

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        """Close the connection."""
        self.reusable = False
        self.writer.close()


class Pool:
    """Keep-alive connections to one server, at most *limit* open; waiters queue FIFO."""

    def __init__(self, host: str, port: int, *, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[Connection] = []
        self.open = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> Connection:
        """Return an idle connection, a new one, or wait for one to come free."""
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < self.limit:
                self.open += 1
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except BaseException:
                    self.open -= 1
                    self._wake()
                    raise
                return Connection(reader, writer)
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter

    def release(self, connection: Connection) -> None:
        """Give *connection* back (or drop it, if it cannot carry another request)."""
        if connection.reusable:
            self.idle.append(connection)
        else:
            connection.close()
            self.open -= 1
        self._wake()

    def _wake(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every idle connection."""
        for connection in self.idle:
            connection.close()
        self.idle.clear()


async def _send(pool: Pool, request: Request, timeout: float) -> Response | None:
    connection: Connection | None = None
    try:
        async with asyncio.timeout(timeout):
            connection = await pool.acquire()
            return await connection.exchange(request.data)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
        if connection is not None:
            connection.reusable = False
        return None
    finally:
        if connection is not None:
            pool.release(connection)


def percentile(sorted_values: list[float], q: float) -> float:
    """The *q* quantile (nearest rank) of *sorted_values*, or NaN if it is empty."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))]


@attrs.frozen(kw_only=True)
class Step:
    """What one load step measured; latencies in milliseconds, failures counted as infinite."""

    target_rate: float
    achieved_rate: float
    sent: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    outcomes: dict[str, int]
    statuses: dict[str, int]
    p99_ms_by_kind: dict[str, float]
    send_lag_p99_ms: float
    client_cpu: float
    server_cpu: float | None
    load_average: float | None

    @property
    def errors(self) -> int:
        """How many answers were errors (not ok, not a valid refusal)."""
        return self.outcomes.get("error", 0)

    @property
    def goodput(self) -> float:
        """The achieved rate of answers that were not errors (requests/s)."""
        return self.achieved_rate * (self.sent - self.errors) / self.sent if self.sent else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the step as a JSON-ready dict (an infinite latency, from failures, as null)."""
        return attrs.asdict(
            self,
            value_serializer=lambda _, __, v: None if isinstance(v, float) and math.isinf(v) else v,
        )


class _Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.lags: list[float] = []
        self.outcomes: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.done = 0

    def add(self, kind: str, latency: float, lag: float, outcome: str, status: str) -> None:
        self.latencies.setdefault(kind, []).append(latency)
        self.lags.append(lag)
        self.outcomes[outcome] += 1
        self.statuses[status] += 1
        self.done += 1

    def step(self, target: float, wall: float, cpu: float, server: float | None) -> Step:
        """Summarise: *wall* seconds; *cpu* and *server* already as shares of one core."""
        every = sorted(v for values in self.latencies.values() for v in values)
        lags = sorted(self.lags)
        return Step(
            target_rate=target,
            achieved_rate=round(self.done / wall, 1) if wall else 0.0,
            sent=self.done,
            p50_ms=round(percentile(every, 0.50) * 1000, 2),
            p99_ms=round(percentile(every, 0.99) * 1000, 2),
            p999_ms=round(percentile(every, 0.999) * 1000, 2),
            max_ms=round(every[-1] * 1000, 2) if every else math.nan,
            outcomes=dict(self.outcomes),
            statuses=dict(sorted(self.statuses.items())),
            p99_ms_by_kind={
                kind: round(percentile(sorted(values), 0.99) * 1000, 2)
                for kind, values in sorted(self.latencies.items())
            },
            send_lag_p99_ms=round(percentile(lags, 0.99) * 1000, 2),
            client_cpu=round(cpu, 3),
            server_cpu=None if server is None else round(server, 3),
            load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        )


async def _timed(
    pool: Pool, workload: Workload, request: Request, due: float, timeout: float, into: Any
) -> None:
    lag = time.perf_counter() - due
    response = await _send(pool, request, timeout)
    latency = time.perf_counter() - due if response is not None else math.inf
    outcome = workload.on_response(request, response)
    if into is not None:
        status = f"{request.kind} {'failed' if response is None else response.status}"
        into.add(request.kind, latency, lag, outcome, status)


async def open_loop(
    port: int,
    workload: Workload,
    *,
    rate: float,
    seconds: float,
    warmup: float = 1.0,
    poisson: bool = False,
    seed: int = 1,
    limit: int = 512,
    timeout: float = 10.0,
    server_pid: int | None = None,
) -> Step:
    """Send *rate* requests/s for *warmup* + *seconds*; measure those due after the warm-up.

    Latency runs from the instant each request was due.  Requests still unanswered
    when the schedule ends are awaited (at most *timeout*) and counted.
    """
    pool = Pool("127.0.0.1", port, limit=limit)
    rng = random.Random(seed)
    recorder = _Recorder()
    tasks: set[asyncio.Task[None]] = set()
    begin = time.perf_counter() + 0.01
    measured_from = begin + warmup
    end = measured_from + seconds
    due = begin
    cpu0 = wall0 = server0 = None
    while due < end:
        now = time.perf_counter()
        if due > now:
            # At least a millisecond: uvloop's timers count whole milliseconds, so a
            # shorter sleep returns at once and the scheduler would spin, eating the
            # client's core.  A request dispatched up to 1 ms late has that lateness
            # counted in its latency (and in send_lag).
            await asyncio.sleep(max(due - now, MIN_SLEEP))
            now = time.perf_counter()
        while due <= now and due < end:
            if cpu0 is None and due >= measured_from:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                server0 = server_cpu_seconds(server_pid)
            into = recorder if due >= measured_from else None
            task = asyncio.create_task(
                _timed(pool, workload, workload.next_request(), due, timeout, into)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += rng.expovariate(rate) if poisson else 1.0 / rate
    if tasks:
        await asyncio.wait(set(tasks))
    pool.close()
    if cpu0 is None or wall0 is None:
        raise ValueError("nothing was measured: give a longer schedule")
    return _finish(recorder, rate, cpu0, wall0, server0, server_pid)


def _finish(
    recorder: _Recorder,
    rate: float,
    cpu0: float,
    wall0: float,
    server0: float | None,
    server_pid: int | None,
) -> Step:
    """The step measured from (*cpu0*, *wall0*) to now: the window plus the drain after it."""
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    server1 = server_cpu_seconds(server_pid)
    server = None if server0 is None or server1 is None else (server1 - server0) / wall
    return recorder.step(rate, wall, cpu / wall, server)


async def closed_loop(
    port: int,
    workload: Workload,
    *,
    connections: int,
    seconds: float,
    timeout: float = 10.0,
    server_pid: int | None = None,
) -> Step:
    """Keep *connections* clients sending back to back for *seconds*: throughput at saturation."""
    pool = Pool("127.0.0.1", port, limit=connections)
    recorder = _Recorder()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    server0 = server_cpu_seconds(server_pid)
    until = wall0 + seconds

    async def client() -> None:
        while (start := time.perf_counter()) < until:
            await _timed(pool, workload, workload.next_request(), start, timeout, recorder)

    await asyncio.gather(*(client() for _ in range(connections)))
    pool.close()
    return _finish(recorder, 0.0, cpu0, wall0, server0, server_pid)


def server_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of *pid* and its descendants (Linux ``/proc``), or ``None``."""
    if pid is None or not Path("/proc/self/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    if pid not in times:
        return None
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent and child not in family]
        family.update(children)
        frontier.extend(children)
    return sum(times[p] for p in family)
