"""The subject keys of the PostgreSQL store: `PostgresSubjectKeys`, a base of `PostgresStore`.

These methods implement `onestop.ports.keys.SubjectKeyStore` on the tables of
migration 4 (``subject_keys``, ``subject_index``), on the store's pool and through its
one error-translating context (``translate_db_errors``).  They keep the rules of
`onestop.storage.memory.MemoryStore`, the specification.

**Racing writers.**  `PostgresSubjectKeys.add_subject_keys` inserts with ``ON CONFLICT
DO NOTHING`` on the subjects' primary key, then reads the rows back in a second
statement of the same transaction; at read committed the second statement sees the
row of a writer that won the race, so both writers return the same key.  Rows are
written and locked in subject order, so writers on several subjects never deadlock.

**Destruction.**  `PostgresSubjectKeys.destroy_subject_keys` sets the wrapped bytes
to NULL and keeps a tombstone.  PostgreSQL never updates in place: the old row
version, bytes included, stays in the table's data files as a dead tuple, invisible
to every query and to ``pg_dump``, until ``VACUUM`` (run by autovacuum) marks its
space free and a later write reuses it; ``VACUUM FULL`` rewrites the table into new
files at once.  The write-ahead log holds the bytes until its segments are recycled,
and WAL archives, base backups, replicas and dumps taken before keep them: rotating
those is the operator's part (see :doc:`/reference/storage`).
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, LiteralString

from onestop.ports.keys import (
    SubjectKey,
    WrappedKey,
    check_destruction,
    check_index_row,
    check_key_page,
    check_subject_keys,
    check_subjects,
    lookup_blind,
    lookup_subjects,
)

__all__ = ["PostgresSubjectKeys"]

KEY_STATEMENTS: Mapping[str, LiteralString] = {
    "add_keys": "INSERT INTO {s}.subject_keys (subject, master_key_id, wrapped, created_at)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::bytea[], %s::timestamptz[])"
    " ON CONFLICT (subject) DO NOTHING",
    "keys": "SELECT subject, master_key_id, wrapped, created_at, destroyed_at"
    " FROM {s}.subject_keys WHERE subject = ANY(%s::text[])",
    "lock_keys": "SELECT subject FROM {s}.subject_keys WHERE subject = ANY(%s::text[])"
    " ORDER BY subject FOR UPDATE",
    "destroy_keys": "UPDATE {s}.subject_keys"
    " SET wrapped = NULL, master_key_id = NULL, destroyed_at = %s"
    " WHERE subject = ANY(%s::text[]) AND wrapped IS NOT NULL RETURNING subject",
    "tombstones": "INSERT INTO {s}.subject_keys (subject, created_at, destroyed_at)"
    " SELECT s, %(at)s, %(at)s FROM unnest(%(subjects)s::text[]) AS s"
    " ON CONFLICT (subject) DO NOTHING",
    "rewrap_keys": "UPDATE {s}.subject_keys AS k SET master_key_id = n.m, wrapped = n.w"
    " FROM unnest(%s::text[], %s::text[], %s::bytea[]) AS n(s, m, w)"
    " WHERE k.subject = n.s AND k.wrapped IS NOT NULL RETURNING k.subject",
    "keys_under": "SELECT subject, master_key_id, wrapped, created_at, destroyed_at"
    " FROM {s}.subject_keys"
    " WHERE master_key_id = %s AND wrapped IS NOT NULL ORDER BY subject LIMIT %s",
    "index_subject": "INSERT INTO {s}.subject_index (blind, subject) VALUES (%s, %s)"
    " ON CONFLICT DO NOTHING",
    "indexed_subjects": "SELECT subject FROM {s}.subject_index WHERE blind = %s ORDER BY subject",
    "unindex_subjects": "DELETE FROM {s}.subject_index WHERE subject = ANY(%s::text[])"
    " RETURNING subject",
}
"""The statements of the key store, by name; `PostgresStore` renders them with its own."""


def _key(row: Sequence[Any]) -> SubjectKey:
    subject, master_key_id, wrapped, created_at, destroyed_at = row
    return SubjectKey(
        subject=subject,
        wrapped=None
        if wrapped is None
        else WrappedKey(master_key_id=master_key_id, data=bytes(wrapped)),
        created_at=created_at,
        destroyed_at=destroyed_at,
    )


class PostgresSubjectKeys(abc.ABC):
    """The `onestop.ports.keys.SubjectKeyStore` methods of `onestop.storage.postgres.PostgresStore`.

    Not used on its own: `PostgresStore` provides the pool and statements it runs on.
    """

    _closed: bool
    _sql: dict[str, bytes]

    @abc.abstractmethod
    def _connection(
        self, conflict: Callable[[], Exception] | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        """Yield a cursor inside the store's error translation (`PostgresStore` provides it)."""

    @abc.abstractmethod
    def _fetch(self, name: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Run the store's statement *name* and return its rows (`PostgresStore` provides it)."""

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Store the keys of subjects not known yet; return what is stored for each afterwards.

        Raises:
            InvalidStoreInput: If a key is not a live `SubjectKey` a store keeps, or a
                subject is given twice.
            StorageError: If PostgreSQL fails (`StorageUnavailable` if it is away).
        """
        # In subject order, as the docstring promises: the rows are locked as inserted.
        checked = sorted(check_subject_keys(keys, live=True), key=lambda key: key.subject)
        subjects = [key.subject for key in checked]
        columns = (
            subjects,
            [key.wrapped.master_key_id for key in checked],  # type: ignore[union-attr]
            [key.wrapped.data for key in checked],  # type: ignore[union-attr]
            # In UTC: PostgreSQL refuses an offset past 15:59, which a datetime may have.
            [key.created_at.astimezone(UTC) for key in checked],
        )
        with self._connection() as cursor, cursor.connection.transaction():
            cursor.execute(self._sql["add_keys"], columns)
            rows = cursor.execute(self._sql["keys"], (subjects,)).fetchall()
        return {row[0]: _key(row) for row in rows}

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the stored keys (live or destroyed) of the *subjects* known."""
        rows = self._fetch("keys", (list(lookup_subjects(subjects)),))
        return {row[0]: _key(row) for row in rows}

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Set the wrapped keys of *subjects* to NULL, keep tombstones; count the live ones.

        One transaction adds a tombstone for subjects never seen, locks the subjects'
        rows in order and wipes the live ones; a key added by a writer racing with it
        is wiped too.  The old row versions stay in the data
        files, invisible, until ``VACUUM`` frees their space (see the module's
        docstring); backups, WAL archives and replicas are the operator's to rotate.

        Raises:
            InvalidStoreInput: If *subjects* is not a collection of stored text, or
                *at* is not a timezone-aware instant.
            StorageError: If PostgreSQL fails; nothing was destroyed then.
        """
        wanted = sorted(check_destruction(subjects, at))  # tombstones locked in subject order
        when = at.astimezone(UTC)  # PostgreSQL refuses an offset past 15:59
        with self._connection() as cursor, cursor.connection.transaction():
            # Tombstones first: an insert racing on a subject makes this one wait for
            # it, and the UPDATE below (a new snapshot) then sees and wipes its key.
            cursor.execute(self._sql["tombstones"], {"at": when, "subjects": wanted})
            cursor.execute(self._sql["lock_keys"], (wanted,))
            return len(cursor.execute(self._sql["destroy_keys"], (when, wanted)).fetchall())

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of the live keys among *keys*; return how many."""
        checked = check_subject_keys(keys, live=True)
        columns = (
            [key.subject for key in checked],
            [key.wrapped.master_key_id for key in checked],  # type: ignore[union-attr]
            [key.wrapped.data for key in checked],  # type: ignore[union-attr]
        )
        with self._connection() as cursor, cursor.connection.transaction():
            cursor.execute(self._sql["lock_keys"], (columns[0],))
            return len(cursor.execute(self._sql["rewrap_keys"], columns).fetchall())

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return up to *limit* live keys wrapped by *master_key_id*, by subject."""
        if not check_key_page(master_key_id, limit):
            return ()
        return tuple(_key(row) for row in self._fetch("keys_under", (master_key_id, limit)))

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that the blind index value *blind* leads to *subject* (once)."""
        check_index_row(blind, subject)
        with self._connection() as cursor:
            cursor.execute(self._sql["index_subject"], (blind, subject))

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects *blind* leads to, sorted."""
        wanted = blind if lookup_blind(blind) else ""  # "" is never stored
        return tuple(row[0] for row in self._fetch("indexed_subjects", (wanted,)))

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Delete the blind index rows of *subjects*; return how many were deleted."""
        wanted = list(check_subjects(subjects))
        return len(self._fetch("unindex_subjects", (wanted,)))
