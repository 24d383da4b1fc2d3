"""Fixtures of the identity tests: a hand clock, a local provider and an adapter over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from identity_support import HandClock

from onestop.testing.oidc import LocalProvider
from onestop.transport.oidc import OpenIDConnect


@pytest.fixture
def clock() -> HandClock:
    """A clock at 2 March 2026, 08:00 UTC."""
    return HandClock()


@pytest.fixture
def provider(clock: HandClock) -> LocalProvider:
    """A well-behaved provider signing with RS256."""
    return LocalProvider(clock=clock)


@pytest.fixture
def oidc(provider: LocalProvider, clock: HandClock) -> Iterator[OpenIDConnect]:
    """The adapter, configured for *provider*, calling it in process."""
    client = provider.client()
    yield OpenIDConnect(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        http=client,
        clock=clock,
    )
    client.close()
