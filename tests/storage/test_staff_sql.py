"""The staff store (`onestop.ports.staff.StaffStore`) on SQLite and PostgreSQL.

The promises of the port's docstrings on each SQL store, then what only the SQL stores
do: counting failures across processes, migrating older databases, and secrets leaving
the SQLite files.  The PostgreSQL tests need ``ONESTOP_TEST_POSTGRES_URL`` and run in a
fresh schema, dropped afterwards; without it they are skipped.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from onestop.exceptions import InvalidStoreInput, StorageError
from onestop.ports.staff import AccessRecord, StaffSecret, StaffStore
from onestop.storage.sqlite import SQLiteStore
from onestop.storage.sqlite_schema import shipped_migrations

FIXTURES = Path(__file__).parents[1] / "fixtures"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
RACERS = 8
CANARY = b"STAFF-SECRET-CANARY-" + secrets.token_hex(8).encode()


def _secret(key: str, account: str = "ana", kind: str = "session", **more: Any) -> StaffSecret:
    fields: dict[str, Any] = {"data": b"data-of-" + key.encode(), "created_at": T0, **more}
    return StaffSecret(key=key, account_id=account, kind=kind, **fields)


def _read(application: str = "app-1", actor: str = "ana", at: datetime = T0) -> AccessRecord:
    return AccessRecord(
        actor_id=actor, application_id=application, what="applicant", route="/r", at=at
    )


class SQLStaffBehaviour:
    """What the contract leaves to the SQL stores; subclasses give ``store`` and ``twin``."""

    @pytest.fixture
    def twin(self, store: StaffStore) -> StaffStore:
        """A second store on the same database; the store itself by default."""
        return store

    def test_putting_replaces_what_was_kept(self, store: StaffStore) -> None:
        """A second secret under the same key replaces the first, whatever it held."""
        store.put_secret(_secret("k1", data=b"old"))
        store.put_secret(_secret("k1", account="bob", kind="token", data=b"new"))
        assert store.secret("k1", at=T0) == _secret("k1", account="bob", kind="token", data=b"new")
        assert store.secrets_of("ana") == ()

    def test_concurrent_counts_are_all_different(self, store: StaffStore, twin: StaffStore) -> None:
        """Concurrent count_failure calls on one key, on two stores, return 1 to n once each."""
        barrier = threading.Barrier(RACERS)

        def count(n: int) -> int:
            barrier.wait()
            return (store if n % 2 else twin).count_failure("ana", at=T0, window=WINDOW)

        with ThreadPoolExecutor(RACERS) as pool:
            counts = sorted(pool.map(count, range(RACERS)))
        assert counts == list(range(1, RACERS + 1))
        assert store.failures("ana", at=T0, window=WINDOW) == RACERS

    def test_concurrent_appends_take_positions_without_gaps(
        self, store: StaffStore, twin: StaffStore
    ) -> None:
        """Records appended at once on two stores get positions 1 to n, each once, in pairs."""
        barrier = threading.Barrier(RACERS)

        def append(n: int) -> None:
            barrier.wait()
            pair = [_read(f"app-{n}"), _read(f"app-{n}", actor="bob")]
            (store if n % 2 else twin).record_access(pair)

        with ThreadPoolExecutor(RACERS) as pool:
            list(pool.map(append, range(RACERS)))
        every = store.access_records()
        assert [e.position for e in every] == list(range(1, 2 * RACERS + 1))
        for first, second in zip(every[::2], every[1::2], strict=True):
            assert first.record.application_id == second.record.application_id
            assert (first.record.actor_id, second.record.actor_id) == ("ana", "bob")

    def test_a_bad_record_appends_none(self, store: StaffStore) -> None:
        """record_access with one record that is not an AccessRecord appends nothing."""
        with pytest.raises(InvalidStoreInput):
            store.record_access([_read(), "not a record"])  # type: ignore[list-item]
        assert store.access_records() == ()

    def test_sweeping_deletes_expired_secrets_and_old_failures(self, store: StaffStore) -> None:
        """sweep_staff deletes secrets expired at *at* and failures out of the window."""
        store.put_secret(_secret("gone", expires_at=T0 + timedelta(seconds=1)))
        store.put_secret(_secret("kept", expires_at=T0 + WINDOW))
        store.put_secret(_secret("forever"))
        store.count_failure("ana", at=T0, window=WINDOW)
        store.count_failure("ana", at=T0 + timedelta(minutes=1), window=WINDOW)
        assert store.sweep_staff(at=T0 + timedelta(minutes=1, seconds=1), window=WINDOW) == 1
        assert store.sweep_staff(at=T0 + WINDOW, window=WINDOW) == 2
        assert [s.key for s in store.secrets_of("ana")] == ["forever"]
        assert store.failures("ana", at=T0 + WINDOW, window=WINDOW) == 1

    @pytest.mark.parametrize(
        "call",
        [
            lambda s: s.secret("x" * 257, at=T0),
            lambda s: s.delete_secrets(key="a\x00b"),
            lambda s: s.delete_secrets(account_id="Ana"),
            lambda s: s.clear_failures(None),
            lambda s: s.count_failure("\ud800", at=T0, window=WINDOW),
            lambda s: s.access_records(actor_id="Bob"),
            lambda s: s.access_records(application_id=""),
            lambda s: s.sweep_staff(at=T0, window=1),
        ],
    )
    def test_malformed_input_is_refused(
        self, store: StaffStore, call: Callable[[Any], object]
    ) -> None:
        """Malformed input the contract does not try raises InvalidStoreInput, changes nothing."""
        store.put_secret(_secret("k"))
        with pytest.raises(InvalidStoreInput):
            call(store)
        assert [s.key for s in store.secrets_of("ana")] == ["k"]

    def test_a_closed_store_refuses_calls(self, store: StaffStore) -> None:
        """Every call on a closed store raises StorageError."""
        store.close()  # type: ignore[attr-defined]
        with pytest.raises(StorageError):
            store.secret("k", at=T0)
        with pytest.raises(StorageError):
            store.count_failure("ana", at=T0, window=WINDOW)


class TestSQLiteFileStaff(SQLStaffBehaviour):
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


class TestSQLiteMemoryStaff(SQLStaffBehaviour):
    @pytest.fixture
    def store(self) -> Iterator[SQLiteStore]:
        """A new SQLite store in memory."""
        with SQLiteStore.open(":memory:") as store:
            yield store


@pytest.mark.postgres
class TestPostgresStaff(SQLStaffBehaviour):
    @pytest.fixture
    def store(self, postgres_url: str, schema: str) -> Iterator[StaffStore]:
        """A new PostgreSQL store in the fresh schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema, max_size=RACERS) as store:
            yield store

    @pytest.fixture
    def twin(self, postgres_url: str, schema: str, store: object) -> Iterator[StaffStore]:
        """A second store (another pool) on the same schema."""
        from onestop.storage.postgres import PostgresStore

        with PostgresStore.connect(postgres_url, schema=schema, max_size=RACERS) as twin:
            yield twin


