"""`SQLiteStore.atomically`: a thread's writes within the block are one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestop.exceptions import InvalidStoreInput, StorageError
from onestop.ports.keys import AtomicWrites
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.key_contracts import make_subject_key


class _Stop(Exception):
    """Raised inside a block to abandon it."""


def test_the_sqlite_store_offers_atomic_writes(tmp_path: Path) -> None:
    """SQLiteStore is an AtomicWrites: the mall finds it by the port."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, AtomicWrites)


def test_writes_in_the_block_are_kept_together(tmp_path: Path) -> None:
    """Keys and an index row written in the block are read back inside it and after it."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        with store.atomically():
            store.add_subject_keys([make_subject_key("a/applicant")])
            store.index_subject("b" * 64, "a/applicant")
            assert store.indexed_subjects("b" * 64) == ("a/applicant",)
        assert store.subject_keys(["a/applicant"])
        assert store.indexed_subjects("b" * 64) == ("a/applicant",)


def _write_then_stop(store: SQLiteStore) -> None:
    with store.atomically():
        store.add_subject_keys([make_subject_key("a/applicant")])
        store.index_subject("b" * 64, "a/applicant")
        raise _Stop


def test_an_error_in_the_block_rolls_back_every_write(tmp_path: Path) -> None:
    """A block that raises leaves none of its writes, and the store writes normally after."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        with pytest.raises(_Stop):
            _write_then_stop(store)
        assert not store.subject_keys(["a/applicant"])
        assert store.indexed_subjects("b" * 64) == ()
        store.index_subject("c" * 64, "c/applicant")
        assert store.indexed_subjects("c" * 64) == ("c/applicant",)


def test_a_failed_write_in_the_block_undoes_only_itself(tmp_path: Path) -> None:
    """A write refused inside the block raises as alone; the block's other writes commit."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        with store.atomically():
            store.add_subject_keys([make_subject_key("a/applicant")])
            with pytest.raises(InvalidStoreInput):
                store.index_subject("", "a/applicant")
        assert store.subject_keys(["a/applicant"])


def test_a_closed_store_refuses_the_block(tmp_path: Path) -> None:
    """Entering the block of a closed store raises StorageError."""
    store = SQLiteStore.open(tmp_path / "s.sqlite3")
    store.close()
    with pytest.raises(StorageError):
        store.atomically().__enter__()
