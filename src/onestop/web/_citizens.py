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
from functools import partial

import anyio

from onestop.domain.common.actors import Actor
from onestop.domain.common.parties import Organisation, Person, Representative
from onestop.exceptions import InvalidApplication, Problem
from onestop.ports.citizens import AnonymousCitizens, CitizenIdentity, CitizenSignIn

__all__ = ["CITIZEN", "citizen_actor"]

CITIZEN = Actor(id="citizen:online", roles={"applicant"})
"""The actor of an anonymous online submission."""


def _same(person: Person | None, identity: CitizenIdentity) -> bool:
    if person is None or identity.identity_number is None:
        return False
    if not person.identity_number.is_available:
        return False
    number = person.identity_number.reveal()
    return person.identity_scheme == identity.identity_scheme and hmac.compare_digest(
        number.encode("utf-8", "surrogatepass"),
        identity.identity_number.encode("utf-8", "surrogatepass"),
    )


def citizen_actor(
    sign_in: CitizenSignIn,
    headers: Mapping[str, str],
    *,
    applicant: Person | Organisation,
    representative: Representative | None,
) -> Actor:
    """The actor a submission is made as, checked against who is signed in.

    Raises:
        NotAuthenticated: If the request's credentials are refused (from *sign_in*).
        InvalidApplication: If the signed-in citizen's identity number is neither the
            applicant's nor the representative's.
    """
    identity = sign_in.identify({name.lower(): value for name, value in headers.items()})
    if identity is None:
        return CITIZEN
    if identity.identity_number is not None:
        own = applicant if isinstance(applicant, Person) else applicant.contact_person
        acting = representative.person if representative is not None else None
        if not (_same(own, identity) or _same(acting, identity)):
            where = "representative.person" if representative is not None else "applicant"
            raise InvalidApplication(
                [
                    Problem(
                        path=f"{where}.identity_number",
                        message="is not the signed-in citizen's own",
                    )
                ]
            )
    return Actor(id=f"citizen:{identity.subject}", roles={"applicant"})


async def acting_citizen(
    sign_in: CitizenSignIn,
    headers: Mapping[str, str],
    *,
    applicant: Person | Organisation,
    representative: Representative | None,
) -> Actor:
    """`citizen_actor`, from the event loop: in a thread, since a sign-in may call out,
    unless citizens are anonymous (no one to ask, so no hop to a thread).

    Raises:
        NotAuthenticated, InvalidApplication: As `citizen_actor`.
    """
    ask = partial(
        citizen_actor, sign_in, headers, applicant=applicant, representative=representative
    )
    return ask() if isinstance(sign_in, AnonymousCitizens) else await anyio.to_thread.run_sync(ask)
