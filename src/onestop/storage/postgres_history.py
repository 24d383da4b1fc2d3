"""History rewrites on the PostgreSQL store: `PostgresHistory`, a base of `PostgresStore`.

`PostgresHistory.rewrite_stream` implements `onestop.ports.history.HistoryStore` in one
transaction: it locks the stream's rows (``FOR UPDATE``, which also holds back an
append, whose foreign key needs the last row), compares the head with the one expected
and updates each event's body and hashes.  PostgreSQL keeps the old row versions as
dead tuples until ``VACUUM`` reuses their space, and the write-ahead log, its archives,
backups and replicas keep them longer: see `onestop.storage.postgres_keys` and
:doc:`/reference/storage`.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, LiteralString

from onestop.domain.common.audit import SealedEntry
from onestop.exceptions import HeadMoved
from onestop.ports.events import StoredEvent
from onestop.ports.history import check_rewrite

__all__ = ["HISTORY_STATEMENTS", "PostgresHistory"]

HISTORY_STATEMENTS: Mapping[str, LiteralString] = {
    "lock_stream": "SELECT version, kind, hash, recorded_at FROM {s}.events"
    " WHERE stream_id = %s ORDER BY version FOR UPDATE",
    "rewrite_stream": "UPDATE {s}.events AS e"
    " SET body = n.body, hash = n.hash, previous_hash = n.previous_hash"
    " FROM unnest(%s::bigint[], %s::bytea[], %s::text[], %s::text[])"
    " AS n(version, body, hash, previous_hash)"
    " WHERE e.stream_id = %s AND e.version = n.version",
}
"""The statements of history rewrites, by name; `PostgresStore` renders them with its own."""


class PostgresHistory(abc.ABC):
    """The `onestop.ports.history.HistoryStore` method of `onestop.storage.postgres.PostgresStore`.

    Not used on its own: `PostgresStore` provides the pool and statements it runs on.
    """

    _sql: dict[str, bytes]

    @abc.abstractmethod
    def _connection(
        self, conflict: Callable[[], Exception] | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        """Yield a cursor inside the store's error translation (`PostgresStore` provides it)."""

    def rewrite_stream(
        self, stream_id: str, /, *, expected_head: str, entries: Sequence[SealedEntry]
    ) -> tuple[StoredEvent, ...]:
        """Replace the stream's bodies and hashes; see `onestop.ports.history.HistoryStore`."""
        check_rewrite(stream_id, expected_head=expected_head, entries=entries)
        columns = (
            [e.version for e in entries],
            [e.body for e in entries],
            [e.hash for e in entries],
            [e.previous for e in entries],
            stream_id,
        )
        with self._connection() as cursor, cursor.connection.transaction():
            rows = cursor.execute(self._sql["lock_stream"], (stream_id,)).fetchall()
            if not rows or rows[-1][2] != expected_head or len(rows) != len(entries):
                raise HeadMoved(stream_id=stream_id, expected=len(entries), actual=len(rows))
            cursor.execute(self._sql["rewrite_stream"], columns)
        return tuple(
            StoredEvent(
                stream_id=stream_id,
                version=entry.version,
                kind=row[1],
                body=entry.body,
                hash=entry.hash,
                previous_hash=entry.previous,
                recorded_at=row[3],
            )
            for row, entry in zip(rows, entries, strict=True)
        )
