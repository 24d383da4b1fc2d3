"""Rewriting one stream's history on every store: the contract, and the old bytes gone.

The PostgreSQL tests need ``ONESTOP_TEST_POSTGRES_URL`` and run in a fresh schema,
dropped afterwards; without the variable they are skipped.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from onestop.domain.common.audit import GENESIS, extend_chain
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.history_contracts import HistoryStoreContract, chained_commit


class TestMemoryHistory(HistoryStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store


class TestSQLiteHistory(HistoryStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A new SQLite store in a file."""
        with SQLiteStore.open(tmp_path / "store.sqlite3") as store:
            yield store


@pytest.mark.postgres
class TestPostgresHistory(HistoryStoreContract):
    @pytest.fixture
    def store(self, postgres_url: str) -> Iterator[object]:
        """A new PostgreSQL store in a fresh schema, dropped afterwards."""
        from onestop.storage.postgres import PostgresStore

        name = f"onestop_test_{secrets.token_hex(6)}"
        with PostgresStore.connect(postgres_url, schema=name) as store:
            yield store
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def test_sqlite_rewrite_leaves_no_old_body_in_the_files(tmp_path: Path) -> None:
    """After a rewrite, the old bodies' bytes are in neither the database file nor its WAL."""
    canary = b"PLAIN-CANARY-" + secrets.token_hex(8).encode()
    path = tmp_path / "store.sqlite3"
    with SQLiteStore.open(path) as store:
        stored = store.commit(chained_commit("a", [b'{"n":"%s"}' % canary]))
        new = extend_chain([b'{"n":"sealed"}'], version=0, head=GENESIS)
        store.rewrite_stream("a", expected_head=stored[-1].hash, entries=new)
        wal = path.with_name(path.name + "-wal")
        raw = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert canary not in raw
