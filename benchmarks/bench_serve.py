"""``onestop serve`` under open-loop load, against a bare ASGI app (issue 17).

For each server (a subprocess: ``onestop serve`` and the bare app of ``_bare_serve.py``,
both under uvicorn with the same number of workers) the driver waits for ``/healthz``,
seeds applications through the API, then sends the issue's mix (70% tracking, 20%
officer actions, 10% submissions; ``_serve_workload.py``) open-loop at rising rates
(50, 100, 200, 400 ... req/s, each step a warm-up second then *seconds* measured, then
two bisections between the last rate that held and the first that did not).  A rate
holds when p99 < 100 ms (from each request's scheduled instant, failures counted as
infinite) and at most 0.1% of answers are errors.  Then the throughput at saturation
(closed loop, 32 connections per worker), counting the answers that were not errors.
Reported, all measured in the same run:

* ``serve.sqlite_full_rate_p99_under_100ms``: the highest rate that held (bare: peer);
* ``serve.sqlite_full_p99_ms`` and ``serve.sqlite_full_p999_ms`` at that rate;
* ``serve.sqlite_full_saturation_vs_bare``: requests/s at saturation, goal ratio >= 0.5;
* ``serve.sqlite_full_client_cpu_share``: the load generator's CPU (share of one core)
  at saturation, the larger of the two servers' runs;
* the same five for PostgreSQL with 2 workers (``serve.postgres_2workers_...``; the
  peer is the bare app on SQLite with 2 workers: a raw floor, not a PostgreSQL one),
  skipped with ``--quick`` or without ``ONESTOP_BENCH_POSTGRES_URL`` or
  ``ONESTOP_TEST_POSTGRES_URL``.

``onestop serve`` runs with the key file and one staff account (roles ``clerk``, who
submits and resubmits for the applicant in the benchmark's workflow, and ``verifier``,
made in the store before it starts; the workload sends its API token), one worker at its
default 10 threads, its access log on, and its anonymous-submission and failed-lookup limits
raised to a million a minute (every request here comes from 127.0.0.1; a 429 would show
as ``submission 429`` in the statuses).  ``BENCH_SERVE_PROFILE=DIR`` runs the onestop
servers under cProfile, every thread, and leaves one ``.pstats`` file per server in DIR
(``_profiled_serve.py``; a profiled run is slower, read its shares, not its speeds).
Without ``onestop.web`` (or its dependencies) `run` prints why to stderr and returns
``[]``.  Standalone::

    PYTHONPATH=src python benchmarks/bench_serve.py [--bare-only] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _bare_serve  # noqa: E402 - needs the path set above
from _benchlib import Result, comparison  # noqa: E402
from _loadgen import Step, closed_loop, http_request, open_loop  # noqa: E402
from _serve_workload import MallWorkload, seed  # noqa: E402

CATALOGUE = HERE / "_serve_mall.toml"
TOKEN = "bench-officer-" + "0" * 24
"""The bare app's officer token (its own ``--test-actors``-like file)."""
ACTORS = {TOKEN: {"id": "bench-officer", "roles": ["clerk", "verifier"]}}
OFFICER = ("bench-officer", ("clerk", "verifier"))
"""The staff account ``onestop serve``'s workload acts as: its id and roles."""
P99_BUDGET_MS = 100.0
ERROR_BUDGET = 0.001
POSTGRES_URL_VARIABLES = ("ONESTOP_BENCH_POSTGRES_URL", "ONESTOP_TEST_POSTGRES_URL")
ONESTOP_COMMAND = (
    "{python} -m onestop serve {catalogue} --store {store} --key-file {key_file}"
    " --workers {workers} --host 127.0.0.1 --port {port}"
    " --submissions-per-minute 1000000 --lookups-per-minute 1000000"
)
PROFILE_VARIABLE = "BENCH_SERVE_PROFILE"
"""Names a directory: the onestop servers run under cProfile (``_profiled_serve.py``)."""
BARE_COMMAND = (
    "{python} -m uvicorn _bare_serve:app --host 127.0.0.1 --port {port} --workers {workers}"
    " --log-level warning --no-access-log"
)


