"""Subjects' data keys and the blind index on every store: the contract, migration, wiping.

The PostgreSQL tests need ``ONESTOP_TEST_POSTGRES_URL`` and run in a fresh schema,
dropped afterwards; without the variable they are skipped (and fail when
``ONESTOP_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from onestop.ports.keys import SubjectKeyStore
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore
from onestop.storage.sqlite_schema import secure_deletion, shipped_migrations
from onestop.testing.key_contracts import K0, SubjectKeyStoreContract, make_subject_key

FIXTURES = Path(__file__).parents[1] / "fixtures"

# A wrapped key no store writes by chance, to look for in the raw files.
CANARY = b"WRAPPED-KEY-CANARY-" + secrets.token_hex(8).encode()


class TestMemoryKeys(SubjectKeyStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store


class TestSQLiteFileKeys(SubjectKeyStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A new SQLite store in a file."""
        with SQLiteStore.open(tmp_path / "store.sqlite3") as store:
            yield store

    @pytest.fixture
    def twin(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A second store (a second connection) on the same file."""
        with SQLiteStore.open(tmp_path / "store.sqlite3") as twin:
            yield twin


class TestSQLiteMemoryKeys(SubjectKeyStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[SQLiteStore]:
        """A new SQLite store in memory."""
        with SQLiteStore.open(":memory:") as store:
            yield store


@pytest.mark.postgres
class TestPostgresKeys(SubjectKeyStoreContract):
    @pytest.fixture
    def schema(self, postgres_url: str) -> Iterator[str]:
        """A fresh schema, dropped afterwards."""
        name = f"onestop_test_{secrets.token_hex(6)}"
        yield name
        _drop(postgres_url, name)

    @pytest.fixture
    def store(self, postgres_url: str, schema: str) -> Iterator[SubjectKeyStore]:
        """A new PostgreSQL store in the fresh schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema) as store:
            yield store

    @pytest.fixture
    def twin(self, postgres_url: str, schema: str, store: object) -> Iterator[SubjectKeyStore]:
        """A second store (another pool) on the same schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema) as twin:
            yield twin


def _drop(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _raw(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# --- SQLite: physical destruction ---------------------------------------------------


def test_sqlite_turns_secure_delete_on_while_destroying_and_fast_else(tmp_path: Path) -> None:
    """secure_delete is FAST (2) on the writing connection, and ON (1) inside
    secure_deletion only."""
    with (
        SQLiteStore.open(tmp_path / "s.sqlite3") as store,
        store._reading(writer=True) as connection,
    ):
        assert connection.execute("PRAGMA secure_delete").fetchone() == (2,)
        with secure_deletion(connection):
            assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
        assert connection.execute("PRAGMA secure_delete").fetchone() == (2,)


def test_a_destroyed_key_leaves_the_sqlite_file_and_its_wal(tmp_path: Path) -> None:
    """After destroying a key, its bytes are in neither the database file nor its -wal."""
    path = tmp_path / "keys.sqlite3"
    with SQLiteStore.open(path) as store:
        store.add_subject_keys([make_subject_key("app-1/applicant", data=CANARY)])
        store.add_subject_keys([make_subject_key(f"app-{n}/applicant") for n in range(2, 50)])
        store._truncate_wal()  # the canary moves into the database file
        assert CANARY in path.read_bytes()
        assert store.destroy_subject_keys(["app-1/applicant"], at=K0) == 1
    assert CANARY not in _raw(path)


def test_a_destroyed_key_leaves_no_copy_in_an_uncheckpointed_wal(tmp_path: Path) -> None:
    """A key still only in the -wal file when destroyed leaves it too."""
    path = tmp_path / "keys.sqlite3"
    with SQLiteStore.open(path) as store:
        store.add_subject_keys([make_subject_key("s", data=CANARY)])
        assert CANARY in _raw(path)
        store.destroy_subject_keys(["s"], at=K0)
        assert CANARY not in _raw(path)  # while the store is open, too


def test_unindexed_rows_leave_the_sqlite_files(tmp_path: Path) -> None:
    """After unindexing a subject, its blind index value is in neither file."""
    blind = secrets.token_hex(32)
    path = tmp_path / "index.sqlite3"
    with SQLiteStore.open(path) as store:
        store.index_subject(blind, "app-1/applicant")
        store.index_subject(secrets.token_hex(32), "app-2/applicant")
        assert blind.encode() in _raw(path)
        assert store.unindex_subjects(["app-1/applicant"]) == 1
    assert blind.encode() not in _raw(path)


def test_keys_and_index_rows_written_one_by_one_leave_no_copy_once_destroyed(
    tmp_path: Path,
) -> None:
    """300 subjects' keys and blind index rows, written one submission at a time (so the
    tables' pages split as they grow), leave no copy in either file once all are destroyed
    and unindexed: a page that split kept the rows it had held in its unused space."""
    path = tmp_path / "grown.sqlite3"
    subjects = [f"app-{n:04d}/applicant" for n in range(300)]
    keys = {subject: b"KEY-" + secrets.token_hex(18).encode() for subject in subjects}
    blinds = {subject: secrets.token_hex(32) for subject in subjects}
    with SQLiteStore.open(path) as store:
        for subject in subjects:
            store.add_subject_keys([make_subject_key(subject, data=keys[subject])])
            store.index_subject(blinds[subject], subject)
        store._truncate_wal()
        assert store.destroy_subject_keys(subjects, at=K0) == len(subjects)
        assert store.unindex_subjects(subjects) == len(subjects)
        raw = _raw(path)
    assert [s for s in subjects if keys[s] in raw] == []
    assert [s for s in subjects if blinds[s].encode() in raw] == []


@pytest.mark.parametrize("fixture", ["release1", "unversioned"])
def test_older_sqlite_stores_gain_the_key_tables(tmp_path: Path, fixture: str) -> None:
    """A store written by an earlier release opens, migrates and keeps keys; its events stay."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(FIXTURES / fixture / "store.sqlite3", copy)
    with sqlite3.connect(copy) as before:
        events = before.execute("SELECT count(*) FROM events").fetchone()
    with SQLiteStore.open(copy) as store:
        store.add_subject_keys([make_subject_key("s")])
        store.index_subject("ab", "s")
    with SQLiteStore.open(copy) as store:
        assert store.subject_keys(["s"]) == {"s": make_subject_key("s")}
        assert store.indexed_subjects("ab") == ("s",)
    with sqlite3.connect(copy) as after:
        assert after.execute("SELECT count(*) FROM events").fetchone() == events
        assert after.execute("SELECT max(version) FROM onestop_schema_migrations").fetchone() == (
            len(shipped_migrations()),
        )


