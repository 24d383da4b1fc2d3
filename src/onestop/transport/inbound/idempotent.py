"""Idempotent consumers: apply each message's effect once, however often it is delivered.

Brokers deliver at least once: JetStream redelivers a message whose acknowledgement
was lost or came after its ack wait, and a relay that crashed before recording its
progress publishes again.  The publisher's de-duplication (``Nats-Msg-Id``) catches
some of that; the consumer must catch the rest.  The pattern: **record the ids of
processed messages in the same transaction as the effect**, with a unique key on
``(consumer, message_id)``.  Either both the effect and the record commit, or
neither does; a redelivered message finds its id recorded and is skipped (and
acknowledged).

`ProcessedLog` is that table, behind a small Protocol generic in the transaction it
hands to effects; `SqliteProcessedLog` is the reference implementation on the
standard library's `sqlite3`; `IdempotentConsumer` ties a log, a name and an effect
together:

>>> log = SqliteProcessedLog.connect(":memory:")
>>> _ = log.connection.execute("CREATE TABLE seen_events (id TEXT)")
>>> def remember(tx: sqlite3.Connection, message: Incoming) -> None:
...     tx.execute("INSERT INTO seen_events VALUES (?)", (message.id,))
>>> consumer = IdempotentConsumer("mirror", log, remember)
>>> consumer.handle("app-1:1", b"{}"), consumer.handle("app-1:1", b"{}")
(True, False)
>>> log.connection.execute("SELECT count(*) FROM seen_events").fetchone()
(1,)

The same in PostgreSQL (psycopg 3), with the effect's writes on the same connection::

    CREATE TABLE onestop_processed (
        consumer     text        NOT NULL,
        message_id   text        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
    );

    with conn.transaction():
        claimed = conn.execute(
            "INSERT INTO onestop_processed (consumer, message_id) VALUES (%s, %s)"
            " ON CONFLICT DO NOTHING",
            (consumer, message_id),
        ).rowcount == 1
        if claimed:
            effect(conn)        # same connection, same transaction
    # then acknowledge the message, whether it was claimed or a duplicate

A second worker that inserts the same id at the same time waits on the primary key
until the first commits, then finds the conflict and skips; if the first rolls
back, the second claims the id and applies the effect.  Acknowledge only after the
commit: a crash in between costs a redelivery, which is then skipped.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from os import PathLike
from types import MappingProxyType
from typing import Final, Generic, NoReturn, Protocol, TypeVar

import attrs

from onestop.domain.common.formats import kind_of, text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import (
    ConfigurationError,
    InvalidStoreInput,
    NaiveDatetime,
    StorageError,
)

__all__ = [
    "MAX_MESSAGE_ID",
    "IdempotentConsumer",
    "Incoming",
    "ProcessedLog",
    "SqliteProcessedLog",
    "check_names",
]

Tx = TypeVar("Tx")
"""The transaction an `IdempotentConsumer`'s log hands to its effect."""
Tx_co = TypeVar("Tx_co", covariant=True)
"""The transaction a `ProcessedLog` hands to effects, such as a `sqlite3.Connection`."""

_TABLE: Final = "onestop_processed"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_MAX_NAME: Final = 256
_MAX_TIMEOUT: Final = 3600.0

MAX_MESSAGE_ID: Final = 1024
"""The longest message id a consumer records, in characters."""


def _refuse(field: str, reason: str) -> NoReturn:
    raise InvalidStoreInput(field=field, reason=reason)


def check_names(consumer: object, message_id: object, /) -> None:
    """Refuse a consumer name or message id that is not text a log keeps.

    Both are text without control characters or lone surrogates: a consumer name of 1
    to 256 characters, a message id of 1 to `MAX_MESSAGE_ID`.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming ``consumer`` or ``message_id``.
    """
    for field, value, longest in (
        ("consumer", consumer, _MAX_NAME),
        ("message_id", message_id, MAX_MESSAGE_ID),
    ):
        problem = text_problem(value, max_length=longest)
        if problem is not None:
            _refuse(field, problem)


def _names_fit(consumer: object, message_id: object) -> bool:
    try:
        check_names(consumer, message_id)
    except InvalidStoreInput:
        return False
    return True


def _stamp(at: object, field: str) -> str:
    """Return *at* as the UTC ISO 8601 text the log stores, which sorts as time does."""
    if not isinstance(at, datetime):
        _refuse(field, f"expected a timezone-aware datetime, not {kind_of(at)}")
    if at.utcoffset() is None:
        raise NaiveDatetime(field)
    try:
        return at.astimezone(UTC).isoformat()
    except OverflowError:
        _refuse(field, "lies outside the years 1 to 9999 in UTC")


@attrs.frozen(kw_only=True)
class Incoming:
    """One message as a consumer's effect sees it.

    Attributes:
        id: The message's stable id (the publisher's ``Nats-Msg-Id``, the notification's
            `onestop.ports.events.Notification.message_id`).
        body: The payload; left out of the repr.
        subject: Where it came from (a NATS subject), if the broker says.
        headers: Its headers, if any.
    """

    id: str
    body: bytes = attrs.field(repr=False)
    subject: str | None = None
    headers: Mapping[str, str] = attrs.field(default=_NO_HEADERS, repr=False)


