"""Connecting the PostgreSQL store: its settings, its URL, and its one error translation.

Private to `onestop.storage.postgres`, which re-exports `translate_db_errors`,
`check_pool`, `MAX_POOL` and `MAX_TIMEOUT`.  `onestop.storage.postgres.PostgresStore`
checks the URL and the pool's settings here before it connects, so that a URL libpq
cannot parse, a pool size that is a `bool` or a timeout that is not finite is a
`onestop.exceptions.ConfigurationError`, never a driver's error; and every driver error
met afterwards is translated in `translate_db_errors`, which tells the settings the
server refuses (configuration) from a server that is away (transient).  `lend` lends
the pool's connections, passing over those the server closed while they sat idle.
"""

from __future__ import annotations

import contextlib
import re
import select
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from onestop.domain.common.formats import kind_of, text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import ConfigurationError, StorageError, StorageUnavailable
from onestop.storage.postgres_schema import MISSING_EXTRA, Connection

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolClosed
except ImportError as exc:  # pragma: no cover - the tests run with the extra installed
    raise ConfigurationError(MISSING_EXTRA) from exc

__all__ = [
    "MAX_POOL",
    "MAX_TIMEOUT",
    "SESSION",
    "check_database",
    "check_pool",
    "lend",
    "split_url",
    "translate_db_errors",
]

_MAX_URL = 8192
_CONFLICTS = frozenset(
    {
        "events_pkey",
        "events_follow_previous",
        "idempotency_pkey",
        "sequence_claims_pkey",
        "catalogue_versions_pkey",
        "sequence_claims_follow_previous",
        "summaries_number_key",
    }
)


# What libpq and the server answer when the URL or the server's settings refuse a
# connection, which no retry mends.  At connection time psycopg has no SQLSTATE to go
# by (the server refuses before a session exists), so the message is read: libpq's
# own, in English, and the server's FATAL ones, in its ``lc_messages`` language
# (English unless set otherwise; other languages then read as unavailable).
_CONFIGURATION = re.compile(
    r"does not exist"  # 3D000 no such database, 28000 no such role
    r"|authentication failed|pg_hba\.conf|no password supplied"  # 28P01, 28000
    r"|permission denied for database|is not accepting connections"
    r"|invalid [a-z_]+ value|invalid integer value|invalid port number"
    r"|invalid value for parameter|invalid connection option|requires a value"
    r"|unrecognized configuration parameter"
    r"|SSL was required|does not support SSL|certificate",
    re.ASCII,
)
_CONFIGURATION_STATES = ("28", "3D")  # invalid authorization, invalid catalog name
_MAX_MESSAGE = 300


def _describe(exc: psycopg.Error) -> str:
    text = exc.diag.message_primary or (str(exc).splitlines() or [type(exc).__name__])[0]
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    state = f" (SQLSTATE {exc.sqlstate})" if exc.sqlstate else ""
    return f"PostgreSQL: {text}{state}"


def _is_configuration(exc: psycopg.OperationalError) -> bool:
    """Tell whether *exc* says the connection settings are wrong, not the server away."""
    if exc.sqlstate is not None:
        return exc.sqlstate.startswith(_CONFIGURATION_STATES)
    return _CONFIGURATION.search(str(exc)) is not None


@contextlib.contextmanager
def translate_db_errors(
    conflict: Callable[[], Exception] | None = None,
) -> Iterator[None]:
    """Re-raise psycopg errors as onestop errors; the driver's error stays in ``__cause__``.

    A unique or foreign-key violation of a key that guards a check of the ports (the
    events', an idempotency key's, a counter's, an application number's, a catalogue
    version's) raises what
    *conflict* returns, usually a `ConcurrencyConflict` (an `InvalidStoreInput` when a
    batch ran into an application's stream).  A connection the settings refuse (a
    database or role that does not exist, a failed authentication, an invalid
    ``sslmode`` or other option, SSL required of a server without it) raises
    `ConfigurationError`: retrying cannot help; so does a right the role lacks
    (SQLSTATE 42501, such as creating the schema).  Serialization failures, deadlocks,
    lost or refused connections, timeouts, a terminated backend, a server shutting
    down and a pool timeout raise `StorageUnavailable`, which is safe to retry; any
    other driver error, and text the driver cannot encode (a lone surrogate), raises
    `StorageError`.  Messages hold the server's primary message and the SQLSTATE,
    never its detail lines (which quote key values) or the connection URL.
    """
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        if conflict is not None and exc.diag.constraint_name in _CONFLICTS:
            with translate_db_errors():
                error = conflict()
            raise error from exc
        raise StorageError(_describe(exc)) from exc
    except psycopg.errors.InsufficientPrivilege as exc:  # 42501: the role's rights, not a fault
        raise ConfigurationError(_describe(exc)) from exc
    except PoolClosed as exc:  # the store was closed while a call waited for a connection
        raise StorageError("the store is closed") from exc
    except psycopg.OperationalError as exc:  # includes 40001, 40P01, 57P01 and PoolTimeout
        if _is_configuration(exc):
            raise ConfigurationError(_describe(exc)) from exc
        raise StorageUnavailable(_describe(exc)) from exc
    except psycopg.Error as exc:
        raise StorageError(_describe(exc)) from exc
    except UnicodeEncodeError as exc:  # a lone surrogate, which the driver cannot send
        raise StorageError("PostgreSQL cannot store text that is not valid Unicode") from exc


SESSION: dict[str, Any] = {"autocommit": True, "client_encoding": "UTF8"}
"""The settings of every connection the store opens, over whatever the URL says.

UTF-8 whatever the URL's ``client_encoding`` (or its ``options``): in another
encoding the driver cannot send most scripts' text, and in ``SQL_ASCII`` it returns
text as bytes."""


