"""Worklists at scale, on SQLite and PostgreSQL (private to `bench_storage`).

The read model is grown to 10,000, 100,000 and 1,000,000 applications (``--quick``
stops at 100,000) and the first page (50 rows) of each query in `WORKLISTS` is timed
through the store's own `summaries`: the median of several runs after three to warm
the caches.  The rows go straight into the store's tables (its schema, made by opening
the store): in one SQLite transaction at ``synchronous=OFF``, or with PostgreSQL's
``COPY`` and then ``ANALYZE``; that build is timed apart and not counted.  Both
databases get the same rows from the same seeded generator.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from _benchlib import Result, comparison

from onestop.domain.time.sla import SlaStatus
from onestop.ports.events import Page, SummaryOrder, SummaryQuery
from onestop.storage.sqlite import SQLiteStore

SERVICE = "izin-usaha"
PAGE_BUDGET_MS = 50.0
SUMMARY_COLUMNS = (
    "stream_id",
    "number",
    "service",
    "service_version",
    "agency",
    "channel",
    "state",
    "assignee",
    "received",
    "due",
    "at_risk_from",
    "suspended",
    "closed",
    "version",
    "updated_at",
)


class Pages(Protocol):
    """A store's worklist query, all these benchmarks use."""

    def summaries(self, query: SummaryQuery, /) -> Page:
        """One page of read-model rows."""
        ...


AGENCIES = tuple(f"agency-{k:02d}" for k in range(20))
OPEN_STATES = ("submitted", "verified", "returned", "processing", "approved")
OFFICERS = tuple(f"officer-{k:02d}" for k in range(40))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400_000_000  # microseconds
_NOW_US = (NOW - _EPOCH) // timedelta(microseconds=1)
CLOSED_SHARE = 0.6

SUMMARY_INSERT = (
    f"INSERT INTO summaries ({', '.join(SUMMARY_COLUMNS)})"  # noqa: S608 - constant names
    f" VALUES ({', '.join('?' * len(SUMMARY_COLUMNS))})"
)
EVENT_INSERT = (
    "INSERT INTO events (position, stream_id, version, kind, body, hash, previous_hash,"
    " notice, recorded_at) VALUES (?, ?, 1, 'submitted', ?, ?, ?, ?, ?)"
)
GENESIS = "0" * 64
EVENT_BODY = b'{"kind":"submitted"}'

WORKLISTS: Mapping[str, SummaryQuery] = {
    "worklist_one_agency": SummaryQuery(agencies=AGENCIES[:1], order=SummaryOrder.DUE, limit=50),
    "worklist_three_agencies": SummaryQuery(
        agencies=AGENCIES[:3], order=SummaryOrder.DUE, limit=50
    ),
    "overdue": SummaryQuery(sla=SlaStatus.OVERDUE, now=NOW, order=SummaryOrder.DUE, limit=50),
}
"""The first-page queries timed at each scale."""


def _rows(rng: random.Random, start: int, stop: int) -> Iterator[tuple[object, ...]]:
    """Read-model rows *start* to *stop*: 60% closed, the open ones received in the last 40 days.

    Instants are microseconds since the epoch, in UTC, as `SQLiteStore` keeps them.
    Open applications are due 7 to 21 days after receipt (so about half of them are
    overdue at `NOW`), except those 'returned' to the applicant, whose clock is paused.
    """
    for i in range(start, stop):
        stream_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        closed = rng.random() < CLOSED_SHARE
        due: int | None = None
        if closed:
            received = _NOW_US - rng.randrange(40 * _DAY, 400 * _DAY)
            state = "issued"
        else:
            received = _NOW_US - rng.randrange(40 * _DAY)
            state = rng.choice(OPEN_STATES)
            if state != "returned":
                due = received + rng.randrange(7 * _DAY, 21 * _DAY)
        assignee = rng.choice(OFFICERS) if rng.random() < 0.3 else None
        yield (
            stream_id,
            f"{SERVICE}/{i:08d}",
            SERVICE,
            1,
            rng.choice(AGENCIES),
            "counter",
            state,
            assignee,
            received,
            due,
            None if due is None else due - 2 * _DAY,
            0,
            int(closed),
            1,
            received + rng.randrange(_DAY),
        )


