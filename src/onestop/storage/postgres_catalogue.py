"""The catalogue versions of the PostgreSQL store: `PostgresCatalogue`, a base of `PostgresStore`.

`onestop.storage.postgres.PostgresStore` inherits these methods, which implement
`onestop.ports.catalogue.CatalogueStore`; they are kept apart from the event store's
because they are another port.  They run on the store's pool, with its statements
(`onestop.storage.postgres_schema.PUBLISH_CATALOGUE` and the ``catalogue_*`` entries
of ``STATEMENTS``) and through its one error-translating context, which turns a
collision on the versions' primary key into `onestop.exceptions.ConcurrencyConflict`.

**One statement per publication.**  `PostgresCatalogue.publish_catalogue` numbers the
new version the latest plus one and inserts it in a single statement, on a connection
in autocommit mode.  Nothing is locked beforehand (no advisory locks, no ``LOCK
TABLE``, no serial ids): two publishers that both decided on version *n* both try to
insert *n* + 1, and the primary key makes the second wait for the first to commit and
then fail.  The loser then reads the latest version: if the winner published the same
content, that version is the loser's answer too, as `MemoryStore` (which serialises
publishers) would give it; otherwise it raises `ConcurrencyConflict`.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from onestop.exceptions import ConcurrencyConflict, StorageError
from onestop.ports.catalogue import (
    CATALOGUE_STREAM,
    MAX_VERSION,
    CatalogueVersion,
    CatalogueVersionInfo,
    check_listing,
    check_publication,
    check_version_number,
    next_catalogue_version,
    stored_catalogue_version,
)

__all__ = ["PostgresCatalogue"]


class PostgresCatalogue(abc.ABC):
    """The `onestop.ports.catalogue.CatalogueStore` methods of `PostgresStore`.

    Not used on its own: `PostgresStore` provides the pool and statements it runs on,
    through the two abstract methods.
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

    def publish_catalogue(
        self,
        content: bytes,
        /,
        *,
        digest: str,
        expected_version: int,
        recorded_at: datetime,
        label: str | None = None,
    ) -> CatalogueVersion:
        """Store *content* as the next catalogue version, in one statement.

        See `onestop.ports.catalogue.CatalogueStore.publish_catalogue`.
        """
        check_publication(
            content,
            digest=digest,
            expected_version=expected_version,
            recorded_at=recorded_at,
            label=label,
        )
        params = {
            "content": content,
            "digest": digest,
            "expected": expected_version,
            "recorded_at": recorded_at,
            "label": label,
        }
        try:
            with self._connection(lambda: self._catalogue_conflict(expected_version)) as cursor:
                row = cursor.execute(self._sql["publish_catalogue"], params).fetchone()
        except ConcurrencyConflict:  # another publisher took the number first
            latest = self.latest_catalogue()
            if latest is not None and latest.digest == digest:
                return latest
            raise
        current, latest_digest, latest_at, latest_label, inserted = row
        if inserted is None and latest_digest == digest:  # the latest holds this content
            return CatalogueVersion(
                version=current,
                digest=digest,
                content=content,
                recorded_at=latest_at,
                label=latest_label,
            )
        # The statement inserted exactly this version, or nothing because of a conflict.
        return next_catalogue_version(
            current,
            content,
            digest=digest,
            expected_version=expected_version,
            recorded_at=recorded_at,
            label=label,
        )

    def _catalogue_conflict(self, expected: int) -> ConcurrencyConflict:
        """The conflict of a publication that lost the race for its version number."""
        current = int(self._fetch("catalogue_head", ())[0][0])
        return ConcurrencyConflict(stream_id=CATALOGUE_STREAM, expected=expected, actual=current)

    def catalogue_version(self, version: int, /) -> CatalogueVersion | None:
        """Return catalogue version *version*, or ``None``."""
        check_version_number(version)
        if self._closed:
            raise StorageError("the store is closed")
        if not 1 <= version <= MAX_VERSION:
            return None
        rows = self._fetch("catalogue_version", (version,))
        return _version(rows[0]) if rows else None

    def latest_catalogue(self) -> CatalogueVersion | None:
        """Return the latest catalogue version, or ``None``."""
        rows = self._fetch("latest_catalogue", ())
        return _version(rows[0]) if rows else None

    def catalogue_versions(
        self, *, after: int = 0, limit: int = 100
    ) -> tuple[CatalogueVersionInfo, ...]:
        """Return up to *limit* catalogue versions' details above *after*, in order."""
        start = check_listing(after=after, limit=limit)
        return tuple(
            CatalogueVersionInfo(
                version=version, digest=digest, size=size, recorded_at=at, label=label
            )
            for version, digest, size, at, label in self._fetch(
                "catalogue_versions", (start, limit)
            )
        )


def _version(row: Sequence[Any]) -> CatalogueVersion:
    version, digest, content, recorded_at, label = row
    return stored_catalogue_version(
        version=version, digest=digest, content=bytes(content), recorded_at=recorded_at, label=label
    )
