"""Storage benchmarks: durable actions, reads by id and worklists at scale (issue: storage).

performance.md section 7, goals G4, G5, G8 and G11, on its workload: the 7-state
lifecycle of `bench_workflow` (every fifth application takes the 'returned' loop, so
5.4 actions per application), one role per action, one application row and one audit
record per transaction, an application record of about 13 fields.

Durable actions on SQLite (G4 at ``synchronous=FULL``, G5 at ``NORMAL``), each contender
driving its own applications through the lifecycle in its own database file:

* onestop: `Mall.act` on an application submitted beforehand, over `SQLiteStore`: read
  the stream, decode and fold it, guard, build the events and the read-model row, and
  `SQLiteStore.commit` (optimistic version check, event, read-model upsert, notification,
  ``COMMIT``).  The time spent inside ``commit`` is also reported on its own.
* raw sqlite3 (WAL, same ``synchronous``): read the application row, then ``BEGIN
  IMMEDIATE``, ``UPDATE`` it with a version check, ``INSERT`` an audit row and a
  notification row, ``COMMIT``; the guard is a dict lookup and a role check.
* eventsourcing (its SQLite module; WAL, SQLite's default ``synchronous``): an
  `Aggregate` created with the application record and one event per action;
  ``repository.get``, the guarded command method, ``save``.

The contenders take turns lifecycle step by lifecycle step (every application's first
action for each contender, then every second action, ...), so a burst of load on the
machine does not land on one contender only; each turn is timed with the garbage
collector paused.  Read by id (G8): `Mall.application` against eventsourcing's
``repository.get`` (and a raw primary-key read, for context) over the same applications
once issued, best of three interleaved passes; the mall has kept them folded, so it
checks the newest event only, and a second figure gives a mall that keeps nothing
(``cache_size=0``: read, decode and fold every time).

PostgreSQL (G11), in a fresh schema dropped at the end, only when
``ONESTOP_BENCH_POSTGRES_URL`` (or ``ONESTOP_TEST_POSTGRES_URL``) is set: `Mall.act` on
`PostgresStore`, and the time inside `PostgresStore.commit` alone, against raw psycopg
doing the same transaction (read the row, ``UPDATE`` with a version check, audit and
notification ``INSERT``, ``COMMIT``), taking turns as above; then the same in 1 and in 4
spawned processes on separate applications, each process with its own store.

Worklists at scale: a SQLite file with 10,000, then 100,000, then 1,000,000 applications
(read-model rows and one minimal event each, inserted straight into `SQLiteStore`'s
tables in one transaction per step; that build is timed apart and not counted), and the
median time of the first page (50 rows) of a worklist (one agency; three agencies) and
of the overdue list (`SlaStatus.OVERDUE` at a fixed *now*) through
`SQLiteStore.summaries`; then the same rows in a fresh PostgreSQL schema, through
`PostgresStore.summaries`, when a server is named.  ``--quick`` stops at 100,000.
The worklist code is in ``_worklists.py``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import queue
import secrets
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol
from zoneinfo import ZoneInfo

import attrs
from _benchlib import Result, best_seconds, comparison
from _worklists import POSTGRES_WORKLIST_RESULTS, postgres_worklists, worklists
from bench_workflow import LIFECYCLE, LOOPED, ROLE_OF, STRAIGHT
from eventsourcing.application import Application as EventsourcingApplication
from eventsourcing.domain import Aggregate, event

from onestop.domain.applications.commands import find_workflow
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.ports.events import (
    Commit,
    EventStore,
    IdempotencyRecord,
    Notification,
    Page,
    StoredEvent,
    Summary,
    SummaryQuery,
)
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

HERE = Path(__file__).resolve().parent
CATALOGUE_FILE = HERE / "_storage_mall.toml"
POSTGRES_URL_VARIABLES = ("ONESTOP_BENCH_POSTGRES_URL", "ONESTOP_TEST_POSTGRES_URL")

FULL_APPLICATIONS = 1_000  # per contender, durable actions on SQLite
QUICK_APPLICATIONS = 200
FULL_PG_APPLICATIONS = 300  # per contender and per process, PostgreSQL
QUICK_PG_APPLICATIONS = 100
FULL_SCALES = (10_000, 100_000, 1_000_000)  # --quick stops at the second
PROCESSES = 4
WORKER_TIMEOUT = 600.0  # seconds a PostgreSQL worker process may take

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)  # a Monday morning
SERVICE = "izin-usaha"
APPLICANT = Actor(id="citizen-1", roles=frozenset({"applicant"}))
ACTORS: Mapping[str, Actor] = {
    role: APPLICANT if role == "applicant" else Actor(id=f"{role}-1", roles=frozenset({role}))
    for role in set(ROLE_OF.values())
}
TABLE: Mapping[tuple[str, str], tuple[str, str]] = {
    (source, action): (target, role)
    for action, sources, target, role in LIFECYCLE
    for source in sources
}
"""The raw contenders' workflow: (state, action) -> (target, role)."""

Work = Sequence[tuple[int, str]]
"""One turn of a contender: (application index, action) pairs."""

Synchronous = Literal["FULL", "NORMAL"]
"""The ``PRAGMA synchronous`` levels compared (G4 at FULL, G5 at NORMAL)."""


# --- the workload ----------------------------------------------------------------------


