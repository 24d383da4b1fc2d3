"""Every refusal of the OpenID Connect adapter, each proven against a misbehaving provider."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from identity_support import REDIRECT, HandClock, sign_in

from onestop.exceptions import (
    IdentityNotVerified,
    IdentityProviderError,
    IdentityProviderUnavailable,
    InvalidValue,
    TransientError,
)
from onestop.testing.oidc import LocalProvider
from onestop.transport.oidc import OpenIDConnect

NOT_VERIFIED = [
    ("wrong_issuer", "issuer"),
    ("wrong_audience", "audience"),
    ("extra_audience", "azp"),
    ("wrong_azp", "azp"),
    ("expired", "expired"),
    ("not_yet_valid", "not_yet_valid"),
    ("issued_in_future", "issued_in_future"),
    ("wrong_nonce", "nonce"),
    ("no_nonce", "nonce"),
    ("bad_signature", "signature"),
    ("alg_none", "algorithm"),
    ("hs256", "algorithm"),
    ("unknown_kid", "key"),
    ("no_id_token", "token_response"),
]


@pytest.mark.parametrize(("misbehaviour", "check"), NOT_VERIFIED)
def test_a_bad_answer_is_refused_naming_the_check(
    oidc: OpenIDConnect, provider: LocalProvider, misbehaviour: str, check: str
):
    """Each misbehaviour of the provider is refused with the check it fails."""
    provider.misbehave(misbehaviour)
    with pytest.raises(IdentityNotVerified) as refused:
        sign_in(oidc, provider)
    assert refused.value.check == check


@pytest.mark.parametrize(
    ("misbehaviour", "error"),
    [
        ("discovery_issuer", IdentityProviderError),
        ("no_pkce", IdentityProviderError),
        ("redirect", IdentityProviderError),
        ("unavailable", IdentityProviderUnavailable),
    ],
)
def test_a_provider_that_cannot_be_used_is_refused_at_begin(
    oidc: OpenIDConnect, provider: LocalProvider, misbehaviour: str, error: type[Exception]
):
    """A wrong discovery document, a redirect or a 503 fail the sign-in's start."""
    provider.misbehave(misbehaviour)
    with pytest.raises(error):
        oidc.begin(redirect_uri=REDIRECT)


def test_a_failed_discovery_is_not_asked_again_for_a_while(
    oidc: OpenIDConnect, provider: LocalProvider, clock: HandClock
):
    """Once the discovery document failed, each sign-in's start within refetch_after is
    refused at once, typed, with no call to the provider; after it, it is asked again."""
    provider.misbehave("unavailable")
    with pytest.raises(IdentityProviderUnavailable):
        oidc.begin(redirect_uri=REDIRECT)
    calls = len(provider.requests)
    provider.misbehave()
    clock.advance(29)
    with pytest.raises(IdentityProviderUnavailable):
        oidc.begin(redirect_uri=REDIRECT)
    assert len(provider.requests) == calls
    clock.advance(2)
    assert oidc.begin(redirect_uri=REDIRECT).url.startswith(provider.issuer)


def test_a_server_error_at_the_token_endpoint_is_transient(
    oidc: OpenIDConnect, provider: LocalProvider
):
    """A 500 from the token endpoint is IdentityProviderUnavailable, a TransientError."""
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    provider.misbehave("server_error")
    with pytest.raises(TransientError):
        oidc.finish(code=back["code"], state=back["state"], expected=started, redirect_uri=REDIRECT)


def test_another_state_is_refused(oidc: OpenIDConnect, provider: LocalProvider):
    """A state that is not the one sent is refused before the code is redeemed."""
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(code=back["code"], state="x" * 43, expected=started, redirect_uri=REDIRECT)
    assert refused.value.check == "state"
    assert ("POST", "/token") not in provider.requests


def test_another_sign_ins_authorisation_is_refused(oidc: OpenIDConnect, provider: LocalProvider):
    """A code brought back with the state of another browser's sign-in is refused."""
    mine, theirs = oidc.begin(redirect_uri=REDIRECT), oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(theirs.url)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(code=back["code"], state=back["state"], expected=mine, redirect_uri=REDIRECT)
    assert refused.value.check == "state"


def test_another_redirect_uri_is_refused(oidc: OpenIDConnect, provider: LocalProvider):
    """finish with another redirect URI than begin's is refused."""
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(
            code=back["code"],
            state=back["state"],
            expected=started,
            redirect_uri="https://evil.example.test/callback",
        )
    assert refused.value.check == "redirect_uri"


def test_a_code_is_redeemed_once(oidc: OpenIDConnect, provider: LocalProvider):
    """A code used once is refused the second time (the provider says invalid_grant)."""
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    oidc.finish(code=back["code"], state=back["state"], expected=started, redirect_uri=REDIRECT)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(code=back["code"], state=back["state"], expected=started, redirect_uri=REDIRECT)
    assert refused.value.check == "code"


def test_a_stolen_code_without_the_verifier_is_refused(
    oidc: OpenIDConnect, provider: LocalProvider
):
    """A code redeemed with another sign-in's verifier fails PKCE at the provider."""
    victim, attacker = oidc.begin(redirect_uri=REDIRECT), oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(victim.url)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(
            code=back["code"], state=attacker.state, expected=attacker, redirect_uri=REDIRECT
        )
    assert refused.value.check == "code"


