"""From the provider to a staff session: a verified login signs in the account linked to it."""

from __future__ import annotations

import pytest
from identity_support import HandClock, sign_in

from onestop.domain.common.actors import Actor
from onestop.exceptions import SignInRefused
from onestop.privacy.passwords import Argon2Hasher
from onestop.storage.memory import MemoryStore
from onestop.testing.oidc import LocalProvider
from onestop.transport.oidc import OpenIDConnect
from onestop.usecases.mall import RandomIds
from onestop.usecases.staff import StaffDesk

ADMIN = Actor(id="root", roles={"staff_admin"})


@pytest.fixture
def staff(clock: HandClock) -> StaffDesk:
    """A staff desk over a memory store, with a cheap hasher."""
    store = MemoryStore()
    hasher = Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1)
    return StaffDesk(events=store, staff=store, clock=clock, ids=RandomIds(), hasher=hasher)


def test_a_linked_identity_signs_its_account_in(
    staff: StaffDesk, oidc: OpenIDConnect, provider: LocalProvider
):
    """The provider's subject, linked to an account once, signs that account in by OIDC."""
    staff.add("ana", by=ADMIN)
    staff.grant("ana", "verifier", agency="dpmptsp", by=ADMIN)
    first = sign_in(oidc, provider)
    staff.link_identity("ana", first.identity, by=ADMIN)
    signed = staff.sign_in_external(sign_in(oidc, provider).identity)
    assert (signed.identity.account_id, signed.identity.method) == ("ana", "oidc")
    assert staff.session(signed.session).account_id == "ana"


def test_a_subject_linked_to_no_account_is_refused(
    staff: StaffDesk, oidc: OpenIDConnect, provider: LocalProvider
):
    """A person the provider knows but no account is linked to gets no session."""
    staff.add("ana", by=ADMIN)
    provider.subject = "someone-else"
    with pytest.raises(SignInRefused):
        staff.sign_in_external(sign_in(oidc, provider).identity)
