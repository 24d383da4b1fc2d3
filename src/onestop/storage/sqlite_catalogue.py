"""The catalogue-version methods of `onestop.storage.sqlite.SQLiteStore`.

`SQLiteCatalogues` keeps what `onestop.ports.catalogue.CatalogueStore` promises: each
published version in a ``BEGIN IMMEDIATE`` transaction of its own, read back by number,
the latest, or listed.  The SQL is in ``onestop.storage._sqlite_catalogue``.
"""

from __future__ import annotations

from datetime import datetime

from onestop.ports.catalogue import (
    MAX_VERSION,
    CatalogueVersion,
    CatalogueVersionInfo,
    check_listing,
    check_publication,
    check_version_number,
)
from onestop.storage._sqlite_catalogue import info, latest, publish, version
from onestop.storage.sqlite_schema import SQLiteConnections

__all__ = ["SQLiteCatalogues"]


class SQLiteCatalogues(SQLiteConnections):
    """The `onestop.ports.catalogue.CatalogueStore` methods of
    `onestop.storage.sqlite.SQLiteStore`; not used on its own (the store provides the
    connections and transactions)."""

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
        """Store *content* as the next catalogue version; see `CatalogueStore.publish_catalogue`.

        One ``BEGIN IMMEDIATE`` transaction reads the latest version and writes the next,
        so publishers in other threads and processes wait their turn, then find the
        version moved on (`ConcurrencyConflict`) or their content already published.
        """
        check_publication(
            content,
            digest=digest,
            expected_version=expected_version,
            recorded_at=recorded_at,
            label=label,
        )
        with self._writing() as connection:
            return publish(
                connection,
                content,
                digest=digest,
                expected_version=expected_version,
                recorded_at=recorded_at,
                label=label,
            )

    def catalogue_version(self, number: int, /) -> CatalogueVersion | None:
        """Return catalogue version *number*, or ``None``."""
        check_version_number(number)
        with self._reading() as connection:
            if not 1 <= number <= MAX_VERSION:
                return None
            return version(connection, number)

    def latest_catalogue(self) -> CatalogueVersion | None:
        """Return the latest catalogue version, or ``None``."""
        with self._reading() as connection:
            return latest(connection)

    def catalogue_versions(
        self, *, after: int = 0, limit: int = 100
    ) -> tuple[CatalogueVersionInfo, ...]:
        """Return up to *limit* catalogue versions' details above *after*, in order."""
        start = check_listing(after=after, limit=limit)
        with self._reading() as connection:
            return info(connection, start, limit)
