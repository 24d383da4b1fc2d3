"""The SQLite adapter's schema migrations, and the connection settings it applies.

The schema ships as numbered SQL files in the package (``onestop/storage/sql/sqlite/
0001_initial.sql``, ...), read with `importlib.resources`, so the wheel carries them
and integrators can read or feed them to their own tools (`shipped_migrations`).
`onestop.storage.sqlite.SQLiteStore.open` applies the missing ones: each in its own
``BEGIN IMMEDIATE`` transaction, together with its row in
``onestop_schema_migrations``, so a migration is applied whole or not at all, and two
processes opening a new file at once apply it exactly once.

>>> [(step.version, step.name) for step in shipped_migrations()]
[(1, 'initial'), (2, 'catalogue_versions'), (3, 'subject_keys'), (4, 'staff')]
>>> Migration(version=3, name="b", sql="CREATE TABLE a (x INTEGER);\\n-- b; c\\n").statements()
['CREATE TABLE a (x INTEGER);']

The public names are those in ``__all__``.  ``configure``, ``migrate`` and
``split_statements`` are the adapter's own steps, called inside its one
error-translating context (``_sqlite_open.translate_errors``): they let the
driver's errors through, and are not part of the API.  (``migrate`` keeps its name
because the shipped SQL files name it, and their text is checksummed.)
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Literal

import attrs

from onestop.domain.common.formats import CODE, check_int, check_text, kind_of
from onestop.exceptions import ConfigurationError, StorageError

__all__ = [
    "MIGRATIONS_TABLE",
    "MINIMUM_SQLITE",
    "Migration",
    "SQLiteConnections",
    "Synchronous",
    "schema_version",
    "secure_deletion",
    "shipped_migrations",
]


class SQLiteConnections(abc.ABC):
    """What the table mixins of `onestop.storage.sqlite.SQLiteStore` (its subject keys,
    staff, history and catalogue methods) take from the store: its connections, its
    transactions and its write-ahead log."""

    @abc.abstractmethod
    def _reading(
        self, *, writer: bool = False
    ) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """Yield a connection to read with (the writer's, under the store's lock, if
        *writer*), with the store's error translation."""

    @abc.abstractmethod
    def _writing(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """Yield the connection inside a ``BEGIN IMMEDIATE`` transaction of the store's."""

    @abc.abstractmethod
    def _truncate_wal(self) -> None:
        """Checkpoint the WAL into the database file and truncate it."""


Synchronous = Literal["FULL", "NORMAL"]
"""The ``PRAGMA synchronous`` levels `onestop.storage.sqlite.SQLiteStore.open` accepts."""

MINIMUM_SQLITE = (3, 37, 0)
"""The oldest SQLite library the adapter works with (``STRICT`` tables came in 3.37)."""

MIGRATIONS_TABLE = "onestop_schema_migrations"
"""The table that records each applied migration's version, name and checksum."""

_FILE_NAME = re.compile(r"(?P<version>[0-9]{4})_(?P<name>[a-z0-9_]+)\.sql")
_CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT
"""


MAX_MIGRATION = 1_000_000
"""The longest SQL text a `Migration` holds, in characters."""


def _number(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_int(value, field=attribute.name, minimum=1, maximum=9999)


def _sql(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    check_text(value, field=attribute.name, max_length=MAX_MIGRATION, multiline=True)


@attrs.frozen(kw_only=True)
class Migration:
    """One step of the schema: SQL statements applied in one transaction.

    Attributes:
        version: Its number, from 1 (to 9999, as its file name holds four digits),
            without gaps.
        name: A short name (``initial``), as in its file's name: a
            `onestop.domain.common.formats.CODE`.
        sql: The statements, separated by semicolons; ``--`` comments are allowed.
            Text of at most `MAX_MIGRATION` characters with no lone surrogate and no
            control character but line breaks and tabs, so that SQLite reads it.

    Raises:
        onestop.exceptions.InvalidValue: If a field is not as described.
    """

    version: int = attrs.field(validator=_number)
    name: str = attrs.field(validator=CODE.validator)
    sql: str = attrs.field(repr=False, validator=_sql)

    @property
    def checksum(self) -> str:
        """The SHA-256 of `sql`, recorded so that an edited, applied migration is noticed."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def statements(self) -> list[str]:
        """Return the migration's statements, in order.

        Raises:
            onestop.exceptions.StorageError: If the SQL ends with an incomplete
                statement (a migration cut short cannot be applied).
        """
        return split_statements(self.sql)


def shipped_migrations() -> tuple[Migration, ...]:
    """Return the migrations shipped with onestop for SQLite, in version order."""
    folder = resources.files("onestop.storage").joinpath("sql").joinpath("sqlite")
    steps = []
    for entry in folder.iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match is not None:
            steps.append(
                Migration(
                    version=int(match["version"]),
                    name=match["name"],
                    sql=entry.read_text(encoding="utf-8"),
                )
            )
    return tuple(sorted(steps, key=lambda step: step.version))


def split_statements(sql: str) -> list[str]:
    """Split *sql* into complete statements, as SQLite's own tokenizer sees them.

    Semicolons inside strings, comments and trigger bodies do not split.  A trailing
    part holding only comments is dropped.

    Raises:
        StorageError: If *sql* is not text, or ends with an incomplete statement (a
            migration that is cut short cannot be applied).
    """
    given: object = sql
    if not isinstance(given, str):
        raise StorageError("migration SQL must be text")
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    rest = [line.strip() for line in pending.splitlines()]
    if any(line and not line.startswith("--") for line in rest):
        raise StorageError("the SQL ends with an incomplete statement")
    return statements


def configure(
    connection: sqlite3.Connection, *, synchronous: Synchronous, busy_timeout: float = 5.0
) -> None:
    """Set the per-connection pragmas and switch a file database to WAL.

    ``foreign_keys=ON`` and ``synchronous`` hold for this connection only; the WAL
    journal mode is stored in the file.  The busy timeout is set when connecting.
    ``secure_delete`` is ``FAST`` (zeroing what a statement frees on the pages it writes
    anyway, at no extra I/O) but for the statements that destroy keys or history
    (`secure_deletion`: ``ON``).  Off, a page that split as its table grew kept copies
    of the rows it had held in its unused space, where no later deletion reached them:
    a destroyed data key, a blind index row or an event body from before the sealing
    migration stayed in the file.  ``ON`` for every statement made reads of the read
    model about 60% slower (benchmarks/bench_storage.py, worklist first pages).

    SQLite answers a switch to WAL that another connection's opening overlaps with
    "database is locked" at once, without waiting out the busy timeout (two workers
    opening one new file, or one of an older version, at the same moment): the switch
    is tried again for up to *busy_timeout* seconds.
    """
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA secure_delete = FAST")
    mode = _to_wal(connection, busy_timeout)
    if mode not in ("wal", "memory"):
        raise StorageError(f"could not switch the database to WAL (journal mode is {mode!r})")
    level = {"FULL": "FULL", "NORMAL": "NORMAL"}[synchronous]
    connection.execute(f"PRAGMA synchronous = {level}")


def _to_wal(connection: sqlite3.Connection, busy_timeout: float) -> str:
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    if mode in ("wal", "memory"):
        return str(mode)  # already: nothing to switch, no lock to take
    deadline = time.monotonic() + busy_timeout
    pause = 0.005
    while True:
        try:
            (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            return str(mode)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def schema_version(connection: sqlite3.Connection) -> int:
    """Return the highest migration applied to the database (0 for a new one).

    Raises:
        onestop.exceptions.ConfigurationError: If *connection* is not an
            ``sqlite3.Connection``.
        onestop.exceptions.StorageError: If SQLite cannot read it (a closed
            connection, a file that is not a database); the driver's error is the
            ``__cause__``.
    """
    given: object = connection
    if not isinstance(given, sqlite3.Connection):
        raise ConfigurationError(f"expected an sqlite3.Connection, not {kind_of(given)}")
    try:
        return _version(connection)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read the schema version ({type(exc).__name__})") from exc


def _version(connection: sqlite3.Connection) -> int:
    if not _has_table(connection):
        return 0
    (version,) = connection.execute(
        f"SELECT coalesce(max(version), 0) FROM {MIGRATIONS_TABLE}"  # noqa: S608 - a constant
    ).fetchone()
    return int(version)


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration] | None = None) -> int:
    """Apply the migrations the database lacks, each atomically; return the schema version.

    Args:
        connection: A connection in autocommit mode (``isolation_level=None``).
        migrations: The steps to apply; the shipped ones by default.

    The driver's errors are not translated here: `onestop.storage.sqlite.SQLiteStore`
    calls this inside its one error-translating context.

    Raises:
        sqlite3.Error: If a statement fails; that migration is rolled back, so the
            version stays where it was, and the error's note names the migration.
        StorageError: If an applied migration's text changed since, or the database
            is newer than these migrations.
    """
    steps = tuple(shipped_migrations() if migrations is None else migrations)
    if [step.version for step in steps] != list(range(1, len(steps) + 1)):
        raise StorageError("migrations must be numbered 1, 2, 3, ... without gaps")
    applied = _applied(connection)
    for step in steps:
        if step.version in applied:
            _check_unchanged(step, applied[step.version])
            continue
        _apply(connection, step)
    newest = _version(connection)
    if newest > len(steps):
        raise StorageError(
            f"the database's schema version {newest} is newer than this onestop knows "
            f"({len(steps)}); upgrade onestop"
        )
    return newest