def rounds(count: int) -> list[list[tuple[int, str]]]:
    """Return the turns that take *count* applications to 'issued', step by step.

    Turn *k* holds the *k*-th action of every application whose path is that long;
    every fifth application takes the 'returned' loop, as in `bench_workflow`.
    """
    paths = [LOOPED if i % 5 == 0 else STRAIGHT for i in range(count)]
    return [
        [(i, path[step]) for i, path in enumerate(paths) if step < len(path)]
        for step in range(len(LOOPED))
    ]


def load_mall_catalogue() -> Catalogue:
    """Load the benchmark catalogue and check its workflow is `bench_workflow.LIFECYCLE`."""
    catalogue = load_catalogue(CATALOGUE_FILE)
    workflow = find_workflow(catalogue, "lifecycle")
    found = {(t.action, tuple(t.sources), t.target, tuple(t.roles)) for t in workflow.transitions}
    expected = {(a, s, t, (r,)) for a, s, t, r in LIFECYCLE}
    if found != expected:
        raise AssertionError(f"{CATALOGUE_FILE.name} does not hold bench_workflow.LIFECYCLE")
    return catalogue


class TickingClock:
    """A `onestop.ports.events.Clock` that starts on a Monday morning and moves 1 ms per call."""

    def __init__(self) -> None:
        """Start at `START`."""
        self.current = START

    def now(self) -> datetime:
        """Return the next instant."""
        self.current += timedelta(milliseconds=1)
        return self.current


def _document(code: str, i: int) -> DocumentRef:
    return DocumentRef(
        requirement=code,
        evidence_type=code,
        sha256=f"{i:064x}",
        media_type="application/pdf",
        size=120_000 + i % 1000,
    )


def submit_applications(mall: Mall, count: int) -> list[str]:
    """Submit *count* applications (in 'draft') through *mall*; return their ids."""
    ids: list[str] = []
    for i in range(count):
        receipt = mall.submit(
            SERVICE,
            channel="counter",
            applicant=Person.of(
                identity_number=f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                identity_scheme="id-nik",
                name=f"Applicant {i}",
                phone=f"+62812{i:08d}",
                address=f"Jl. Example No. {i}, Jakarta",
            ),
            answers={"business_name": f"Warung {i}", "floor_area": 36 + i % 50, "notes": ""},
            documents=[_document("ktp", i), _document("npwp", i)],
            actor=APPLICANT,
        )
        ids.append(receipt.application_id)
    return ids


def raw_record(app_id: str, i: int) -> bytes:
    """The raw contenders' application record: about 13 fields, nested, as JSON."""
    at = START + timedelta(minutes=i)
    return json.dumps(
        {
            "id": app_id,
            "service": SERVICE,
            "agency": "dpmptsp",
            "channel": "counter",
            "language": "id",
            "reference": f"dpmptsp/{SERVICE}/2025/{i:06d}",
            "applicant": {
                "name": f"Applicant {i}",
                "national_id": f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                "phone": f"+62812{i:08d}",
                "address": f"Jl. Example No. {i}, Jakarta",
            },
            "documents": [{"code": c, "sha256": f"{i:064x}"} for c in ("ktp", "npwp")],
            "fee": "50000",
            "submitted_at": at.isoformat(),
            "updated_at": at.isoformat(),
            "notes": "",
            "state": "draft",
        },
        separators=(",", ":"),
    ).encode()


def _notice(app_id: str, version: int, action: str, target: str) -> bytes:
    """The raw contenders' thin notification body, like onestop's."""
    return json.dumps(
        {"application": app_id, "version": version, "action": action, "state": target},
        separators=(",", ":"),
    ).encode()


def _guard(state: str, action: str, actor: Actor) -> tuple[str, str]:
    """The raw contenders' guard: the transition's target and the role it needs."""
    target, role = TABLE[(state, action)]
    if role not in actor.roles:
        raise PermissionError(action)
    return target, role


# --- a store that times its commits -----------------------------------------------------


class TimedStore:
    """An `onestop.ports.events.EventStore` that forwards every call and times `commit`."""

    def __init__(self, inner: EventStore) -> None:
        """Wrap *inner*."""
        self.inner = inner
        self.commit_seconds = 0.0
        self.commits = 0

    def commit(self, commit: Commit, /) -> tuple[StoredEvent, ...]:
        """Forward the commit and add its duration to `commit_seconds`."""
        start = time.perf_counter()
        try:
            return self.inner.commit(commit)
        finally:
            self.commit_seconds += time.perf_counter() - start
            self.commits += 1

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        """Forward."""
        return self.inner.read(stream_id, after=after)

    def summary(self, stream_id: str, /) -> Summary | None:
        """Forward."""
        return self.inner.summary(stream_id)

    def find_number(self, number: str, /) -> Summary | None:
        """Forward."""
        return self.inner.find_number(number)

    def summaries(self, query: SummaryQuery, /) -> Page:
        """Forward."""
        return self.inner.summaries(query)

    def idempotency(self, key: str, /) -> IdempotencyRecord | None:
        """Forward."""
        return self.inner.idempotency(key)

    def sequence(self, name: str, /) -> int:
        """Forward."""
        return self.inner.sequence(name)

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Notification, ...]:
        """Forward."""
        return self.inner.notifications(after=after, limit=limit)

    def position(self, consumer: str, /) -> int:
        """Forward."""
        return self.inner.position(consumer)

    def record_position(self, consumer: str, position: int, /) -> None:
        """Forward."""
        self.inner.record_position(consumer, position)

    def close(self) -> None:
        """Forward."""
        self.inner.close()


