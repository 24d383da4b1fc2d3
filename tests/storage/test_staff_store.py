"""The staff store's contract (`onestop.testing.staff_contracts`) on every adapter that has it.

The memory store here; staff-sql adds SQLite and PostgreSQL classes with fixtures only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestop.storage.memory import MemoryStore
from onestop.testing.staff_contracts import StaffStoreContract


class TestMemoryStaff(StaffStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        """A new memory store."""
        with MemoryStore() as store:
            yield store
