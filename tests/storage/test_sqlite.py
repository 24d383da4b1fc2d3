"""`SQLiteStore` keeps the storage contract, in a file and in memory, and matches `MemoryStore`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from hypothesis import settings

from onestop.storage.sqlite import SQLiteStore
from onestop.testing.comparison import make_comparison_machine
from onestop.testing.contracts import BatchStoreContract, EventStoreContract


class TestSQLiteFileStore(EventStoreContract):
    """The contract, against a WAL database file."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A new store in a fresh file."""
        with SQLiteStore.open(tmp_path / "centre.sqlite3") as store:
            yield store


class TestSQLiteMemoryStore(EventStoreContract):
    """The contract, against an in-memory database."""

    @pytest.fixture
    def store(self) -> Iterator[SQLiteStore]:
        """A new store in memory."""
        with SQLiteStore.open(":memory:") as store:
            yield store


class TestSQLiteFileBatchStore(BatchStoreContract):
    """The batch contract, against a WAL database file."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        """A new store in a fresh file."""
        with SQLiteStore.open(tmp_path / "centre.sqlite3") as store:
            yield store


class TestSQLiteMemoryBatchStore(BatchStoreContract):
    """The batch contract, against an in-memory database."""

    @pytest.fixture
    def store(self) -> Iterator[SQLiteStore]:
        """A new store in memory."""
        with SQLiteStore.open(":memory:") as store:
            yield store


_FILES = tempfile.TemporaryDirectory(prefix="onestop-comparison-")  # removed at exit
_NUMBERS = count()


def _file_store() -> SQLiteStore:
    return SQLiteStore.open(Path(_FILES.name) / f"{next(_NUMBERS)}.sqlite3", synchronous="NORMAL")


TestSQLiteMatchesMemory = make_comparison_machine(
    lambda: SQLiteStore.open(":memory:"), name="SQLiteMatchesMemory"
).TestCase
TestSQLiteMatchesMemory.settings = settings(
    TestSQLiteMatchesMemory.settings, max_examples=100, stateful_step_count=30
)

TestSQLiteFileMatchesMemory = make_comparison_machine(
    _file_store, name="SQLiteFileMatchesMemory"
).TestCase
TestSQLiteFileMatchesMemory.settings = settings(
    TestSQLiteFileMatchesMemory.settings, max_examples=20, stateful_step_count=20
)