class ProcessedLog(Protocol[Tx_co]):
    """Records which messages a consumer processed, in the transaction of their effect.

    *Tx_co* is what the effect is handed to write with: a `sqlite3.Connection`, a
    psycopg connection, a unit of work.
    """

    def apply_once(
        self, consumer: str, message_id: str, effect: Callable[[Tx_co], None], /
    ) -> bool:
        """Run *effect* and record *message_id* for *consumer*, atomically, unless recorded.

        Args:
            consumer: The consumer's name; each consumer keeps its own record.
            message_id: The message's stable id.
            effect: Writes the message's effect through the transaction it is given; it
                must not commit or roll back itself.

        Returns:
            ``True`` if the effect ran and committed with the record; ``False`` if the
            id was recorded already, in which case nothing ran.

        Raises:
            Exception: Whatever *effect* raised; then nothing is recorded, and the
                message must not be acknowledged, so that it comes again.
        """
        ...

    def processed(self, consumer: str, message_id: str, /) -> bool:
        """Tell whether *consumer* has recorded *message_id*."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqliteProcessedLog:
    """A `ProcessedLog` in an SQLite table, handing the effect the same `sqlite3.Connection`.

    Each `apply_once` is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` on the log's connection:
    the id is inserted first (``INSERT OR IGNORE`` on the primary key
    ``(consumer, message_id)``), the effect writes through the same connection, and
    both commit together; an exception from the effect rolls both back.  The table is
    created if missing.  Calls are serialised by a lock, so one log may be shared by
    threads (the connection is opened with ``check_same_thread=False`` by `connect`).

    Args:
        connection: A connection in autocommit mode (``isolation_level=None``), so that
            the log controls the transactions; the log does not close it unless `close`
            is called.
        table: The table's name: letters, digits and underscores.
        clock: Returns the time stamped on each record (the system's, in UTC, by default).

    Raises:
        onestop.exceptions.ConfigurationError: If the connection is not in autocommit
            mode or the table name is not a plain identifier.
        onestop.exceptions.StorageError: If the table cannot be created.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        /,
        *,
        table: str = _TABLE,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if connection.isolation_level is not None:
            raise ConfigurationError(
                "SqliteProcessedLog needs a connection opened with isolation_level=None"
            )
        name: object = table
        if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
            raise ConfigurationError("the processed-log table name must be a plain identifier")
        if not callable(clock):
            raise ConfigurationError("clock must be a function returning the time")
        self._connection = connection
        self._table = table
        self._clock = clock
        self._lock = threading.Lock()
        try:
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                " consumer TEXT NOT NULL, message_id TEXT NOT NULL, processed_at TEXT NOT NULL,"
                " PRIMARY KEY (consumer, message_id)) WITHOUT ROWID"
            )
        except sqlite3.Error as exc:
            raise StorageError("cannot create the processed-message table") from exc

    @classmethod
    def connect(
        cls, path: str | PathLike[str], /, *, table: str = _TABLE, timeout: float = 5.0
    ) -> SqliteProcessedLog:
        """Open (or create) the SQLite database at *path* and return a log over it.

        Args:
            path: The database file, or ``":memory:"``.
            table: The table's name.
            timeout: How many seconds to wait for another writer's lock: 0 to 3600.

        Raises:
            onestop.exceptions.ConfigurationError: If *path* is not text or a path
                (or holds a NUL), *table* is not a plain identifier, or *timeout* is
                not a number of seconds from 0 to 3600 (a `bool` is not one).
            onestop.exceptions.StorageError: If the database cannot be opened.
        """
        problem = seconds_problem(timeout, maximum=_MAX_TIMEOUT)
        if problem is not None:
            raise ConfigurationError(f"timeout {problem}")
        where: object = path
        if not isinstance(where, str | PathLike) or not isinstance(os.fspath(where), str):
            raise ConfigurationError("the processed-log path must be text or a path")
        if "\x00" in os.fspath(path):
            raise ConfigurationError("the processed-log path holds a NUL character")
        try:
            connection = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, UnicodeError) as exc:
            raise StorageError("cannot open the processed-message database") from exc
        return cls(connection, table=table)

    def __repr__(self) -> str:
        """Show the table's name."""
        return f"<SqliteProcessedLog table={self._table!r}>"

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection effects write through (and tests read from)."""
        return self._connection

    def apply_once(
        self, consumer: str, message_id: str, effect: Callable[[sqlite3.Connection], None], /
    ) -> bool:
        """Run *effect* and record *message_id*, in one transaction; see `ProcessedLog`.

        Raises:
            onestop.exceptions.InvalidStoreInput: If *consumer* or *message_id* is not
                text a log keeps (`check_names`), or *effect* is not callable.
            onestop.exceptions.ConfigurationError: If the clock gives no aware datetime.
        """
        check_names(consumer, message_id)
        if not callable(effect):
            _refuse("effect", f"expected a function, not {kind_of(effect)}")
        try:
            stamp = _stamp(self._clock(), "clock")
        except (InvalidStoreInput, NaiveDatetime) as exc:
            raise ConfigurationError(f"the processed log's clock is wrong: {exc}") from None
        connection = self._connection
        with self._lock:
            try:
                connection.execute("BEGIN IMMEDIATE")
                claimed = connection.execute(
                    f"INSERT OR IGNORE INTO {self._table}"  # noqa: S608 - checked identifier
                    " (consumer, message_id, processed_at) VALUES (?, ?, ?)",
                    (consumer, message_id, stamp),
                )
            except sqlite3.Error as exc:
                _rollback(connection)
                raise StorageError("cannot record a processed message") from exc
            if claimed.rowcount != 1:
                connection.execute("ROLLBACK")
                return False
            try:
                effect(connection)
            except BaseException:
                _rollback(connection)
                raise
            if not connection.in_transaction:
                raise ConfigurationError(
                    "the effect committed or rolled back the processed-log transaction"
                )
            try:
                connection.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(connection)
                raise StorageError("cannot commit a processed message") from exc
            return True

    def processed(self, consumer: str, message_id: str, /) -> bool:
        """Tell whether *consumer* has recorded *message_id* (never, if no log keeps them)."""
        if not _names_fit(consumer, message_id):
            return False
        with self._lock:
            row = self._connection.execute(
                f"SELECT 1 FROM {self._table}"  # noqa: S608 - checked identifier
                " WHERE consumer = ? AND message_id = ?",
                (consumer, message_id),
            ).fetchone()
        return row is not None

    def prune(self, consumer: str, /, *, before: datetime) -> int:
        """Forget *consumer*'s records older than *before*; return how many were dropped.

        Keep records for longer than any message can be redelivered (the broker's
        retention for its stream, not just its de-duplication window).

        Raises:
            onestop.exceptions.InvalidStoreInput: If *before* is not a datetime.
            onestop.exceptions.NaiveDatetime: If *before* has no time zone.
        """
        cutoff = _stamp(before, "before")
        if not _names_fit(consumer, "-"):
            return 0
        with self._lock:
            cursor = self._connection.execute(
                f"DELETE FROM {self._table}"  # noqa: S608 - checked identifier
                " WHERE consumer = ? AND processed_at < ?",
                (consumer, cutoff),
            )
        return cursor.rowcount

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


class IdempotentConsumer(Generic[Tx]):
    """Applies a message's effect once per message id, however often it is delivered.

    Args:
        name: The consumer's name: its records are kept apart from other consumers'.
        log: Where processed ids are recorded, in the effect's transaction.
        effect: Writes the message's effect through the transaction it is given.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_effect", "_log", "_name")

    def __init__(
        self, name: str, log: ProcessedLog[Tx], effect: Callable[[Tx, Incoming], None], /
    ) -> None:
        if text_problem(name, max_length=_MAX_NAME) is not None:
            raise ConfigurationError(
                f"a consumer needs a name: text of 1 to {_MAX_NAME} characters"
                " without control characters"
            )
        if not callable(getattr(log, "apply_once", None)) or not callable(effect):
            raise ConfigurationError("give a ProcessedLog and an effect function")
        self._name = name
        self._log = log
        self._effect = effect

    def __repr__(self) -> str:
        """Show the consumer's name and its log."""
        return f"<IdempotentConsumer {self._name!r} log={self._log!r}>"

    @property
    def name(self) -> str:
        """The consumer's name."""
        return self._name

    def handle(
        self,
        message_id: str,
        body: bytes,
        /,
        *,
        subject: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Apply the effect of message *message_id* unless it was applied before.

        Acknowledge the message to the broker after this returns, whatever it returns;
        if it raises, do not acknowledge it (or reject it), so that it comes again.

        Returns:
            ``True`` if the effect was applied now; ``False`` for a duplicate.

        Raises:
            onestop.exceptions.InvalidStoreInput: If *message_id* is not text a log
                keeps (`check_names`), *body* is not bytes, *subject* is not text, or
                *headers* is not a mapping of text to text.  Nothing is recorded.
        """
        check_names(self._name, message_id)
        if not isinstance(body, bytes):
            _refuse("body", f"expected bytes, not {kind_of(body)}")
        if subject is not None and not isinstance(subject, str):
            _refuse("subject", f"expected text, not {kind_of(subject)}")
        given: object = headers
        if given is not None and not (
            isinstance(given, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in given.items())
        ):
            _refuse("headers", "expected a mapping of text to text")
        message = Incoming(
            id=message_id,
            body=body,
            subject=subject,
            headers=MappingProxyType(dict(headers)) if headers else _NO_HEADERS,
        )
        effect = self._effect

        def apply(tx: Tx) -> None:
            effect(tx, message)

        return self._log.apply_once(self._name, message_id, apply)
