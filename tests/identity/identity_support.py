"""What the identity tests share: a hand clock, the redirect URI, a whole sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onestop.ports.identity import VerifiedLogin
from onestop.testing.oidc import LocalProvider
from onestop.transport.oidc import OpenIDConnect

REDIRECT = "https://mall.example.test/api/v1/staff/oidc/callback"
"""The mall's redirect URI in these tests."""


class HandClock:
    """A clock moved by hand, shared by the provider and the adapter."""

    def __init__(self) -> None:
        self.current = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the current instant."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.current += timedelta(seconds=seconds)


def sign_in(
    oidc: OpenIDConnect, provider: LocalProvider, redirect_uri: str = REDIRECT
) -> VerifiedLogin:
    """Run a whole sign-in: begin, the browser at the provider, finish."""
    started = oidc.begin(redirect_uri=redirect_uri)
    back = provider.authorize(started.url)
    return oidc.finish(
        code=back["code"], state=back["state"], expected=started, redirect_uri=redirect_uri
    )