# --- contenders -------------------------------------------------------------------------


class Contender(Protocol):
    """Something that takes actions on its own applications, one transaction each."""

    def act(self, work: Work) -> None:
        """Take each (application index, action) of *work*, one durable transaction each."""
        ...

    def states(self) -> list[str]:
        """Return every application's current state, by index."""
        ...

    def close(self) -> None:
        """Release what it holds."""
        ...


class OnestopActs:
    """`Mall.act` over a store wrapped in `TimedStore`."""

    def __init__(self, store: TimedStore, mall: Mall, ids: Sequence[str]) -> None:
        """Drive the applications *ids* of *mall*, whose store is *store*."""
        self.store = store
        self.mall = mall
        self.ids = list(ids)

    @classmethod
    def sqlite(cls, path: Path, *, synchronous: Synchronous, count: int) -> OnestopActs:
        """Open a `SQLiteStore` at *path* with *count* submitted applications.

        They are submitted at ``synchronous=NORMAL`` to save time, then the store is
        reopened at *synchronous* for the timed actions.
        """
        catalogue = load_mall_catalogue()
        clock = TickingClock()
        with SQLiteStore.open(path, synchronous="NORMAL") as setup:
            ids = submit_applications(Mall(catalogue=catalogue, store=setup, clock=clock), count)
        store = TimedStore(SQLiteStore.open(path, synchronous=synchronous))
        return cls(store, Mall(catalogue=catalogue, store=store, clock=clock), ids)

    def act(self, work: Work) -> None:
        """Take each action with `Mall.act`."""
        act, ids = self.mall.act, self.ids
        for i, action in work:
            act(ids[i], action, actor=ACTORS[ROLE_OF[action]])

    def get_all(self) -> None:
        """Load every application with `Mall.application` (kept ones are checked, not decoded)."""
        application = self.mall.application
        for app_id in self.ids:
            application(app_id)

    def get_all_cold(self) -> None:
        """Load every application with a mall that keeps nothing: read, decode and fold."""
        application = attrs.evolve(self.mall, cache_size=0).application
        for app_id in self.ids:
            application(app_id)

    def states(self) -> list[str]:
        """Return each application's state, from the read model."""
        rows = [self.store.summary(app_id) for app_id in self.ids]
        return [row.state if row is not None else "missing" for row in rows]

    def close(self) -> None:
        """Close the store."""
        self.store.close()


class RawSQLiteActs:
    """Plain `sqlite3`: an application table, an audit table and a notification table."""

    SCHEMA = (
        (
            "CREATE TABLE applications (id TEXT PRIMARY KEY, state TEXT NOT NULL,"
            " version INTEGER NOT NULL, record BLOB NOT NULL, updated_at INTEGER NOT NULL) STRICT"
        ),
        (
            "CREATE TABLE audit (id INTEGER PRIMARY KEY, application_id TEXT NOT NULL,"
            " version INTEGER NOT NULL, action TEXT NOT NULL, source TEXT NOT NULL,"
            " target TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,"
            " at INTEGER NOT NULL) STRICT"
        ),
        (
            "CREATE TABLE notifications (position INTEGER PRIMARY KEY,"
            " application_id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,"
            " body BLOB NOT NULL) STRICT"
        ),
    )

    INSERT = (
        "INSERT INTO applications (id, state, version, record, updated_at)"
        " VALUES (?, 'draft', 1, ?, 0)"
    )

    def __init__(self, path: Path, *, synchronous: Synchronous, count: int) -> None:
        """Create the tables at *path* with *count* applications in 'draft'."""
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(f"PRAGMA synchronous={synchronous}")
        for statement in self.SCHEMA:
            self.connection.execute(statement)
        self.ids = [f"app-{i:07d}" for i in range(count)]
        self.connection.execute("BEGIN")
        self.connection.executemany(
            self.INSERT, [(app_id, raw_record(app_id, i)) for i, app_id in enumerate(self.ids)]
        )
        self.connection.execute("COMMIT")

    def act(self, work: Work) -> None:
        """Take each action in one transaction: read, guarded update, audit, notification."""
        execute = self.connection.execute
        for i, action in work:
            app_id = self.ids[i]
            actor = ACTORS[ROLE_OF[action]]
            state, version, _record = execute(
                "SELECT state, version, record FROM applications WHERE id = ?", (app_id,)
            ).fetchone()
            target, role = _guard(state, action, actor)
            at = time.time_ns() // 1000
            execute("BEGIN IMMEDIATE")
            updated = execute(*self.update(app_id, version, state, target, at))
            if updated.rowcount != 1:
                execute("ROLLBACK")
                raise RuntimeError(f"{app_id} changed under the raw contender")
            execute(
                "INSERT INTO audit (application_id, version, action, source, target, actor,"
                " role, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (app_id, version + 1, action, state, target, actor.id, role, at),
            )
            execute(
                "INSERT INTO notifications (application_id, version, kind, body)"
                " VALUES (?, ?, 'action_taken', ?)",
                (app_id, version + 1, _notice(app_id, version + 1, action, target)),
            )
            execute("COMMIT")

    def update(
        self, app_id: str, version: int, source: str, target: str, at: int
    ) -> tuple[str, tuple[object, ...]]:
        """The guarded ``UPDATE`` of the application row for one action, and its parameters."""
        statement = (
            "UPDATE applications SET state = ?, version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = ?"
        )
        return statement, (target, at, app_id, version)

    def get_all(self) -> None:
        """Read every application's row by primary key."""
        execute = self.connection.execute
        for app_id in self.ids:
            execute(
                "SELECT id, state, version, record, updated_at FROM applications WHERE id = ?",
                (app_id,),
            ).fetchone()

    def states(self) -> list[str]:
        """Return each application's state."""
        found = dict(self.connection.execute("SELECT id, state FROM applications"))
        return [found[app_id] for app_id in self.ids]

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


