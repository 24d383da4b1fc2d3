"""Fixtures for the application tests: a mall over the test catalogue, a memory store, a clock."""

from __future__ import annotations

import pytest
from application_support import CATALOGUE, START, CountingIds, ManualClock

from onestop.calendars import calendar_for
from onestop.domain.catalogue.model import Catalogue
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

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
