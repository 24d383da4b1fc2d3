"""The citizen identity port: who a request to the online mall comes from, if anyone says.

Today citizens apply online anonymously: the lookup secret of their receipt is what
lets them come back.  A country with a national digital identity (Indonesia's IKD,
Korea's simple authentication, Cambodia's CamDigiKey) will want its citizens signed in,
so that an application is bound to the person who sent it.  `CitizenSignIn` is the seam
for that: the server hands each request's headers to it, and it answers with the
`CitizenIdentity` its credentials prove, with ``None`` for an anonymous request, or by
raising `onestop.exceptions.NotAuthenticated` for credentials it refuses.

An adapter verifies whatever its provider issues (an OpenID Connect ID token, a signed
assertion from a gateway in front of the server); `AnonymousCitizens` is the default,
which signs no one in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs

from onestop.domain.common.formats import ACTOR_ID, IDENTITY_SCHEME
from onestop.domain.common.kinds import check_type
from onestop.exceptions import InvalidValue

__all__ = [
    "ANONYMOUS_SUBJECT",
    "ASSURANCE_LEVELS",
    "MAX_SUBJECT",
    "AnonymousCitizens",
    "CitizenIdentity",
    "CitizenSignIn",
]

ASSURANCE_LEVELS = ("low", "substantial", "high")
"""How sure the provider is of the person, as eIDAS names the levels."""


def _assurance(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or value not in ASSURANCE_LEVELS:
        raise InvalidValue(field=attribute.name, reason=f"must be one of {ASSURANCE_LEVELS}")


def _number(
    instance: CitizenIdentity, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if (value is None) != (instance.identity_scheme is None):
        raise InvalidValue(
            field=attribute.name, reason="is given with identity_scheme, or not at all"
        )
    if value is not None:
        check_type(value, str, field=attribute.name)


ANONYMOUS_SUBJECT = "online"
"""The subject of the anonymous citizen (``citizen:online``), which no signed-in one has."""

MAX_SUBJECT = 120
"""The longest subject, since ``citizen:<subject>`` is an actor id of 128 characters at most."""


def _subject(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    ACTOR_ID.check(value, field=attribute.name)
    if len(str(value)) > MAX_SUBJECT:
        raise InvalidValue(field=attribute.name, reason=f"is longer than {MAX_SUBJECT} characters")
    if value == ANONYMOUS_SUBJECT:
        raise InvalidValue(field=attribute.name, reason="is the anonymous citizen's")


def _scheme(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        IDENTITY_SCHEME.check(value, field=attribute.name)


@attrs.frozen(kw_only=True)
class CitizenIdentity:
    """A citizen, as a sign-in provider vouches for them.

    Attributes:
        subject: The provider's stable id of the person, as an actor id of at most
            `MAX_SUBJECT` characters, not `ANONYMOUS_SUBJECT` (a pairwise pseudonym is
            best: never the identity number itself; a provider whose ids differ only in
            case must encode or hash them, since actor ids are lower case).  The
            application's submitter becomes ``citizen:<subject>``.
        assurance: How sure the provider is (`ASSURANCE_LEVELS`).
        identity_scheme: The identity scheme of the number the provider vouches for, or
            ``None`` if it vouches for none; with it, a submission must name the same
            number for its applicant or representative.
        identity_number: That number (personal data: never logged), or ``None``.
    """

    subject: str = attrs.field(validator=_subject)
    assurance: str = attrs.field(validator=_assurance)
    identity_scheme: str | None = attrs.field(default=None, validator=_scheme)
    identity_number: str | None = attrs.field(default=None, repr=False, validator=_number)


class CitizenSignIn(Protocol):
    """Tells who a request comes from, from its headers."""

    def identify(self, headers: Mapping[str, str], /) -> CitizenIdentity | None:
        """Return the citizen the request's credentials prove, or ``None`` if it has none.

        *headers* are the request's headers, their names in lower case.

        Raises:
            NotAuthenticated: If the request holds credentials that are not valid (expired,
                forged): a request with bad credentials is never served as anonymous.
            IdentityProviderUnavailable: If the provider cannot be asked now (the server
                answers 503 with ``Retry-After``).

        Whatever else it raises, or an answer that is not a `CitizenIdentity`, the
        server takes as the provider's failure: `IdentityProviderError` (502).
        """
        ...


class AnonymousCitizens:
    """Signs no one in: every request is anonymous (the default)."""

    def identify(self, headers: Mapping[str, str], /) -> CitizenIdentity | None:
        """Return ``None``: the request is anonymous."""
        return None
