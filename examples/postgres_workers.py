"""Several worker processes share one mall on PostgreSQL, and a relay follows the log.

Run it from the repository's root, against a PostgreSQL server you may create schemas in::

    ONESTOP_POSTGRES_URL=postgresql://127.0.0.1:5432/test python examples/postgres_workers.py

(or give the URL as an argument).  In a fresh schema, dropped at the end whatever happens,
the counter submits trade licences (``examples/tutorial/mall.toml``).  Officers in spawned
processes, each with its own `PostgresStore` (a connection pool) and `Mall`, take them
from the shared worklist and verify, approve or reject them at the version they read:
when another officer got there first, the store refuses the write with
`ConcurrencyConflict` and the officer reloads and decides again (optimistic concurrency,
no lock held).  A relay thread meanwhile takes the notification log to a `RecordingTransport`.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from onestop import Actor, DocumentRef, Mall, Person, calendar_for, load_catalogue
from onestop.exceptions import ConcurrencyConflict
from onestop.ports import Summary, SummaryQuery
from onestop.storage import PostgresStore
from onestop.transport import RecordingTransport, Relay

CATALOGUE = Path(__file__).parent / "tutorial" / "mall.toml"
SCHEMA_PREFIX = "onestop_workers_"  # the test looks for leftover schemas by this prefix
START = datetime(2025, 7, 14, 9, 0, tzinfo=ZoneInfo("Asia/Makassar"))  # a Monday morning
TIMEOUT = 60.0  # seconds a worker keeps trying before it gives up
MAX_APPLICATIONS = 300  # their events fit in one page of the log (1000)


@dataclass
class OfficeClock:
    """Monday 14 July 2025, 09:00 WITA, plus the seconds since *epoch* (shared by processes)."""

    epoch: float

    def now(self) -> datetime:
        return START + timedelta(seconds=time.time() - self.epoch)


def open_mall(store: PostgresStore, epoch: float) -> Mall:
    """The tutorial's mall over *store*, on Indonesia's work calendar."""
    return Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=store,
        clock=OfficeClock(epoch),
        calendars={"*": calendar_for("ID", years=[2025], time_zone="Asia/Makassar")},
    )


@dataclass
class Tally:
    """What one worker did; sent back to the main process through a queue."""

    worker: int
    pid: int = field(default_factory=os.getpid)
    done: Counter[str] = field(default_factory=Counter)  # actions taken, by name
    conflicts: int = 0
    mine: set[str] = field(default_factory=set)  # verified here, so approved elsewhere


def take(mall: Mall, officer: Actor, row: Summary, tally: Tally) -> None:
    """Act on *row*'s application at the version read; on a conflict, reload and decide again."""
    app, state, version = row.stream_id, row.state, row.version
    while state == "submitted" or (state == "verified" and app not in tally.mine):
        action, inputs = "verify", None
        if state == "verified":  # approve it, unless the shop is too large for this licence
            area = mall.application(app).answers.get("floor_area")
            large = isinstance(area, int | Decimal) and area > 150
            action, inputs = (
                ("reject", {"reason": "shop too large"}) if large else ("approve", None)
            )
        try:
            mall.act(app, action, actor=officer, inputs=inputs, expected_version=version)
        except ConcurrencyConflict:
            tally.conflicts += 1  # another officer moved it since we read it: look again
            current = mall.application(app)
            state, version = current.state, current.version
        else:
            tally.done[action] += 1
            if action == "verify":
                tally.mine.add(app)  # separation of duties: someone else must approve it
            return


def work(url: str, schema: str, n: int, start: Barrier, out: Queue[Tally], epoch: float) -> None:
    """One worker process: its own pool and mall, taking applications until none is open."""
    officer = Actor(id=f"officer-{n}", roles={"verifier", "approver"})
    rng = random.Random(n)  # noqa: S311 - picks among rows, not a secret
    tally = Tally(worker=n)
    try:
        with PostgresStore.connect(url, schema=schema, max_size=2) as store:
            mall = open_mall(store, epoch)
            start.wait(timeout=TIMEOUT)  # every worker is connected: start together
            give_up = time.monotonic() + TIMEOUT
            while time.monotonic() < give_up:
                rows = mall.worklist(role="verifier", limit=50).items
                if not rows:
                    break  # nothing open any more
                ours = [r for r in rows if r.state == "submitted" or r.stream_id not in tally.mine]
                if not ours:
                    time.sleep(0.01)  # only what we verified is left: wait for a colleague
                    continue
                # Near the head of the list, earliest due first, so officers collide.
                take(mall, officer, rng.choice(ours[: start.parties]), tally)
    except BaseException:
        start.abort()  # release the others waiting to start: this run has failed
        raise
    finally:
        out.put(tally)  # even on an error (its traceback goes to stderr), so main never hangs