def _has_table(connection: sqlite3.Connection) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    return row is not None


def _applied(connection: sqlite3.Connection) -> dict[int, str]:
    if not _has_table(connection):
        return {}
    rows = connection.execute(
        f"SELECT version, checksum FROM {MIGRATIONS_TABLE}"  # noqa: S608 - a constant
    ).fetchall()
    return {int(version): str(checksum) for version, checksum in rows}


def _check_unchanged(step: Migration, checksum: str) -> None:
    if checksum != step.checksum:
        raise StorageError(
            f"migration {step.version:04d}_{step.name} was changed after it was applied"
        )


def _apply(connection: sqlite3.Connection, step: Migration) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(_CREATE_TABLE)
        row = connection.execute(
            f"SELECT checksum FROM {MIGRATIONS_TABLE} WHERE version = ?",  # noqa: S608
            (step.version,),
        ).fetchone()
        if row is None:  # another process may have applied it since we looked
            for statement in step.statements():
                connection.execute(statement)
            connection.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?, ?, ?)",  # noqa: S608
                (step.version, step.name, step.checksum, datetime.now(UTC).isoformat()),
            )
        else:
            _check_unchanged(step, str(row[0]))
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(connection)
        exc.add_note(f"migration {step.version:04d}_{step.name} failed and was rolled back")
        raise
    except BaseException:
        _rollback(connection)
        raise


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the original error matters more
            connection.rollback()


@contextlib.contextmanager
def secure_deletion(connection: sqlite3.Connection, /) -> Iterator[sqlite3.Connection]:
    """Run the statements inside with ``secure_delete=ON``: what they delete is zeroed.

    A destroyed data key, a removed blind index row or a rewritten event body leaves
    no copy in the database file's free space (the caller checkpoints the WAL after).
    """
    connection.execute("PRAGMA secure_delete = ON")
    try:
        yield connection
    finally:
        connection.execute("PRAGMA secure_delete = FAST")
