"""The port of staff sign-in through an identity provider (OpenID Connect, or the like).

A government that runs its own identity provider signs its officers in there instead of
with onestop's local passwords.  The sign-in is two calls around a browser redirect:

1. `StaffIdentityProvider.begin` gives an `Authorisation`: the provider's URL to send the
   browser to, and the secrets (``state``, ``nonce``, PKCE ``code_verifier``) that the web
   layer keeps for this browser only (a server-side session, or an encrypted cookie);
2. the provider sends the browser back to the redirect URI with ``code`` and ``state``;
   `StaffIdentityProvider.finish` checks them against that `Authorisation`, redeems the
   code and verifies the ID token, and gives a `VerifiedLogin`: who the provider says
   this is (its issuer and subject), and a few claims that say *how* they signed in.

The login's `onestop.domain.staff.ExternalIdentity` is then mapped to a staff account
(``StaffDesk.link_identity`` links the two once, ``StaffDesk.sign_in_external`` signs the
account in each time); nothing here knows accounts.
`onestop.transport.oidc.OpenIDConnect` implements the port; `onestop.testing.oidc`
holds a provider to test against.  Failures raise
`onestop.exceptions.IdentityProviderError` and its subclasses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from onestop.domain.common.formats import text_problem
from onestop.domain.staff import ExternalIdentity
from onestop.exceptions import InvalidValue

__all__ = [
    "KEPT_CLAIMS",
    "MAX_ISSUER",
    "MAX_SUBJECT",
    "Authorisation",
    "StaffIdentityProvider",
    "VerifiedLogin",
]

MAX_SUBJECT: Final = 255
"""The longest subject identifier, in characters (OpenID Connect Core, section 2)."""

MAX_ISSUER: Final = 256
"""The longest issuer identifier, in characters (as `onestop.domain.staff.ExternalIdentity`)."""

MAX_URL: Final = 8192
"""The longest URL (an authorisation URL, an issuer, a redirect URI), in characters."""

KEPT_CLAIMS: Final = frozenset({"acr", "amr", "auth_time"})
"""The claims a `VerifiedLogin` keeps: how the person signed in, never who they are.

``acr`` (the assurance level), ``amr`` (the methods, e.g. ``pwd otp``, space-separated)
and ``auth_time`` (seconds since the epoch).  Names, e-mail addresses and the like are
dropped by the adapter before anything else sees them.
"""

_MAX_CLAIM = 1024
_SECRET = re.compile(r"[A-Za-z0-9\-._~]{16,128}")  # RFC 7636's unreserved characters


def _text(max_length: int) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        reason = text_problem(value, max_length=max_length)
        if reason is not None:
            raise InvalidValue(field=attribute.name, reason=reason)

    return check


def _secret(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or _SECRET.fullmatch(value) is None:
        raise InvalidValue(
            field=attribute.name,
            reason="must be 16 to 128 letters, digits or the characters - . _ ~",
        )


def _url(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    reason = text_problem(value, max_length=MAX_URL)
    if reason is None and not str(value).startswith(("https://", "http://")):
        reason = "must be an https or http URL"
    if reason is None and any(char.isspace() for char in str(value)):
        reason = "must not hold spaces"
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


def _claims(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidValue(field="claims", reason="expected a mapping of claim names to text")
    kept: dict[str, str] = {}
    for name, claim in value.items():
        if name not in KEPT_CLAIMS:
            raise InvalidValue(
                field="claims", reason=f"only {', '.join(sorted(KEPT_CLAIMS))} are kept"
            )
        reason = text_problem(claim, max_length=_MAX_CLAIM, empty=True)
        if reason is not None:
            raise InvalidValue(field=f"claims[{name}]", reason=reason)
        kept[name] = claim
    return MappingProxyType(kept)


@attrs.frozen(kw_only=True)
class Authorisation:
    """A sign-in begun: where to send the browser, and what to check when it comes back.

    Keep it for this browser only and for a few minutes (the provider's codes live about
    as long); hand it to `StaffIdentityProvider.finish` once, then forget it.  Its
    ``state``, ``nonce`` and ``code_verifier`` are secrets: they are left out of its
    ``repr``, and must never be logged or sent to the browser in clear.

    Attributes:
        url: The provider's authorisation URL, with every parameter of the request.
        state: The value the provider sends back beside the code (against CSRF).
        nonce: The value the ID token must carry (against replayed tokens).
        code_verifier: The PKCE secret whose S256 digest the URL carries.
        redirect_uri: Where the provider sends the browser back to.
    """

    url: str = attrs.field(validator=_url)
    state: str = attrs.field(validator=_secret, repr=False)
    nonce: str = attrs.field(validator=_secret, repr=False)
    code_verifier: str = attrs.field(validator=_secret, repr=False)
    redirect_uri: str = attrs.field(validator=_url)


def _identity(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, ExternalIdentity):
        raise InvalidValue(field=attribute.name, reason="expected an ExternalIdentity")


@attrs.frozen(kw_only=True)
class VerifiedLogin:
    """Who the identity provider says signed in, after every check passed.

    Attributes:
        identity: The provider's issuer identifier (exactly as its discovery document
            says) and its stable identifier of the person (the ``sub`` claim): the key
            ``StaffDesk.link_identity`` links a staff account to, and
            ``StaffDesk.sign_in_external`` signs it in by.
        claims: How they signed in: only the `KEPT_CLAIMS` the token carried, as text.
    """

    identity: ExternalIdentity = attrs.field(validator=_identity)
    claims: Mapping[str, str] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_claims, hash=False
    )


class StaffIdentityProvider(Protocol):
    """Signs staff in through an identity provider: begin, redirect, finish."""

    @property
    def issuer(self) -> str:
        """The provider's issuer identifier, as configured."""
        ...

    def begin(self, *, redirect_uri: str) -> Authorisation:
        """Start a sign-in that comes back to *redirect_uri*; send the browser to its ``url``.

        Raises:
            onestop.exceptions.InvalidValue: If *redirect_uri* is not an acceptable URL.
            onestop.exceptions.IdentityProviderError: If the provider cannot be used
                (`onestop.exceptions.IdentityProviderUnavailable` when it cannot be
                reached now).
        """
        ...

    def finish(
        self, *, code: str, state: str, expected: Authorisation, redirect_uri: str
    ) -> VerifiedLogin:
        """Check the browser's return (``code`` and ``state``) against *expected*; verify.

        Raises:
            onestop.exceptions.IdentityNotVerified: If a check failed (its ``check``
                says which): refuse the sign-in.
            onestop.exceptions.IdentityProviderError: If the provider cannot be used
                (`onestop.exceptions.IdentityProviderUnavailable` when it cannot be
                reached now).
        """
        ...
