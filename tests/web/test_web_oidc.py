"""Signing staff in through an OpenID Connect provider, in process (`onestop.web._staff_oidc`).

The real-server, two-worker tests are in ``test_serve_oidc.py``; here: the settings, what
happens when the provider is down or misbehaves, the OpenAPI document, and the sweeper.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from oidc_support import (
    CALLBACK,
    START,
    RecordingProvider,
    begin,
    come_back,
    link,
    oidc_settings,
)
from openapi_spec_validator import validate
from test_web_openapi import schemas, untyped
from web_support import free_port, in_process, settings_for, swept_once

from onestop.exceptions import ConfigurationError
from onestop.ports.staff import StaffSecret
from onestop.web import ServeSettings
from onestop.web._runtime import Runtime, open_store

LOOPBACK = "http://127.0.0.1:8000"


@pytest.fixture
def provider() -> Iterator[RecordingProvider]:
    """A local provider on a loopback server."""
    with RecordingProvider.serving() as served:
        yield served


def _settings(tmp_path: Path, provider: RecordingProvider, **options: Any) -> ServeSettings:
    settings = oidc_settings(tmp_path, provider, public_url=LOOPBACK, **options)
    link(settings, "officer-ana", provider.issuer, provider.subject)
    return settings


@pytest.mark.parametrize(
    "options",
    [
        {"oidc_issuer": "https://id.example.test"},
        {"oidc_client_id": "onestop", "public_url": LOOPBACK},
        {"oidc_client_secret_file": "client.secret", "public_url": LOOPBACK},
        {"oidc_issuer": "https://id.example.test", "oidc_client_id": "onestop"},
        {"oidc_landing": "//evil.example/", "public_url": LOOPBACK},
        {"oidc_landing": "/\\evil.example/"},
        {"oidc_landing": "https://evil.example/"},
        {"oidc_client_auth": "private_key_jwt"},
    ],
    ids=["no-client", "no-issuer", "secret-alone", "no-public-url", "//", "/\\", "url", "auth"],
)
def test_incomplete_or_unsafe_oidc_settings_are_refused(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    """An issuer without a client id or a public URL, or a landing elsewhere, is refused."""
    with pytest.raises(ConfigurationError):
        settings_for(tmp_path, **options)


def test_the_redirect_uri_is_derived_from_the_public_url(tmp_path: Path) -> None:
    """The provider sends browsers back to the callback under ``--public-url``."""
    settings = settings_for(
        tmp_path,
        public_url="https://mall.example.go.id/",
        oidc_issuer="https://id.example.test",
        oidc_client_id="onestop",
    )
    assert settings.oidc_redirect_uri == "https://mall.example.go.id/api/v1/staff/oidc/callback"
    assert ServeSettings.from_json(settings.to_json()) == settings


def test_a_misconfigured_provider_stops_the_server_from_starting(
    tmp_path: Path, provider: RecordingProvider
) -> None:
    """A discovery document naming another issuer is a ConfigurationError at start."""
    provider.misbehave("discovery_issuer")
    with pytest.raises(ConfigurationError, match="identity provider cannot be used"):
        Runtime.start(_settings(tmp_path, provider))


def test_a_provider_down_at_start_fails_the_check_only(tmp_path: Path) -> None:
    """An unreachable provider fails ``--check`` (strict) but not a worker's start."""
    (tmp_path / "secret").write_text("a-long-client-secret")
    settings = settings_for(
        tmp_path,
        public_url=LOOPBACK,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",
        oidc_client_id="onestop",
        oidc_client_secret_file=str(tmp_path / "secret"),
    )
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        Runtime.start(settings, strict=True)
    Runtime.start(settings).close()