NO_DUE = 2**63 - 1
"""The raw indexed contender's ``due_key`` for a row without a due date, as onestop's."""
RESUMED_DUE_US = 5 * 86_400_000_000
"""How far after a resubmission the raw indexed contender puts the new due date."""


class RawIndexedSQLiteActs(RawSQLiteActs):
    """`RawSQLiteActs` with the indexes onestop's read model and history keep up to date.

    The same transaction on tables that can also answer what onestop's store answers:
    worklists by due date, agency, state and assignee, changes since an instant (the
    same five indexes as onestop's ``summaries``), and one application's history (an
    index on the audit rows by application and version).  Its ``UPDATE`` sets the
    columns onestop's read model changes in the same action, and only those: the state
    and the update instant always; the due date when the clock pauses ('returned') or
    runs again (from 'returned'); the closed flag and the due date on 'issued'.
    """

    SCHEMA = (
        (
            "CREATE TABLE applications (id TEXT PRIMARY KEY, state TEXT NOT NULL,"
            " version INTEGER NOT NULL, record BLOB NOT NULL, updated_at INTEGER NOT NULL,"
            " agency TEXT NOT NULL, assignee TEXT, closed INTEGER NOT NULL,"
            " due_key INTEGER NOT NULL) STRICT"
        ),
        "CREATE INDEX applications_by_due ON applications (closed, due_key, id)",
        "CREATE INDEX applications_by_agency ON applications (agency, closed, due_key, id)",
        "CREATE INDEX applications_by_state ON applications (state, closed, due_key, id)",
        "CREATE INDEX applications_by_assignee ON applications (assignee, closed, due_key, id)",
        "CREATE INDEX applications_by_update ON applications (updated_at, id)",
        RawSQLiteActs.SCHEMA[1],
        "CREATE INDEX audit_by_application ON audit (application_id, version)",
        RawSQLiteActs.SCHEMA[2],
    )
    INSERT = (
        "INSERT INTO applications (id, state, version, record, updated_at, agency, assignee,"
        " closed, due_key) VALUES (?1, 'draft', 1, ?2, 0, 'dpmptsp', NULL, 0,"
        " 1752476400000000 + CAST(substr(?1, 5) AS INTEGER) * 60000000)"
    )

    def update(
        self, app_id: str, version: int, source: str, target: str, at: int
    ) -> tuple[str, tuple[object, ...]]:
        """The guarded ``UPDATE``, with the due date and closed flag when they change."""
        sets, values = ["state = ?", "updated_at = ?"], [target, at]
        if target == "issued":
            sets += ["closed = 1", "due_key = ?"]
            values.append(NO_DUE)
        elif target == "returned":
            sets.append("due_key = ?")
            values.append(NO_DUE)
        elif source == "returned":
            sets.append("due_key = ?")
            values.append(at + RESUMED_DUE_US)
        statement = (
            f"UPDATE applications SET {', '.join(sets)}, version = version + 1"  # noqa: S608
            " WHERE id = ? AND version = ?"
        )
        return statement, (*values, app_id, version)


class Licence(Aggregate):
    """The eventsourcing contender's application: created with its record, one event per action.

    It is defined at module level because eventsourcing finds event classes by topic
    (module and qualified name) when it reconstructs an aggregate.
    """

    @event("Submitted")
    def __init__(
        self,
        number: str,
        service: str,
        agency: str,
        channel: str,
        language: str,
        reference: str,
        applicant: dict[str, str],
        documents: list[dict[str, str]],
        fee: Decimal,
        submitted_at: datetime,
        updated_at: datetime,
        notes: str,
    ) -> None:
        self.number = number
        self.service = service
        self.agency = agency
        self.channel = channel
        self.language = language
        self.reference = reference
        self.applicant = applicant
        self.documents = documents
        self.fee = fee
        self.submitted_at = submitted_at
        self.updated_at = updated_at
        self.notes = notes
        self.state = "draft"

    def take(self, action: str, actor: Actor) -> None:
        """Guard *action* as the raw contenders do, and record it as one event."""
        target, role = _guard(self.state, action, actor)
        self.taken(action=action, source=self.state, target=target, actor=actor.id, role=role)

    @event("ActionTaken")
    def taken(self, action: str, source: str, target: str, actor: str, role: str) -> None:
        """Apply an action taken: the audit record."""
        self.state = target


