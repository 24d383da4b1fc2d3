"""Who submits: the signed-in citizen, when a `CitizenSignIn` vouches for one, else anyone.

`citizen_actor` asks the server's `onestop.ports.citizens.CitizenSignIn` who the
request comes from.  An anonymous request submits as `CITIZEN`; a signed-in one as
``citizen:<subject>``, so that the application records who sent it and idempotency keys
are scoped to the person.  When the provider vouches for an identity number, the
submission must be that person's own: the applicant's number, or the representative's
when one acts for the applicant; otherwise it is refused, naming the field, never the
number.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import partial

import anyio

from onestop.domain.common.actors import Actor
from onestop.domain.common.parties import Organisation, Person, Representative
from onestop.exceptions import (
    IdentityProviderError,
    InvalidApplication,
    InvalidValue,
    NotAuthenticated,
    Problem,
)
from onestop.ports.citizens import (
    ANONYMOUS_SUBJECT,
    AnonymousCitizens,
    CitizenIdentity,
    CitizenSignIn,
)
from onestop.privacy.keyring import normalised_identity

__all__ = ["CITIZEN", "citizen_actor"]

CITIZEN = Actor(id=f"citizen:{ANONYMOUS_SUBJECT}", roles={"applicant"})
"""The actor of an anonymous online submission."""


_SIGN_IN = "citizen sign-in"
_PREFIX = "citizen:"


def _same(person: Person | None, identity: CitizenIdentity) -> bool:
    """Whether *person* holds the number *identity* vouches for, in any of its written
    forms (`normalised_identity`, as the blind index compares them)."""
    if person is None or identity.identity_number is None:
        return False
    if not person.identity_number.is_available:
        return False
    try:
        mine = normalised_identity(person.identity_scheme, person.identity_number.reveal())
        vouched = normalised_identity(identity.identity_scheme, identity.identity_number)
    except InvalidValue:  # a number no one holds
        return False
    return hmac.compare_digest(mine, vouched)


def _identify(sign_in: CitizenSignIn, headers: Mapping[str, str]) -> CitizenIdentity | None:
    """The port's answer; anything but a `CitizenIdentity`, ``None``, `NotAuthenticated`
    or an `IdentityProviderError` is the provider's failure (502), never the client's."""
    try:
        identity = sign_in.identify(headers)
    except (NotAuthenticated, IdentityProviderError):
        raise
    except Exception as exc:  # noqa: BLE001 - an adapter's failure: a typed 502
        raise IdentityProviderError(
            issuer=_SIGN_IN, reason=f"the sign-in failed ({type(exc).__name__})"
        ) from None
    if identity is not None and not isinstance(identity, CitizenIdentity):
        raise IdentityProviderError(issuer=_SIGN_IN, reason="the sign-in answered no identity")
    return identity  # a CitizenIdentity's subject is never the anonymous one, nor too long


def citizen_actor(
    sign_in: CitizenSignIn,
    headers: Mapping[str, str],
    *,
    applicant: Person | Organisation,
    representative: Representative | None,
    at: datetime | None = None,
) -> Actor:
    """The actor a submission is made as, checked against who is signed in.

    A signed-in citizen acts as the applicant, or as the representative named; as the
    representative only while its authorisation holds at *at* (the mall's time; a new
    submission checks it itself).  The authorisation's mandate is not verified: no port
    says who may act for whom yet.

    Raises:
        NotAuthenticated: If the request's credentials are refused (from *sign_in*).
        IdentityProviderError: If *sign_in* fails otherwise (any other error, an answer
            that is not a `CitizenIdentity`, a subject no citizen's actor id can hold).
        InvalidApplication: If the signed-in citizen's identity number is neither the
            applicant's nor the representative's, or the representative's authorisation
            expired before *at*.
    """
    identity = _identify(sign_in, {name.lower(): value for name, value in headers.items()})
    if identity is None:
        return CITIZEN
    if identity.identity_number is not None:
        own = applicant if isinstance(applicant, Person) else applicant.contact_person
        acting = representative.person if representative is not None else None
        mine = _same(own, identity)
        if not mine and acting is not None and _same(acting, identity):
            assert representative is not None  # noqa: S101 - acting is its person
            if at is not None and not representative.is_valid_on(at.date()):
                raise InvalidApplication(  # as a submission checks it, on the mall's clock
                    [
                        Problem(
                            path="representative.valid_until",
                            message="the authorisation has expired",
                        )
                    ]
                )
            mine = True
        if not mine:
            where = "representative.person" if representative is not None else "applicant"
            raise InvalidApplication(
                [
                    Problem(
                        path=f"{where}.identity_number",
                        message="is not the signed-in citizen's own",
                    )
                ]
            )
    return Actor(id=f"{_PREFIX}{identity.subject}", roles={"applicant"})


async def acting_citizen(
    sign_in: CitizenSignIn,
    headers: Mapping[str, str],
    *,
    applicant: Person | Organisation,
    representative: Representative | None,
    at: datetime | None = None,
) -> Actor:
    """`citizen_actor`, from the event loop: in a thread, since a sign-in may call out,
    unless citizens are anonymous (no one to ask, so no hop to a thread).

    Raises:
        NotAuthenticated, IdentityProviderError, InvalidApplication: As `citizen_actor`.
    """
    ask = partial(
        citizen_actor,
        sign_in,
        headers,
        applicant=applicant,
        representative=representative,
        at=at,
    )
    return ask() if isinstance(sign_in, AnonymousCitizens) else await anyio.to_thread.run_sync(ask)
