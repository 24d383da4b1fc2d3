"""The store `onestop.cli.demo.run_demo` plays on: opened empty, and audited chain by chain.

`open_demo_store` opens the store a URL names and marks it as the demo's, so that the
next demo may replace it; any other store that holds applications is refused, never
overwritten.  `verify_store` checks every hash chain a store holds (an application's
events, its courier index, its courier jobs and its packets' custody ledgers) and
reports the first bad entry of each, as ``onestop verify`` prints them.
`onestop.cli.demo` re-exports the public ones.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from onestop.domain.common.formats import kind_of
from onestop.exceptions import ApplicationNotFound, ConfigurationError
from onestop.ports.events import EventStore, Summary, SummaryQuery
from onestop.storage import from_url
from onestop.usecases import streams
from onestop.usecases.applications import queries
from onestop.usecases.applications.codec import APPLICATIONS
from onestop.usecases.courier import writer as courier_recording
from onestop.usecases.staff.codec import verify_staff

__all__ = [
    "BrokenEntry",
    "DEFAULT_STORE",
    "DEMO_CONSUMER",
    "every_summary",
    "open_demo_store",
    "redact",
    "sqlite_file",
    "StoreAudit",
    "verify_store",
]

DEFAULT_STORE = "sqlite:///onestop-demo.sqlite3"
"""The store ``onestop demo`` writes to by default: a file in the current directory."""
DEMO_CONSUMER = "onestop-demo"
"""The consumer position that marks a store as the demo's, and so replaceable."""
_PAGE = 500


def sqlite_file(url: str) -> Path | None:
    """The SQLite file *url* names, or ``None`` for another store or an in-memory one."""
    scheme, _, rest = url.partition("://")
    location = rest.partition("?")[0]
    if scheme.lower() != "sqlite" or not location.startswith("/") or "memory:" in location:
        return None
    return Path(unquote(location[1:]))


def _is_demo_file(path: Path) -> bool:
    if path.stat().st_size == 0:
        return True
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            query = "SELECT 1 FROM positions WHERE consumer = ?"
            return db.execute(query, (DEMO_CONSUMER,)).fetchone() is not None
    except sqlite3.Error:
        return False


