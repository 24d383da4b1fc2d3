"""`MemoryStore`, the executable specification, passes the storage and batch contracts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestop.storage.memory import MemoryStore
from onestop.testing.contracts import BatchStoreContract, EventStoreContract


class TestMemoryStore(EventStoreContract):
    """The contract, run against the in-memory store."""

    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store


class TestMemoryBatchStore(BatchStoreContract):
    """The batch contract, run against the in-memory store."""

    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store
