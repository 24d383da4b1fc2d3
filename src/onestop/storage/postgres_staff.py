"""The staff tables of the PostgreSQL store: `PostgresStaff`, a base of `PostgresStore`.

These methods implement `onestop.ports.staff.StaffStore` on the tables of migration 5
(``staff_secrets``, ``staff_failure_keys``, ``staff_failures``, ``access_records``), on
the store's pool and through its one error-translating context (``translate_db_errors``).
They keep the rules of `onestop.storage.memory.MemoryStore`, the specification.

**Counting failures across processes.**  `PostgresStaff.count_failure` runs two
statements in one transaction.  The first upserts the key's row in
``staff_failure_keys`` and so holds its lock until the transaction ends: counters on
one key take turns (on every machine), counters on other keys do not wait.  The
second, at read committed a new snapshot that sees the failures of the counter
before, drops the key's failures older than the window, inserts this one and counts:
*n* concurrent calls on one key return *n* different counts.  A row lock rather than
an advisory lock, so that the SQL stays portable (as `onestop.storage.postgres` says).

**Deleted secrets.**  PostgreSQL never overwrites in place: a replaced or deleted
secret's row version stays in the table's files, invisible to every query and to
``pg_dump``, until ``VACUUM`` frees its space and a later write reuses it; the WAL,
its archives, backups and replicas keep it longer (as for subjects' keys,
`onestop.storage.postgres_keys`).  The secrets the store keeps are digests, hashes and
sealed seeds, never a bearer value.

**Access record positions** are given out as notifications' are (`onestop.storage.postgres`):
the one statement of `PostgresStaff.record_access` moves the single row of
``access_head`` forward and inserts the records under the positions it passed, holding
the row until it commits.  Appenders take turns on it, so positions follow commit order
without gaps, and a reader paging with ``after`` never misses a record committed later
under an earlier position.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

from onestop.exceptions import StorageError
from onestop.ports.staff import (
    AccessEntry,
    AccessRecord,
    StaffSecret,
    check_failure,
    check_secret_key,
    renewal_refused,
)
from onestop.storage import _staff_checks as checks

__all__ = ["STAFF_STATEMENTS", "PostgresStaff"]

_FILTERS: tuple[LiteralString, ...] = ("key", "account_id", "kind")
_ACCESS_FILTERS: tuple[LiteralString, ...] = ("application_id", "actor_id")


def _where(columns: Sequence[LiteralString]) -> LiteralString:
    where: LiteralString = ""
    for column in columns:
        where += " AND " + column + " = %(" + column + ")s"
    return where


def _deletions() -> dict[str, LiteralString]:
    """One ``DELETE`` per non-empty set of filters, named ``delete_secrets:<columns>``."""
    statements: dict[str, LiteralString] = {}
    for size in range(1, len(_FILTERS) + 1):
        for chosen in itertools.combinations(_FILTERS, size):
            condition = _where(chosen)[len(" AND ") :]
            statements["delete_secrets:" + ",".join(chosen)] = (
                "DELETE FROM {s}.staff_secrets WHERE "  # noqa: S608 - known column names
                + condition
                + " RETURNING key"
            )
    return statements


def _access_pages() -> dict[str, LiteralString]:
    """One page query per set of filters, named ``access_records:<columns>``."""
    statements: dict[str, LiteralString] = {}
    for size in range(len(_ACCESS_FILTERS) + 1):
        for chosen in itertools.combinations(_ACCESS_FILTERS, size):
            statements["access_records:" + ",".join(chosen)] = (
                "SELECT position, actor_id, application_id, what, route, at, request_id"  # noqa: S608
                " FROM {s}.access_records WHERE position > %(after)s"
                + _where(chosen)
                + " ORDER BY position LIMIT %(limit)s"
            )
    return statements


STAFF_STATEMENTS: Mapping[str, LiteralString] = {
    "put_secret": "INSERT INTO {s}.staff_secrets"
    " (key, account_id, kind, data, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (key) DO UPDATE SET account_id = excluded.account_id, kind = excluded.kind,"
    " data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at",
    "renew_secret": "UPDATE {s}.staff_secrets SET expires_at = %s"
    " WHERE key = %s AND created_at < %s RETURNING key",
    "secret_kept": "SELECT 1 FROM {s}.staff_secrets WHERE key = %s",
    "secret": "SELECT key, account_id, kind, data, created_at, expires_at"
    " FROM {s}.staff_secrets"
    " WHERE key = %s AND (expires_at IS NULL OR expires_at > %s)",
    "secrets_of": "SELECT key, account_id, kind, data, created_at, expires_at"
    " FROM {s}.staff_secrets"
    " WHERE account_id = %s ORDER BY key",
    "secrets_of_kind": "SELECT key, account_id, kind, data, created_at, expires_at"
    " FROM {s}.staff_secrets"
    " WHERE account_id = %s AND kind = %s ORDER BY key",
    **_deletions(),
    "lock_failures": "INSERT INTO {s}.staff_failure_keys (key) VALUES (%s)"
    " ON CONFLICT (key) DO UPDATE SET key = excluded.key",
    "count_failure": "WITH pruned AS ("
    " DELETE FROM {s}.staff_failures WHERE key = %(key)s AND at <= %(low)s"
    "), added AS (INSERT INTO {s}.staff_failures (key, at) VALUES (%(key)s, %(at)s))"
    " SELECT count(*) + 1 FROM {s}.staff_failures WHERE key = %(key)s AND at > %(low)s",
    "failures": "SELECT count(*) FROM {s}.staff_failures WHERE key = %s AND at > %s AND at <= %s",
    "clear_failures": "DELETE FROM {s}.staff_failures WHERE key = %s",
    "unlock_failures": "DELETE FROM {s}.staff_failure_keys WHERE key = %s",
    "record_access": "WITH head AS ("
    " UPDATE {s}.access_head SET position = position + %(count)s::bigint WHERE id = 1"
    " RETURNING position"
    ") INSERT INTO {s}.access_records"
    " (position, actor_id, application_id, what, route, at, request_id)"
    " SELECT head.position - %(count)s::bigint + n.i, n.a, n.p, n.w, n.r, n.t, n.q"
    " FROM head, unnest(%(actors)s::text[], %(applications)s::text[], %(whats)s::text[],"
    " %(routes)s::text[], %(ats)s::timestamptz[], %(requests)s::text[])"
    " WITH ORDINALITY AS n(a, p, w, r, t, q, i) RETURNING position",
    **_access_pages(),
    "sweep_secrets": "DELETE FROM {s}.staff_secrets WHERE expires_at <= %s RETURNING key",
    "lock_swept_keys": "SELECT key FROM {s}.staff_failure_keys WHERE key IN"
    " (SELECT key FROM {s}.staff_failures WHERE at <= %s) ORDER BY key FOR UPDATE",
    "sweep_failures": "DELETE FROM {s}.staff_failures WHERE at <= %s",
    "sweep_failure_keys": "DELETE FROM {s}.staff_failure_keys AS k"
    " WHERE NOT EXISTS (SELECT 1 FROM {s}.staff_failures AS f WHERE f.key = k.key)",
}
"""The statements of the staff store, by name; `PostgresStore` renders them with its own."""


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)  # PostgreSQL refuses an offset past 15:59, which a datetime may have


def _secret(row: Sequence[Any]) -> StaffSecret:
    key, account_id, kind, data, created_at, expires_at = row
    return StaffSecret(
        key=key,
        account_id=account_id,
        kind=kind,
        data=bytes(data),
        created_at=created_at,
        expires_at=expires_at,
    )


def _entry(row: Sequence[Any]) -> AccessEntry:
    position, actor_id, application_id, what, route, at, request_id = row
    record = AccessRecord(
        actor_id=actor_id,
        application_id=application_id,
        what=what,
        route=route,
        at=at,
        request_id=request_id,
    )
    return AccessEntry(position=position, record=record)


class PostgresStaff(abc.ABC):
    """The `onestop.ports.staff.StaffStore` methods of `onestop.storage.postgres.PostgresStore`.

    Not used on its own: `PostgresStore` provides the pool and statements it runs on.
    """

    _sql: dict[str, bytes]

    @abc.abstractmethod
    def _connection(
        self, conflict: Callable[[], Exception] | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        """Yield a cursor inside the store's error translation (`PostgresStore` provides it)."""

    @abc.abstractmethod
    def _fetch(self, name: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Run the store's statement *name* and return its rows (`PostgresStore` provides it)."""

    def put_secret(self, secret: StaffSecret, /) -> None:
        """Keep *secret* under its key, replacing whatever was kept there.

        Raises:
            InvalidStoreInput: If *secret* is not a `StaffSecret`.
            StorageError: If PostgreSQL fails (`StorageUnavailable` if it is away).
        """
        checked = checks.secret(secret)
        expires = None if checked.expires_at is None else _utc(checked.expires_at)
        row = (
            checked.key,
            checked.account_id,
            checked.kind,
            checked.data,
            _utc(checked.created_at),
            expires,
        )
        with self._connection() as cursor:
            cursor.execute(self._sql["put_secret"], row)

    def renew_secret(self, key: str, /, *, expires_at: datetime) -> bool:
        """Move the expiry of the secret kept under *key*; tell whether one was kept.

        Raises:
            InvalidStoreInput: If *key* is not a key or *expires_at* not an instant.
            StorageError: If PostgreSQL fails; nothing was written then.
        """
        wanted, when = checks.lookup(key, expires_at)
        moment = _utc(when)
        with self._connection() as cursor:
            if cursor.execute(self._sql["renew_secret"], (moment, wanted, moment)).fetchall():
                return True
        if self._fetch("secret_kept", (wanted,)):  # not after its created_at: nothing changed
            raise renewal_refused()
        return False

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        """Return the secret kept under *key*; ``None`` if there is none or it expired at *at*."""
        wanted, when = checks.lookup(key, at)
        rows = self._fetch("secret", (wanted, _utc(when)))
        return _secret(rows[0]) if rows else None

    def secrets_of(self, account_id: str, /, *, kind: str | None = None) -> tuple[StaffSecret, ...]:
        """Return the account's secrets (of *kind* only, if given), expired ones too, by key."""
        account, wanted = checks.account_filter(account_id, kind)
        if wanted is None:
            rows = self._fetch("secrets_of", (account,))
        else:
            rows = self._fetch("secrets_of_kind", (account, wanted))
        return tuple(_secret(row) for row in rows)

    def delete_secrets(
        self, *, key: str | None = None, account_id: str | None = None, kind: str | None = None
    ) -> int:
        """Delete the secrets matching every filter given (at least one); return how many.

        Raises:
            InvalidStoreInput: If no filter is given, or one is malformed.
            StorageError: If PostgreSQL fails; nothing was deleted then.
        """
        values = dict(zip(_FILTERS, checks.deletion(key, account_id, kind), strict=True))
        given = {column: value for column, value in values.items() if value is not None}
        name = "delete_secrets:" + ",".join(given)
        with self._connection() as cursor:
            return len(cursor.execute(self._sql[name], given).fetchall())

    def count_failure(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Record one failure under *key* at *at*; return the failures after ``at - window``.

        Counters on one key take turns on the key's row in ``staff_failure_keys``
        (see the module's docstring), so *n* concurrent calls return *n* counts.
        """
        wanted, when, span = check_failure(key, at, window)
        params = {"key": wanted, "at": _utc(when), "low": _utc(when - span)}
        with self._connection() as cursor, cursor.connection.transaction():
            cursor.execute(self._sql["lock_failures"], (wanted,))
            (count,) = cursor.execute(self._sql["count_failure"], params).fetchone()
        return int(count)

    def failures(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Return the failures recorded under *key* in ``(at - window, at]``."""
        wanted, when, span = check_failure(key, at, window)
        ((count,),) = self._fetch("failures", (wanted, _utc(when - span), _utc(when)))
        return int(count)

    def clear_failures(self, key: str, /) -> None:
        """Forget every failure recorded under *key* (after a successful sign-in).

        It takes the key's turn like a counter, so a failure counted concurrently is
        either cleared or counted after.
        """
        wanted = check_secret_key(key)
        with self._connection() as cursor, cursor.connection.transaction():
            cursor.execute(self._sql["lock_failures"], (wanted,))
            cursor.execute(self._sql["clear_failures"], (wanted,))
            cursor.execute(self._sql["unlock_failures"], (wanted,))

    def record_access(self, records: Sequence[AccessRecord], /) -> None:
        """Append *records* to the access record, in order, all or none (one statement).

        Raises:
            InvalidStoreInput: If *records* is not a sequence of `AccessRecord`.
            StorageError: If PostgreSQL fails; nothing was appended then.
        """
        checked = checks.records(records)
        if not checked:
            return
        params = {
            "count": len(checked),
            "actors": [r.actor_id for r in checked],
            "applications": [r.application_id for r in checked],
            "whats": [r.what for r in checked],
            "routes": [r.route for r in checked],
            "ats": [_utc(r.at) for r in checked],
            "requests": [r.request_id for r in checked],
        }
        with self._connection() as cursor:
            positions = cursor.execute(self._sql["record_access"], params).fetchall()
        if len(positions) != len(checked):  # pragma: no cover - a broken schema
            raise StorageError("the access record's head is missing")

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
        values = {"application_id": application, "actor_id": actor}
        given = {column: value for column, value in values.items() if value is not None}
        name = "access_records:" + ",".join(given)
        with self._connection() as cursor:
            rows = cursor.execute(
                self._sql[name], {**given, "after": start, "limit": size}
            ).fetchall()
        return tuple(_entry(row) for row in rows)

    def sweep_staff(self, *, at: datetime, window: timedelta) -> int:
        """Delete secrets expired at *at* and failures before ``at - window``; return how many.

        One transaction; the rows of keys with no failure left go too.  It takes the
        turns of the keys whose failures it deletes first, in key order, as a counter
        takes its key's turn before touching its failures: so a sweep and a counter
        never deadlock.
        """
        when, span = checks.sweep(at, window)
        with self._connection() as cursor, cursor.connection.transaction():
            secrets = len(cursor.execute(self._sql["sweep_secrets"], (_utc(when),)).fetchall())
            cursor.execute(self._sql["lock_swept_keys"], (_utc(when - span),))
            cursor.execute(self._sql["sweep_failures"], (_utc(when - span),))
            failures = int(cursor.rowcount)
            cursor.execute(self._sql["sweep_failure_keys"])
        return secrets + failures
