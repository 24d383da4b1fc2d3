"""SQL text and row conversion for the SQLite store's catalogue versions (private).

`onestop.storage.sqlite.SQLiteStore` runs these on its connection, inside its own
transactions and its one error-translating context; the functions here never begin,
commit or catch anything.  Instants are integer microseconds since the Unix epoch, as
in the rest of the schema.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from onestop.ports.catalogue import (
    CatalogueVersion,
    CatalogueVersionInfo,
    next_catalogue_version,
    stored_catalogue_version,
)
from onestop.storage._sqlite_sql import instant, micros

__all__ = ["info", "latest", "publish", "version"]

_COLUMNS = "version, digest, content, recorded_at, label"
LATEST = f"SELECT {_COLUMNS} FROM catalogue_versions ORDER BY version DESC LIMIT 1"  # noqa: S608
VERSION = f"SELECT {_COLUMNS} FROM catalogue_versions WHERE version = ?"  # noqa: S608
INSERT = f"INSERT INTO catalogue_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
LIST = (
    "SELECT version, digest, length(content), recorded_at, label FROM catalogue_versions"
    " WHERE version > ? ORDER BY version LIMIT ?"
)


def _version(row: tuple[Any, ...]) -> CatalogueVersion:
    number, digest, content, recorded_at, label = row
    return stored_catalogue_version(
        version=number,
        digest=digest,
        content=content,
        recorded_at=instant(recorded_at),
        label=label,
    )


def publish(
    connection: sqlite3.Connection,
    content: bytes,
    *,
    digest: str,
    expected_version: int,
    recorded_at: datetime,
    label: str | None,
) -> CatalogueVersion:
    """Store *content* as the next version, in the caller's write transaction.

    The latest version is read in the same ``BEGIN IMMEDIATE`` transaction as the
    insert, so no other writer can publish between the two.
    """
    row = connection.execute(LATEST).fetchone()
    if row is not None and row[1] == digest:
        return _version(row)
    published = next_catalogue_version(
        0 if row is None else int(row[0]),
        content,
        digest=digest,
        expected_version=expected_version,
        recorded_at=recorded_at,
        label=label,
    )
    connection.execute(
        INSERT, (published.version, digest, content, micros(recorded_at, "recorded_at"), label)
    )
    return published


def version(connection: sqlite3.Connection, number: int) -> CatalogueVersion | None:
    """Return version *number*, or ``None``."""
    row = connection.execute(VERSION, (number,)).fetchone()
    return None if row is None else _version(row)


def latest(connection: sqlite3.Connection) -> CatalogueVersion | None:
    """Return the latest version, or ``None``."""
    row = connection.execute(LATEST).fetchone()
    return None if row is None else _version(row)


def info(
    connection: sqlite3.Connection, after: int, limit: int
) -> tuple[CatalogueVersionInfo, ...]:
    """Return the details of up to *limit* versions above *after*, in order."""
    rows = connection.execute(LIST, (after, limit)).fetchall()
    return tuple(
        CatalogueVersionInfo(
            version=number, digest=digest, size=size, recorded_at=instant(at), label=label
        )
        for number, digest, size, at, label in rows
    )
