"""What the OpenID Connect sign-in tests of the online mall share.

- `RecordingProvider`: `onestop.testing.oidc.LocalProvider` keeping every ID token it
  issues, so that a test can look for them where they must not be (the access log);
- `oidc_settings` makes `ServeSettings` signing staff in with a provider;
- `link` makes an account (no role but ``verifier``) linked to the provider's person;
- `begin` and `come_back` play the browser: the start route, the provider, the callback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from web_support import SETUP, settings_for

from onestop.domain.common.actors import Actor
from onestop.domain.staff import ExternalIdentity
from onestop.privacy import FileKeyProvider, Keyring
from onestop.testing.oidc import LocalProvider
from onestop.web import ServeSettings
from onestop.web._runtime import open_store, staff_desk

START = "/api/v1/staff/oidc/start"
CALLBACK = "/api/v1/staff/oidc/callback"
STATE_COOKIE = "onestop_oidc"


class RecordingProvider(LocalProvider):
    """A local provider that keeps every ID token it issues in `issued`."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.issued: list[str] = []

    def id_token(self, **options: Any) -> str:
        """Issue an ID token as the provider does, and keep it."""
        token = super().id_token(**options)
        self.issued.append(token)
        return token


def oidc_settings(
    tmp_path: Path, provider: LocalProvider, *, public_url: str, **options: Any
) -> ServeSettings:
    """Settings over a fresh store signing staff in with *provider* (its secret in a file)."""
    secret = tmp_path / "oidc-client.secret"
    secret.write_text(provider.client_secret + "\n", encoding="utf-8")
    return settings_for(
        tmp_path,
        public_url=public_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret_file=str(secret),
        **options,
    )


def link(settings: ServeSettings, account: str, issuer: str, subject: str) -> None:
    """Make *account* (a verifier everywhere) and link it to *subject* at *issuer*."""
    admin = Actor(id=SETUP, roles=frozenset({"staff_admin"}))
    store = open_store(settings)
    try:
        desk = staff_desk(store, Keyring(FileKeyProvider(settings.key_file), store))
        desk.add(account, by=admin)
        desk.grant(account, "verifier", by=admin)
        desk.link_identity(account, ExternalIdentity(issuer=issuer, subject=subject), by=admin)
    finally:
        store.close()


def begin(client: Any) -> tuple[str, str]:
    """GET the start route through *client*; return the provider's URL and the state cookie."""
    answer = client.get(START, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"], answer.cookies[STATE_COOKIE]


def come_back(client: Any, provider: LocalProvider, url: str, cookie: str) -> Any:
    """Let *provider* sign its person in at *url*, then GET the callback with *cookie*."""
    answer = provider.authorize(url)
    return callback(client, answer, cookie)


def callback(client: Any, answer: dict[str, str], cookie: str | None) -> Any:
    """GET the callback with the provider's *answer* (code, state) and the state *cookie*."""
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
    return client.get(CALLBACK, params=answer, headers=headers, follow_redirects=False)


def query_of(url: str) -> dict[str, str]:
    """The parameters of *url*'s query, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
