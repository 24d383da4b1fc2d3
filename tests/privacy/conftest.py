"""Fixtures of the privacy tests: a hand clock, a counting provider, a keyring on memory."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_support import HandClock

from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.testing.key_providers import CountingKeyProvider


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
