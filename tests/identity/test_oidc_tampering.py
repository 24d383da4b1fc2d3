"""Hypothesis over ID tokens: a tampered, re-signed or made-up token is never accepted."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.exceptions import IdentityNotVerified
from onestop.testing.oidc import LocalProvider
from onestop.transport import _oidc_tokens as tokens

NONCE = "n" * 43
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class _Fixed:
    def now(self) -> datetime:
        return NOW


PROVIDER = LocalProvider(clock=_Fixed())
KEYS = tokens.SigningKeys.from_jwks(PROVIDER.jwks())
TOKEN = PROVIDER.id_token(nonce=NONCE)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _verify(token: object) -> dict[str, Any]:
    return tokens.verify(
        token,
        keys=KEYS,
        issuer=PROVIDER.issuer,
        client_id=PROVIDER.client_id,
        nonce=NONCE,
        now=NOW.timestamp(),
        skew=60,
    )


def _decoded(token: str) -> list[bytes]:
    return [base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in token.split(".")]


def test_the_untouched_token_verifies():
    """The provider's token, as issued, passes every check."""
    assert _verify(TOKEN)["sub"] == PROVIDER.subject


@SETTINGS
@given(st.data())
def test_a_changed_character_is_refused(data: st.DataObject):
    """Changing one character anywhere is refused, unless it decodes to the same bytes."""
    index = data.draw(st.integers(0, len(TOKEN) - 1), label="index")
    replacement = data.draw(st.sampled_from(B64 + "."), label="replacement")
    tampered = TOKEN[:index] + replacement + TOKEN[index + 1 :]
    try:
        _verify(tampered)
    except (IdentityNotVerified, tokens.UnknownKey):  # a changed kid: fetched again, refused
        return
    assert _decoded(tampered) == _decoded(TOKEN)  # only the unused bits of a last character


@SETTINGS
@given(st.binary(min_size=1, max_size=64), st.integers(0, 2))
def test_a_part_replaced_is_refused(junk: bytes, part: int):
    """Replacing the header, the claims or the signature with other bytes is refused."""
    pieces = TOKEN.split(".")
    pieces[part] = base64.urlsafe_b64encode(junk).rstrip(b"=").decode()
    with pytest.raises(IdentityNotVerified):
        _verify(".".join(pieces))


BAD_CLAIMS: dict[str, tuple[str, st.SearchStrategy[Any]]] = {
    "iss": ("issuer", st.text(max_size=40).filter(lambda v: v != PROVIDER.issuer) | st.none()),
    "aud": (
        "audience",
        st.text(max_size=20).filter(lambda v: v != PROVIDER.client_id)
        | st.lists(st.text(max_size=10).filter(lambda v: v != PROVIDER.client_id), max_size=3),
    ),
    "exp": ("expired", st.integers(0, int(NOW.timestamp()) - 61)),
    "iat": ("issued_in_future", st.integers(int(NOW.timestamp()) + 61, 2**40)),
    "nbf": ("not_yet_valid", st.integers(int(NOW.timestamp()) + 61, 2**40)),
    "nonce": ("nonce", st.text(max_size=60).filter(lambda v: v != NONCE)),
    "sub": ("subject", st.just("") | st.text(min_size=256, max_size=300) | st.integers()),
}


@SETTINGS
@given(st.sampled_from(sorted(BAD_CLAIMS)), st.data())
def test_a_wrong_claim_signed_by_the_provider_is_refused(name: str, data: st.DataObject):
    """Even correctly signed, a token with one wrong claim is refused for that claim."""
    check, values = BAD_CLAIMS[name]
    value = data.draw(values, label=name)
    claims = {k: v for k, v in {**_claims(), name: value}.items() if v is not None}
    with pytest.raises(IdentityNotVerified) as refused:
        _verify(PROVIDER.sign(claims))
    assert refused.value.check == check


@SETTINGS
@given(
    st.sampled_from(["exp", "iat", "nbf"]),
    st.sampled_from(
        [True, "1796000000", 1e400, float("nan"), [1], {"n": 1}, 10**400, -(10**400), 2**53 + 1]
    ),
)
def test_a_time_claim_that_is_no_number_is_refused(name: str, value: Any):
    """exp, iat and nbf as a bool, text, infinity, NaN, a list, an object or a whole
    number no float holds are refused, typed."""
    token = PROVIDER.sign({**_claims(), name: value})
    with pytest.raises(IdentityNotVerified) as refused:
        _verify(token)
    assert refused.value.check == "malformed"


def _claims() -> dict[str, Any]:
    now = int(NOW.timestamp())
    return {
        "iss": PROVIDER.issuer,
        "sub": "s",
        "aud": PROVIDER.client_id,
        "iat": now,
        "exp": now + 60,
        "nonce": NONCE,
    }


@SETTINGS
@given(st.text(max_size=300) | st.binary(max_size=300) | st.none() | st.integers())
def test_anything_else_is_refused(value: Any):
    """Made-up input, text or not, is refused as IdentityNotVerified, never anything else."""
    with pytest.raises(IdentityNotVerified):
        _verify(value)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "HS256"},
        {"alg": "none"},
        {"alg": "RS512"},
        {"alg": "ES256"},
        {"crit": ["exp"]},
        {"kid": 7},
        {"jku": "https://evil.example.test/jwks", "kid": "evil"},
    ],
)
def test_a_header_pointing_elsewhere_is_refused(header: dict[str, Any]):
    """Another algorithm, a critical extension, or a key from elsewhere is refused."""
    head = {"alg": "RS256", "typ": "JWT", "kid": PROVIDER.key_id, **header}
    encoded = base64.urlsafe_b64encode(json.dumps(head).encode()).rstrip(b"=").decode()
    _, claims, signature = PROVIDER.sign(_claims()).split(".")
    with pytest.raises((IdentityNotVerified, tokens.UnknownKey)):
        _verify(f"{encoded}.{claims}.{signature}")


def test_a_token_longer_than_the_limit_is_refused_unread():
    """A token of more than 16,384 characters is refused as malformed."""
    with pytest.raises(IdentityNotVerified, match="malformed"):
        _verify(PROVIDER.id_token(nonce=NONCE, padding="x" * 20_000))
