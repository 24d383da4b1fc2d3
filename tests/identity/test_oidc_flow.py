"""The OpenID Connect adapter's sign-in against a well-behaved provider."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from identity_support import REDIRECT, HandClock, sign_in

from onestop.domain.staff import ExternalIdentity
from onestop.exceptions import IdentityNotVerified, IdentityProviderError, InvalidValue
from onestop.ports.identity import Authorisation, StaffIdentityProvider, VerifiedLogin
from onestop.testing.oidc import LocalProvider
from onestop.transport.oidc import OpenIDConnect


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_sign_in_gives_the_issuer_and_subject(oidc: OpenIDConnect, provider: LocalProvider):
    """A whole sign-in yields the provider's issuer and the person's subject."""
    login = sign_in(oidc, provider)
    assert login.identity == ExternalIdentity(issuer=provider.issuer, subject="officer-0007")


def test_only_claims_about_the_sign_in_are_kept(oidc: OpenIDConnect, provider: LocalProvider):
    """acr, amr and auth_time are kept as text; name and e-mail are dropped."""
    login = sign_in(oidc, provider)
    assert dict(login.claims) == {
        "acr": "urn:example:loa:high",
        "amr": "pwd otp",
        "auth_time": str(int(provider._now())),
    }


def test_the_adapter_is_a_staff_identity_provider(oidc: OpenIDConnect):
    """OpenIDConnect satisfies the port's protocol."""
    port: StaffIdentityProvider = oidc
    assert port.issuer == "https://id.example.test"


def test_the_authorisation_url_asks_for_a_code_with_pkce(oidc: OpenIDConnect):
    """The URL asks for a code, for this client and redirect, with state, nonce and S256."""
    started = oidc.begin(redirect_uri=REDIRECT)
    query = _query(started.url)
    digest = hashlib.sha256(started.code_verifier.encode()).digest()
    assert urlsplit(started.url).path == "/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "onestop",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": started.state,
        "nonce": started.nonce,
        "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }


def test_each_sign_in_has_its_own_secrets(oidc: OpenIDConnect):
    """Two sign-ins begun share no state, nonce or verifier."""
    one, two = oidc.begin(redirect_uri=REDIRECT), oidc.begin(redirect_uri=REDIRECT)
    assert {one.state, one.nonce, one.code_verifier}.isdisjoint(
        {two.state, two.nonce, two.code_verifier}
    )


def test_the_secrets_are_not_in_the_repr(oidc: OpenIDConnect):
    """An Authorisation's repr shows neither its state, nonce nor verifier."""
    started = oidc.begin(redirect_uri=REDIRECT)
    shown = repr(started).replace(started.url, "")
    assert not {started.state, started.nonce, started.code_verifier} & set(shown.split("'"))


def test_scopes_are_asked_for_after_openid(provider: LocalProvider, clock: HandClock):
    """Extra scopes follow openid, which is never asked for twice."""
    oidc = OpenIDConnect(
        issuer=provider.issuer,
        client_id="onestop",
        client_secret=provider.client_secret,
        http=provider.client(),
        scopes=("openid", "profile"),
    )
    assert _query(oidc.begin(redirect_uri=REDIRECT).url)["scope"] == "openid profile"


def test_client_secret_post_authenticates_in_the_body(clock: HandClock):
    """A provider that takes client_secret_post signs in a client configured so."""
    provider = LocalProvider(clock=clock, authentication="client_secret_post")
    oidc = OpenIDConnect(
        issuer=provider.issuer,
        client_id="onestop",
        client_secret=provider.client_secret,
        authentication="client_secret_post",
        http=provider.client(),
        clock=clock,
    )
    assert sign_in(oidc, provider).identity.subject == "officer-0007"


def test_a_client_not_offered_its_authentication_is_refused(clock: HandClock):
    """A client configured for basic, at a provider offering only post, is refused at once."""
    provider = LocalProvider(clock=clock, authentication="client_secret_post")
    oidc = OpenIDConnect(
        issuer=provider.issuer,
        client_id="onestop",
        client_secret=provider.client_secret,
        http=provider.client(),
        clock=clock,
    )
    with pytest.raises(IdentityProviderError, match="client_secret_basic"):
        oidc.begin(redirect_uri=REDIRECT)


