"""The staff store's contract (`onestop.testing.staff_contracts`) on every adapter that has it.

Memory, SQLite (a file, with a second connection as the twin; and in memory) and
PostgreSQL (a fresh schema per test, dropped afterwards, with a second pool as the
twin; skipped without ``ONESTOP_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from onestop.ports.staff import StaffStore
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.staff_contracts import StaffStoreContract


class TestMemoryStaff(StaffStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store


class TestSQLiteFileStaffContract(StaffStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A new SQLite store in a file."""
        with SQLiteStore.open(tmp_path / "store.sqlite3") as store:
            yield store

    @pytest.fixture
    def twin(self, tmp_path: Path, store: SQLiteStore) -> Iterator[SQLiteStore]:
        """A second store (a second connection) on the same file."""
        with SQLiteStore.open(tmp_path / "store.sqlite3") as twin:
            yield twin


class TestSQLiteMemoryStaffContract(StaffStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[SQLiteStore]:
        """A new SQLite store in memory."""
        with SQLiteStore.open(":memory:") as store:
            yield store


@pytest.mark.postgres
class TestPostgresStaffContract(StaffStoreContract):
    @pytest.fixture
    def schema(self, postgres_url: str) -> Iterator[str]:
        """A fresh schema name; the schema is dropped afterwards."""
        name = f"onestop_test_{secrets.token_hex(6)}"
        yield name
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))

    @pytest.fixture
    def store(self, postgres_url: str, schema: str) -> Iterator[StaffStore]:
        """A new PostgreSQL store in the fresh schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema, max_size=8) as store:
            yield store

    @pytest.fixture
    def twin(self, postgres_url: str, schema: str, store: object) -> Iterator[StaffStore]:
        """A second store (another pool) on the same schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema, max_size=8) as twin:
            yield twin