# --- across processes -------------------------------------------------------------------

_COUNTER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import datetime, timedelta
    from pathlib import Path
    from onestop.storage import from_url

    url, go, calls = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    at = datetime.fromisoformat(sys.argv[4])
    with from_url(url) as store:
        while not go.exists():
            time.sleep(0.005)
        counts = [store.count_failure("ana", at=at, window=timedelta(minutes=15))
                  for _ in range(calls)]
    print(json.dumps(counts))
    """
)


def _count_in_processes(url: str, scratch: Path, *, processes: int, calls: int) -> list[int]:
    """Run *processes* processes counting *calls* failures each on one key; all counts."""
    go = scratch / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTER, url, str(go), str(calls), T0.isoformat()],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    go.touch()
    counts: list[int] = []
    for racer in racers:
        out, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0
        counts += json.loads(out)
    return counts


def test_processes_counting_on_one_sqlite_file_get_every_count_once(tmp_path: Path) -> None:
    """Three processes counting failures on one key in one file get 1 to n, each once."""
    path = tmp_path / "store.sqlite3"
    SQLiteStore.open(path).close()
    counts = _count_in_processes(f"sqlite:///{path}", tmp_path, processes=3, calls=40)
    assert sorted(counts) == list(range(1, 121))
    with SQLiteStore.open(path) as store:
        assert store.failures("ana", at=T0, window=WINDOW) == 120


@pytest.mark.postgres
def test_processes_counting_on_one_postgres_schema_get_every_count_once(
    postgres_url: str, schema: str, tmp_path: Path
) -> None:
    """Three processes counting failures on one key in one schema get 1 to n, each once."""
    from onestop.storage.postgres import PostgresStore

    PostgresStore.connect(postgres_url, schema=schema).close()
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}schema={schema}"
    counts = _count_in_processes(url, tmp_path, processes=3, calls=40)
    assert sorted(counts) == list(range(1, 121))
    with PostgresStore.connect(postgres_url, schema=schema) as store:
        assert store.failures("ana", at=T0, window=WINDOW) == 120


@pytest.mark.postgres
def test_a_postgres_count_waits_for_an_uncommitted_count(
    behind_uncommitted: Any, postgres_url: str, schema: str
) -> None:
    """A count on a key another transaction is counting waits for it, and counts its failure."""
    from onestop.storage.postgres import PostgresStore

    PostgresStore.connect(postgres_url, schema=schema).close()
    statement = (
        sql.SQL(
            "WITH held AS (INSERT INTO {}.staff_failure_keys VALUES (%(key)s)"
            " ON CONFLICT (key) DO UPDATE SET key = excluded.key)"
            " INSERT INTO {}.staff_failures VALUES (%(key)s, %(at)s)"
        )
        .format(sql.Identifier(schema), sql.Identifier(schema))
        .as_bytes(None)
    )
    counted = behind_uncommitted(
        schema,
        statement,
        {"key": "ana", "at": T0},
        lambda store: store.count_failure("ana", at=T0, window=WINDOW),
    )
    assert counted == 2


# --- migrations -------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["release1", "unversioned"])
def test_older_sqlite_stores_gain_the_staff_tables(tmp_path: Path, fixture: str) -> None:
    """A store written by an earlier release opens, migrates and keeps staff rows."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(FIXTURES / fixture / "store.sqlite3", copy)
    with SQLiteStore.open(copy) as store:
        store.put_secret(_secret("k"))
        store.record_access([_read()])
    with SQLiteStore.open(copy) as store:
        assert store.secret("k", at=T0) == _secret("k")
        assert [e.position for e in store.access_records()] == [1]
    with sqlite3.connect(copy) as after:
        assert after.execute("SELECT max(version) FROM onestop_schema_migrations").fetchone() == (
            len(shipped_migrations()),
        )