def test_es256_tokens_are_accepted(clock: HandClock):
    """A provider signing with ES256 signs people in as well."""
    provider = LocalProvider(clock=clock, algorithm="ES256")
    oidc = OpenIDConnect(
        issuer=provider.issuer,
        client_id="onestop",
        client_secret=provider.client_secret,
        http=provider.client(),
        clock=clock,
    )
    assert sign_in(oidc, provider).identity.subject == "officer-0007"


def test_a_wrong_client_secret_is_a_provider_error(provider: LocalProvider, clock: HandClock):
    """A secret the provider does not know ends in IdentityProviderError (HTTP 401)."""
    oidc = OpenIDConnect(
        issuer=provider.issuer,
        client_id="onestop",
        client_secret="not-the-secret",  # noqa: S106 - a wrong one, on purpose
        http=provider.client(),
        clock=clock,
    )
    with pytest.raises(IdentityProviderError, match="HTTP 401"):
        sign_in(oidc, provider)


def test_the_discovery_document_is_read_once(oidc: OpenIDConnect, provider: LocalProvider):
    """Two sign-ins read the discovery document and the keys once each."""
    sign_in(oidc, provider)
    sign_in(oidc, provider)
    reads = [p for m, p in provider.requests if m == "GET" and p != "/authorize"]
    assert reads == ["/.well-known/openid-configuration", "/jwks"]


def test_the_cache_expires(oidc: OpenIDConnect, provider: LocalProvider, clock: HandClock):
    """After an hour, the discovery document and the keys are read again."""
    sign_in(oidc, provider)
    clock.advance(3601)
    sign_in(oidc, provider)
    reads = [p for m, p in provider.requests if m == "GET" and p != "/authorize"]
    assert reads == ["/.well-known/openid-configuration", "/jwks"] * 2


def test_rotated_keys_are_fetched_again(
    oidc: OpenIDConnect, provider: LocalProvider, clock: HandClock
):
    """A token signed with a new key makes the adapter fetch the keys again, and pass."""
    sign_in(oidc, provider)
    provider.rotate_keys()
    clock.advance(31)
    assert sign_in(oidc, provider).identity.subject == "officer-0007"
    assert [p for _, p in provider.requests].count("/jwks") == 2


def test_unknown_key_ids_are_fetched_for_at_most_once_in_a_while(
    oidc: OpenIDConnect, provider: LocalProvider, clock: HandClock
):
    """Unknown key ids fetch the keys again once per 30 seconds, and are then refused."""
    sign_in(oidc, provider)
    provider.misbehave("unknown_kid")
    clock.advance(31)
    for _ in range(5):
        with pytest.raises(IdentityNotVerified) as refused:
            sign_in(oidc, provider)
        assert refused.value.check == "key"
    assert [p for _, p in provider.requests].count("/jwks") == 2


def test_a_sign_in_over_a_loopback_server():
    """The provider served on a loopback HTTP server signs a person in through httpx."""
    with LocalProvider.serving() as provider, httpx.Client() as client:
        oidc = OpenIDConnect(
            issuer=provider.issuer,
            client_id="onestop",
            client_secret=provider.client_secret,
            http=client,
        )
        redirect = "http://127.0.0.1:9/callback"
        started = oidc.begin(redirect_uri=redirect)
        answer = client.get(started.url, follow_redirects=False)
        back = _query(answer.headers["location"])
        login = oidc.finish(
            code=back["code"], state=back["state"], expected=started, redirect_uri=redirect
        )
    assert login.identity.issuer.startswith("http://127.0.0.1:")


def test_an_authorisation_refuses_a_short_secret():
    """An Authorisation's state must be at least 16 unreserved characters."""
    with pytest.raises(InvalidValue, match="state"):
        Authorisation(
            url="https://id.example.test/authorize",
            state="short",
            nonce="n" * 43,
            code_verifier="v" * 43,
            redirect_uri=REDIRECT,
        )


def test_a_verified_login_keeps_no_personal_claim():
    """A VerifiedLogin refuses a claim outside acr, amr and auth_time."""
    with pytest.raises(InvalidValue, match="claims"):
        VerifiedLogin(
            identity=ExternalIdentity(issuer="https://id.example.test", subject="x"),
            claims={"email": "a@b.c"},
        )