class EventsourcingActs:
    """The `eventsourcing` library on its SQLite module: load, change, save."""

    def __init__(self, path: Path, *, count: int) -> None:
        """Create *count* aggregates at *path*, saved in one transaction."""
        self.application: EventsourcingApplication[Any] = EventsourcingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        )
        aggregates = [
            Licence(
                number=f"dpmptsp/{SERVICE}/2025/{i:06d}",
                service=SERVICE,
                agency="dpmptsp",
                channel="counter",
                language="id",
                reference=f"MPP/{i:07d}/2025",
                applicant={
                    "name": f"Applicant {i}",
                    "national_id": f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                    "phone": f"+62812{i:08d}",
                    "address": f"Jl. Example No. {i}, Jakarta",
                },
                documents=[{"code": c, "sha256": f"{i:064x}"} for c in ("ktp", "npwp")],
                fee=Decimal(50_000),
                submitted_at=START + timedelta(minutes=i),
                updated_at=START + timedelta(minutes=i),
                notes="",
            )
            for i in range(count)
        ]
        self.application.save(*aggregates)
        self.ids = [aggregate.id for aggregate in aggregates]
        # A new connection gets what the library's connections get (it sets WAL only).
        with contextlib.closing(sqlite3.connect(path)) as probe:
            level = probe.execute("PRAGMA synchronous").fetchone()[0]
            journal = probe.execute("PRAGMA journal_mode").fetchone()[0]
        names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        self.settings = f"{str(journal).upper()}, synchronous={names.get(level, level)}"

    def act(self, work: Work) -> None:
        """Take each action: ``repository.get``, the guarded command, ``save``."""
        get, save, ids = self.application.repository.get, self.application.save, self.ids
        for i, action in work:
            licence: Licence = get(ids[i])
            licence.take(action, ACTORS[ROLE_OF[action]])
            save(licence)

    def get_all(self) -> None:
        """Load every aggregate with ``repository.get``."""
        get = self.application.repository.get
        for aggregate_id in self.ids:
            get(aggregate_id)

    def states(self) -> list[str]:
        """Return each aggregate's state."""
        get = self.application.repository.get
        return [get(aggregate_id).state for aggregate_id in self.ids]

    def close(self) -> None:
        """Close the application's database connections."""
        self.application.close()


# --- PostgreSQL contenders --------------------------------------------------------------


class RawPostgresActs:
    """Raw psycopg: the same transaction as `RawSQLiteActs`, on tables in *schema*."""

    def __init__(self, url: str, schema: str, ids: Sequence[str]) -> None:
        """Connect (not in autocommit: the first statement opens the transaction)."""
        import psycopg
        from psycopg import sql

        self.connection = psycopg.connect(url)
        self.ids = list(ids)
        name = sql.Identifier(schema)
        self.statements = {
            key: text.format(name).as_string(self.connection)
            for key, text in {
                "select": sql.SQL(
                    "SELECT state, version, record FROM {}.raw_applications WHERE id = %s"
                ),
                "update": sql.SQL(
                    "UPDATE {}.raw_applications SET state = %s, version = version + 1,"
                    " updated_at = now() WHERE id = %s AND version = %s"
                ),
                "audit": sql.SQL(
                    "INSERT INTO {}.raw_audit (application_id, version, action, source, target,"
                    " actor, role, at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())"
                ),
                "notify": sql.SQL(
                    "INSERT INTO {}.raw_notifications (application_id, version, kind, body)"
                    " VALUES (%s, %s, 'action_taken', %s)"
                ),
                "states": sql.SQL("SELECT id, state FROM {}.raw_applications WHERE id = ANY(%s)"),
            }.items()
        }

    @staticmethod
    def create(url: str, schema: str, ids: Sequence[str]) -> None:
        """Create the raw tables in *schema* (which must exist) with *ids* in 'draft'."""
        import psycopg
        from psycopg import sql

        name = sql.Identifier(schema)
        with psycopg.connect(url, autocommit=True) as connection:
            for statement in (
                sql.SQL(
                    "CREATE TABLE {}.raw_applications (id text PRIMARY KEY, state text NOT NULL,"
                    " version bigint NOT NULL, record bytea NOT NULL, updated_at timestamptz)"
                ),
                sql.SQL(
                    "CREATE TABLE {}.raw_audit (id bigint GENERATED ALWAYS AS IDENTITY"
                    " PRIMARY KEY, application_id text NOT NULL, version bigint NOT NULL,"
                    " action text NOT NULL, source text NOT NULL, target text NOT NULL,"
                    " actor text NOT NULL, role text NOT NULL, at timestamptz NOT NULL)"
                ),
                sql.SQL(
                    "CREATE TABLE {}.raw_notifications (position bigint GENERATED ALWAYS AS"
                    " IDENTITY PRIMARY KEY, application_id text NOT NULL,"
                    " version bigint NOT NULL, kind text NOT NULL, body bytea NOT NULL)"
                ),
            ):
                connection.execute(statement.format(name))
            with connection.cursor() as cursor:
                cursor.executemany(
                    sql.SQL(
                        "INSERT INTO {}.raw_applications VALUES (%s, 'draft', 1, %s, now())"
                    ).format(name),
                    [(app_id, raw_record(app_id, i)) for i, app_id in enumerate(ids)],
                )

    def act(self, work: Work) -> None:
        """Take each action in one transaction: read, guarded update, audit, notification."""
        connection, statements = self.connection, self.statements
        with connection.cursor() as cursor:
            for i, action in work:
                app_id = self.ids[i]
                actor = ACTORS[ROLE_OF[action]]
                row = cursor.execute(statements["select"], (app_id,)).fetchone()
                assert row is not None  # noqa: S101 - the rows were created beforehand
                state, version, _record = row
                target, role = _guard(state, action, actor)
                cursor.execute(statements["update"], (target, app_id, version))
                if cursor.rowcount != 1:
                    connection.rollback()
                    raise RuntimeError(f"{app_id} changed under the raw contender")
                cursor.execute(
                    statements["audit"],
                    (app_id, version + 1, action, state, target, actor.id, role),
                )
                cursor.execute(
                    statements["notify"],
                    (app_id, version + 1, _notice(app_id, version + 1, action, target)),
                )
                connection.commit()

    def states(self) -> list[str]:
        """Return each application's state."""
        with self.connection.cursor() as cursor:
            rows = cursor.execute(self.statements["states"], (self.ids,)).fetchall()
        found: dict[str, str] = dict(rows)
        self.connection.commit()
        return [found[app_id] for app_id in self.ids]

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def onestop_postgres(url: str, schema: str, ids: Sequence[str]) -> OnestopActs:
    """Return `Mall.act` over a `PostgresStore` (one connection) in *schema*."""
    from onestop.storage.postgres import PostgresStore

    store = TimedStore(PostgresStore.connect(url, schema=schema, min_size=1, max_size=1))
    mall = Mall(catalogue=load_mall_catalogue(), store=store, clock=TickingClock())
    return OnestopActs(store, mall, ids)