@attrs.frozen(kw_only=True)
class Plan:
    """How long and how hard to load each server."""

    applications: int
    rates: tuple[float, ...]
    seconds: float
    warmup: float
    bisections: int
    saturation_seconds: float
    saturation_rounds: int
    connections_per_worker: int = 32
    tries: int = 2
    """Times a rate is tried before it fails: one slow window on a shared machine (another
    job's burst of disk writes) must not end the ramp for the contender it hit."""

    @classmethod
    def of(cls, *, quick: bool, size: int | None) -> Plan:
        """The plan for ``--quick`` (a few seconds per server) or a full run.

        ``--size N`` seeds N/10 applications (at least 20): the runner's sizes count
        applications per contender in a tight loop, far more than a server is given
        here.  Without it: 40 with ``--quick``, 2,000 without.
        """
        applications = max(20, size // 10) if size else (40 if quick else 2000)
        if quick:
            return cls(
                applications=applications,
                rates=(100.0,),
                seconds=1.0,
                warmup=0.3,
                bisections=0,
                saturation_seconds=1.0,
                saturation_rounds=1,
                tries=1,
            )
        return cls(
            applications=applications,
            rates=tuple(50.0 * 2**k for k in range(9)),  # 50 ... 12,800
            seconds=5.0,
            warmup=1.0,
            bisections=2,
            saturation_seconds=5.0,
            saturation_rounds=2,
        )


@attrs.frozen(kw_only=True)
class Figures:
    """What one server did: every step, the best rate that held, and saturation."""

    label: str
    steps: tuple[Step, ...]
    held: Step | None
    saturation: Step

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready dict."""
        return {
            "label": self.label,
            "held": None if self.held is None else self.held.as_dict(),
            "saturation": self.saturation.as_dict(),
            "steps": [step.as_dict() for step in self.steps],
        }


def holds(step: Step) -> bool:
    """Whether *step* kept p99 under the budget with at most 0.1% errors."""
    return step.p99_ms < P99_BUDGET_MS and step.errors <= ERROR_BUDGET * max(step.sent, 1)


def _say(text: str) -> None:
    print(f"[bench_serve] {text}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(http_request("GET", "/healthz", [("Connection", "close")]))
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Start *command* (its ``{port}`` filled in), wait for ``/healthz``; yield (port, pid)."""
    port = _free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=HERE, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server did not become healthy: {argv}\n{tail}")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@attrs.frozen(kw_only=True)
class Server:
    """How to start one contender: its command (``{port}`` left open), environment, label."""

    label: str
    command: tuple[str, ...]
    env: dict[str, str]
    workers: int
    log: Path
    token: str = TOKEN


@attrs.define
class _Turns:
    """One running contender's progress through the ramp."""

    server: Server
    port: int
    pid: int
    workload: MallWorkload
    steps: list[Step] = attrs.field(factory=list)
    good: Step | None = None
    bad: float | None = None
    saturations: list[Step] = attrs.field(factory=list)
    load: Callable[..., Awaitable[Step]] = open_loop
    """The open loop (`_loadgen.open_loop`'s signature); a test gives canned steps."""

    async def step(self, rate: float, plan: Plan) -> None:
        """Load at *rate*; a rate that fails is tried once more (`Plan.tries`) before it counts."""
        for attempt in range(1, plan.tries + 1):
            got = await self.load(
                self.port,
                self.workload,
                rate=rate,
                seconds=plan.seconds,
                warmup=plan.warmup,
                server_pid=self.pid,
            )
            self.steps.append(got)
            _say(
                f"{self.server.label}: {rate:,.0f} req/s (try {attempt}) -> achieved"
                f" {got.achieved_rate:,.0f}, p50 {got.p50_ms} ms, p99 {got.p99_ms} ms,"
                f" p99.9 {got.p999_ms} ms, {got.outcomes}, p99 by kind {got.p99_ms_by_kind},"
                f" client CPU {got.client_cpu}, server CPU {got.server_cpu},"
                f" send lag p99 {got.send_lag_p99_ms} ms, load {got.load_average}"
            )
            await asyncio.sleep(min(1.0, plan.warmup))  # let a backlog drain
            if holds(got):
                break
        if holds(got):
            if self.good is None or rate > self.good.target_rate:
                self.good = got
        elif self.bad is None or rate < self.bad:
            self.bad = rate

    async def saturate(self, plan: Plan) -> None:
        got = await closed_loop(
            self.port,
            self.workload,
            connections=plan.connections_per_worker * self.server.workers,
            seconds=plan.saturation_seconds,
            server_pid=self.pid,
        )
        self.saturations.append(got)
        _say(
            f"{self.server.label}: saturation {got.achieved_rate:,.0f} req/s, p99 {got.p99_ms} ms,"
            f" {got.statuses}, client CPU {got.client_cpu}, server CPU {got.server_cpu},"
            f" load {got.load_average}"
        )

    def figures(self) -> Figures:
        best = max(self.saturations, key=lambda s: s.goodput)
        return Figures(
            label=self.server.label, steps=tuple(self.steps), held=self.good, saturation=best
        )


async def _take_turns(contenders: list[_Turns], plan: Plan) -> list[Figures]:
    """Seed every contender, then load them in turn, step by step, so bursts hit all alike."""
    for c in contenders:
        await seed(c.port, c.workload, plan.applications)
        await open_loop(c.port, c.workload, rate=50, seconds=plan.warmup, warmup=plan.warmup)
    for rate in plan.rates:
        climbing = [c for c in contenders if c.bad is None]
        if not climbing:
            break
        for c in climbing:
            await c.step(rate, plan)
    for _ in range(plan.bisections):
        for c in contenders:
            if c.bad is not None:
                low = c.good.target_rate if c.good is not None else 0.0
                await c.step(float(round((low + c.bad) / 2)), plan)
    for _ in range(plan.saturation_rounds):
        for c in contenders:
            await c.saturate(plan)
    return [c.figures() for c in contenders]


def _event_loop_run(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def measure(servers: Sequence[Server], plan: Plan) -> list[Figures]:
    """Start every server, load them in turn per *plan*, stop them; return their figures."""
    with contextlib.ExitStack() as stack:
        contenders = []
        for server in servers:
            _say(f"{server.label}: starting {' '.join(server.command)}")
            port, pid = stack.enter_context(serving(list(server.command), server.env, server.log))
            run = f"{server.label.split(maxsplit=1)[0]}-{secrets.token_hex(4)}"
            workload = MallWorkload(token=server.token, run=run)
            contenders.append(_Turns(server=server, port=port, pid=pid, workload=workload))
        return _event_loop_run(_take_turns(contenders, plan))  # type: ignore[no-any-return]


def _environment(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(HERE), str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return dict(os.environ, PYTHONPATH=path, **extra)


def bare(folder: Path, *, workers: int = 1, mode: str | None = None) -> Server:
    """The bare app on a fresh SQLite file at ``synchronous=FULL``."""
    database = folder / f"bare-{workers}w.sqlite3"
    _bare_serve.create_database(database)
    actors = folder / "actors.json"
    actors.write_text(json.dumps(ACTORS))
    mode = mode or os.environ.get("BENCH_BARE_MODE", "writer")
    env = _environment(
        BENCH_BARE_DB=str(database), BENCH_BARE_ACTORS=str(actors), BENCH_BARE_MODE=mode
    )
    command = shlex.split(
        BARE_COMMAND.format(python=shlex.quote(sys.executable), port="{port}", workers=workers)
    )
    label = f"bare ({workers} worker{'s' if workers > 1 else ''}, SQLite FULL, sqlite3 {mode})"
    return Server(
        label=label,
        command=tuple(command),
        env=env,
        workers=workers,
        log=folder / f"bare-{workers}w.log",
    )


def onestop(folder: Path, *, store: str, workers: int, template: str, label: str) -> Server:
    """``onestop serve`` (or what *template* starts) on *store* with *workers* workers."""
    from onestop.privacy import generate_key_file

    key_file = folder / "master.keys"
    if not key_file.exists():
        generate_key_file(key_file)
    profiles = os.environ.get(PROFILE_VARIABLE)
    if profiles and "-m onestop " in template:
        out = Path(profiles).resolve() / f"onestop-{workers}w-{secrets.token_hex(3)}.pstats"
        _say(f"{label}: profiled with cProfile into {out}")
        wrapper = f"{shlex.quote(str(HERE / '_profiled_serve.py'))} {shlex.quote(str(out))}"
        template = template.replace("-m onestop", wrapper, 1)
    command = shlex.split(
        template.format(
            python=shlex.quote(sys.executable),
            catalogue=shlex.quote(str(CATALOGUE)),
            store=shlex.quote(store),
            key_file=shlex.quote(str(key_file)),
            workers=workers,
            port="{port}",
        )
    )
    if not store.startswith("sqlite"):  # nothing to keep beside the store: say where
        secret = folder / "serve.secret"
        if not secret.exists():
            secret.write_bytes(secrets.token_bytes(32))
        command += ["--secret-file", str(secret), "--documents-dir", str(folder / "documents")]
        command += ["--limits-dir", str(folder / f"limits-{workers}w")]
    return Server(
        label=label,
        command=tuple(command),
        env=_environment(),
        workers=workers,
        log=folder / f"onestop-{workers}w.log",
        token=officer_token(store, key_file),
    )


def officer_token(store: str, key_file: Path) -> str:
    """Make the workload's staff account (`OFFICER`) in *store*; return its API token."""
    from onestop.domain.common.actors import Actor
    from onestop.privacy import FileKeyProvider, Keyring
    from onestop.web import ServeSettings
    from onestop.web._runtime import open_store, staff_desk

    settings = ServeSettings(catalogue=str(CATALOGUE), store_url=store, key_file=str(key_file))
    admin = Actor(id="bench-setup", roles=frozenset({"staff_admin"}))
    account, roles = OFFICER
    opened = open_store(settings)
    try:
        desk = staff_desk(opened, Keyring(FileKeyProvider(str(key_file)), opened))
        if account not in {known.account_id for known in desk.accounts()}:
            desk.add(account, by=admin)
            for role in roles:
                desk.grant(account, role, by=admin)
        return str(desk.issue_token(account, name=f"bench-{secrets.token_hex(3)}", by=admin).token)
    finally:
        opened.close()


def web_missing() -> str | None:
    """Why ``onestop serve`` cannot run here, or ``None`` if ``onestop.web`` imports."""
    if str(SRC) not in sys.path:
        sys.path.append(str(SRC))
    try:
        importlib.import_module("onestop.web")
    except ImportError as exc:
        return f"onestop.web is not importable ({exc})"
    return None


def _postgres_url() -> str | None:
    return next((os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None)


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def _rate(figures: Figures) -> float:
    return 0.0 if figures.held is None else figures.held.target_rate


def results(prefix: str, mine: Figures, floor: Figures, *, goal: float | None) -> list[Result]:
    """The figures of *mine* (onestop) against *floor* (the bare app) as `Result` rows."""
    held = mine.held
    at = f"at {_rate(mine):,.0f} req/s" if held is not None else "no rate held: 0 means none"
    return [
        comparison(
            f"serve.{prefix}_rate_p99_under_100ms",
            value=_rate(mine),
            unit="req/s",
            peer=f"{floor.label}: the highest rate with p99 < 100 ms",
            peer_value=_rate(floor),
        ),
        Result(
            name=f"serve.{prefix}_p99_ms",
            value=0.0 if held is None else held.p99_ms,
            unit="ms",
            peer=at,
        ),
        Result(
            name=f"serve.{prefix}_p999_ms",
            value=0.0 if held is None else held.p999_ms,
            unit="ms",
            peer=at,
        ),
        comparison(
            f"serve.{prefix}_saturation_vs_bare",
            value=mine.saturation.goodput,
            unit="req/s",
            peer=f"{floor.label}, closed loop, same mix; answers that were not errors",
            peer_value=floor.saturation.goodput,
            at_least=goal,
        ),
        Result(
            name=f"serve.{prefix}_client_cpu_share",
            value=max(mine.saturation.client_cpu, floor.saturation.client_cpu),
            unit="share of one core",
            peer="the load generator at saturation (the larger of the two runs)",
        ),
    ]


def _skipped(prefix: str, why: str) -> list[Result]:
    names = ("rate_p99_under_100ms", "p99_ms", "p999_ms", "saturation_vs_bare", "client_cpu_share")
    return [
        Result(name=f"serve.{prefix}_{n}", value=0.0, unit="skipped", peer=f"skipped: {why}")
        for n in names
    ]


def run(quick: bool, size: int | None = None) -> list[Result]:
    """Measure ``onestop serve`` against the bare app; ``[]`` (and why, on stderr) without it."""
    why = web_missing()
    if why is not None:
        _say(f"skipped: {why}")
        return []
    return compare(quick, size, template=ONESTOP_COMMAND, name="onestop serve")


def compare(quick: bool, size: int | None, *, template: str, name: str) -> list[Result]:
    """Measure the server *template* starts against the bare app, on SQLite then PostgreSQL."""
    plan = Plan.of(quick=quick, size=size)
    found: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="onestop-bench-serve-") as temporary:
        folder = Path(temporary)
        store = f"sqlite:///{folder / 'onestop.sqlite3'}?synchronous=FULL"
        mine = onestop(
            folder,
            store=store,
            workers=1,
            template=template,
            label=f"{name} (1 worker, SQLite FULL)",
        )
        floor_figures, mine_figures = measure([bare(folder), mine], plan)
        _say("\n" + _summary(floor_figures) + "\n" + _summary(mine_figures))
        found += results("sqlite_full", mine_figures, floor_figures, goal=0.5)
        url = _postgres_url()
        if url is None or quick:
            why = (
                "--quick" if quick else "no ONESTOP_BENCH_POSTGRES_URL or ONESTOP_TEST_POSTGRES_URL"
            )
            found += _skipped("postgres_2workers", why)
            return found
        schema = f"onestop_bench_{secrets.token_hex(4)}"
        try:
            mine2 = onestop(
                folder,
                store=_with_schema(url, schema),
                workers=2,
                template=template,
                label=f"{name} (2 workers, PostgreSQL)",
            )
            floor2_figures, mine2_figures = measure([bare(folder, workers=2), mine2], plan)
            _say("\n" + _summary(floor2_figures) + "\n" + _summary(mine2_figures))
        finally:
            _drop_schema(url, schema)
        found += results("postgres_2workers", mine2_figures, floor2_figures, goal=None)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run standalone: the bare app alone (``--bare-only``) or the whole comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bare-only", action="store_true", help="measure the bare app alone")
    parser.add_argument("--quick", action="store_true", help="a few seconds per server")
    parser.add_argument("--size", type=int, default=None, help="applications seeded")
    parser.add_argument("--workers", type=int, default=1, help="workers (--bare-only)")
    parser.add_argument(
        "--bare-mode", default=None, help="where the bare app runs sqlite3: inline, writer, pool:N"
    )
    parser.add_argument(
        "--command", default=ONESTOP_COMMAND, help="the onestop serve command template"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    plan = Plan.of(quick=args.quick, size=args.size)
    if args.bare_only:
        with tempfile.TemporaryDirectory(prefix="onestop-bench-serve-") as name:
            (figures,) = measure(
                [bare(Path(name), workers=args.workers, mode=args.bare_mode)], plan
            )
        print(json.dumps(figures.as_dict(), indent=1) if args.json else _summary(figures))
        return 0
    found = (
        run(args.quick, args.size)
        if args.command == ONESTOP_COMMAND
        else compare(args.quick, args.size, template=args.command, name="server")
    )
    print(json.dumps({"results": [r.as_dict() for r in found]}, indent=1))
    return 0


def _summary(figures: Figures) -> str:
    lines = [
        figures.label,
        (
            "| target req/s | achieved | p50 ms | p99 ms | p99.9 ms | send lag p99 ms | outcomes"
            " | statuses | client CPU | server CPU | load | held |"
        ),
        "|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|",
    ]
    for s in figures.steps:
        cells = (
            f"{s.target_rate:,.0f}",
            f"{s.achieved_rate:,.0f}",
            s.p50_ms,
            s.p99_ms,
            s.p999_ms,
            s.send_lag_p99_ms,
            s.outcomes,
            s.statuses,
            s.client_cpu,
            s.server_cpu,
            s.load_average,
            "yes" if holds(s) else "no",
        )
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    held = figures.held
    lines.append(
        "highest rate with p99 < 100 ms: "
        + (
            "none"
            if held is None
            else f"{held.target_rate:,.0f} req/s (p99 {held.p99_ms} ms, p99.9 {held.p999_ms} ms)"
        )
    )
    sat = figures.saturation
    lines.append(
        f"saturation (closed loop): {sat.achieved_rate:,.0f} req/s, p50 {sat.p50_ms} ms,"
        f" p99 {sat.p99_ms} ms, {sat.statuses}, client CPU {sat.client_cpu},"
        f" server CPU {sat.server_cpu}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
