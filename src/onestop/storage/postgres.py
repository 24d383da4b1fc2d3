"""The PostgreSQL event store: `PostgresStore`, for many worker processes on one database.

It behaves exactly as `onestop.storage.memory.MemoryStore`, the executable
specification, and the contract suite in `onestop.testing` checks that it does.  It
needs the ``postgres`` extra (``pip install "onestop-mall[postgres]"``: psycopg 3 and
psycopg-pool); ``import onestop`` never imports it.

**One statement per command.**  `PostgresStore.commit` sends a single ``INSERT``
whose common table expressions write the read-model row, the events, the idempotency
record, the counter claim and the notifications, on a connection in autocommit mode:
one round trip, one implicit transaction, nothing to roll back by hand.  Every check
the port asks for is a constraint, so a failed check aborts the whole statement:

- a writer that decided on a stale version collides on the events' primary key
  ``(stream_id, version)``, and one that claims a version the stream has not reached
  breaks the key referencing the event before (``(stream_id, previous_version)``);
- an idempotency key is a primary key;
- a counter keeps one row per value claimed, keyed ``(name, value)`` and referencing
  ``value - 1``, so a value is claimed once and only after the one before it.

Only when a constraint fails does a second query find out which check failed, so the
error raised is the one `MemoryStore` would raise.

**Batches** (`onestop.ports.events.BatchStore`).  `PostgresStore.commit_batch` writes the
appends of a courier command (a job, a packet's ledger, an application's courier
index) in one statement too, built the same way: the events of every append, then the
log head, then one notification per event in the order given.  Its parameters are
arrays with one element per event, so one prepared statement serves every batch.  The
events' keys check each stream's version; a stream that has a read-model row (an
application) makes the statement write nothing and return no rows, and the store
raises `ValueError`.  Rows are inserted in stream-id order, so batches that share
streams lock them in one order and never deadlock.

**Notification positions in commit order, without gaps.**  Serial ids are not commit
order: a transaction may take id 7, another id 8, and the second commit first, so a
relay that read up to 8 would never see 7.  Instead, a single-row table
(``log_head``) holds the last position given out, and each commit moves it forward
with ``UPDATE ... RETURNING`` as the *last* lock it takes.  The row stays locked until
the commit ends, so a second committer waits until the first is committed and visible,
then continues from its position: positions are gap-free (a rolled-back command gives
its positions back) and a reader that saw position *p* has seen everything before it.
The price is that commits queue on that row for about one WAL flush each; the
how-to guide gives the figures measured (docs/how-to/postgresql.md).  Serialising
the writers is what makes the order commit order; the other ways to get it
(``pg_current_xact_id()`` snapshots, ``LOCK TABLE``) are not portable.

**Worklists read index ranges.**  `PostgresStore.summaries` sorts in the order of
the read model's indexes and reads a filter on several agencies (or states) as one
index range per value, merged; so a page costs about the same however many rows the
table holds (``onestop.storage._postgres_pages`` explains how).

**Portable SQL.**  No advisory locks, no ``LISTEN``/``NOTIFY``, no ``LOCK TABLE``, no
ordering by serial ids, no server-side functions, and all names qualified with the
schema chosen at connect time (``onestop`` by default), so several malls can share a
database.  Migrations are ``.sql`` files shipped in the package
(``onestop/storage/sql/postgres``), each applied in its own transaction, recorded in
``onestop_schema_migrations``; racing openers queue on that table's primary key.

**Catalogue versions** (`onestop.ports.catalogue.CatalogueStore`) come from the base
class `onestop.storage.postgres_catalogue.PostgresCatalogue`: one statement per
publication, its version number guarded by a primary key.

Driver errors are translated in one place, `translate_db_errors`.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from onestop.domain.common.formats import kind_of
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidStoreInput,
    OnestopError,
    StorageError,
    StorageUnavailable,
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
    decode_cursor,
    encode_cursor,
    storable_text,
)
from onestop.storage._postgres_connect import (
    MAX_POOL,
    MAX_TIMEOUT,
    SESSION,
    check_database,
    check_pool,
    lend,
    translate_db_errors,
)
from onestop.storage._postgres_connect import split_url as _split_url
from onestop.storage._postgres_pages import page_statement
from onestop.storage.postgres_catalogue import PostgresCatalogue
from onestop.storage.postgres_history import HISTORY_STATEMENTS, PostgresHistory
from onestop.storage.postgres_keys import KEY_STATEMENTS, PostgresSubjectKeys
from onestop.storage.postgres_schema import (
    MISSING_EXTRA,
    STATEMENTS,
    Connection,
    batch_params,
    commit_params,
    migrate,
    render,
)
from onestop.storage.postgres_staff import STAFF_STATEMENTS, PostgresStaff

try:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - the tests run with the extra installed
    raise ConfigurationError(MISSING_EXTRA) from exc

__all__ = [
    "DEFAULT_SCHEMA",
    "MAX_PAGE",
    "MAX_POOL",
    "MAX_TIMEOUT",
    "PostgresStore",
    "check_pool",
    "open_url",
    "translate_db_errors",
]

DEFAULT_SCHEMA = "onestop"
"""The schema `PostgresStore.connect` uses when none is given."""

_SCHEMA_NAME = re.compile(r"(?!pg_|information_schema$)[a-z_][a-z0-9_]{0,62}")


def _check_schema(schema: object) -> str:
    """Return *schema* if it is a schema name the store accepts.

    Raises:
        ConfigurationError: Unless it is 1 to 63 lowercase ASCII letters, digits or
            underscores, starting with a letter or underscore, and not with ``pg_``
            (nor ``information_schema``): PostgreSQL's own schemas.
    """
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(
            "a schema name must be 1 to 63 lowercase letters, digits or underscores,"
            " start with a letter or underscore, and not be one of PostgreSQL's own"
            " (pg_*, information_schema)"
        )
    return schema


# --- the store -------------------------------------------------------------------------


class PostgresStore(
    PostgresCatalogue, PostgresSubjectKeys, PostgresStaff, PostgresHistory, ClosingContext
):
    """An `onestop.ports.events.EventStore` and `onestop.ports.events.BatchStore` on PostgreSQL.

    It keeps the catalogue's versions too, with the methods of `PostgresCatalogue`,
    and subjects' data keys and the blind index (`onestop.ports.keys.SubjectKeyStore`),
    with those of ``onestop.storage.postgres_keys.PostgresSubjectKeys``, staff secrets,
    sign-in failures and the access record (`onestop.ports.staff.StaffStore`), with those
    of ``onestop.storage.postgres_staff.PostgresStaff``, and rewrites a stream's history
    (`onestop.ports.history.HistoryStore`).

    It is safe to share between threads.  Open it with `PostgresStore.connect` (or
    ``onestop.storage.from_url``); it holds a pool of connections in autocommit mode
    and is a context manager that closes it.
    """

    def __init__(self, pool: ConnectionPool[Connection], *, schema: str) -> None:
        """Wrap an open *pool* whose connections are in autocommit mode; prefer `connect`.

        The schema must exist and be up to date already (`connect` makes it so).

        Raises:
            ConfigurationError: If *pool* is not a psycopg_pool ``ConnectionPool``, or
                *schema* is not a schema name `connect` accepts.
        """
        if not isinstance(pool, ConnectionPool):
            raise ConfigurationError(
                f"pool must be a psycopg_pool ConnectionPool, not {kind_of(pool)}"
            )
        _check_schema(schema)
        self._pool = pool
        self._schema = schema
        identifier = sql.Identifier(schema)
        self._sql = {
            name: render(text, identifier)
            for name, text in (
                *STATEMENTS.items(),
                *KEY_STATEMENTS.items(),
                *STAFF_STATEMENTS.items(),
                *HISTORY_STATEMENTS.items(),
            )
        }
        self._identifier = identifier
        self._closed = False
        self._pinned = threading.local()  # the connection of this thread's `atomically`

    @classmethod
    def connect(
        cls,
        url: str,
        /,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
    ) -> PostgresStore:
        """Connect to the database *url* names, bring its schema up to date, open a pool.

        Args:
            url: A libpq URL (``postgresql://user@host/db``); a ``schema`` query
                parameter names the schema, other parameters go to libpq.
            schema: The schema holding this mall's tables (default ``onestop``);
                several malls can share a database, each in its own schema.
            min_size: Connections kept open.
            max_size: Connections at most; one per thread using the store at once.
            timeout: Seconds to wait for a connection before `StorageUnavailable`.

        Raises:
            ConfigurationError: If the URL is not text libpq parses (or holds a control
                character), the schema name is not a lowercase SQL name or is given
                twice with different values, a pool size or the timeout is out of
                range (`check_pool`), the server refuses the settings (no such
                database or role, a failed authentication, an invalid ``sslmode``,
                no right to create the missing schema, see `translate_db_errors`), the
                database is not in UTF-8, or its schema is newer than this onestop.
                The message never repeats the URL.
            StorageUnavailable: If the database cannot be reached.
            StorageError: If a migration fails or was changed after being applied.
        """
        conninfo, named = _split_url(url)
        if schema is not None and named is not None and schema != named:
            raise ConfigurationError("the schema is given twice, with different names")
        chosen = _check_schema(
            next((name for name in (schema, named) if name is not None), DEFAULT_SCHEMA)
        )
        check_pool(min_size=min_size, max_size=max_size, timeout=timeout)
        with translate_db_errors():
            wait = max(1, round(timeout))
            with psycopg.connect(conninfo, connect_timeout=wait, **SESSION) as conn:
                check_database(conn)
                migrate(conn, chosen)
            pool: ConnectionPool[Connection] = ConnectionPool(
                conninfo,
                min_size=min_size,
                max_size=max_size,
                timeout=timeout,
                # A reconnection gives up after a timeout's worth of tries, so the next
                # request starts a new one at once once the database is back, instead of
                # waiting out a backoff grown through the outage (psycopg_pool's default
                # tries for 300 s, up to 128 s between tries).
                reconnect_timeout=timeout,
                kwargs=dict(SESSION),
                configure=_configure,
                name=f"onestop-{chosen}",
                open=False,
            )
            try:
                pool.open(wait=True, timeout=timeout)
            except BaseException:
                pool.close()
                raise
        return cls(pool, schema=chosen)

    @property
    def schema(self) -> str:
        """The schema holding this store's tables."""
        return self._schema

    def __repr__(self) -> str:
        """Show the schema, never the URL (it may hold a password)."""
        return f"<PostgresStore schema={self._schema!r}>"

    @contextlib.contextmanager
    def atomically(self) -> Iterator[None]:
        """Make every call of this thread within the block one transaction, on one
        connection: committed when the block ends, rolled back whole if it raises.

        Each call inside is a savepoint of its own: one that fails leaves nothing, and
        its error propagates as it would alone.  Calls of other threads use the pool's
        other connections and do not see the block's writes until it commits.  Unlike
        SQLite's block, this one does not keep other writers out: reads inside it see
        what others commit meanwhile (read committed), and a `commit` inside it holds
        the store's log lock to the end of the block, so make the commit its last call
        (as `Mall.submit` does): other commits wait for the block, and writes after it
        can deadlock with another block's.
        `onestop.usecases.mall.Mall.submit` writes a submission's data keys, its blind
        index rows and its events in one (`onestop.ports.keys.AtomicWrites`): one
        commit instead of three, and a failed submission leaves no key behind.

        Raises:
            StorageError: If the store is closed, the block is entered again in this
                thread, or the commit fails.
            StorageUnavailable: If no connection is free within the pool's timeout,
                or the database is lost: nothing of the block is kept, unless the
                connection was lost after the ``COMMIT`` was sent, when the server may
                have kept all of it (so make the block's writes safe to try again, as
                an idempotency key makes a submission's).
        """
        if self._closed:
            raise StorageError("the store is closed")
        if getattr(self._pinned, "connection", None) is not None:
            raise StorageError("atomically() is already open in this thread")
        with translate_db_errors(), lend(self._pool) as conn:
            with conn.transaction() as transaction:
                self._pinned.connection = conn
                try:
                    yield
                finally:
                    self._pinned.connection = None
            # A connection lost in the block (its error caught inside it) ends the
            # transaction without a commit and without an error: say so.
            if transaction.status is not transaction.Status.COMMITTED:
                raise StorageUnavailable("the database connection was lost: nothing was kept")

    @contextlib.contextmanager
    def _connection(
        self, conflict: Callable[[], Exception] | None = None
    ) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        if self._closed:
            raise StorageError("the store is closed")
        pinned: Connection | None = getattr(self._pinned, "connection", None)
        if pinned is not None:  # inside this thread's `atomically`: a savepoint
            with (
                translate_db_errors(conflict),
                pinned.transaction(),
                pinned.cursor(binary=True) as cursor,
            ):
                yield cursor
            return
        with (
            translate_db_errors(conflict),
            lend(self._pool) as conn,
            conn.cursor(binary=True) as cursor,
        ):
            yield cursor

    def _fetch(self, name: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._connection() as cursor:
            return cursor.execute(self._sql[name], params).fetchall()

    def _look_up(self, name: str, key: str, *more: object) -> list[tuple[Any, ...]]:
        # No row can hold text no database stores (commits refuse it), so such a key
        # finds nothing, as in MemoryStore, instead of failing in the driver.
        if self._closed:
            raise StorageError("the store is closed")
        return self._fetch(name, (key, *more)) if storable_text(key) else []

    def commit(self, commit: Commit, /) -> tuple[StoredEvent, ...]:
        """Apply *commit* atomically in one statement (`onestop.ports.EventStore.commit`)."""
        check_commit(commit)
        params = commit_params(commit)
        with self._connection(lambda: self._diagnose(commit)) as cursor:
            positions = cursor.execute(self._sql["commit"], params).fetchall()
        if len(positions) != len(commit.events):  # pragma: no cover - a broken schema
            raise StorageError("the commit wrote an unexpected number of notifications")
        return tuple(
            StoredEvent(
                stream_id=commit.stream_id,
                version=commit.expected_version + offset,
                kind=event.kind,
                body=event.body,
                hash=event.hash,
                previous_hash=event.previous_hash,
                recorded_at=commit.recorded_at,
            )
            for offset, event in enumerate(commit.events, start=1)
        )

    def _diagnose(self, commit: Commit) -> OnestopError:
        """Find which check a refused commit failed, in `MemoryStore`'s order."""
        key = commit.idempotency
        claim = commit.sequence
        params = {
            "stream_id": commit.stream_id,
            "key": key.key if key is not None else None,
            "counter": claim.name if claim is not None else None,
            "number": commit.summary.number,
        }
        with self._connection() as cursor:
            row = cursor.execute(self._sql["diagnose"], params).fetchone()
        assert row is not None  # noqa: S101 - a SELECT without FROM returns one row
        version, keys, counter, owner = row
        if version != commit.expected_version:
            return ConcurrencyConflict(
                stream_id=commit.stream_id, expected=commit.expected_version, actual=version
            )
        if key is not None and keys:
            return ConcurrencyConflict(stream_id=key.key, expected=0, actual=1)
        if claim is not None and counter != claim.value - 1:
            return ConcurrencyConflict(
                stream_id=claim.name, expected=claim.value - 1, actual=counter
            )
        if owner is not None and owner != commit.stream_id:
            return StorageError("another stream already holds this application number")
        # The conflicting writer's row is committed, so this is not reached in practice.
        return ConcurrencyConflict(  # pragma: no cover
            stream_id=commit.stream_id, expected=commit.expected_version, actual=version
        )

    def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
        """Apply *batch* atomically in one statement; see `onestop.ports.events.BatchStore`.

        Raises:
            ConcurrencyConflict: If a stream is not at its ``expected_version`` (the
                first such stream in the batch is named).  Nothing is written.
            InvalidStoreInput: If the batch is malformed (before any I/O) or a stream
                has a read-model row.  Nothing is written.
        """
        check_batch(batch)
        params = batch_params(batch)
        with self._connection(lambda: self._diagnose_batch(batch)) as cursor:
            positions = cursor.execute(self._sql["batch"], params).fetchall()
        if not positions:  # a stream has a read-model row: the statement wrote nothing
            raise self._diagnose_batch(batch)
        if len(positions) != params["count"]:  # pragma: no cover - a broken schema
            raise StorageError("the batch wrote an unexpected number of notifications")
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

    def _diagnose_batch(self, batch: Batch) -> Exception:
        """Find why a batch was refused, checking each append in order as `MemoryStore` does."""
        streams = [append.stream_id for append in batch.appends]
        with self._connection() as cursor:
            rows = cursor.execute(self._sql["diagnose_batch"], {"streams": streams}).fetchall()
        for index, (append, (has_row, version)) in enumerate(zip(batch.appends, rows, strict=True)):
            if has_row:
                return InvalidStoreInput(field=f"appends[{index}].stream_id", reason=READ_MODEL_ROW)
            if version != append.expected_version:
                return ConcurrencyConflict(
                    stream_id=append.stream_id, expected=append.expected_version, actual=version
                )
        # The conflicting writer's rows are committed, so this is not reached in practice.
        first = batch.appends[0]  # pragma: no cover
        return ConcurrencyConflict(  # pragma: no cover
            stream_id=first.stream_id, expected=first.expected_version, actual=rows[0][1]
        )

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        """Return the stream's events above version *after*, in order."""
        start = read_after(after)
        return tuple(
            StoredEvent(
                stream_id=stream_id,
                version=version,
                kind=kind,
                body=body,
                hash=hash_,
                previous_hash=previous_hash,
                recorded_at=recorded_at,
            )
            for version, kind, body, hash_, previous_hash, recorded_at in self._look_up(
                "read", stream_id, start
            )
        )

    def summary(self, stream_id: str, /) -> Summary | None:
        """Return the stream's read-model row, or ``None``."""
        rows = self._look_up("summary", stream_id)
        return _summary(rows[0]) if rows else None

    def find_number(self, number: str, /) -> Summary | None:
        """Return the row of the application numbered *number*, or ``None``."""
        rows = self._look_up("number", number)
        return _summary(rows[0]) if rows else None

    def summaries(self, query: SummaryQuery, /) -> Page:
        """Return one page of the rows matching *query*; see `onestop.ports.events.EventStore`."""
        query = check_query(query)
        after = decode_cursor(query.cursor, query.order)
        statement, params = page_statement(query, after, self._identifier)
        with self._connection() as cursor:
            rows = cursor.execute(statement, params).fetchall()
        page = rows[: query.limit]
        cursor_key = None
        if len(rows) > query.limit and page:
            rank, instant, stream_id = page[-1][-3:]
            cursor_key = encode_cursor((rank, instant, stream_id), query.order)
        return Page(items=tuple(_summary(row[:-3]) for row in page), next_cursor=cursor_key)

    def idempotency(self, key: str, /) -> IdempotencyRecord | None:
        """Return the record of idempotency key *key*, or ``None``."""
        rows = self._look_up("idempotency", key)
        if not rows:
            return None
        found, stream_id, request_digest, recorded_at = rows[0]
        return IdempotencyRecord(
            key=found, stream_id=stream_id, request_digest=request_digest, recorded_at=recorded_at
        )

    def sequence(self, name: str, /) -> int:
        """Return the counter *name*'s current value (0 if never claimed)."""
        rows = self._look_up("sequence", name)
        return int(rows[0][0]) if rows else 0

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Notification, ...]:
        """Return up to *limit* notifications with a position above *after*, in order."""
        start, limit = notification_window(after, limit)
        return tuple(
            Notification(
                position=position,
                stream_id=stream_id,
                version=version,
                kind=kind,
                body=body,
                recorded_at=recorded_at,
            )
            for position, stream_id, version, kind, body, recorded_at in self._fetch(
                "notifications", (start, limit)
            )
        )

    def position(self, consumer: str, /) -> int:
        """Return the last position *consumer* recorded (0 if none)."""
        rows = self._look_up("position", consumer)
        return int(rows[0][0]) if rows else 0

    def record_position(self, consumer: str, position: int, /) -> None:
        """Record *consumer*'s position; it may not move backwards."""
        check_consumer(consumer)
        check_position(position)
        if not self._fetch("record_position", (consumer, position)):
            current = self.position(consumer)
            raise ConcurrencyConflict(stream_id=consumer, expected=position, actual=current)

    def close(self) -> None:
        """Close the pool; later calls raise `StorageError`."""
        self._closed = True
        self._pool.close()


def open_url(url: str, /) -> PostgresStore:
    """Open the store a ``postgresql://`` URL names (``?schema=`` picks the schema)."""
    return PostgresStore.connect(url)


def _configure(conn: Connection) -> None:
    # Read committed, whatever the server's default: a commit that queued on the log
    # head then continues from the new head instead of failing to serialize.
    conn.execute("SET TIME ZONE 'UTC'; SET default_transaction_isolation TO 'read committed'")


def _summary(row: Sequence[Any]) -> Summary:
    (stream_id, number, service, service_version, agency, channel, state, assignee) = row[:8]
    (received, due, at_risk_from, suspended, closed, version, updated_at) = row[8:15]
    return Summary(
        stream_id=stream_id,
        number=number,
        service=service,
        service_version=service_version,
        agency=agency,
        channel=channel,
        state=state,
        assignee=assignee,
        received=received,
        due=due,
        at_risk_from=at_risk_from,
        suspended=suspended,
        closed=closed,
        version=version,
        updated_at=updated_at,
    )
