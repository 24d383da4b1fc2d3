"""Catalogue versions in SQLite: the upgrade of version-1 files, and publishers racing."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from onestop.exceptions import StorageError
from onestop.ports.catalogue import catalogue_digest
from onestop.storage.sqlite import SQLiteStore
from onestop.storage.sqlite_schema import (
    MIGRATIONS_TABLE,
    migrate,
    schema_version,
    shipped_migrations,
)
from onestop.testing.catalogue_contracts import publish, race_publications

PUBLISHERS = 8
ROUNDS = 15


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "centre.sqlite3"


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _version_1_file(path: Path) -> None:
    """Make a database as onestop left it at schema version 1, with a counter in it."""
    connection = _raw(path)
    migrate(connection, shipped_migrations()[:1])
    connection.execute("INSERT INTO sequences VALUES ('n', 3)")
    connection.close()


def _applied(path: Path) -> list[tuple[int, str]]:
    connection = _raw(path)
    rows = connection.execute(
        f"SELECT version, name FROM {MIGRATIONS_TABLE} ORDER BY version"  # noqa: S608
    ).fetchall()
    connection.close()
    return rows


# --- the upgrade from schema version 1 ------------------------------------------------


def test_a_version_1_database_is_upgraded_on_open(path: Path) -> None:
    """Opening a version-1 file adds the catalogue versions and keeps what was there."""
    _version_1_file(path)
    with SQLiteStore.open(path) as store:
        assert schema_version(store._connection) == 4
        assert store.sequence("n") == 3
        assert publish(store, b"first").version == 1
    assert _applied(path) == [
        (1, "initial"),
        (2, "catalogue_versions"),
        (3, "subject_keys"),
        (4, "staff"),
    ]


def test_an_upgraded_database_is_not_upgraded_again(path: Path) -> None:
    """Opening an upgraded file again applies nothing and keeps its catalogue versions."""
    _version_1_file(path)
    with SQLiteStore.open(path) as store:
        published = publish(store, b"first")
    with SQLiteStore.open(path) as store:
        assert store.latest_catalogue() == published
    assert [version for version, _ in _applied(path)] == [1, 2, 3, 4]


def test_racing_openers_upgrade_a_version_1_database_once(path: Path) -> None:
    """Eight threads opening one version-1 file at once all succeed; migration 2 runs once."""
    _version_1_file(path)
    errors: list[BaseException] = []
    barrier = threading.Barrier(PUBLISHERS)

    def open_one() -> None:
        barrier.wait()
        try:
            SQLiteStore.open(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [version for version, _ in _applied(path)] == [1, 2, 3, 4]


def test_a_failed_upgrade_leaves_the_database_at_version_1(path: Path) -> None:
    """If migration 2 fails, opening raises StorageError and the file stays whole at version 1."""
    _version_1_file(path)
    connection = _raw(path)
    connection.execute("CREATE TABLE catalogue_versions (x INTEGER) STRICT")  # in its way
    connection.close()
    with pytest.raises(StorageError) as caught:
        SQLiteStore.open(path)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert any("0002_catalogue_versions" in n for n in caught.value.__cause__.__notes__)
    assert _applied(path) == [(1, "initial")]
    connection = _raw(path)
    columns = connection.execute("SELECT name FROM pragma_table_info('catalogue_versions')")
    assert [name for (name,) in columns] == ["x"]
    connection.close()


def test_the_catalogue_table_is_strict(path: Path) -> None:
    """The catalogue versions' table refuses a value of the wrong type instead of coercing it."""
    SQLiteStore.open(path).close()
    connection = _raw(path)
    with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT"):
        connection.execute(
            "INSERT INTO catalogue_versions VALUES (1, ?, x'00', 'noon', NULL)", ("0" * 64,)
        )
    connection.close()


def test_a_damaged_stored_version_is_a_storage_error(path: Path) -> None:
    """A stored version whose content no longer matches its digest reads as StorageError."""
    with SQLiteStore.open(path) as store:
        publish(store, b'{"agencies": []}')
    connection = _raw(path)
    connection.execute("UPDATE catalogue_versions SET content = x'7b7d' WHERE version = 1")
    connection.close()

    with SQLiteStore.open(path) as store, pytest.raises(StorageError, match="version 1 is damaged"):
        store.catalogue_version(1)


# --- publishers racing ----------------------------------------------------------------


def _race(path: Path, contents: list[list[bytes]]) -> list[list[str]]:
    """Race the publishers, each with a store of its own on the file."""
    with contextlib.ExitStack() as stack:
        stores = [stack.enter_context(SQLiteStore.open(path)) for _ in contents]
        return race_publications(stores, contents)


def test_racing_publishers_of_different_catalogues_have_one_winner(path: Path) -> None:
    """Eight stores publish different content at the same version: one wins, seven conflict."""
    SQLiteStore.open(path).close()
    contents = [
        [b"publisher %d round %d" % (p, r) for r in range(ROUNDS)] for p in range(PUBLISHERS)
    ]
    outcomes = _race(path, contents)
    for round_, seen in enumerate(outcomes, start=1):
        assert Counter(seen) == {f"v{round_}": 1, "conflict": PUBLISHERS - 1}
    with SQLiteStore.open(path) as store:
        versions = store.catalogue_versions(limit=1000)
    assert [v.version for v in versions] == list(range(1, ROUNDS + 1))


def test_racing_publishers_of_the_same_catalogue_all_get_its_version(path: Path) -> None:
    """Eight stores publish the same content at the same version: all get the one version."""
    SQLiteStore.open(path).close()
    contents = [[b"round %d" % r for r in range(ROUNDS)] for _ in range(PUBLISHERS)]
    outcomes = _race(path, contents)
    for round_, seen in enumerate(outcomes, start=1):
        assert seen == [f"v{round_}"] * PUBLISHERS
    with SQLiteStore.open(path) as store:
        versions = store.catalogue_versions(limit=1000)
    assert [v.digest for v in versions] == [
        catalogue_digest(b"round %d" % r) for r in range(ROUNDS)
    ]