def redact(url: str) -> str:
    """*url* with its password, if it has one, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def open_demo_store(url: str, /) -> EventStore:
    """Open an empty store for the demo at *url*, marked as the demo's.

    A SQLite file an earlier demo wrote is replaced; any other existing file, and any
    other store that holds applications, is refused.

    Raises:
        ConfigurationError: If the store is not empty and not a demo SQLite file, or
            the URL is not valid (not text, to begin with).
    """
    given: object = url
    if not isinstance(given, str):
        raise ConfigurationError(f"the demo's store URL must be text, not {kind_of(given)}")
    path = sqlite_file(url)
    if path is not None and path.exists():
        if not path.is_file() or not _is_demo_file(path):
            raise ConfigurationError(
                f"{path} exists and was not written by the demo: remove it or choose "
                "another --store"
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    store = from_url(url)
    if store.summaries(SummaryQuery(include_closed=True, limit=1)).items:
        store.close()
        raise ConfigurationError(
            "the store already holds applications; the demo needs an empty one "
            "(memory://, a new SQLite file, or an empty PostgreSQL schema)"
        )
    store.record_position(DEMO_CONSUMER, 0)
    return store


@attrs.frozen(kw_only=True)
class BrokenEntry:
    """The first bad entry of one broken chain.

    Attributes:
        number: The number of the application the chain belongs to; ``staff`` for
            a staff stream.
        application_id: That application's id; empty for a staff stream.
        stream: The chain's stream: the application's id, or a courier stream of it
            (``courier:<id>``, ``courier-job:<job>``, ``packet:<seal>``), or a staff
            stream (``staff:directory``, ``staff-<account>``).
        entry: The bad entry's version (0 when the stream as a whole is unreadable).
        problem: What is wrong with it.
    """

    number: str
    application_id: str
    stream: str
    entry: int
    problem: str


@attrs.frozen(kw_only=True)
class StoreAudit:
    """What `verify_store` found.

    Attributes:
        applications: Applications whose chains were checked.
        chains: Chains checked: the applications', their courier indexes', jobs' and
            packets', and (for a whole store) the staff directory's and accounts'.
        packets: Custody ledgers (packets) among them.
        broken: The first bad entry of each broken chain.
    """

    applications: int
    chains: int
    packets: int
    broken: tuple[BrokenEntry, ...]

    @property
    def ok(self) -> bool:
        """Whether every chain is intact."""
        return not self.broken


def _audit(store: EventStore, application_id: str) -> tuple[list[tuple[str, int, str] | None], int]:
    """Check an application's chains: each one's first bad entry or ``None``; count packets."""
    checked: list[tuple[str, int, str] | None] = []
    index = None
    for kind, key in ((APPLICATIONS, application_id), (courier_recording.INDEXES, application_id)):
        stream = kind.stream_id(key)
        records = store.read(stream)
        if kind is courier_recording.INDEXES and not records:
            break
        report = streams.audit(kind, stream, records)
        checked.append(None if report.ok else (stream, report.version or 0, report.problem or ""))
        if kind is courier_recording.INDEXES and report.ok:
            index = courier_recording.load_index(store, application_id)
    if index is None:
        return checked, 0
    for job, _ in index.jobs:
        stream = courier_recording.job_stream(job)
        report = streams.audit(courier_recording.JOBS, stream, store.read(stream))
        checked.append(None if report.ok else (stream, report.version or 0, report.problem or ""))
    for seal in index.packets:
        report = courier_recording.verify_packet(store, seal)
        problem = report.problem or "the chain is broken"
        bad = (courier_recording.packet_stream(seal), report.version or 0, problem)
        checked.append(None if report.ok else bad)
    return checked, len(index.packets)


def verify_store(store: EventStore, /, *, number: str | None = None) -> StoreAudit:
    """Check every hash chain in *store*, or only those of application *number*.

    For each application: its events' chain, and that each event decodes; then its
    courier index, its courier jobs' chains, and its packets' custody ledgers
    (`onestop.usecases.courier.writer.verify_packet`); for the whole store, the staff
    directory and every staff account's stream too
    (`onestop.usecases.staff.codec.verify_staff`).  Bodies are checked as stored bytes,
    so a corrupted event is reported, never raised.

    Raises:
        ApplicationNotFound: If *number* is given and no application has it.
        StorageError: If the store cannot be read.
    """
    if number is not None:
        row = store.find_number(number)
        if row is None:
            raise ApplicationNotFound(None)
        rows: list[Summary] = [row]
    else:
        rows = every_summary(store)
    broken: list[BrokenEntry] = []
    chains = packets = 0
    for row in rows:
        checked, sealed = _audit(store, row.stream_id)
        chains, packets = chains + len(checked), packets + sealed
        for stream, entry, problem in (c for c in checked if c is not None):
            broken.append(
                BrokenEntry(
                    number=row.number,
                    application_id=row.stream_id,
                    stream=stream,
                    entry=entry,
                    problem=problem,
                )
            )
    if number is None:  # the whole store: staff accounts and their grants too
        for stream, report in verify_staff(store):
            chains += 1
            if not report.ok:
                problem = report.problem or "the chain is broken"
                broken.append(
                    BrokenEntry(
                        number="staff",
                        application_id="",
                        stream=stream,
                        entry=report.version or 0,
                        problem=problem,
                    )
                )
    return StoreAudit(applications=len(rows), chains=chains, packets=packets, broken=tuple(broken))


def every_summary(store: EventStore, /) -> list[Summary]:
    """Every read-model row of *store*, open or closed, page by page."""
    return list(queries.every_summary(store))
