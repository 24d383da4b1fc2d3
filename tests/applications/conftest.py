"""Fixtures for the application tests: a mall over the test catalogue, a memory store, a clock."""

from __future__ import annotations

import pytest
from application_support import CATALOGUE, START, CountingIds, ManualClock

from onestop.calendars import calendar_for
from onestop.domain.catalogue import Catalogue
from onestop.loading import load_catalogue
from onestop.mall import Mall
from onestop.storage.memory import MemoryStore

_CATALOGUE = load_catalogue(CATALOGUE)
_JAKARTA = calendar_for("ID", years=[2025, 2026])


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return _CATALOGUE


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def mall(catalogue: Catalogue, store: MemoryStore, clock: ManualClock) -> Mall:
    return Mall(
        catalogue=catalogue,
        store=store,
        clock=clock,
        calendars={"*": _JAKARTA},
        ids=CountingIds(),
    )
