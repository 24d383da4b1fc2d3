"""The security review's findings on the staff desk, each pinned by a test."""

from __future__ import annotations

import pytest
from staff_support import ROOT, T0, Clock, desk

from onestop.domain.staff import AccountAdded
from onestop.exceptions import InvalidValue
from onestop.storage.memory import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize(
    "reserved", ["citizen:online", "citizen:abc", "system", "cli", "agency:dpmptsp", "CLI"]
)
def test_reserved_actor_ids_are_no_account(store: MemoryStore, clock: Clock, reserved: str) -> None:
    """No account may take an id onestop acts under itself: refused naming account_id."""
    staff = desk(store, clock)
    with pytest.raises(InvalidValue) as refused:
        staff.add(reserved, by=ROOT)
    assert refused.value.field == "account_id"
    with pytest.raises(InvalidValue):
        AccountAdded(account_id=reserved, by="root", at=T0)
    assert staff.accounts() == ()