def check_database(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Check that the database *conn* is connected to can keep the store's text.

    Raises:
        ConfigurationError: If the database's encoding is not UTF-8: one in LATIN1
            cannot keep Khmer or Arabic text, one in ``SQL_ASCII`` checks nothing.
    """
    encoding = conn.info.parameter_status("server_encoding")
    if encoding is None:  # not reported at connection time (a proxy in between): ask
        row = conn.execute("SHOW server_encoding").fetchone()
        encoding = str(row[0]) if row is not None else None
    if encoding != "UTF8":
        raise ConfigurationError(
            f"the database's encoding is {encoding}: onestop needs a UTF8"
            " database (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)"
        )


def _readable(conn: Connection) -> bool:
    if hasattr(select, "poll"):  # not select.select, which fails on descriptors from 1024
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([conn.fileno()], [], [], 0)  # pragma: no cover - Windows
    return bool(readable)


def _dropped(conn: Connection) -> bool:
    """Tell whether the server closed *conn* while it sat idle in the pool.

    An idle connection in autocommit mode has nothing to read unless the server sent
    something unasked, such as the error and the end of a terminated backend (a restart,
    a failover, ``pg_terminate_backend``, ``idle_session_timeout``).  Only then is the
    server asked, with an empty query; a healthy connection costs no round trip.
    """
    if conn.closed:
        return True
    if not _readable(conn):
        return False
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return True
    return False


@contextlib.contextmanager
def lend(pool: ConnectionPool[Connection]) -> Iterator[Connection]:
    """Lend a connection of *pool*, passing over those the server closed while idle.

    A server restarted, failed over or ending idle sessions closes every idle
    connection of the pool at once; lent as they were, each would fail its next call
    with `StorageUnavailable`.  A connection found closed goes back to the pool, which
    discards it and opens another; after ``max_size`` such, the next one is lent as it
    is (a server still away then fails the call, as it should).
    """
    for tries in range(pool.max_size, -1, -1):
        with pool.connection() as conn:
            if not tries or not _dropped(conn):
                yield conn
                return


MAX_POOL = 1000
"""The most connections a store's pool may hold (`PostgresStore.connect`'s ``max_size``)."""

MAX_TIMEOUT = 3600.0
"""The longest connection timeout `PostgresStore.connect` accepts, in seconds (an hour)."""


def check_pool(*, min_size: object, max_size: object, timeout: object) -> None:
    """Check `PostgresStore.connect`'s pool settings.

    Raises:
        ConfigurationError: Unless ``1 <= min_size <= max_size <=`` `MAX_POOL` (integers,
            not `bool`) and *timeout* is a number of seconds above 0 and at most
            `MAX_TIMEOUT`.
    """
    sizes = (min_size, max_size)
    if any(isinstance(size, bool) or not isinstance(size, int) for size in sizes):
        raise ConfigurationError("pool sizes must be integers")
    if not 1 <= min_size <= max_size <= MAX_POOL:  # type: ignore[operator]
        raise ConfigurationError(f"pool sizes must satisfy 1 <= min_size <= max_size <= {MAX_POOL}")
    problem = seconds_problem(timeout, positive=True, maximum=MAX_TIMEOUT)
    if problem is not None:
        raise ConfigurationError(f"timeout {problem}")


def _check_text(url: object) -> str:
    if not isinstance(url, str):
        raise ConfigurationError(f"a PostgreSQL URL must be text, not {kind_of(url)}")
    problem = text_problem(url, max_length=_MAX_URL)
    if problem is not None:
        raise ConfigurationError(f"the PostgreSQL URL {problem}")
    return url


_AUTHORITY = re.compile(r"postgres(?:ql)?://([^/?#]*)", re.IGNORECASE)


def _check_authority(base: str) -> None:
    # libpq ends the user and password at the first "@", so the rest of a password
    # holding another one reads as the host and is quoted by "failed to resolve host".
    found = _AUTHORITY.match(base)
    if found is not None and found.group(1).count("@") > 1:
        raise ConfigurationError(
            "the PostgreSQL URL's user or password holds an '@': write it as %40"
        )


def _check_parses(conninfo: str) -> str:
    # libpq's message may quote part of the URL, a password included: it is not shown.
    try:
        conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        raise ConfigurationError(
            "the PostgreSQL URL is malformed: libpq cannot parse it"
            " (check its host, its parameters and its %-escapes)"
        ) from None
    return conninfo


def split_url(url: str) -> tuple[str, str | None]:
    """Take the ``schema`` parameter out of *url*; the rest goes to libpq as it was.

    Only the query string is touched, and other parameters are kept byte for byte:
    libpq decodes ``%XX`` but not ``+``, so re-encoding them could change them.

    Raises:
        ConfigurationError: If *url* is not text (or holds a control character or a
            lone surrogate), its user or password holds an unescaped ``@``, libpq
            cannot parse what remains, or it names the schema more than once.  The
            message never repeats the URL.
    """
    base, _, query = _check_text(url).partition("?")
    _check_authority(base)
    kept: list[str] = []
    schemas: list[str] = []
    for item in query.split("&") if query else ():
        key, _, value = item.partition("=")
        if unquote(key) == "schema":
            schemas.append(unquote(value))
        else:
            kept.append(item)
    if len(schemas) > 1:
        raise ConfigurationError("the URL gives the schema more than once")
    rest = f"{base}?{'&'.join(kept)}" if kept else base
    return _check_parses(rest), (schemas[0] if schemas else None)