@pytest.mark.parametrize("code", ["", "a b", "ä", "x" * 2049, None, 7])
def test_a_code_that_is_no_code_is_refused(oidc: OpenIDConnect, provider: LocalProvider, code):
    """A code of no visible ASCII, empty or huge is refused before any request."""
    started = oidc.begin(redirect_uri=REDIRECT)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(code=code, state=started.state, expected=started, redirect_uri=REDIRECT)
    assert refused.value.check == "code"


@pytest.mark.parametrize(("late", "refused"), [(59, False), (61, True)])
def test_expiry_allows_a_minute_of_skew(
    oidc: OpenIDConnect, provider: LocalProvider, clock: HandClock, late: int, refused: bool
):
    """A token 59 seconds past its expiry passes, 61 seconds past is refused."""
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    provider.lifetime = 0
    original = provider.id_token

    def late_token(**kwargs: Any) -> str:
        clock.advance(-late)
        try:
            return original(**kwargs)
        finally:
            clock.advance(late)

    provider.id_token = late_token  # type: ignore[method-assign]
    finishing = {"code": back["code"], "state": back["state"], "redirect_uri": REDIRECT}
    if refused:
        with pytest.raises(IdentityNotVerified, match="expired"):
            oidc.finish(expected=started, **finishing)
    else:
        assert oidc.finish(expected=started, **finishing).identity.subject == "officer-0007"


def test_a_refusal_never_quotes_the_code_or_the_token(oidc: OpenIDConnect, provider: LocalProvider):
    """The error's message and attributes hold neither the code nor the ID token."""
    provider.misbehave("wrong_audience")
    started = oidc.begin(redirect_uri=REDIRECT)
    back = provider.authorize(started.url)
    with pytest.raises(IdentityNotVerified) as refused:
        oidc.finish(code=back["code"], state=back["state"], expected=started, redirect_uri=REDIRECT)
    shown = str(refused.value) + repr(vars(refused.value))
    assert back["code"] not in shown
    assert started.nonce not in shown
    assert refused.value.__cause__ is None


def _adapter(handler: Any, issuer: str = "https://id.example.test") -> OpenIDConnect:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return OpenIDConnect(issuer=issuer, client_id="onestop", client_secret="s" * 20, http=client)


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), OSError("down")]
)
def test_a_provider_out_of_reach_is_unavailable(failure: Exception):
    """A refused connection or a timeout is IdentityProviderUnavailable, caused by it."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(IdentityProviderUnavailable) as raised:
        _adapter(handler).begin(redirect_uri=REDIRECT)
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>", "not a JSON object"),
        (b"[]", "not a JSON object"),
        (b" " * (1 << 20) + b"{}", "more than"),
        (json.dumps({"issuer": "https://id.example.test/"}).encode(), "another issuer"),
        (
            json.dumps(
                {
                    "issuer": "https://id.example.test",
                    "authorization_endpoint": "http://id.example.test/authorize",
                    "token_endpoint": "https://id.example.test/token",
                    "jwks_uri": "https://id.example.test/jwks",
                }
            ).encode(),
            "authorization_endpoint is not an https URL",
        ),
        (
            json.dumps(
                {
                    "issuer": "https://id.example.test",
                    "authorization_endpoint": "https://id.example.test/authorize",
                    "jwks_uri": "https://id.example.test/jwks",
                }
            ).encode(),
            "no token_endpoint",
        ),
    ],
)
def test_a_discovery_document_that_cannot_be_used_is_refused(body: bytes, reason: str):
    """Not JSON, too large, another issuer (even by a slash), http or missing endpoints."""
    adapter = _adapter(lambda request: httpx.Response(200, content=body))
    with pytest.raises(IdentityProviderError, match=reason):
        adapter.begin(redirect_uri=REDIRECT)


def test_a_jwks_without_usable_keys_is_refused(oidc: OpenIDConnect, provider: LocalProvider):
    """A JWKS holding only a symmetric key is a provider error, never a key to trust."""
    provider.jwks = lambda: {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "x"}]}  # type: ignore[method-assign]
    with pytest.raises(IdentityProviderError, match="no RS256 or ES256"):
        sign_in(oidc, provider)


@pytest.mark.parametrize(
    "issuer",
    [
        "http://id.example.test",
        "https://id.example.test?x=1",
        "https://id.example.test#f",
        "https://user:pw@id.example.test",
        "ftp://id.example.test",
        "",
        "https://id.example .test",
    ],
)
def test_an_issuer_that_is_no_https_url_is_refused(issuer: str):
    """The issuer must be https (http only on loopback), with no query, fragment or user."""
    with pytest.raises(InvalidValue, match="issuer"):
        OpenIDConnect(issuer=issuer, client_id="onestop")


@pytest.mark.parametrize(
    "redirect_uri", ["http://mall.example.test/cb", "https://mall.example.test/cb#x", "/cb", ""]
)
def test_a_redirect_uri_that_is_no_https_url_is_refused(oidc: OpenIDConnect, redirect_uri: str):
    """The redirect URI must be https (http only on loopback) without a fragment."""
    with pytest.raises(InvalidValue, match="redirect_uri"):
        oidc.begin(redirect_uri=redirect_uri)


def test_the_repr_never_shows_the_client_secret(oidc: OpenIDConnect, provider: LocalProvider):
    """The adapter's repr names the issuer and client, not the secret."""
    assert provider.client_secret not in repr(oidc)
