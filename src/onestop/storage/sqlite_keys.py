"""The subject keys of the SQLite store: `SQLiteSubjectKeys`, a base of `SQLiteStore`.

These methods implement `onestop.ports.keys.SubjectKeyStore` on the tables of
migration 3 (``subject_keys``, ``subject_index``), on the store's one connection,
inside its transactions and its one error-translating context.  They keep the rules
of `onestop.storage.memory.MemoryStore`, the specification.

**Physical destruction.**  The statements that destroy, rewrap or unindex run with
``PRAGMA secure_delete=ON`` (`onestop.storage.sqlite_schema.secure_deletion`), so
SQLite overwrites the space a deleted or rewritten row leaves with zeros.  `destroy_subject_keys`
first overwrites the wrapped bytes with zeros of the same length, then sets them to
NULL, in one ``BEGIN IMMEDIATE`` transaction; `unindex_subjects` deletes the blind
index rows.  Each then checkpoints the write-ahead log with
``PRAGMA wal_checkpoint(TRUNCATE)``, which copies the new pages into the database
file and truncates the ``-wal`` file to zero bytes, so that the old page images
holding the bytes leave it too.  A checkpoint cannot finish while another
connection (another process) is reading an older snapshot; the old frames then stay
in the ``-wal`` file until a later checkpoint resets it, which the next destruction
attempts again.  What this does not reach: copies made before (backups, a copy of
the file, replicas), and the storage device itself (an SSD or a copy-on-write file
system may keep the old blocks); see :doc:`/reference/storage`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

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
from onestop.storage._sqlite_sql import instant, micros
from onestop.storage.sqlite_schema import SQLiteConnections, secure_deletion

__all__ = ["SQLiteSubjectKeys"]

_COLUMNS = "subject, master_key_id, wrapped, created_at, destroyed_at"
_SELECT = f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = ?"  # noqa: S608
_INSERT = (
    f"INSERT INTO subject_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, NULL)"  # noqa: S608
    " ON CONFLICT (subject) DO NOTHING"
)
_TOMBSTONE = (
    f"INSERT INTO subject_keys ({_COLUMNS}) VALUES (?, NULL, NULL, ?, ?)"  # noqa: S608
    " ON CONFLICT (subject) DO NOTHING"
)
_OVERWRITE = (
    "UPDATE subject_keys SET wrapped = zeroblob(length(wrapped))"
    " WHERE subject = ? AND wrapped IS NOT NULL"
)
_DESTROY = (
    "UPDATE subject_keys SET wrapped = NULL, master_key_id = NULL, destroyed_at = ?"
    " WHERE subject = ? AND wrapped IS NOT NULL"
)
_REWRAP = (
    "UPDATE subject_keys SET master_key_id = ?, wrapped = ?"
    " WHERE subject = ? AND wrapped IS NOT NULL"
)
_UNDER = (
    f"SELECT {_COLUMNS} FROM subject_keys"  # noqa: S608
    " WHERE master_key_id = ? AND wrapped IS NOT NULL ORDER BY subject LIMIT ?"
)
_INDEX = "INSERT INTO subject_index (blind, subject) VALUES (?, ?) ON CONFLICT DO NOTHING"
_INDEXED = "SELECT subject FROM subject_index WHERE blind = ? ORDER BY subject"
_UNINDEX = "DELETE FROM subject_index WHERE subject = ?"


def _key(row: tuple[Any, ...]) -> SubjectKey:
    subject, master_key_id, wrapped, created_at, destroyed_at = row
    return SubjectKey(
        subject=subject,
        wrapped=None if wrapped is None else WrappedKey(master_key_id=master_key_id, data=wrapped),
        created_at=instant(created_at),
        destroyed_at=None if destroyed_at is None else instant(destroyed_at),
    )


def _stored(connection: sqlite3.Connection, subjects: Sequence[str]) -> dict[str, SubjectKey]:
    found = {}
    for subject in subjects:
        row = connection.execute(_SELECT, (subject,)).fetchone()
        if row is not None:
            found[subject] = _key(row)
    return found


class SQLiteSubjectKeys(SQLiteConnections):
    """The `onestop.ports.keys.SubjectKeyStore` methods of `onestop.storage.sqlite.SQLiteStore`.

    Not used on its own: `SQLiteStore` provides the connection, its lock and its
    transactions.
    """

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Store the keys of subjects not known yet; return what is stored for each afterwards.

        One ``BEGIN IMMEDIATE`` transaction inserts and reads back, so two writers
        racing on one subject (in threads or processes) both get the key that won.

        Raises:
            InvalidStoreInput: If a key is not a live `SubjectKey` a store keeps, or a
                subject is given twice.
            StorageError: If SQLite fails.
        """
        checked = check_subject_keys(keys, live=True)
        rows = [
            (
                key.subject,
                key.wrapped.master_key_id,  # type: ignore[union-attr]  # checked live
                key.wrapped.data,  # type: ignore[union-attr]
                micros(key.created_at, "created_at"),
            )
            for key in checked
        ]
        with self._writing() as connection:
            connection.executemany(_INSERT, rows)
            return _stored(connection, [key.subject for key in checked])

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the stored keys (live or destroyed) of the *subjects* known."""
        wanted = lookup_subjects(subjects)
        with self._reading() as connection:
            return _stored(connection, wanted)

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Wipe the wrapped keys of *subjects* from the file, keep tombstones; count the live ones.

        The bytes are overwritten with zeros, set to NULL (with ``secure_delete``), and
        the WAL is checkpointed and truncated afterwards; a subject never seen gets a
        tombstone too.  See the module's docstring for what this does not reach.

        Raises:
            InvalidStoreInput: If *subjects* is not a collection of stored text, or
                *at* is not a timezone-aware instant.
            StorageError: If SQLite fails; nothing was destroyed then.
        """
        wanted = check_destruction(subjects, at)
        when = micros(at, "at")
        live = 0
        with self._writing() as connection, secure_deletion(connection):
            for subject in wanted:
                connection.execute(_OVERWRITE, (subject,))
                live += connection.execute(_DESTROY, (when, subject)).rowcount
                connection.execute(_TOMBSTONE, (subject, when, when))
        self._truncate_wal()
        return live

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of the live keys among *keys*; return how many.

        A destroyed or unknown subject is left as it is: a rewrap never revives a key.
        The WAL is checkpointed and truncated afterwards, so that the keys wrapped by
        the retired master key leave the files as they do after a destruction.
        """
        checked = check_subject_keys(keys, live=True)
        done = 0
        with self._writing() as connection, secure_deletion(connection):
            for key in checked:
                wrapped = key.wrapped
                assert wrapped is not None  # noqa: S101 - checked live
                done += connection.execute(
                    _REWRAP, (wrapped.master_key_id, wrapped.data, key.subject)
                ).rowcount
        self._truncate_wal()
        return done

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return up to *limit* live keys wrapped by *master_key_id*, by subject."""
        if not check_key_page(master_key_id, limit):
            return ()
        with self._reading() as connection:
            rows = connection.execute(_UNDER, (master_key_id, limit)).fetchall()
        return tuple(_key(row) for row in rows)

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that the blind index value *blind* leads to *subject* (once)."""
        check_index_row(blind, subject)
        with self._writing() as connection:
            connection.execute(_INDEX, (blind, subject))

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects *blind* leads to, sorted."""
        wanted = blind if lookup_blind(blind) else ""  # "" is never stored
        with self._reading() as connection:
            return tuple(row[0] for row in connection.execute(_INDEXED, (wanted,)).fetchall())

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Delete the blind index rows of *subjects* (with ``secure_delete``); count them.

        The WAL is checkpointed and truncated afterwards, as after destroying keys.
        """
        wanted = check_subjects(subjects)
        removed = 0
        with self._writing() as connection, secure_deletion(connection):
            for subject in wanted:
                removed += connection.execute(_UNINDEX, (subject,)).rowcount
        self._truncate_wal()
        return removed

    def _truncate_wal(self) -> None:
        """Checkpoint the WAL into the database file and truncate it to zero bytes."""
        with self._reading(writer=True) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
