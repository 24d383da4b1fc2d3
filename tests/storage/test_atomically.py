"""`atomically` on SQLite and PostgreSQL: a thread's writes within the block are one
transaction, and other connections see none of them until it ends.

The PostgreSQL cases need ``ONESTOP_TEST_POSTGRES_URL`` (skipped without it); each
store lives in a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestop.exceptions import (
    ConcurrencyConflict,
    InvalidStoreInput,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.keys import AtomicWrites
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.key_contracts import make_subject_key
from onestop.testing.records import make_commit


class _Stop(Exception):
    """Raised inside a block to abandon it."""


def _drop(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """A store and a second store (another connection) on the same data."""
    if request.param == "sqlite":
        with (
            SQLiteStore.open(tmp_path / "s.sqlite3") as store,
            SQLiteStore.open(tmp_path / "s.sqlite3") as other,
        ):
            yield store, other
        return
    from onestop.storage.postgres import PostgresStore

    url = request.getfixturevalue("postgres_url")
    schema = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with (
            PostgresStore.connect(url, schema=schema) as store,
            PostgresStore.connect(url, schema=schema) as other,
        ):
            yield store, other
    finally:
        _drop(url, schema)


@pytest.fixture
def store(stores: tuple[Any, Any]) -> Any:
    """The first of `stores`."""
    return stores[0]


def test_the_store_offers_atomic_writes(store: Any) -> None:
    """The store is an AtomicWrites: the mall finds it by the port."""
    assert isinstance(store, AtomicWrites)


def test_writes_in_the_block_are_kept_together(store: Any) -> None:
    """Keys and an index row written in the block are read back inside it and after it."""
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        store.index_subject("b" * 64, "a/applicant")
        assert store.indexed_subjects("b" * 64) == ("a/applicant",)
    assert store.subject_keys(["a/applicant"])
    assert store.indexed_subjects("b" * 64) == ("a/applicant",)


def _write_then_stop(store: Any) -> None:
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        store.index_subject("b" * 64, "a/applicant")
        raise _Stop


def test_an_error_in_the_block_rolls_back_every_write(store: Any) -> None:
    """A block that raises leaves none of its writes, and the store writes normally after."""
    with pytest.raises(_Stop):
        _write_then_stop(store)
    assert not store.subject_keys(["a/applicant"])
    assert store.indexed_subjects("b" * 64) == ()
    store.index_subject("c" * 64, "c/applicant")
    assert store.indexed_subjects("c" * 64) == ("c/applicant",)


def test_a_refused_write_in_the_block_undoes_only_itself(store: Any) -> None:
    """A write refused inside the block raises as alone; the block's other writes commit."""
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        with pytest.raises(InvalidStoreInput):
            store.index_subject("", "a/applicant")
    assert store.subject_keys(["a/applicant"])


def test_a_conflict_in_the_block_undoes_only_itself(store: Any) -> None:
    """A commit that loses to a newer version inside the block raises ConcurrencyConflict,
    and the block's other writes, before and after it, still commit."""
    first = make_commit("app-1")
    store.commit(first)
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        with pytest.raises(ConcurrencyConflict):
            store.commit(make_commit("app-1"))
        store.index_subject("b" * 64, "a/applicant")
    assert store.subject_keys(["a/applicant"])
    assert store.indexed_subjects("b" * 64) == ("a/applicant",)
    assert len(store.read("app-1")) == len(first.events)


def test_other_connections_see_the_writes_only_when_the_block_ends(
    stores: tuple[Any, Any],
) -> None:
    """Until the block ends, another connection reads none of its writes: one transaction."""
    store, other = stores
    seen: list[object] = []
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        reader = threading.Thread(target=lambda: seen.append(other.subject_keys(["a/applicant"])))
        reader.start()
        reader.join(10)
        assert seen == [{}]
    assert other.subject_keys(["a/applicant"])


def test_the_block_cannot_be_entered_again_in_its_thread(store: Any) -> None:
    """A second `atomically` inside the first raises StorageError; the first is rolled back."""
    with pytest.raises(StorageError), store.atomically():  # noqa: PT012 - the block's writes
        store.add_subject_keys([make_subject_key("a/applicant")])
        store.atomically().__enter__()
    assert not store.subject_keys(["a/applicant"])


def test_a_closed_store_refuses_the_block(store: Any) -> None:
    """Entering the block of a closed store raises StorageError."""
    store.close()
    with pytest.raises(StorageError):
        store.atomically().__enter__()


@pytest.mark.postgres
def test_a_connection_lost_in_the_block_is_an_error_not_a_silent_loss(
    postgres_url: str,
) -> None:
    """On PostgreSQL, a block whose connection was lost (its error caught inside) raises
    StorageUnavailable when it ends, instead of ending as if it had committed."""
    import psycopg

    from onestop.storage.postgres import PostgresStore

    schema = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with PostgresStore.connect(postgres_url, schema=schema) as store:

            def lose_the_connection() -> None:
                with store.atomically():
                    store.add_subject_keys([make_subject_key("k/applicant")])
                    pid = store._pinned.connection.info.backend_pid
                    with psycopg.connect(postgres_url, autocommit=True) as admin:
                        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    with pytest.raises(StorageError):  # caught: the block goes on
                        store.index_subject("b" * 64, "k/applicant")

            with pytest.raises(StorageUnavailable):
                lose_the_connection()
            assert store.subject_keys(["k/applicant"]) == {}
    finally:
        _drop(postgres_url, schema)
