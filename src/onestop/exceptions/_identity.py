"""Errors of signing staff in through an identity provider (OpenID Connect)."""

from __future__ import annotations

from typing import Literal

from onestop.exceptions._base import OnestopError, TransientError, _shown

#: Which check an identity provider's answer failed (`IdentityNotVerified.check`).
IdentityCheck = Literal[
    "state",
    "redirect_uri",
    "code",
    "token_response",
    "malformed",
    "algorithm",
    "key",
    "signature",
    "issuer",
    "audience",
    "azp",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "nonce",
    "subject",
]


class IdentityProviderError(OnestopError):
    """An identity provider could not be used: misconfigured, misbehaving or refusing.

    The message names the provider (its issuer, shortened if long) and what went wrong;
    it never quotes a token, a code, a client secret or a claim.

    Attributes:
        issuer: The provider's issuer identifier, as configured.
        reason: What went wrong.
    """

    def __init__(self, *, issuer: str, reason: str) -> None:
        self.issuer = issuer
        self.reason = reason
        super().__init__(f"identity provider {_shown(issuer)}: {reason}")


class IdentityProviderUnavailable(IdentityProviderError, TransientError):
    """The identity provider cannot be reached now, or answered with a server error.

    Nothing was decided about the person signing in: let them try again later.
    """


class IdentityNotVerified(IdentityProviderError):
    """The provider's answer to a sign-in failed a check: the sign-in is refused.

    Answer the person with 401 and a new sign-in; log `check`, never the token.

    Attributes:
        issuer: The provider's issuer identifier, as configured.
        check: What failed: ``state``, ``redirect_uri``, ``code`` (the token endpoint
            refused it), ``token_response``, ``malformed``, ``algorithm``, ``key``,
            ``signature``, ``issuer``, ``audience``, ``azp``, ``expired``,
            ``not_yet_valid``, ``issued_in_future``, ``nonce`` or ``subject``.
        reason: The same, in a sentence.
    """

    def __init__(self, *, issuer: str, check: IdentityCheck, reason: str) -> None:
        super().__init__(issuer=issuer, reason=f"sign-in not verified ({check}): {reason}")
        self.check: IdentityCheck = check
        self.reason = reason