def grow(path: Path, rng: random.Random, start: int, stop: int) -> None:
    """Add applications *start* to *stop* to the store at *path*, in one transaction.

    Read-model rows and one minimal event per application go straight into the store's
    own tables (its schema, created by `SQLiteStore.open`), with ``synchronous=OFF``
    for the build only.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB
        connection.execute("BEGIN")
        rows = list(_rows(rng, start, stop))
        connection.executemany(SUMMARY_INSERT, rows)
        connection.executemany(
            EVENT_INSERT,
            (
                (start + k + 1, row[0], EVENT_BODY, f"{start + k:064x}", GENESIS, b"{}", row[8])
                for k, row in enumerate(rows)
            ),
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _median_ms(store: Pages, query: SummaryQuery, repeats: int) -> float:
    for _ in range(3):  # warm the page cache
        store.summaries(query)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        page = store.summaries(query)
        times.append(time.perf_counter() - start)
        if len(page.items) > query.limit:
            raise AssertionError("a page longer than its limit")
    return statistics.median(times) * 1000


def worklists(
    scales: Sequence[int], directory: Path, *, repeats: int, full_scale: int
) -> list[Result]:
    """Time the first page of each query in `WORKLISTS` at each of *scales* applications.

    *full_scale* is the largest scale of the full run, named in the units when *scales*
    stop short of it.
    """
    path = directory / "worklist.sqlite3"
    SQLiteStore.open(path).close()  # creates the schema
    rng = random.Random(20250714)
    built = 0
    build_seconds = 0.0
    medians: dict[str, dict[int, float]] = {name: {} for name in WORKLISTS}
    for scale in scales:
        start = time.perf_counter()
        grow(path, rng, built, scale)
        build_seconds += time.perf_counter() - start
        built = scale
        with SQLiteStore.open(path) as store:
            first = store.summaries(SummaryQuery(include_closed=True, limit=1)).items
            if not first or len(store.read(first[0].stream_id)) != 1:
                raise AssertionError("the worklist build does not match the store's schema")
            for name, query in WORKLISTS.items():
                medians[name][scale] = _median_ms(store, query, repeats)
    return _scale_results("storage.", medians, scales, full_scale, build_seconds)


def _scale_results(
    prefix: str,
    medians: Mapping[str, Mapping[int, float]],
    scales: Sequence[int],
    full_scale: int,
    build_seconds: float,
) -> list[Result]:
    """The first-page, growth and per-scale results of *medians* (ms by query and scale)."""
    largest, smallest = scales[-1], scales[0]
    at = f"{largest:,} applications"
    if largest < full_scale:
        at += f" ({full_scale:,} needs the full run)"
    results = [
        Result(
            name=f"{prefix}worklist_build_seconds",
            value=round(build_seconds, 3),
            unit=f"s to build {largest:,} applications (not counted)",
        )
    ]
    for name, by_scale in medians.items():
        results.append(
            comparison(
                f"{prefix}{name}_first_page",
                value=by_scale[largest],
                unit=f"ms, median first page of 50, {at}",
                peer=f"a budget of {PAGE_BUDGET_MS:g} ms",
                peer_value=PAGE_BUDGET_MS,
                at_most=1.0,
            )
        )
        results.append(
            comparison(
                f"{prefix}{name}_growth",
                value=by_scale[largest],
                unit=f"ms at {largest:,}",
                peer=f"the same page at {smallest:,} applications",
                peer_value=by_scale[smallest],
                at_most=2.0,
            )
        )
        results.extend(
            Result(
                name=f"{prefix}{name}_first_page_at_{_short(scale)}",
                value=round(by_scale[scale], 3),
                unit="ms, median",
            )
            for scale in scales
        )
    return results


def _short(count: int) -> str:
    """``500``, ``10k``, ``100k``, ``1m``."""
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}m"
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


# --- the same on PostgreSQL ---------------------------------------------------------------


POSTGRES_WORKLIST_RESULTS = tuple(
    f"storage.postgres_{name}_{kind}" for name in WORKLISTS for kind in ("first_page", "growth")
)
"""The PostgreSQL worklist results with a goal, listed as skipped without a server."""

_COPY = "COPY {s}.summaries (" + ", ".join(SUMMARY_COLUMNS) + ") FROM STDIN"


def _instant(micros: object) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=int(str(micros)))


def grow_postgres(cursor: Any, schema: str, rng: random.Random, start: int, stop: int) -> None:
    """Add applications *start* to *stop* to the read model in *schema*, with ``COPY``.

    The rows are `_rows`' (the same generator and seed as the SQLite file), with instants
    as ``timestamptz`` and flags as booleans; then the table is analysed.
    """
    from psycopg import sql

    copy_sql = sql.SQL(_COPY).format(s=sql.Identifier(schema))
    with cursor.copy(copy_sql) as copy:
        for row in _rows(rng, start, stop):
            copy.write_row(
                (
                    *row[:8],
                    _instant(row[8]),
                    _instant(row[9]),
                    _instant(row[10]),
                    bool(row[11]),
                    bool(row[12]),
                    row[13],
                    _instant(row[14]),
                )
            )
    cursor.execute(sql.SQL("ANALYZE {}.summaries").format(sql.Identifier(schema)))


def postgres_worklists(
    scales: Sequence[int], url: str, *, repeats: int, full_scale: int
) -> list[Result]:
    """Time `WORKLISTS` through `PostgresStore.summaries` in a fresh schema at *url*.

    The schema is grown to each of *scales* applications in turn and dropped at the end.
    """
    import psycopg
    from psycopg import sql

    from onestop.storage.postgres import PostgresStore

    schema = f"onestop_bench_{secrets.token_hex(4)}"
    rng = random.Random(20250714)
    medians: dict[str, dict[int, float]] = {name: {} for name in WORKLISTS}
    build_seconds = 0.0
    try:
        with (
            PostgresStore.connect(url, schema=schema, min_size=1, max_size=1) as store,
            psycopg.connect(url, autocommit=True) as connection,
            connection.cursor() as cursor,
        ):
            built = 0
            for scale in scales:
                start = time.perf_counter()
                grow_postgres(cursor, schema, rng, built, scale)
                build_seconds += time.perf_counter() - start
                built = scale
                for name, query in WORKLISTS.items():
                    medians[name][scale] = _median_ms(store, query, repeats)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
    return _scale_results("storage.postgres_", medians, scales, full_scale, build_seconds)
