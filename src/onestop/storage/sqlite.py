"""The SQLite event store, on the standard library's `sqlite3`: no dependency, one file.

`SQLiteStore` keeps everything `onestop.ports.EventStore` and `onestop.ports.BatchStore`
promise in one database file (or in memory): each `SQLiteStore.commit` is one ``BEGIN
IMMEDIATE`` transaction, so events, the read-model row, the idempotency record, the
sequence claim and the notifications are written together or not at all, and writers
in other threads and processes wait their turn (up to the busy timeout) instead of
failing at once.
It keeps the published catalogue versions too (`onestop.ports.catalogue.CatalogueStore`),
each `SQLiteStore.publish_catalogue` in a transaction of its own, and subjects' data
keys and the blind index (`onestop.ports.keys.SubjectKeyStore`, the methods of
``onestop.storage.sqlite_keys.SQLiteSubjectKeys``), destroyed physically:
``secure_delete=ON`` for the destroying statements and a WAL checkpoint after each;
and staff secrets, sign-in failures and the access record (`onestop.ports.staff.StaffStore`,
the methods of ``onestop.storage.sqlite_staff.SQLiteStaff``).

Settings, applied on every open: WAL journal mode (readers never block the writer),
``synchronous=FULL`` unless ``NORMAL`` is asked for (see `SQLiteStore.open`), a busy
timeout, ``foreign_keys=ON``, ``secure_delete=FAST`` (``ON`` while destroying); the tables are
``STRICT``.  The schema is migrated on open (`onestop.storage.sqlite_schema`).  Every driver
error is translated in one place into `onestop.exceptions.StorageError` (``StorageUnavailable``
when the database is busy), the driver's error kept as ``__cause__``.

One store object writes through one connection and serialises the writes made on it
with a lock, so it can be shared between threads; open one store per process.  On a
file, each thread reads through a read-only connection of its own (opened on its first
read): a read sees the last commit and never waits for a write in progress, in this
process or another.  Instants
come back in UTC (the same instants that were stored).  Integers must fit in 64 bits.

>>> from datetime import UTC, datetime
>>> from onestop.ports.events import Commit, NewEvent, Summary
>>> store = SQLiteStore.open(":memory:")
>>> now = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
>>> summary = Summary(
...     stream_id="app-1", number="N/1", service="s", service_version=1, agency="a",
...     channel="online", state="submitted", assignee=None, received=now, due=None,
...     at_risk_from=None, suspended=False, closed=False, version=1, updated_at=now,
... )
>>> event = NewEvent(kind="submitted", body=b"{}", hash="1" * 64, previous_hash="0" * 64,
...                  notice=b"{}")
>>> [e.version for e in store.commit(Commit(
...     stream_id="app-1", expected_version=0, events=(event,), summary=summary,
...     recorded_at=now))]
[1]
>>> store.find_number("N/1").state
'submitted'
>>> store.close()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidStoreInput,
    StorageError,
)
from onestop.ports.checks import (
    READ_MODEL_ROW,
    check_batch,
    check_commit,
    check_consumer,
    check_position,
    check_query,
    notification_window,
    read_after,
)
from onestop.ports.events import (
    MAX_PAGE,
    Batch,
    ClosingContext,
    Commit,
    IdempotencyRecord,
    Notification,
    Page,
    StoredEvent,
    Summary,
    SummaryQuery,
    storable_text,
)
from onestop.storage import _sqlite_sql as sql
from onestop.storage._handoff import WriteLock, begin_immediate
from onestop.storage._handoff import commit as _commit_now
from onestop.storage._sqlite_open import (
    DEFAULT_BUSY_TIMEOUT,
    MAX_BUSY_TIMEOUT,
    check_settings,
    create_private,
    database_path,
    parse_url,
)
from onestop.storage._sqlite_open import translate_errors as _translate_errors
from onestop.storage._sqlite_readers import Readers
from onestop.storage.sqlite_catalogue import SQLiteCatalogues
from onestop.storage.sqlite_history import SQLiteHistory
from onestop.storage.sqlite_keys import SQLiteSubjectKeys
from onestop.storage.sqlite_schema import MINIMUM_SQLITE, Synchronous, configure, migrate
from onestop.storage.sqlite_staff import SQLiteStaff

__all__ = ["DEFAULT_BUSY_TIMEOUT", "MAX_BUSY_TIMEOUT", "MAX_PAGE", "SQLiteStore"]


class SQLiteStore(SQLiteSubjectKeys, SQLiteStaff, SQLiteHistory, SQLiteCatalogues, ClosingContext):
    """An `onestop.ports.events.EventStore` in an SQLite database; safe to share between threads.

    Open one with `SQLiteStore.open` (or ``onestop.storage.from_url("sqlite:///path")``);
    use it as a context manager, or call `close`.

    Attributes:
        path: The database file, or ``:memory:``.
        synchronous: The ``PRAGMA synchronous`` level it was opened with.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        /,
        *,
        path: str = ":memory:",
        synchronous: Synchronous = "FULL",
        read_timeout: float | None = None,
    ) -> None:
        """Wrap *connection*, already configured and migrated; prefer `SQLiteStore.open`.

        The connection must be in autocommit mode (``isolation_level=None``), because
        the store issues its own ``BEGIN IMMEDIATE``; the store closes it in `close`.
        With *read_timeout* (a busy timeout in seconds; `open` gives one for a file),
        reads go through a read-only connection per thread to *path* (see
        ``onestop.storage._sqlite_readers``); without, through *connection*.

        Raises:
            ConfigurationError: If *path* is not a file name (`database_path`), or
                *read_timeout* not a number of seconds from 0 to `MAX_BUSY_TIMEOUT`.
        """
        self._connection = connection
        self._lock = WriteLock()
        self._closed = False
        self._owner: int | None = None  # the thread inside `atomically`, if one is
        self.path = database_path(path)
        where = self.path if self.path == ":memory:" else os.path.abspath(self.path)
        self._where, self._file = where, _file_identity(where)  # checked by writes; chdir-proof
        self.synchronous: Synchronous = synchronous
        if read_timeout is not None:
            problem = seconds_problem(read_timeout, maximum=MAX_BUSY_TIMEOUT)
            if problem is not None:
                raise ConfigurationError(f"read_timeout {problem}")
        self._readers = (
            None
            if read_timeout is None or path == ":memory:"
            else Readers(path, timeout=float(read_timeout))
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        /,
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> SQLiteStore:
        """Open (creating if needed) the database at *path*, or ``":memory:"``; migrate it.

        Args:
            path: The database file; its directory must exist.
            synchronous: ``"FULL"`` (the default) makes every commit durable through a
                power loss or an operating-system crash, at the cost of one fsync per
                commit.  ``"NORMAL"`` skips that fsync: about twice as fast, never
                corrupt and durable through a crash of the process, but the last
                commits may roll back after a power loss or OS crash.
            busy_timeout: Seconds a call waits for another writer to finish before
                raising `StorageUnavailable`: from 0 to `MAX_BUSY_TIMEOUT` (an hour).

        Raises:
            ConfigurationError: If a setting is not valid (a path that is not text or
                holds a NUL character, a busy timeout that is a `bool`, negative, not
                finite or above an hour), or the SQLite library is older than 3.37.
            StorageError: If the file cannot be opened or migrated.
        """
        timeout = check_settings(synchronous=synchronous, busy_timeout=busy_timeout)
        target = database_path(path)
        if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
            raise ConfigurationError(
                f"onestop needs SQLite {'.'.join(map(str, MINIMUM_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}"
            )
        create_private(target)
        with _translate_errors():
            connection = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        try:
            with _translate_errors():
                configure(connection, synchronous=synchronous, busy_timeout=timeout)
                migrate(connection)
        except BaseException:
            connection.close()
            raise
        return cls(connection, path=target, synchronous=synchronous, read_timeout=timeout)

    @classmethod
    def from_url(cls, url: str, /) -> SQLiteStore:
        """Open the store a ``sqlite:`` URL names, as SQLAlchemy spells them.

        ``sqlite:///relative/file.sqlite3`` and ``sqlite:////absolute/file.sqlite3``
        name files; ``sqlite://`` and ``sqlite://:memory:`` an in-memory database.
        Options go in the query, each at most once: ``?synchronous=NORMAL&busy_timeout=10``
        (seconds in ASCII digits).  The path is percent-decoded as UTF-8.

        Raises:
            ConfigurationError: If the URL is not a valid ``sqlite:`` URL; the message
                never repeats it.
        """
        path, options = parse_url(url)
        return cls.open(path, **options)

    @property
    def reads_apart(self) -> bool:
        """Whether reads go through a read-only connection per thread (a file opened with
        `open`), so that none waits for a write in progress; else they take turns with
        the writes on the one connection (a database in memory)."""
        return self._readers is not None

    def __repr__(self) -> str:
        """Show where the store is, never its content."""
        return f"<SQLiteStore {self.path!r} synchronous={self.synchronous}>"

    @contextlib.contextmanager
    def atomically(self) -> Iterator[None]:
        """Make every write of this thread within the block one ``BEGIN IMMEDIATE``
        transaction: committed (one ``fsync`` at ``FULL``) when the block ends, rolled
        back whole if it raises.  Each write inside is a savepoint of its own: one that
        fails leaves nothing, and its error propagates as it would alone.

        The store is held for the block: other threads wait as they wait for a commit.
        `onestop.usecases.mall.Mall.submit` writes a submission's data keys, its blind
        index rows and its events in one (`onestop.ports.keys.AtomicWrites`).

        Raises:
            StorageError: If SQLite fails, or the block is entered again in this thread.
        """
        if self._owner == threading.get_ident():
            raise StorageError("atomically() is already open in this thread")
        with self._lock, _translate_errors():
            if self._closed:
                raise StorageError("the store is closed")
            connection = self._connection
            if connection.in_transaction:  # left open by a failed rollback
                connection.rollback()
            self._begin(connection)
            self._owner = threading.get_ident()
            try:
                try:
                    yield
                finally:  # before a COMMIT handed off lets this thread run other work
                    self._owner = None
                _commit_now(connection)
            except BaseException:
                _rollback_quietly(connection)
                raise

    def _begin(self, connection: sqlite3.Connection) -> None:
        # A database file removed or replaced under the open connection would take every
        # later commit into a file no one opens again: lost at the next start.
        begin_immediate(connection)
        if self._file is not None and _file_identity(self._where) != self._file:
            _rollback_quietly(connection)
            raise StorageError("the SQLite database file was removed or replaced")

    @contextlib.contextmanager
    def _reading(self, *, writer: bool = False) -> Iterator[sqlite3.Connection]:
        # A file's reads go through this thread's read connection (`Readers`): they see
        # the last commit and never wait for the writer.  *writer*: the writer's own.
        if self._owner == threading.get_ident():  # inside this thread's `atomically`
            with _translate_errors():
                yield self._connection
            return
        if self._readers is not None and not writer:
            with self._readers.reading() as connection:
                yield connection
            return
        with self._lock, _translate_errors():
            if self._closed:
                raise StorageError("the store is closed")
            yield self._connection

    @staticmethod
    def _look_up(connection: sqlite3.Connection, statement: str, key: str) -> Any:
        # No row can hold text no database stores (commits refuse it), so such a key
        # finds nothing, as in MemoryStore, instead of failing in the driver.
        return connection.execute(statement, (key,)).fetchone() if storable_text(key) else None

    @contextlib.contextmanager
    def _writing(self, commit: Commit | None = None) -> Iterator[sqlite3.Connection]:
        if self._owner == threading.get_ident():  # inside this thread's `atomically`
            with _translate_errors(commit):
                self._connection.execute("SAVEPOINT write")
                try:
                    yield self._connection
                except BaseException:
                    self._connection.execute("ROLLBACK TO write")
                    raise
                finally:
                    self._connection.execute("RELEASE write")
            return
        with self._lock, _translate_errors(commit):
            if self._closed:
                raise StorageError("the store is closed")
            connection = self._connection
            if connection.in_transaction:  # left open by a failed rollback
                connection.rollback()
            try:
                self._begin(connection)
                yield connection
                _commit_now(connection)
            except BaseException:
                _rollback_quietly(connection)
                raise

    def commit(self, commit: Commit, /) -> tuple[StoredEvent, ...]:
        """Apply *commit* atomically; see `onestop.ports.events.EventStore.commit`."""
        check_commit(commit)
        summary_row = sql.summary_row(commit.summary)
        recorded = sql.micros(commit.recorded_at, "recorded_at")
        key, claim = commit.idempotency, commit.sequence
        key_row = (
            None
            if key is None
            else (key.key, key.stream_id, key.request_digest, sql.micros(key.recorded_at, "key"))
        )
        start = commit.expected_version
        with self._writing(commit) as connection:
            checked = connection.execute(
                sql.CHECK,
                (
                    commit.stream_id,
                    commit.summary.number,
                    None if key is None else key.key,
                    None if claim is None else claim.name,
                ),
            ).fetchone()
            version, position, owner, taken, counter = checked[: sql.CHECKED]
            old_row = checked[sql.CHECKED :]
            if version != start:
                raise ConcurrencyConflict(
                    stream_id=commit.stream_id, expected=start, actual=version
                )
            if key is not None and taken:
                raise ConcurrencyConflict(stream_id=key.key, expected=0, actual=1)
            if claim is not None and (counter or 0) != claim.value - 1:
                raise ConcurrencyConflict(
                    stream_id=claim.name, expected=claim.value - 1, actual=counter or 0
                )
            if owner is not None and owner != commit.stream_id:
                raise StorageError("another stream already holds this application number")
            if old_row[0] is None:
                connection.execute(sql.UPSERT_SUMMARY, summary_row)
            else:
                connection.execute(*sql.update_summary(old_row, summary_row))
            connection.executemany(
                sql.INSERT_EVENT,
                [
                    (
                        position + offset,
                        commit.stream_id,
                        start + offset,
                        event.kind,
                        event.body,
                        event.hash,
                        event.previous_hash,
                        event.notice,
                        recorded,
                    )
                    for offset, event in enumerate(commit.events, start=1)
                ],
            )
            if key_row is not None:
                connection.execute(sql.INSERT_KEY, key_row)
            if claim is not None:
                connection.execute(sql.UPSERT_SEQUENCE, (claim.name, claim.value))
        return tuple(
            StoredEvent(
                stream_id=commit.stream_id,
                version=start + offset,
                kind=event.kind,
                body=event.body,
                hash=event.hash,
                previous_hash=event.previous_hash,
                recorded_at=commit.recorded_at,
            )
            for offset, event in enumerate(commit.events, start=1)
        )

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        """Return the stream's events above version *after*, in order."""
        start = read_after(after)
        with self._reading() as connection:
            if not storable_text(stream_id):
                return ()
            rows = connection.execute(sql.READ, (stream_id, start)).fetchall()
        return tuple(
            StoredEvent(
                stream_id=row[0],
                version=row[1],
                kind=row[2],
                body=row[3],
                hash=row[4],
                previous_hash=row[5],
                recorded_at=sql.instant(row[6]),
            )
            for row in rows
        )

    def summary(self, stream_id: str, /) -> Summary | None:
        """Return the stream's read-model row, or ``None``."""
        with self._reading() as connection:
            row = self._look_up(connection, sql.SUMMARY_BY_ID, stream_id)
        return None if row is None else sql.summary_from_row(row)

    def find_number(self, number: str, /) -> Summary | None:
        """Return the row of the application numbered *number*, or ``None``."""
        with self._reading() as connection:
            row = self._look_up(connection, sql.SUMMARY_BY_NUMBER, number)
        return None if row is None else sql.summary_from_row(row)

    def summaries(self, query: SummaryQuery, /) -> Page:
        """Return one page of the rows matching *query*; see `onestop.ports.events.EventStore`.

        Pages are cut by keyset (the last row's sort key, in the opaque cursor), never
        by offset, so the first and the thousandth page cost the same.
        """
        query = check_query(query)
        after = sql.parse_cursor(query.cursor, query.order)
        statement, parameters = sql.page_sql(query, after)
        with self._reading() as connection:
            rows = connection.execute(statement, parameters).fetchall()
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            last = page[-1]
            cursor = sql.encode_cursor(query.order, last[-1], last[0])
        return Page(items=tuple(sql.summary_from_row(row[:-1]) for row in page), next_cursor=cursor)

    def idempotency(self, key: str, /) -> IdempotencyRecord | None:
        """Return the record of idempotency key *key*, or ``None``."""
        with self._reading() as connection:
            row = self._look_up(connection, sql.KEY, key)
        if row is None:
            return None
        return IdempotencyRecord(
            key=row[0], stream_id=row[1], request_digest=row[2], recorded_at=sql.instant(row[3])
        )

    def sequence(self, name: str, /) -> int:
        """Return the counter *name*'s current value (0 if never claimed)."""
        with self._reading() as connection:
            row = self._look_up(connection, sql.SEQUENCE, name)
        return 0 if row is None else int(row[0])

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Notification, ...]:
        """Return up to *limit* notifications with a position above *after*, in order."""
        start, limit = notification_window(after, limit)
        with self._reading() as connection:
            rows = connection.execute(sql.NOTIFICATIONS, (start, limit)).fetchall()
        return tuple(
            Notification(
                position=row[0],
                stream_id=row[1],
                version=row[2],
                kind=row[3],
                body=row[4],
                recorded_at=sql.instant(row[5]),
            )
            for row in rows
        )

    def position(self, consumer: str, /) -> int:
        """Return the last position *consumer* recorded (0 if none)."""
        with self._reading() as connection:
            row = self._look_up(connection, sql.POSITION, consumer)
        return 0 if row is None else int(row[0])

    def record_position(self, consumer: str, position: int, /) -> None:
        """Record *consumer*'s position; it may not move backwards."""
        check_consumer(consumer)
        check_position(position)
        with self._writing() as connection:
            row = connection.execute(sql.POSITION, (consumer,)).fetchone()
            current = 0 if row is None else int(row[0])
            if position < current:
                raise ConcurrencyConflict(stream_id=consumer, expected=position, actual=current)
            connection.execute(sql.UPSERT_POSITION, (consumer, position))

    def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
        """Apply *batch* atomically; see `onestop.ports.events.BatchStore.commit_batch`.

        Like `commit`, one ``BEGIN IMMEDIATE`` transaction: every append is checked
        before anything is written, and the notifications follow the appends' order.
        """
        check_batch(batch)
        recorded = sql.micros(batch.recorded_at, "recorded_at")
        with self._writing() as connection:
            for index, append in enumerate(batch.appends):
                summarised, version = connection.execute(
                    sql.CHECK_APPEND, (append.stream_id,)
                ).fetchone()
                if summarised:
                    raise InvalidStoreInput(
                        field=f"appends[{index}].stream_id", reason=READ_MODEL_ROW
                    )
                if version != append.expected_version:
                    raise ConcurrencyConflict(
                        stream_id=append.stream_id, expected=append.expected_version, actual=version
                    )
            (position,) = connection.execute(sql.LAST_POSITION).fetchone()
            rows = []
            for append in batch.appends:
                for offset, event in enumerate(append.events, start=1):
                    position += 1
                    rows.append(
                        (
                            position,
                            append.stream_id,
                            append.expected_version + offset,
                            event.kind,
                            event.body,
                            event.hash,
                            event.previous_hash,
                            event.notice,
                            recorded,
                        )
                    )
            connection.executemany(sql.INSERT_EVENT, rows)
        return tuple(
            StoredEvent(
                stream_id=append.stream_id,
                version=append.expected_version + offset,
                kind=event.kind,
                body=event.body,
                hash=event.hash,
                previous_hash=event.previous_hash,
                recorded_at=batch.recorded_at,
            )
            for append in batch.appends
            for offset, event in enumerate(append.events, start=1)
        )

    def backup(self, target: str | os.PathLike[str], /) -> None:
        """Copy the whole database to the file *target*, consistently, with SQLite's backup API.

        The copy is a snapshot taken between commits; calls on this store wait until
        it is done, other processes do not.  An existing *target* is overwritten.

        Raises:
            ConfigurationError: If *target* is not a path (see `SQLiteStore.open`).
            StorageError: If the copy fails.
        """
        copy = database_path(target)
        with self._reading(writer=True) as connection:
            create_private(copy)
            destination = sqlite3.connect(copy)
            try:
                connection.backup(destination)
            finally:
                destination.close()

    def close(self) -> None:
        """Close the store and its connection; later calls raise `StorageError`."""
        with self._lock, _translate_errors():
            if not self._closed:
                self._closed = True
                if self._readers is not None:  # first: the writer's close, the last,
                    self._readers.close()  # checkpoints the WAL into the file
                self._connection.close()


def _file_identity(path: object) -> tuple[int, int] | None:
    """The device and inode of the file *path*; ``None`` if gone, in memory or no file's."""
    if not isinstance(path, str) or path == ":memory:":
        return None
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # gone; a NUL or a lone surrogate in the path
        return None
    return (found.st_dev, found.st_ino)


def _rollback_quietly(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the original error is the one to report
            connection.rollback()
