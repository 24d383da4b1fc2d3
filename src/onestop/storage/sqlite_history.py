"""History rewrites on the SQLite store: `SQLiteHistory`, a base of `SQLiteStore`.

`SQLiteHistory.rewrite_stream` implements `onestop.ports.history.HistoryStore` in one
``BEGIN IMMEDIATE`` transaction: it reads the stream's head, compares it with the one
expected and updates each event's body and hashes in place.  The connection runs with
``PRAGMA secure_delete=ON``, so the space the old bodies leave is overwritten with
zeros; the write-ahead log is checkpointed and truncated afterwards, so the old page
images leave the ``-wal`` file too (as after destroying keys,
`onestop.storage.sqlite_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence

from onestop.domain.common.audit import SealedEntry
from onestop.exceptions import HeadMoved
from onestop.ports.events import StoredEvent
from onestop.ports.history import check_rewrite
from onestop.storage._sqlite_sql import instant
from onestop.storage.sqlite_schema import SQLiteConnections, secure_deletion

__all__ = ["SQLiteHistory"]

_STREAM = "SELECT version, kind, hash, recorded_at FROM events WHERE stream_id = ? ORDER BY version"
_REWRITE = (
    "UPDATE events SET body = ?, hash = ?, previous_hash = ? WHERE stream_id = ? AND version = ?"
)


class SQLiteHistory(SQLiteConnections):
    """The `onestop.ports.history.HistoryStore` method of `onestop.storage.sqlite.SQLiteStore`.

    Not used on its own: `SQLiteStore` provides the connection and its transactions.
    """

    def rewrite_stream(
        self, stream_id: str, /, *, expected_head: str, entries: Sequence[SealedEntry]
    ) -> tuple[StoredEvent, ...]:
        """Replace the stream's bodies and hashes; see `onestop.ports.history.HistoryStore`."""
        check_rewrite(stream_id, expected_head=expected_head, entries=entries)
        with self._writing() as connection, secure_deletion(connection):
            rows = connection.execute(_STREAM, (stream_id,)).fetchall()
            if not rows or rows[-1][2] != expected_head or len(rows) != len(entries):
                raise HeadMoved(stream_id=stream_id, expected=len(entries), actual=len(rows))
            connection.executemany(
                _REWRITE,
                [(e.body, e.hash, e.previous, stream_id, e.version) for e in entries],
            )
        self._truncate_wal()
        return tuple(
            StoredEvent(
                stream_id=stream_id,
                version=entry.version,
                kind=row[1],
                body=entry.body,
                hash=entry.hash,
                previous_hash=entry.previous,
                recorded_at=instant(row[3]),
            )
            for row, entry in zip(rows, entries, strict=True)
        )