def test_a_sqlite_store_at_version_3_gains_the_staff_tables(tmp_path: Path) -> None:
    """A file migrated to version 3 (subject keys) opens at version 4 and keeps its keys."""
    from onestop.storage.sqlite_schema import migrate
    from onestop.testing.key_contracts import make_subject_key

    path = tmp_path / "store.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    assert migrate(connection, shipped_migrations()[:3]) == 3
    connection.close()
    with SQLiteStore.open(path) as store:
        store.add_subject_keys([make_subject_key("s")])
        assert store.count_failure("ana", at=T0, window=WINDOW) == 1
        assert store.subject_keys(["s"]) == {"s": make_subject_key("s")}


@pytest.mark.postgres
def test_a_postgres_schema_at_migration_4_gains_the_staff_tables(
    postgres_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema written before the staff tables migrates on connect and keeps staff rows."""
    from onestop.storage import postgres_schema
    from onestop.storage.postgres import PostgresStore

    older = [step for step in postgres_schema.shipped_migrations() if step[0] <= 4]
    with monkeypatch.context() as patch, psycopg.connect(postgres_url, autocommit=True) as conn:
        patch.setattr(postgres_schema, "shipped_migrations", lambda: older)
        assert postgres_schema.migrate(conn, schema) == 4
    with PostgresStore.connect(postgres_url, schema=schema) as store:
        store.put_secret(_secret("k"))
        assert store.secret("k", at=T0) == _secret("k")
        assert store.count_failure("ana", at=T0, window=WINDOW) == 1


# --- SQLite: secrets leave the files ----------------------------------------------------


def _raw(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.parametrize(
    "remove",
    [
        lambda s: s.delete_secrets(key="k"),
        lambda s: s.delete_secrets(account_id="ana", kind="password"),
        lambda s: s.put_secret(_secret("k", kind="password", data=b"the new hash")),
        lambda s: s.sweep_staff(at=T0 + WINDOW, window=WINDOW),
    ],
    ids=["delete by key", "delete by account", "replace", "sweep"],
)
def test_a_removed_secret_leaves_the_sqlite_file_and_its_wal(
    tmp_path: Path, remove: Callable[[SQLiteStore], object]
) -> None:
    """A secret deleted, replaced or swept is in neither the database file nor its -wal."""
    path = tmp_path / "staff.sqlite3"
    with SQLiteStore.open(path) as store:
        store.put_secret(_secret("k", kind="password", data=CANARY, expires_at=T0 + WINDOW))
        store.put_secret(_secret("other", data=b"x" * 500))
        assert CANARY in _raw(path)
        remove(store)
        assert CANARY not in _raw(path)  # while the store is open, too
    assert CANARY not in _raw(path)