# --- PostgreSQL: destruction and migration --------------------------------------------


@pytest.mark.postgres
def test_a_destroyed_key_is_not_in_a_pg_dump(postgres_url: str) -> None:
    """After destroying a key, a pg_dump of the store's schema does not hold its bytes."""
    from onestop.storage.postgres import PostgresStore

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    schema = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with PostgresStore.connect(postgres_url, schema=schema) as store:
            store.add_subject_keys([make_subject_key("app-1/applicant", data=CANARY)])
            store.add_subject_keys([make_subject_key("app-2/applicant")])

            def dump() -> bytes:
                return subprocess.run(
                    [pg_dump, "--schema", schema, "--data-only", "--inserts", postgres_url],
                    check=True,
                    capture_output=True,
                ).stdout

            assert CANARY in dump() or CANARY.hex().encode() in dump()
            assert store.destroy_subject_keys(["app-1/applicant"], at=K0) == 1
            after = dump()
        assert CANARY not in after
        assert CANARY.hex().encode() not in after
        assert b"app-1/applicant" in after  # the tombstone
    finally:
        _drop(postgres_url, schema)


@pytest.mark.postgres
def test_a_schema_at_migration_3_gains_the_key_tables(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL schema written before the key tables migrates on connect and keeps keys."""
    from onestop.storage import postgres_schema
    from onestop.storage.postgres import PostgresStore
    from onestop.storage.postgres_schema import migrate, shipped_migrations

    schema = f"onestop_test_{secrets.token_hex(6)}"
    try:
        older = [step for step in shipped_migrations() if step[0] <= 3]
        with monkeypatch.context() as patch, psycopg.connect(postgres_url, autocommit=True) as conn:
            patch.setattr(postgres_schema, "shipped_migrations", lambda: older)
            assert migrate(conn, schema) == 3
        with PostgresStore.connect(postgres_url, schema=schema) as store:
            store.add_subject_keys([make_subject_key("s")])
            assert store.subject_keys(["s"]) == {"s": make_subject_key("s")}
    finally:
        _drop(postgres_url, schema)


def test_a_rewrapped_key_leaves_the_sqlite_files(tmp_path: Path) -> None:
    """After rewrapping a key, its old wrapped bytes are in neither the file nor its -wal."""
    path = tmp_path / "keys.sqlite3"
    with SQLiteStore.open(path) as store:
        store.add_subject_keys([make_subject_key("s", data=CANARY)])
        assert store.rewrap_subject_keys([make_subject_key("s", data=b"\x07" * 60)]) == 1
    assert CANARY not in _raw(path)