def test_the_oidc_routes_answer_503_while_the_provider_is_down(tmp_path: Path) -> None:
    """A server started while its provider is down answers the start route 503."""
    (tmp_path / "secret").write_text("a-long-client-secret")
    settings = settings_for(
        tmp_path,
        public_url=LOOPBACK,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",
        oidc_client_id="onestop",
        oidc_client_secret_file=str(tmp_path / "secret"),
    )
    with in_process(settings) as client:
        answer = client.get(START, follow_redirects=False)
    assert answer.status_code == 503
    assert answer.json()["type"] == "urn:onestop:problem:IdentityProviderUnavailable"
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(("misbehaviour", "status"), [("redirect", 502), ("unavailable", 503)])
def test_a_token_endpoint_that_fails_the_callback_signs_nobody_in(
    tmp_path: Path, provider: RecordingProvider, misbehaviour: str, status: int
) -> None:
    """A provider answering the code's redemption with a redirect is a 502, one answering
    503 is a 503; either way nobody is signed in."""
    with in_process(_settings(tmp_path, provider)) as client:
        url, cookie = begin(client)
        answer = provider.authorize(url)
        provider.misbehave(misbehaviour)
        back = client.get(
            CALLBACK,
            params=answer,
            headers={"Cookie": f"onestop_oidc={cookie}"},
            follow_redirects=False,
        )
    assert back.status_code == status
    assert "onestop_session" not in back.headers.get("set-cookie", "")


def test_the_landing_path_is_where_a_signed_in_browser_goes(
    tmp_path: Path, provider: RecordingProvider
) -> None:
    """The callback's 303 goes to ``--oidc-landing``, setting the session and CSRF cookies."""
    with in_process(_settings(tmp_path, provider, oidc_landing="/staff/")) as client:
        url, cookie = begin(client)
        back = come_back(client, provider, url, cookie)
    assert back.status_code == 303
    assert back.headers["location"] == "/staff/"
    cookies = back.headers.get_list("set-cookie")
    assert any(c.startswith("onestop_session=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("onestop_csrf=") for c in cookies)
    assert any(c.startswith("onestop_oidc=") and "Max-Age=0" in c for c in cookies)


def test_the_state_cookie_is_httponly_lax_and_short_lived(
    tmp_path: Path, provider: RecordingProvider
) -> None:
    """The start route's cookie is HttpOnly, SameSite=Lax, for the callback, 10 minutes."""
    with in_process(_settings(tmp_path, provider)) as client:
        answer = client.get(START, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=600" in cookie
    assert f"Path={CALLBACK}" in cookie
    assert answer.headers["cache-control"] == "no-store"


def test_the_document_with_oidc_is_valid_and_typed(
    tmp_path: Path, provider: RecordingProvider
) -> None:
    """With OIDC on, the OpenAPI document is valid, fully typed, and the routes need no
    credential."""
    with in_process(_settings(tmp_path, provider)) as client:
        document = client.get("/api/openapi.json").json()
    validate(document)
    assert [where for where, schema in schemas(document) if untyped(schema)] == []
    for path, status in ((START, "302"), (CALLBACK, "303")):
        operation = document["paths"][path]["get"]
        assert "security" not in operation
        assert "content" not in operation["responses"][status]


def test_the_sweeper_removes_expired_sessions_and_sign_ins(tmp_path: Path) -> None:
    """Expired sessions and begun OIDC sign-ins are deleted by the server's sweeper."""
    settings = settings_for(tmp_path)
    long_ago = datetime.now(UTC) - timedelta(days=1)
    kept = {"session": "officer-ana", "oidc_state": "oidc:sign-in"}
    store = open_store(settings)
    try:
        for n, (kind, account) in enumerate(kept.items()):
            store.put_secret(  # type: ignore[attr-defined]
                StaffSecret(
                    key=f"{n:064x}",
                    account_id=account,
                    kind=kind,
                    data=b"{}",
                    created_at=long_ago,
                    expires_at=long_ago + timedelta(minutes=10),
                )
            )
    finally:
        store.close()
    swept_once(settings)
    store = open_store(settings)
    try:
        left = [store.secrets_of(a, kind=k) for k, a in kept.items()]  # type: ignore[attr-defined]
    finally:
        store.close()
    assert left == [(), ()]