# --- taking turns -----------------------------------------------------------------------


def take_turns(contenders: Mapping[str, Contender], count: int) -> dict[str, float]:
    """Drive every contender's *count* applications to 'issued'; return the seconds each took.

    The contenders take turns lifecycle step by lifecycle step; each turn is timed with
    the garbage collector paused.
    """
    seconds = dict.fromkeys(contenders, 0.0)
    for work in rounds(count):
        for name, contender in contenders.items():
            seconds[name] += best_seconds(functools.partial(contender.act, work), repeats=1)
    for name, contender in contenders.items():
        states = contender.states()
        if len(states) != count or set(states) != {"issued"}:
            raise AssertionError(f"{name} did not take every application to 'issued'")
    return seconds


def actions(count: int) -> int:
    """How many actions take *count* applications through the lifecycle."""
    return sum(len(work) for work in rounds(count))


# --- SQLite: durable actions and reads by id --------------------------------------------


def sqlite_actions(count: int, directory: Path) -> list[Result]:
    """G4, G5 and G8 on SQLite, each contender on *count* applications of its own."""
    with contextlib.ExitStack() as stack:
        full = OnestopActs.sqlite(directory / "onestop-full.db", synchronous="FULL", count=count)
        stack.callback(full.close)
        raw_full = RawSQLiteActs(directory / "raw-full.db", synchronous="FULL", count=count)
        stack.callback(raw_full.close)
        peer = EventsourcingActs(directory / "eventsourcing.db", count=count)
        stack.callback(peer.close)
        normal = OnestopActs.sqlite(
            directory / "onestop-normal.db", synchronous="NORMAL", count=count
        )
        stack.callback(normal.close)
        raw_normal = RawSQLiteActs(directory / "raw-normal.db", synchronous="NORMAL", count=count)
        stack.callback(raw_normal.close)
        indexed_full = RawIndexedSQLiteActs(
            directory / "raw-indexed-full.db", synchronous="FULL", count=count
        )
        stack.callback(indexed_full.close)
        indexed_normal = RawIndexedSQLiteActs(
            directory / "raw-indexed-normal.db", synchronous="NORMAL", count=count
        )
        stack.callback(indexed_normal.close)
        seconds = take_turns(
            {
                "onestop FULL": full,
                "raw FULL": raw_full,
                "raw indexed FULL": indexed_full,
                "eventsourcing": peer,
                "onestop NORMAL": normal,
                "raw NORMAL": raw_normal,
                "raw indexed NORMAL": indexed_normal,
            },
            count,
        )
        readers: dict[str, Callable[[], None]] = {
            "onestop": full.get_all,
            "onestop cold": full.get_all_cold,
            "eventsourcing": peer.get_all,
            "raw": raw_full.get_all,
        }
        best = dict.fromkeys(readers, float("inf"))
        for _ in range(3):
            for name, read in readers.items():
                best[name] = min(best[name], best_seconds(read, repeats=1))
    done = actions(count)
    rate = {name: done / spent for name, spent in seconds.items()}
    commit_rate = {
        "FULL": full.store.commits / full.store.commit_seconds,
        "NORMAL": normal.store.commits / normal.store.commit_seconds,
    }
    gets = {name: count / spent for name, spent in best.items()}
    unit = "actions/s"
    raw_txn = "read row; UPDATE with version check + audit INSERT + notification INSERT; COMMIT"
    return [
        comparison(
            "storage.sqlite_full_act_vs_raw",
            value=rate["onestop FULL"],
            unit=unit,
            peer=f"raw sqlite3, WAL, synchronous=FULL: {raw_txn}",
            peer_value=rate["raw FULL"],
            at_least=0.75,
        ),
        comparison(
            "storage.sqlite_full_act_vs_eventsourcing",
            value=rate["onestop FULL"],
            unit=unit,
            peer=f"eventsourcing on SQLite ({peer.settings}): repository.get + command + save",
            peer_value=rate["eventsourcing"],
            at_least=2.0,
        ),
        comparison(
            "storage.sqlite_full_commit_vs_raw",
            value=commit_rate["FULL"],
            unit="commits/s",
            peer="raw sqlite3 transaction at FULL (SQLiteStore.commit's share of Mall.act)",
            peer_value=rate["raw FULL"],
        ),
        comparison(
            "storage.sqlite_normal_act_vs_raw",
            value=rate["onestop NORMAL"],
            unit=unit,
            peer=f"raw sqlite3, WAL, synchronous=NORMAL: {raw_txn}",
            peer_value=rate["raw NORMAL"],
            at_least=0.35,
        ),
        comparison(
            "storage.sqlite_normal_commit_vs_raw",
            value=commit_rate["NORMAL"],
            unit="commits/s",
            peer="raw sqlite3 transaction at NORMAL (SQLiteStore.commit's share of Mall.act)",
            peer_value=rate["raw NORMAL"],
        ),
        comparison(
            "storage.sqlite_full_act_vs_raw_indexed",
            value=rate["onestop FULL"],
            unit=unit,
            peer=f"raw sqlite3 at FULL, {raw_txn}, on tables with onestop's worklist and"
            " history indexes",
            peer_value=rate["raw indexed FULL"],
        ),
        comparison(
            "storage.sqlite_normal_act_vs_raw_indexed",
            value=rate["onestop NORMAL"],
            unit=unit,
            peer=f"raw sqlite3 at NORMAL, {raw_txn}, on tables with onestop's worklist and"
            " history indexes",
            peer_value=rate["raw indexed NORMAL"],
        ),
        comparison(
            "storage.get_vs_eventsourcing",
            value=gets["onestop"],
            unit="gets/s",
            peer="eventsourcing repository.get (same applications, 6 or 8 events each)",
            peer_value=gets["eventsourcing"],
            at_least=8.0,
        ),
        comparison(
            "storage.get_cold_vs_eventsourcing",
            value=gets["onestop cold"],
            unit="gets/s",
            peer="eventsourcing repository.get (onestop with cache_size=0: read, decode, fold)",
            peer_value=gets["eventsourcing"],
        ),
        comparison(
            "storage.get_vs_raw_point_read",
            value=gets["onestop"],
            unit="gets/s",
            peer="raw sqlite3 SELECT of the application row by primary key (no decoding)",
            peer_value=gets["raw"],
        ),
    ]


