"""Fixtures of the privacy tests: a hand clock, a counting provider, a keyring on memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.testing.key_providers import CountingKeyProvider

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class HandClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def provider() -> CountingKeyProvider:
    return CountingKeyProvider(StaticKeyProvider.generate("mk-1"))


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def keyring(provider: CountingKeyProvider, store: MemoryStore, clock: HandClock) -> Keyring:
    policy = KeyCachePolicy(max_keys=3, ttl=timedelta(minutes=5))
    return Keyring(provider, store, cache=policy, clock=clock)
