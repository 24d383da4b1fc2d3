"""Verifying an OpenID Connect ID token: the keys, the signature and the claims.

Private to `onestop.transport.oidc`.  Everything here is pure: the keys come from a JWKS
the adapter fetched, the time from its clock.  A refusal is an
`onestop.exceptions.IdentityNotVerified` naming the check that failed, never quoting
the token or a claim's value; a key id the set does not hold is `UnknownKey`, so that
the adapter may fetch the set again once (the provider may have rotated its keys).

The rules (OpenID Connect Core 1.0, section 3.1.3.7, and RFC 8725):

* the token is a JWS in compact form, at most `MAX_TOKEN` characters; JWE is refused;
* its algorithm is RS256 or ES256 and nothing else: ``none`` and the HMAC algorithms
  (whose "secret" an attacker would take from the public key) are refused before any
  key is looked at, and so is a header with ``crit``;
* the key is the JWKS's key of the header's ``kid`` (or its only key of the right type
  when there is no ``kid``); a key that names another algorithm or another use than
  ``sig`` is not used; an RSA key has at least 2048 bits; the header's ``jwk``, ``jku``
  and ``x5u`` are never followed;
* ``iss`` is the issuer exactly; ``aud`` holds the client id, and when it holds others,
  ``azp`` is the client id (an ``azp`` is always the client id);
* ``exp`` is after now, ``iat`` and ``nbf`` not after now, each within the clock skew
  allowed; each is a number of seconds (a `bool` is not);
* ``nonce`` is the one sent, compared in constant time; ``sub`` is text of 1 to 255
  characters.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, RSAKey

from onestop.domain.common.formats import text_problem
from onestop.exceptions import IdentityCheck, IdentityNotVerified
from onestop.ports.identity import KEPT_CLAIMS, MAX_SUBJECT

__all__ = ["ALGORITHMS", "MAX_TOKEN", "SigningKeys", "UnknownKey", "kept_claims", "verify"]

ALGORITHMS: Final = {"RS256": "RSA", "ES256": "EC"}
"""The signature algorithms accepted, and the key type each needs."""

MAX_TOKEN: Final = 16_384
"""The longest ID token read, in characters."""

MAX_KEYS: Final = 64
"""The most keys read from one JWKS; the rest are ignored."""

_MIN_RSA_BITS: Final = 2048
_PART = re.compile(r"[A-Za-z0-9_-]*")


class UnknownKey(Exception):
    """The token names a key id the set does not hold: fetch the set again, once."""


class SigningKeys:
    """The usable signature keys of one JWKS, by key id."""

    def __init__(self, keys: Iterable[tuple[str | None, str, Any]]) -> None:
        """Keep *keys*: (key id, algorithm or ``""``, joserfc key)."""
        self._keys = tuple(keys)

    @classmethod
    def from_jwks(cls, document: object) -> SigningKeys:
        """Read the RSA and EC signature keys of a JWKS (a parsed JSON object).

        Keys of another type, for encryption, too small or malformed are left out;
        at most `MAX_KEYS` are read.
        """
        entries = document.get("keys") if isinstance(document, dict) else None
        found: list[tuple[str | None, str, Any]] = []
        for entry in entries[:MAX_KEYS] if isinstance(entries, list) else ():
            key = _import(entry)
            if key is not None:
                found.append(key)
        return cls(found)

    def __len__(self) -> int:
        """How many usable keys the set holds."""
        return len(self._keys)

    def find(self, *, kid: str | None, algorithm: str) -> Any:
        """The key to check a signature of *algorithm* with.

        Raises:
            UnknownKey: If no key has this *kid*.
            _Refusal: (``key``, made an `IdentityNotVerified` by `verify`) if no key fits
                *algorithm*, or several do and the token names none.
        """
        wanted = ALGORITHMS[algorithm]
        if kid is not None:
            named = [entry for entry in self._keys if entry[0] == kid]
            if not named:
                raise UnknownKey
            fitting = [
                key for _, alg, key in named if key.key_type == wanted and alg in ("", algorithm)
            ]
        else:
            fitting = [
                key
                for _, alg, key in self._keys
                if key.key_type == wanted and alg in ("", algorithm)
            ]
        if len(fitting) != 1:
            raise _Refusal(
                "key", "no single key of the provider fits the token's key id and algorithm"
            )
        return fitting[0]


def _import(entry: object) -> tuple[str | None, str, Any] | None:
    if not isinstance(entry, dict):
        return None
    kid, alg, use = entry.get("kid"), entry.get("alg", ""), entry.get("use", "sig")
    if not (kid is None or isinstance(kid, str)) or use != "sig" or alg not in ("", *ALGORITHMS):
        return None
    public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    try:
        if entry.get("kty") == "RSA":
            key: Any = RSAKey.import_key(public)
            numbers = key.raw_value.public_numbers()
            if numbers.n.bit_length() < _MIN_RSA_BITS:
                return None
        elif entry.get("kty") == "EC" and entry.get("crv") == "P-256":
            key = ECKey.import_key(public)
        else:
            return None
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return kid, alg, key


class _Refusal(Exception):
    def __init__(self, check: IdentityCheck, reason: str) -> None:
        super().__init__(reason)
        self.check: IdentityCheck = check
        self.reason = reason


def _b64json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise _Refusal("malformed", f"the token's {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise _Refusal("malformed", f"the token's {what} is not a JSON object")
    return value


def _header(token: object) -> tuple[dict[str, Any], str]:
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_TOKEN:
        raise _Refusal("malformed", f"the ID token is not text of 1 to {MAX_TOKEN} characters")
    parts = token.split(".")
    if len(parts) != 3 or not all(_PART.fullmatch(part) for part in parts):
        raise _Refusal("malformed", "the ID token is not a signed JWT in compact form")
    header = _b64json(parts[0], "header")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _Refusal("algorithm", "the token is not signed with RS256 or ES256")
    if "crit" in header:
        raise _Refusal("malformed", "the token's header has critical extensions")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise _Refusal("malformed", "the token's key id is not text")
    return header, algorithm


def _seconds(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, int) and abs(value) > _MAX_SECONDS)  # no float holds it
        or not math.isfinite(value)
    ):
        raise _Refusal("malformed", f"the token's {name!r} claim is not a number of seconds")
    return float(value)


_MAX_SECONDS = 2**53
"""The largest whole number of seconds a claim may hold (any a float holds exactly)."""


def _check_claims(
    claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str, now: float, skew: float
) -> None:
    if claims.get("iss") != issuer:
        raise _Refusal("issuer", "the token was issued by another issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise _Refusal("audience", "the token is not meant for this client")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise _Refusal("azp", "the token's authorised party is not this client")
    expires = _seconds(claims, "exp", required=True)
    issued = _seconds(claims, "iat", required=True)
    not_before = _seconds(claims, "nbf", required=False)
    if expires is not None and now >= expires + skew:
        raise _Refusal("expired", "the token has expired")
    if issued is not None and issued > now + skew:
        raise _Refusal("issued_in_future", "the token says it was issued in the future")
    if not_before is not None and not_before > now + skew:
        raise _Refusal("not_yet_valid", "the token is not valid yet")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), nonce.encode("utf-8", "surrogatepass")
    ):
        raise _Refusal("nonce", "the token's nonce is not the one sent")
    if text_problem(claims.get("sub"), max_length=MAX_SUBJECT) is not None:
        raise _Refusal(
            "subject", f"the token's subject is not text of 1 to {MAX_SUBJECT} characters"
        )


def verify(
    token: object,
    *,
    keys: SigningKeys,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
    skew: float,
) -> dict[str, Any]:
    """Return the claims of *token* after every check; *now* is seconds since the epoch.

    Raises:
        UnknownKey: If the token's key id is not in *keys* (nothing else was checked).
        IdentityNotVerified: Naming the check that failed.
    """
    try:
        header, algorithm = _header(token)
        key = keys.find(kid=header.get("kid"), algorithm=algorithm)
        try:
            signed = jws.deserialize_compact(str(token), key, algorithms=[algorithm])
        except BadSignatureError:
            raise _Refusal("signature", "the token's signature does not verify") from None
        except (JoseError, ValueError, TypeError):
            raise _Refusal("signature", "the token's signature cannot be checked") from None
        claims = _payload(signed.payload)
        _check_claims(claims, issuer=issuer, client_id=client_id, nonce=nonce, now=now, skew=skew)
    except _Refusal as refusal:
        raise IdentityNotVerified(
            issuer=issuer, check=refusal.check, reason=refusal.reason
        ) from None
    return claims


def _payload(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Refusal("malformed", "the token's claims are not JSON") from None
    if not isinstance(value, dict):
        raise _Refusal("malformed", "the token's claims are not a JSON object")
    return value


def kept_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The `onestop.ports.identity.KEPT_CLAIMS` of verified *claims*, as text.

    ``amr`` (a list) is joined with spaces, ``auth_time`` written in digits; a claim of
    the wrong shape is left out rather than guessed at.
    """
    kept: dict[str, str] = {}
    acr, amr, auth_time = claims.get("acr"), claims.get("amr"), claims.get("auth_time")
    if isinstance(acr, str):
        kept["acr"] = acr
    if isinstance(amr, list) and all(isinstance(m, str) and " " not in m for m in amr):
        kept["amr"] = " ".join(amr)
    if isinstance(auth_time, int) and not isinstance(auth_time, bool) and 0 <= auth_time < 2**63:
        kept["auth_time"] = str(auth_time)
    return {
        name: value
        for name, value in kept.items()
        if name in KEPT_CLAIMS and text_problem(value, max_length=1024, empty=True) is None
    }