# --- PostgreSQL -------------------------------------------------------------------------


POSTGRES_RESULTS = (
    "storage.postgres_commit_vs_raw",
    "storage.postgres_act_vs_raw",
    "storage.postgres_4proc_vs_1proc",
    "storage.postgres_4proc_vs_raw_4proc",
    "storage.postgres_raw_4proc_vs_1proc",
    "storage.postgres_commit_ms_4proc_vs_1proc",
)


def postgres_url() -> str | None:
    """The PostgreSQL server to use, from the environment, or ``None``."""
    return next((os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None)


def _skipped(names: Sequence[str], why: str) -> list[Result]:
    return [Result(name=name, value=0.0, unit="skipped", peer=f"skipped: {why}") for name in names]


def _worker(
    kind: str, url: str, schema: str, ids: list[str], go: Event, messages: Queue[Any]
) -> None:
    """Set up, say "ready", wait for *go*, drive *ids* to 'issued', say "done" with the count.

    Every message on *messages* is a tuple whose first item is "ready", "done" or
    "error"; an error carries the worker's traceback.
    """
    contender: Contender | None = None
    try:
        if kind == "onestop":
            contender = onestop_postgres(url, schema, ids)
        else:
            contender = RawPostgresActs(url, schema, ids)
        messages.put(("ready",))
        if go.wait(timeout=WORKER_TIMEOUT):  # else the parent gave up long ago
            for work in rounds(len(ids)):
                contender.act(work)
            timed = contender.store if isinstance(contender, OnestopActs) else None
            spent = (timed.commit_seconds, timed.commits) if timed is not None else (0.0, 0)
            messages.put(("done", actions(len(ids)), *spent))
    except BaseException:
        messages.put(("error", traceback.format_exc()))
        raise
    finally:
        if contender is not None:
            contender.close()


def _gather(
    messages: Queue[Any], workers: Sequence[BaseProcess], expected: str, kind: str
) -> list[tuple[Any, ...]]:
    """Return one *expected* message per worker; raise if one fails, dies or times out."""
    received: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + WORKER_TIMEOUT
    while len(received) < len(workers):
        try:
            message = messages.get(timeout=0.5)
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise RuntimeError(f"a {kind} worker died before saying {expected!r}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} workers took too long") from None
            continue
        if message[0] != expected:
            raise RuntimeError(f"a {kind} worker failed:\n{message[-1]}")
        received.append(message)
    return received


class ProcessRun(NamedTuple):
    """What `in_processes` measured."""

    rate: float
    """Actions per second, all processes together."""
    commit_ms: float
    """The mean time of one `PostgresStore.commit` (0 for the raw contender)."""


def in_processes(kind: str, url: str, schema: str, groups: Sequence[list[str]]) -> ProcessRun:
    """Run one spawned process per group of ids, started together, and measure them.

    The clock runs from the moment every worker is set up (connected, catalogue loaded)
    and told to go, to the moment the last one reports that it is done.
    """
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    messages: Queue[Any] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(kind, url, schema, ids, go, messages))
        for ids in groups
    ]
    for worker in workers:
        worker.start()
    try:
        _gather(messages, workers, "ready", kind)
        start = time.perf_counter()
        go.set()
        done = _gather(messages, workers, "done", kind)
        elapsed = time.perf_counter() - start
    except BaseException:
        for worker in workers:
            worker.terminate()
        raise
    finally:
        for worker in workers:
            worker.join(timeout=60)
    commits = sum(message[3] for message in done)
    return ProcessRun(
        rate=sum(message[1] for message in done) / elapsed,
        commit_ms=1000 * sum(message[2] for message in done) / commits if commits else 0.0,
    )


