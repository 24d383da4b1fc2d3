"""Scoped roles in the Mall: an officer of one agency cannot act on another agency's application.

The test catalogue's licence is provided by ``dpmptsp`` (whose parent is ``pemprov``);
``makassar`` is another agency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from application_support import CITIZEN, Canary, answers, documents, snapshot

from onestop import Actor, Grant
from onestop.domain.applications.application import Verdict
from onestop.exceptions import RoleNotAllowed
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

OWN = Actor(id="dpmptsp-officer-1", grants={Grant("verifier", agency="dpmptsp")})
OTHER = Actor(
    id="makassar-officer-1",
    grants={Grant(role, agency="makassar") for role in ("verifier", "approver", "front_office")},
)
PARENT = Actor(id="pemprov-officer-1", grants={Grant("verifier", agency="pemprov")})


def _submit(mall: Mall, actor: Actor = CITIZEN) -> str:
    canary = Canary.new()
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        answers=answers(canary),
        documents=documents(),
        actor=actor,
    ).application_id


def _commands(actor: Actor) -> dict[str, Callable[[Mall, str], Any]]:
    return {
        "act": lambda m, a: m.act(a, "send_back", actor=actor, inputs={"reason": "Blurry"}),
        "check_document": lambda m, a: m.check_document(
            a, "ktp", verdict=Verdict.VERIFIED, actor=actor
        ),
        "add_note": lambda m, a: m.add_note(a, "Looks fine", visibility="internal", actor=actor),
        "assign": lambda m, a: m.assign(a, "makassar-officer-1", actor=actor),
        "suspend": lambda m, a: m.suspend(a, reason="court_order", actor=actor),
        "record_payment": lambda m, a: m.record_payment(
            a, "pay-1", amount="150000", currency="IDR", actor=actor
        ),
        "withdraw": lambda m, a: m.withdraw(a, actor=actor),
    }


@pytest.mark.parametrize("command", sorted(_commands(OTHER)))
def test_another_agencys_officer_is_refused_and_nothing_is_written(
    mall: Mall, store: MemoryStore, command: str
) -> None:
    """Each officer command by another agency's officer raises RoleNotAllowed, writing nothing."""
    application_id = _submit(mall)
    before = snapshot(store)

    with pytest.raises(RoleNotAllowed) as refused:
        _commands(OTHER)[command](mall, application_id)

    assert refused.value.agency == "dpmptsp"
    assert snapshot(store) == before


def test_the_agencys_own_officer_may_act(mall: Mall, store: MemoryStore) -> None:
    """An officer granted the role for the application's agency checks and sends back."""
    application_id = _submit(mall)

    mall.check_document(application_id, "ktp", verdict=Verdict.VERIFIED, actor=OWN)
    after = mall.act(application_id, "send_back", actor=OWN, inputs={"reason": "Blurry photo"})

    assert after.state == "returned"
    reread = Mall(catalogue=mall.catalogue, store=store, clock=mall.clock, cache_size=0)
    stored = reread.application(application_id).events[-2:]
    assert [(e.kind, e.actor, e.role) for e in stored] == [
        ("document_checked", "dpmptsp-officer-1", "verifier"),
        ("action_taken", "dpmptsp-officer-1", "verifier"),
    ]


def test_a_grant_for_the_parent_agency_does_not_reach_its_sub_agency(mall: Mall) -> None:
    """A grant names one agency exactly: a ``pemprov`` verifier cannot act for ``dpmptsp``."""
    application_id = _submit(mall)

    with pytest.raises(RoleNotAllowed):
        mall.act(application_id, "send_back", actor=PARENT, inputs={"reason": "Blurry"})


def test_the_role_recorded_at_submission_is_held_for_the_services_agency(mall: Mall) -> None:
    """A counter clerk's role is recorded on submission only if held for the service's agency."""
    own = Actor(id="dpmptsp-clerk-1", grants={Grant("front_office", agency="dpmptsp")})
    other = Actor(id="makassar-clerk-1", grants={Grant("front_office", agency="makassar")})

    recorded = [mall.application(_submit(mall, clerk)).events[0].role for clerk in (own, other)]

    assert recorded == ["front_office", None]


def test_the_refusal_lists_what_the_officer_may_do_in_that_agency(mall: Mall) -> None:
    """`RoleNotAllowed.allowed` counts only the roles held for the application's agency."""
    application_id = _submit(mall)
    both = Actor(
        id="officer-2",
        grants={Grant("verifier", agency="makassar"), Grant("front_office", agency="dpmptsp")},
    )

    with pytest.raises(RoleNotAllowed) as refused:
        mall.act(application_id, "send_back", actor=both, inputs={"reason": "Blurry"})

    assert refused.value.allowed == ()
    assert "in agency 'dpmptsp'" in str(refused.value)
