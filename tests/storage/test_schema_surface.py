"""The schema modules' public names refuse hostile input with a typed error.

`onestop.storage.sqlite_schema` and `onestop.storage.postgres_schema` export what
integrators use (the shipped migrations, the table recording them, a database's
version); the adapters' own steps are not exported (see each module's docstring).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from onestop.exceptions import ConfigurationError, InvalidValue, StorageError
from onestop.storage.postgres import PostgresStore
from onestop.storage.sqlite import SQLiteStore
from onestop.storage.sqlite_schema import Migration, schema_version, shipped_migrations


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sql": "CREATE TABLE a (x INTEGER);\ud800"}, "sql"),
        ({"sql": "CREATE TABLE a (x INTEGER);\x00"}, "sql"),
        ({"sql": b"CREATE TABLE a (x INTEGER);"}, "sql"),
        ({"sql": "x" * 1_000_001}, "sql"),
        ({"version": True}, "version"),
        ({"version": 0}, "version"),
        ({"version": 10**400}, "version"),
        ({"name": "Extra\n"}, "name"),
        ({"name": b"extra"}, "name"),
    ],
)
def test_a_migration_sqlite_cannot_read_cannot_be_built(
    changes: dict[str, Any], field: str
) -> None:
    """A lone surrogate, a NUL or bytes as SQL, a bool or 0 as a version: InvalidValue."""
    options = {"version": 3, "name": "extra", "sql": "CREATE TABLE a (x INTEGER);", **changes}
    with pytest.raises(InvalidValue) as caught:
        Migration(**options)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


def test_the_shipped_migrations_are_valid_migrations() -> None:
    """Every shipped migration passes its own checks and splits into statements."""
    for step in shipped_migrations():
        assert step.statements()


def test_schema_version_of_a_closed_connection_is_a_storage_error(tmp_path: Path) -> None:
    """A closed connection's driver error is translated, the driver's error its cause."""
    SQLiteStore.open(tmp_path / "centre.sqlite3").close()
    connection = sqlite3.connect(tmp_path / "centre.sqlite3")
    assert schema_version(connection) == len(shipped_migrations())
    connection.close()
    with pytest.raises(StorageError) as caught:
        schema_version(connection)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_schema_version_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """A file of other bytes is a StorageError, not sqlite3.DatabaseError."""
    (tmp_path / "notes.txt").write_bytes(b"not a database, " * 100)
    connection = sqlite3.connect(tmp_path / "notes.txt")
    try:
        with pytest.raises(StorageError):
            schema_version(connection)
    finally:
        connection.close()


def test_schema_version_needs_a_connection() -> None:
    """A path is not a connection."""
    with pytest.raises(ConfigurationError):
        schema_version("centre.sqlite3")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "schema", ["\ud8bb\udf7e", "Onestop", "pg_catalog", "mall\n", "a" * 64, b"onestop", None]
)
def test_a_postgres_store_refuses_a_schema_connect_would(schema: object) -> None:
    """The constructor checks the schema name as connect does, before any statement."""
    pool: ConnectionPool[Any] = ConnectionPool("postgresql://db.invalid/malls", open=False)
    with pytest.raises(ConfigurationError):
        PostgresStore(pool, schema=schema)  # type: ignore[arg-type]


def test_a_postgres_store_needs_a_pool() -> None:
    """A URL is not a pool."""
    with pytest.raises(ConfigurationError):
        PostgresStore("postgresql://db.invalid/malls", schema="onestop")  # type: ignore[arg-type]