def postgres(count: int, url: str) -> list[Result]:
    """G11 in a fresh schema of the database at *url*, dropped at the end."""
    import psycopg
    from psycopg import sql

    from onestop.storage.postgres import PostgresStore

    schema = f"onestop_bench_{secrets.token_hex(4)}"
    try:
        with PostgresStore.connect(url, schema=schema, min_size=1, max_size=1) as store:
            mall = Mall(catalogue=load_mall_catalogue(), store=store, clock=TickingClock())
            ids = submit_applications(mall, count * (2 + PROCESSES))
        mine, single, groups = ids[:count], ids[count : 2 * count], ids[2 * count :]
        four = [groups[k * count : (k + 1) * count] for k in range(PROCESSES)]
        raw_ids = [f"raw-{i:07d}" for i in range(count * (2 + PROCESSES))]
        raw_mine, raw_single = raw_ids[:count], raw_ids[count : 2 * count]
        raw_four = [raw_ids[(2 + k) * count : (3 + k) * count] for k in range(PROCESSES)]
        RawPostgresActs.create(url, schema, raw_ids)

        onestop = onestop_postgres(url, schema, mine)
        raw = RawPostgresActs(url, schema, raw_mine)
        try:
            seconds = take_turns({"onestop": onestop, "raw": raw}, count)
        finally:
            onestop.close()
            raw.close()
        done = actions(count)
        act_rate = done / seconds["onestop"]
        raw_rate = done / seconds["raw"]
        commit_rate = onestop.store.commits / onestop.store.commit_seconds

        one = in_processes("onestop", url, schema, [single])
        many = in_processes("onestop", url, schema, four)
        raw_one = in_processes("raw", url, schema, [raw_single])
        raw_many = in_processes("raw", url, schema, raw_four)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
    raw_txn = (
        "raw psycopg: SELECT row; UPDATE, version checked; audit + notification INSERT; COMMIT"
    )
    return [
        comparison(
            "storage.postgres_commit_vs_raw",
            value=commit_rate,
            unit="commits/s",
            peer=f"{raw_txn} (1 connection; PostgresStore.commit timed inside Mall.act)",
            peer_value=raw_rate,
            at_least=0.70,
        ),
        comparison(
            "storage.postgres_act_vs_raw",
            value=act_rate,
            unit="actions/s",
            peer=f"{raw_txn} (1 connection)",
            peer_value=raw_rate,
        ),
        comparison(
            "storage.postgres_4proc_vs_1proc",
            value=many.rate,
            unit="actions/s",
            peer=f"Mall.act in 1 process (onestop in {PROCESSES} processes, separate applications)",
            peer_value=one.rate,
            at_least=3.0,
        ),
        comparison(
            "storage.postgres_4proc_vs_raw_4proc",
            value=many.rate,
            unit="actions/s",
            peer=f"{raw_txn}, in {PROCESSES} processes",
            peer_value=raw_many.rate,
            at_least=0.70,
        ),
        comparison(
            "storage.postgres_raw_4proc_vs_1proc",
            value=raw_many.rate,
            unit="actions/s",
            peer=f"raw psycopg in 1 process (raw in {PROCESSES}): what the machine allows",
            peer_value=raw_one.rate,
        ),
        comparison(
            "storage.postgres_commit_ms_4proc_vs_1proc",
            value=many.commit_ms,
            unit="ms per PostgresStore.commit (mean)",
            peer=f"the same in 1 process (onestop in {PROCESSES}): waits on the log head, CPU",
            peer_value=one.commit_ms,
        ),
    ]


# --- the module's entry point -----------------------------------------------------------


def run(quick: bool, size: int | None = None) -> list[Result]:
    """Run the storage benchmarks.

    By default each SQLite contender drives 1,000 applications through the lifecycle
    (200 if *quick*), each PostgreSQL contender and process 300 (100 if *quick*), and
    the worklists are timed at 10,000, 100,000 and 1,000,000 applications (*quick*
    stops at 100,000).  A *size* sets the SQLite contenders' applications; PostgreSQL
    then uses a tenth of it (at least 5), and the worklists *size*, ten and (without
    *quick*) a hundred times *size*.
    """
    if size is None:
        count = QUICK_APPLICATIONS if quick else FULL_APPLICATIONS
        pg_count = QUICK_PG_APPLICATIONS if quick else FULL_PG_APPLICATIONS
        full_scales: Sequence[int] = FULL_SCALES
    else:
        count = max(size, 10)
        pg_count = max(size // 10, 5)
        full_scales = (count, 10 * count, 100 * count)
    scales = full_scales[:2] if quick else full_scales
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="onestop-bench-") as name:
        directory = Path(name)
        results.extend(sqlite_actions(count, directory))
        url = postgres_url()
        why = " or ".join(POSTGRES_URL_VARIABLES) + " is not set"
        if url is None:
            results.extend(_skipped(POSTGRES_RESULTS, why))
        else:
            results.extend(postgres(pg_count, url))
        repeats = 15 if quick else 31
        results.extend(worklists(scales, directory, repeats=repeats, full_scale=full_scales[-1]))
        if url is None:
            results.extend(_skipped(POSTGRES_WORKLIST_RESULTS, why))
        else:
            results.extend(
                postgres_worklists(scales, url, repeats=repeats, full_scale=full_scales[-1])
            )
    return results
