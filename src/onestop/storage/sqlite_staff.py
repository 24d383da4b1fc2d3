"""The staff tables of the SQLite store: `SQLiteStaff`, a base of `SQLiteStore`.

These methods implement `onestop.ports.staff.StaffStore` on the tables of migration 4
(``staff_secrets``, ``staff_failures``, ``access_records``), on the store's one
connection, inside its transactions and its one error-translating context.  They keep
the rules of `onestop.storage.memory.MemoryStore`, the specification.

**Counting failures across processes.**  `SQLiteStaff.count_failure` inserts the
failure and counts the key's failures in the window in one ``BEGIN IMMEDIATE``
transaction: SQLite lets one writer at a time hold the file, so the calls of every
process sharing it take turns, and *n* of them on one key return *n* different counts.

**Secrets leave the file.**  The statements that replace, delete or sweep secrets run
with ``PRAGMA secure_delete=ON`` (`onestop.storage.sqlite_schema.secure_deletion`), so
SQLite overwrites the space the old bytes leave with zeros, and the write-ahead log is
then checkpointed and truncated, as after destroying subjects' keys
(`onestop.storage.sqlite_keys` says what this does not reach).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from onestop.ports.staff import (
    AccessEntry,
    AccessRecord,
    StaffSecret,
    check_failure,
    check_secret_key,
    renewal_refused,
)
from onestop.storage import _staff_checks as checks
from onestop.storage._sqlite_sql import instant, micros
from onestop.storage.sqlite_schema import SQLiteConnections, secure_deletion

__all__ = ["SQLiteStaff"]

_COLUMNS = "key, account_id, kind, data, created_at, expires_at"
_PUT = (
    f"INSERT INTO staff_secrets ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"  # noqa: S608
    " ON CONFLICT (key) DO UPDATE SET account_id = excluded.account_id, kind = excluded.kind,"
    " data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at"
)
_OLD_DATA = "SELECT data FROM staff_secrets WHERE key = ?"
_RENEW = "UPDATE staff_secrets SET expires_at = ? WHERE key = ? AND created_at < ?"
_KEPT = "SELECT 1 FROM staff_secrets WHERE key = ?"
_LIVE = (
    f"SELECT {_COLUMNS} FROM staff_secrets"  # noqa: S608
    " WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)"
)
_OF = f"SELECT {_COLUMNS} FROM staff_secrets WHERE account_id = ? ORDER BY key"  # noqa: S608
_OF_KIND = (
    f"SELECT {_COLUMNS} FROM staff_secrets"  # noqa: S608
    " WHERE account_id = ? AND kind = ? ORDER BY key"
)
_EXPIRED = "DELETE FROM staff_secrets WHERE expires_at <= ?"
_PRUNE = "DELETE FROM staff_failures WHERE key = ? AND at <= ?"
_FAIL = "INSERT INTO staff_failures (key, at) VALUES (?, ?)"
_COUNT = "SELECT count(*) FROM staff_failures WHERE key = ? AND at > ? AND at <= ?"
_COUNTED = "SELECT count(*) FROM staff_failures WHERE key = ? AND at > ?"
_CLEAR = "DELETE FROM staff_failures WHERE key = ?"
_FORGET = "DELETE FROM staff_failures WHERE at <= ?"
_RECORD = (
    "INSERT INTO access_records (actor_id, application_id, what, route, at, request_id)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_ENTRY = "position, actor_id, application_id, what, route, at, request_id"


def _secret(row: tuple[Any, ...]) -> StaffSecret:
    key, account_id, kind, data, created_at, expires_at = row
    return StaffSecret(
        key=key,
        account_id=account_id,
        kind=kind,
        data=data,
        created_at=instant(created_at),
        expires_at=None if expires_at is None else instant(expires_at),
    )


def _entry(row: tuple[Any, ...]) -> AccessEntry:
    position, actor_id, application_id, what, route, at, request_id = row
    record = AccessRecord(
        actor_id=actor_id,
        application_id=application_id,
        what=what,
        route=route,
        at=instant(at),
        request_id=request_id,
    )
    return AccessEntry(position=position, record=record)


def _deletion(key: str | None, account_id: str | None, kind: str | None) -> tuple[str, list[str]]:
    filters = {"key": key, "account_id": account_id, "kind": kind}
    given = {column: value for column, value in filters.items() if value is not None}
    where = " AND ".join(f"{column} = ?" for column in given)
    return f"DELETE FROM staff_secrets WHERE {where}", list(given.values())  # noqa: S608


def _window(at: datetime, window: timedelta) -> tuple[int, int]:
    high = micros(at, "at")
    return high - window // timedelta(microseconds=1), high


class SQLiteStaff(SQLiteConnections):
    """The `onestop.ports.staff.StaffStore` methods of `onestop.storage.sqlite.SQLiteStore`.

    Not used on its own: `SQLiteStore` provides the connection, its lock and its
    transactions.
    """

    def put_secret(self, secret: StaffSecret, /) -> None:
        """Keep *secret* under its key, replacing whatever was kept there.

        Replaced bytes are overwritten in the file (``secure_delete``) and the WAL is
        checkpointed and truncated afterwards.

        Raises:
            InvalidStoreInput: If *secret* is not a `StaffSecret`.
            StorageError: If SQLite fails; nothing was written then.
        """
        checked = checks.secret(secret)
        row = (
            checked.key,
            checked.account_id,
            checked.kind,
            checked.data,
            micros(checked.created_at, "created_at"),
            None if checked.expires_at is None else micros(checked.expires_at, "expires_at"),
        )
        with self._writing() as connection, secure_deletion(connection):
            old = connection.execute(_OLD_DATA, (checked.key,)).fetchone()
            connection.execute(_PUT, row)
        if old is not None and old[0] != checked.data:
            self._truncate_wal()

    def renew_secret(self, key: str, /, *, expires_at: datetime) -> bool:
        """Move the expiry of the secret kept under *key*; tell whether one was kept.

        Raises:
            InvalidStoreInput: If *key* is not a key or *expires_at* not an instant.
            StorageError: If SQLite fails; nothing was written then.
        """
        wanted, when = checks.lookup(key, expires_at)
        moment = micros(when, "expires_at")
        with self._writing() as connection:
            if connection.execute(_RENEW, (moment, wanted, moment)).rowcount > 0:
                return True
            kept = connection.execute(_KEPT, (wanted,)).fetchone() is not None
        if kept:  # not after its created_at: nothing changed
            raise renewal_refused()
        return False

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        """Return the secret kept under *key*; ``None`` if there is none or it expired at *at*."""
        wanted, when = checks.lookup(key, at)
        with self._reading() as connection:
            row = connection.execute(_LIVE, (wanted, micros(when, "at"))).fetchone()
        return None if row is None else _secret(row)

    def secrets_of(self, account_id: str, /, *, kind: str | None = None) -> tuple[StaffSecret, ...]:
        """Return the account's secrets (of *kind* only, if given), expired ones too, by key."""
        account, wanted = checks.account_filter(account_id, kind)
        statement, params = (_OF, (account,)) if wanted is None else (_OF_KIND, (account, wanted))
        with self._reading() as connection:
            rows = connection.execute(statement, params).fetchall()
        return tuple(_secret(row) for row in rows)

    def delete_secrets(
        self, *, key: str | None = None, account_id: str | None = None, kind: str | None = None
    ) -> int:
        """Delete the secrets matching every filter given (at least one); return how many.

        The deleted bytes are overwritten in the file (``secure_delete``) and the WAL is
        checkpointed and truncated afterwards.

        Raises:
            InvalidStoreInput: If no filter is given, or one is malformed.
            StorageError: If SQLite fails; nothing was deleted then.
        """
        statement, params = _deletion(*checks.deletion(key, account_id, kind))
        with self._writing() as connection, secure_deletion(connection):
            deleted = int(connection.execute(statement, params).rowcount)
        if deleted:
            self._truncate_wal()
        return deleted

    def count_failure(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Record one failure under *key* at *at*; return the failures after ``at - window``.

        One ``BEGIN IMMEDIATE`` transaction drops the key's failures older than the
        window, inserts this one and counts, so calls from every process take turns.
        """
        wanted, when, span = check_failure(key, at, window)
        low, high = _window(when, span)
        with self._writing() as connection:
            connection.execute(_PRUNE, (wanted, low))
            connection.execute(_FAIL, (wanted, high))
            (count,) = connection.execute(_COUNTED, (wanted, low)).fetchone()
        return int(count)

    def failures(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Return the failures recorded under *key* in ``(at - window, at]``."""
        wanted, when, span = check_failure(key, at, window)
        with self._reading() as connection:
            (count,) = connection.execute(_COUNT, (wanted, *_window(when, span))).fetchone()
        return int(count)

    def clear_failures(self, key: str, /) -> None:
        """Forget every failure recorded under *key* (after a successful sign-in)."""
        wanted = check_secret_key(key)
        with self._writing() as connection:
            connection.execute(_CLEAR, (wanted,))

    def record_access(self, records: Sequence[AccessRecord], /) -> None:
        """Append *records* to the access record, in order, all or none.

        Raises:
            InvalidStoreInput: If *records* is not a sequence of `AccessRecord`.
            StorageError: If SQLite fails; nothing was appended then.
        """
        checked = checks.records(records)
        if not checked:
            return
        rows = [
            (r.actor_id, r.application_id, r.what, r.route, micros(r.at, "at"), r.request_id)
            for r in checked
        ]
        with self._writing() as connection:
            connection.executemany(_RECORD, rows)

    def access_records(
        self,
        *,
        application_id: str | None = None,
        actor_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> tuple[AccessEntry, ...]:
        """Return up to *limit* entries after position *after*, in order, matching the filters."""
        application, actor, start, size = checks.access_query(
            application_id, actor_id, after, limit
        )
        filters = {"application_id": application, "actor_id": actor}
        given = {column: value for column, value in filters.items() if value is not None}
        where = "".join(f" AND {column} = ?" for column in given)
        statement = (
            f"SELECT {_ENTRY} FROM access_records"  # noqa: S608 - known column names
            f" WHERE position > ?{where} ORDER BY position LIMIT ?"
        )
        with self._reading() as connection:
            rows = connection.execute(statement, (start, *given.values(), size)).fetchall()
        return tuple(_entry(row) for row in rows)

    def sweep_staff(self, *, at: datetime, window: timedelta) -> int:
        """Delete secrets expired at *at* and failures before ``at - window``; return how many.

        Expired secrets are deleted with ``secure_delete`` and the WAL truncated after.
        """
        when, span = checks.sweep(at, window)
        low, high = _window(when, span)
        with self._writing() as connection, secure_deletion(connection):
            secrets = int(connection.execute(_EXPIRED, (high,)).rowcount)
            failures = int(connection.execute(_FORGET, (low,)).rowcount)
        if secrets:
            self._truncate_wal()
        return secrets + failures