def process_in_parallel(url: str, schema: str, workers: int, epoch: float) -> list[Tally]:
    """Start *workers* spawned processes, wait for them, and return their tallies."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=work, args=(url, schema, n, start, results, epoch), daemon=True)
        for n in range(1, workers + 1)
    ]
    for process in processes:
        process.start()  # daemons: a worker that hangs is killed when the script exits
    tallies = [results.get(timeout=TIMEOUT + 30) for _ in processes]
    for process in processes:
        process.join(timeout=10)  # the tally is sent just before the process ends
    if any(process.exitcode != 0 for process in processes):
        raise RuntimeError("a worker process failed; its traceback is above")
    return sorted(tallies, key=lambda tally: tally.worker)


def run(url: str, schema: str, workers: int, applications: int) -> bool:
    """Submit, process in parallel, relay and check; return whether every check passed."""
    epoch = time.time()
    with PostgresStore.connect(url, schema=schema, max_size=4) as store:
        mall = open_mall(store, epoch)
        inbox = RecordingTransport("inbox")
        relay = Relay(store, {"inbox": inbox})
        stop = threading.Event()
        relaying = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
        for i in range(1, applications + 1):
            content, nik = f"scan of identity card {i}".encode(), f"737101570885{i:04d}"
            document = DocumentRef(
                requirement="identity",
                evidence_type="identity-card",
                sha256=hashlib.sha256(content).hexdigest(),  # checked against the bytes
                media_type="image/jpeg",
                size=len(content),
                content=content,
            )
            mall.submit(
                "trade-licence",
                channel="counter",
                applicant=Person.of(identity_number=nik, identity_scheme="id-nik", name=f"No {i}"),
                answers={"applicant_type": "person", "floor_area": 20 + (i * 37) % 200},
                documents=[document],
                actor=Actor(id="clerk-rina", roles={"front_office"}),
                idempotency_key=f"counter-ticket-{i:04d}",
            )
        print(f"Schema {schema}: {applications} applications submitted at the counter")
        relaying.start()  # delivers while the workers write
        try:
            tallies = process_in_parallel(url, schema, workers, epoch)
        finally:
            stop.set()  # stop the relay thread, then drain what is left
            relaying.join()
        while (report := relay.run_once()).delivered or report.more:
            pass

        print(f"\n{workers} worker processes, one pool each:")
        for t in tallies:
            print(
                f"  officer-{t.worker} (pid {t.pid}): verified {t.done['verify']}, approved "
                f"{t.done['approve']}, rejected {t.done['reject']}, conflicts retried {t.conflicts}"
            )
        acted = sum(t.done.total() for t in tallies)
        print(f"Total: {acted} actions, {sum(t.conflicts for t in tallies)} conflicts retried")

        rows = store.summaries(SummaryQuery(include_closed=True, limit=1000)).items
        ids = [row.stream_id for row in rows]
        closed = sum(row.closed for row in rows)
        chains = sum(mall.verify(app).ok for app in ids)
        print(f"Applications closed: {closed} of {len(ids)}; hash chains verified: {chains}")

        # Every event of every stream, against the messages the relay delivered.
        events = {f"{app}:{event.version}" for app in ids for event in store.read(app)}
        seen = [message.id for message in inbox.delivered]
        once = sorted(seen) == sorted(events)  # each event's message, and nothing twice
        in_order = [m.position for m in inbox.delivered] == list(range(1, len(events) + 1))
        verdict = f"each exactly once {once}, in position order {in_order}"
        print(f"Relay delivered {len(seen)} messages for {len(events)} events: {verdict}")
        for row in mall.sla_report():
            print(
                f"SLA {row.agency}/{row.service}: on time {row.on_time}, late {row.late}, "
                f"open {row.open}, overdue {row.overdue}"
            )
        return closed == chains == len(ids) == applications and once and in_order


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run in a fresh schema, drop it; 0 if every check passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", nargs="?", default=os.environ.get("ONESTOP_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--applications", type=int, default=40)
    args = parser.parse_args(argv)
    if not args.url:  # argparse's error exits with status 2
        parser.error("no database: set ONESTOP_POSTGRES_URL or give its URL as the argument")
    if args.workers < 2 or not 1 <= args.applications <= MAX_APPLICATIONS:
        parser.error(f"give 2 or more workers and 1 to {MAX_APPLICATIONS} applications")
    schema = SCHEMA_PREFIX + secrets.token_hex(4)
    try:
        ok = run(args.url, schema, args.workers, args.applications)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        print(f"\nSchema {schema} dropped")
    print("All checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
